import { defineSink } from '@comfy-secrets/core/contract';

/**
 * ComfyUI-IF_AI_tools (if-ai/ComfyUI-IF_AI_tools, `utils.py` `get_api_key`) calls `load_dotenv()` with
 * no path, then `os.getenv("<PROVIDER>_API_KEY")`. python-dotenv's `find_dotenv` then walks up from the
 * calling module's directory (utils.py is at the node's root), so `<node>/.env` is the first it finds,
 * before any `.env` in custom_nodes/ or the ComfyUI root. `load_dotenv` does not override a variable
 * the process already has. Providers with keys: openai, anthropic, gemini, groq, mistral, xai.
 * `HUGGINGFACE_TOKEN` is read with `os.getenv` by transformers_api.py without a `load_dotenv` of its own,
 * so the .env reaches it only once another provider's key has been looked up in that process.
 */
export default defineSink({
  name: 'ComfyUI-IF_AI_tools',
  nodes: ['ComfyUI-IF_AI_tools', 'comfyui-if_ai_tools'],
  file: '.env',
  format: { type: 'dotenv', readers: ['python-dotenv'] },
  variables: {
    OPENAI_API_KEY: {},
    ANTHROPIC_API_KEY: {},
    GEMINI_API_KEY: { from: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'] },
    GROQ_API_KEY: {},
    MISTRAL_API_KEY: {},
    XAI_API_KEY: {},
    HUGGINGFACE_TOKEN: { from: ['HUGGINGFACE_TOKEN', 'HF_TOKEN'] },
  },
});
