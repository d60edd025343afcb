import { defineSink } from '@comfy-secrets/core/contract';

/**
 * comfy-cli (Comfy-Org/comfy-cli) keeps its settings in `~/.config/comfy-cli/config.ini` on Linux: the
 * path is `os.path.expanduser("~")/.config/comfy-cli` in `constants.DEFAULT_CONFIG`, not
 * `$XDG_CONFIG_HOME`, so the file is below the home. `ConfigManager` reads it with a default
 * `configparser.ConfigParser()` (BasicInterpolation: `%` is written `%%`) and reads and writes every
 * setting in `[DEFAULT]`. `comfy model download` takes `CIVITAI_API_TOKEN` / `HF_API_TOKEN` from its
 * own environment first (an empty one counts as "no token"), then these keys. comfy-cli is no custom
 * node: the sink applies where comfy-cli has been used as that user, which makes
 * `~/.config/comfy-cli/` (its `load()` creates `tmp/` there on every run).
 */
export default defineSink({
  name: 'comfy-cli',
  nodes: [],
  present: { path: '.config/comfy-cli', relativeTo: 'home' },
  relativeTo: 'home',
  file: '.config/comfy-cli/config.ini',
  format: { type: 'ini', section: 'DEFAULT', interpolation: 'basic' },
  // comfy-cli rewrites the file with config.write(open(path, 'w')) on every `comfy set-default`.
  variables: {
    civitai_api_token: { from: ['CIVITAI_API_TOKEN', 'CIVITAI_TOKEN', 'CIVITAI_API_KEY'] },
    hf_api_token: { from: ['HF_API_TOKEN', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN'] },
  },
});
