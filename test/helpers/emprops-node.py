# A stand-in for stakeordie/emprops_comfy_nodes, written for these tests (no code of the node): it
# reads the environment the way the node's code paths do, after python-dotenv's load_dotenv of the
# node's .env (override=False, as nodes/emprops_asset_downloader.py does at import), and prints what
# each path ends up with as JSON. Usage: emprops-node.py NODE_DIR [OUT_FILE]
import json, os, sys
from dotenv import load_dotenv

node_dir = sys.argv[1]
env_file = os.path.join(node_dir, ".env")
before = {name: os.environ.get(name) for name in ("HF_TOKEN", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY_ENCODED")}
if os.path.exists(env_file):
    load_dotenv(env_file)

def unslash(value):
    return value.replace("_SLASH_", "/") if value else ""

# utils.S3Handler: the plain name, else the _ENCODED one with _SLASH_ undone.
s3_secret = os.getenv("AWS_SECRET_ACCESS_KEY") or unslash(os.getenv("AWS_SECRET_ACCESS_KEY_ENCODED"))
# The cloud savers: the plain name, else (after loading .env again) _ENCODED first, then the plain one.
saver_secret = os.getenv("AWS_SECRET_ACCESS_KEY") or unslash(os.getenv("AWS_SECRET_ACCESS_KEY_ENCODED", "")) or os.getenv("AWS_SECRET_ACCESS_KEY", "")
# The LoRA loader of older commits: _ENCODED only.
lora_secret = unslash(os.getenv("AWS_SECRET_ACCESS_KEY_ENCODED", ""))
provider = os.getenv("CLOUD_PROVIDER", "aws").lower()
if provider not in ("aws", "azure", "google"):
    provider = "aws"
view = {
    "before_load": before,
    "hf_token": os.getenv("HF_TOKEN"),
    "civitai_token": os.getenv("CIVITAI_TOKEN"),
    "aws_access_key_id": os.getenv("AWS_ACCESS_KEY_ID"),
    "s3_secret": s3_secret,
    "saver_secret": saver_secret,
    "lora_secret": lora_secret,
    "provider": provider,
    "azure_handler": [os.getenv("AZURE_STORAGE_ACCOUNT"), os.getenv("AZURE_STORAGE_KEY")],
    "saver_azure": [os.getenv("STORAGE_ACCOUNT_NAME", os.getenv("AZURE_STORAGE_ACCOUNT")), os.getenv("STORAGE_ACCOUNT_KEY", os.getenv("AZURE_STORAGE_KEY")), os.getenv("STORAGE_CONTAINER", os.getenv("AZURE_STORAGE_CONTAINER", "test"))],
    "cdn_uri": os.getenv("CDN_URI", "https://cdn.emprops.ai"),
    "openai_api_key": os.getenv("OPENAI_API_KEY"),
}
text = json.dumps(view)
if len(sys.argv) > 2:
    with open(sys.argv[2], "w") as out:
        out.write(text)
else:
    sys.stdout.write(text)
