// Only the contract is imported (types and an identity helper, no runtime cost), and the sink is a
// plain object.
import { defineSink, type TargetChoice, type TargetContext } from '@comfy-secrets/core/contract';

const nodeName = (context: TargetContext): string => (context.nodeDir ?? '').split(/[\\/]/).pop() || 'eden_comfy_pipelines';

/**
 * eden_comfy_pipelines (edenartlab/eden_comfy_pipelines, `img_utils/gpt_nodes.py`) calls `load_dotenv()`
 * and then `os.getenv("OPENAI_API_KEY")`. python-dotenv's `find_dotenv` walks up from the calling
 * module's directory, `img_utils/`: an `img_utils/.env` wins over the node's own `.env`. So the sink
 * writes `img_utils/.env` when one is there, else `.env`.
 */
export function chooseEnvFile(context: TargetContext): TargetChoice {
  if (context.exists(`custom_nodes/${nodeName(context)}/img_utils/.env`)) return { path: 'img_utils/.env', reason: 'img_utils/.env exists, and load_dotenv() in img_utils/gpt_nodes.py finds it first' };
  return { path: '.env', reason: 'the first .env load_dotenv() in img_utils/gpt_nodes.py finds walking up from img_utils/' };
}

export default defineSink({
  name: 'eden_comfy_pipelines',
  nodes: ['eden_comfy_pipelines'],
  file: chooseEnvFile,
  format: { type: 'dotenv', readers: ['python-dotenv'] },
  header: ['OpenAI key for eden_comfy_pipelines, written by comfy-secrets at container start'],
  variables: {
    // Platforms name the same key differently; the first one set wins. Each name also works as
    // NAME_ENCODED (base64), NAME_FILE (a Docker secret) and --secrets-dir/NAME. Optional: the node
    // runs without it (its GPT nodes are then disabled), so an image without the key still starts.
    OPENAI_API_KEY: { from: ['OPENAI_API_KEY', 'EDEN_OPENAI_API_KEY'] },
  },
});
