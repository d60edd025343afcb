# Stand-in for ComfyUI's main.py in the comfy-secrets demo tree.
print("ComfyUI would start here")
