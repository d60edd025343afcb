import { defineSink } from '@comfy-secrets/core/contract';

/**
 * ComfyUI-fal-API (gokayfem/ComfyUI-fal-API, `nodes/utils/config.py`) takes `FAL_KEY` from its
 * environment first, then from `<node>/config.ini`, `[API]` `FAL_KEY`, read by a default
 * `configparser.ConfigParser()` (BasicInterpolation: `%` is written `%%`) in the locale's encoding; a
 * file configparser cannot parse is only warned about. config.ini is committed in the repository with
 * a placeholder (and also listed in .gitignore, which does not untrack it): the key is merged into it,
 * and the run warns that the checkout then has a local change.
 */
export default defineSink({
  name: 'ComfyUI-fal-API',
  nodes: ['ComfyUI-fal-API', 'fal-api'],
  file: 'config.ini',
  format: { type: 'ini', section: 'API', interpolation: 'basic' },
  variables: {
    FAL_KEY: { from: ['FAL_KEY', 'FAL_API_KEY'] },
  },
});
