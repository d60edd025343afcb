# A stand-in for ComfyUI's main.py, small enough to build offline: it parses the same --listen/--port,
# then loads each custom node the way ComfyUI does (importing custom_nodes/<node>/__init__.py), which
# for the emprops stand-in means load_dotenv(.env, override=False), and reads ComfyUI-Manager's
# config.ini with configparser(strict=False) as the Manager does; python-dotenv's dotenv_values gives
# what the .env itself holds, for values the environment had already. It prints ONE report line that the
# container tests check: which files existed when it started, and the SHA-256 of every value it read
# (a digest, never the value, so its log can be searched for leaks like any other). Then it waits for
# a signal, as a server would; SIGTERM ends it the default way (killed by the signal).
import argparse
import configparser
import hashlib
import importlib.util
import json
import os
import signal

from dotenv import dotenv_values

parser = argparse.ArgumentParser()
# As ComfyUI's comfy/cli_args.py: --listen alone means every IPv4 and IPv6 address.
parser.add_argument("--listen", nargs="?", const="0.0.0.0,::", default="127.0.0.1")
parser.add_argument("--port", type=int, default=8188)
args = parser.parse_args()

root = os.path.dirname(os.path.abspath(__file__))
EMPROPS_ENV = os.path.join(root, "custom_nodes", "emprops_comfy_nodes", ".env")
MANAGER_INI = os.path.join(root, "user", "__manager", "config.ini")  # ComfyUI-Manager 3.38 and later
EMPROPS_KEYS = ["CLOUD_PROVIDER", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
                "HF_TOKEN", "CIVITAI_TOKEN", "OPENAI_API_KEY"]

existed = {"emprops .env": os.path.exists(EMPROPS_ENV), "manager config.ini": os.path.exists(MANAGER_INI)}


def digest(value):
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


for name in sorted(os.listdir(os.path.join(root, "custom_nodes"))):
    init = os.path.join(root, "custom_nodes", name, "__init__.py")
    if os.path.isfile(init):
        spec = importlib.util.spec_from_file_location(name, init)
        spec.loader.exec_module(importlib.util.module_from_spec(spec))

manager = {}
if os.path.exists(MANAGER_INI):
    config = configparser.ConfigParser(strict=False)
    config.read(MANAGER_INI)
    manager = {key: digest(value) for key, value in config["default"].items()} if config.has_section("default") else {}

report = {
    "listen": args.listen,
    "port": args.port,
    "uid": os.getuid(),
    "existed": existed,
    "env": {key: digest(os.environ[key]) for key in EMPROPS_KEYS if key in os.environ},
    "dotenv": {key: digest(value) for key, value in dotenv_values(EMPROPS_ENV).items() if value is not None},
    "manager": manager,
}
print("COMFYUI-STAND-IN " + json.dumps(report, sort_keys=True), flush=True)
signal.pause()
