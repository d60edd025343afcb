import { defineSink } from '@comfy-secrets/core/contract';

/**
 * huggingface_hub (huggingface/huggingface_hub, `constants.py` and `utils/_auth.py`) takes its token
 * from `HF_TOKEN` (or `HUGGING_FACE_HUB_TOKEN`) in the environment, else from the token file:
 * `$HF_TOKEN_PATH`, else `$HF_HOME/token`, `$HF_HOME` defaulting to `$XDG_CACHE_HOME/huggingface`, then
 * `~/.cache/huggingface`. It reads the file as text, deletes every CR and LF, strips the ends, and an
 * empty result is no token. The file matters to programs started without the environment (a second
 * service, a pm2 app): ComfyUI itself usually sees `HF_TOKEN` already. Not a custom node: the sink
 * applies where huggingface_hub has been used as that user, that is where `HF_HOME` exists (its
 * cache lives there; create the directory in the image to opt in).
 */
export default defineSink({
  name: 'huggingface-token',
  nodes: [],
  present: { path: '.', relativeTo: 'hf-home' },
  relativeTo: 'hf-token',
  file: (context) => ({ path: context.hfTokenName, relativeTo: 'hf-token', reason: "huggingface_hub's token file ($HF_TOKEN_PATH, else $HF_HOME/token)" }),
  format: 'text',
  variables: {
    token: { from: ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN'] },
  },
});
