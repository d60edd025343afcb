# Stand-in for ComfyUI's version file in the demo tree.
__version__ = "0.3.76"
