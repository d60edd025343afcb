# Stand-in for ComfyUI's version file in the container test's tree.
__version__ = "0.3.76"
