# Stand-in for ComfyUI's main.py in the runtime-env demo tree.
print("ComfyUI would start here")
