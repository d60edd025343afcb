import { defineSink } from '@comfy-secrets/core/contract';

/**
 * ZHO-ZHO-ZHO/ComfyUI-Gemini (`GeminiAPINode.py` `get_gemini_api_key`) reads `<node>/config.json` with
 * `json.load(open(path, 'r'))`, in the locale's encoding, and takes `config["GEMINI_API_KEY"]`; its
 * `__init__.py` writes `{"GEMINI_API_KEY": "your key"}` when there is no file. config.json is committed
 * with that placeholder: the key is merged in (written in ASCII escapes, so any locale reads it), and
 * the run warns that the checkout then has a local change.
 */
export default defineSink({
  name: 'ComfyUI-Gemini',
  nodes: ['ComfyUI-Gemini', 'comfyui-gemini'],
  file: 'config.json',
  format: { type: 'json', merge: true, ascii: true },
  variables: {
    GEMINI_API_KEY: { from: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'] },
  },
});
