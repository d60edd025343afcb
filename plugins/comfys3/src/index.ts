import { defineSink, type TargetChoice, type TargetContext } from '@comfy-secrets/core/contract';

const nodeName = (context: TargetContext): string => (context.nodeDir ?? '').split(/[\\/]/).pop() || 'ComfyS3';

/**
 * ComfyS3 (TemryL/ComfyS3, `src/client_s3.py`) calls `load_dotenv()` at import and reads its settings
 * with `os.getenv`. python-dotenv's `find_dotenv` walks up from the calling module's directory, `src/`:
 * a `src/.env` wins over the node's own `.env`, which is committed with placeholders. So the sink
 * writes `src/.env` when one is there, else `.env` (and warns that the checkout then has a change).
 */
export function chooseEnvFile(context: TargetContext): TargetChoice {
  if (context.exists(`custom_nodes/${nodeName(context)}/src/.env`)) return { path: 'src/.env', reason: "src/.env exists, and load_dotenv() in src/client_s3.py finds it before the node's .env" };
  return { path: '.env', reason: 'the first .env load_dotenv() in src/client_s3.py finds walking up from src/' };
}

export default defineSink({
  name: 'ComfyS3',
  nodes: ['ComfyS3', 'comfys3'],
  file: chooseEnvFile,
  format: { type: 'dotenv', readers: ['python-dotenv'] },
  variables: {
    S3_REGION: { from: ['S3_REGION', 'AWS_REGION', 'AWS_DEFAULT_REGION'], secret: false },
    S3_ACCESS_KEY: { from: ['S3_ACCESS_KEY', 'AWS_ACCESS_KEY_ID'] },
    S3_SECRET_KEY: { from: ['S3_SECRET_KEY', 'AWS_SECRET_ACCESS_KEY'] },
    S3_BUCKET_NAME: { secret: false },
    S3_INPUT_DIR: { secret: false },
    S3_OUTPUT_DIR: { secret: false },
    S3_ENDPOINT_URL: { from: ['S3_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'], secret: false },
    S3_ADDRESSING_STYLE: { secret: false, allowed: ['auto', 'virtual', 'path'] },
  },
});
