import { defineSink, type TargetContext } from '@comfy-secrets/core/contract';

const nodeName = (context: TargetContext): string => (context.nodeDir ?? '').split(/[\\/]/).pop() || 'comfyui_LLM_party';

/**
 * comfyui_LLM_party (heshengtao/comfyui_LLM_party, `config.py`) reads `<node>/config.ini` with a default
 * `configparser.ConfigParser()` (BasicInterpolation: `%` is written `%%`), UTF-8, and takes its keys
 * from `[API_KEYS]`; each model has a section of its own (`base_url`, `api_key`). On import it copies
 * `config.ini.example` to `config.ini` when there is none, and its settings UI rewrites the file: the
 * keys are merged into what is there, and into the example while there is no config.ini yet.
 * config.ini is in the repository's .gitignore.
 */
export default defineSink({
  name: 'comfyui_LLM_party',
  nodes: ['comfyui_LLM_party', 'comfyui_llm_party'],
  file: (context) => ({ path: 'config.ini', seed: `custom_nodes/${nodeName(context)}/config.ini.example` }),
  format: { type: 'ini', section: 'API_KEYS', interpolation: 'basic' },
  variables: {
    openai_api_key: { from: ['OPENAI_API_KEY'] },
    base_url: { from: ['OPENAI_BASE_URL'], secret: false },
    google_api_key: { from: ['GOOGLE_API_KEY'] },
    cse_id: { from: ['GOOGLE_CSE_ID'], secret: false },
    bing_api_key: { from: ['BING_API_KEY'] },
    github_api_key: { from: ['GITHUB_TOKEN', 'GITHUB_API_KEY'] },
    fish_api_key: { from: ['FISH_API_KEY'] },
    imgbb_api: { from: ['IMGBB_API_KEY'] },
  },
});
