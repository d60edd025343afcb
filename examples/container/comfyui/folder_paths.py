# Stand-in for ComfyUI's folder_paths.py in the container test's tree: the function ComfyUI 0.3.76 added,
# which ComfyUI-Manager 3.38 and later look for to choose user/__manager/config.ini.
def get_system_user_directory(name="system"):
    raise NotImplementedError("container stand-in")
