// Written as an outside author would: only the contract is imported (types and an identity helper,
// no runtime cost), and the sink is a plain object.
import { defineSink } from '@comfy-secrets/core/contract';

/**
 * eden_comfy_pipelines (github.com/edenartlab/eden_comfy_pipelines) calls OpenAI from some of its
 * nodes and loads `OPENAI_API_KEY` from the `.env` in its own directory with python-dotenv.
 */
export default defineSink({
  name: 'eden_comfy_pipelines',
  nodes: ['eden_comfy_pipelines'],
  file: '.env',
  format: { type: 'dotenv', readers: ['python-dotenv'] },
  header: ['OpenAI key for eden_comfy_pipelines, written by comfy-secrets at container start'],
  variables: {
    // Platforms name the same key differently; the first one set wins. Each name also works as
    // NAME_ENCODED (base64), NAME_FILE (a Docker secret) and --secrets-dir/NAME.
    OPENAI_API_KEY: { required: true, from: ['OPENAI_API_KEY', 'EDEN_OPENAI_API_KEY'] },
  },
});
