import { defineSink } from '@comfy-secrets/core/contract';

/**
 * ComfyUI-Easy-Use (yolain/ComfyUI-Easy-Use) reads `<node>/config.yaml` with
 * `yaml.load(f, Loader=yaml.FullLoader)` (`py/libs/api/stability.py`, `bizyair.py`) and rewrites it
 * with `yaml.dump` (its `__init__.py` adds `WEB_VERSION` at every start): the keys are merged and the
 * rest of the document kept. `STABILITY_API_KEY` is a list of `{name, key}` and the node uses entry
 * `STABILITY_API_DEFAULT` of it; it creates `[{name: Default, key: ''}]` and `STABILITY_API_DEFAULT: 0`
 * when they are missing, and so does this sink before it sets the first entry's `key`.
 * `BIZYAIR_API_KEY` is a plain string. config.yaml is in the repository's .gitignore.
 */
export default defineSink({
  name: 'ComfyUI-Easy-Use',
  nodes: ['ComfyUI-Easy-Use', 'comfyui-easy-use'],
  file: 'config.yaml',
  format: {
    type: 'yaml',
    paths: { STABILITY_API_KEY: ['STABILITY_API_KEY', 0, 'key'] },
    initial: { STABILITY_API_KEY: [{ name: 'Default', key: '' }], STABILITY_API_DEFAULT: 0 },
  },
  variables: {
    STABILITY_API_KEY: { from: ['STABILITY_API_KEY', 'STABILITY_KEY'] },
    BIZYAIR_API_KEY: {},
  },
});
