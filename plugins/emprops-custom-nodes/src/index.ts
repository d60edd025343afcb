import { defineSink, type VariableSpec } from '@comfy-secrets/core/contract';

const notSecret: VariableSpec = { secret: false };
const whenAzure = { when: { CLOUD_PROVIDER: 'azure' } } as const;
const whenAws = { when: { CLOUD_PROVIDER: 'aws' } } as const;

/**
 * The emprops custom nodes read their cloud and model-hub credentials from `.env` with
 * python-dotenv. The design doc calls the directory `emprops_custom_nodes`; the real repository is
 * `emprops_comfy_nodes`. Whichever is installed gets the file.
 */
export default defineSink({
  name: 'emprops_custom_nodes',
  nodes: ['emprops_custom_nodes', 'emprops_comfy_nodes'],
  file: '.env',
  format: { type: 'dotenv', readers: ['python-dotenv'] },
  header: ['Runtime environment variables created by comfy-secrets'],
  variables: {
    AWS_ACCESS_KEY_ID: { required: whenAws },
    // The platform may hand it over as AWS_SECRET_ACCESS_KEY_ENCODED (base64); the sources decode it.
    AWS_SECRET_ACCESS_KEY: { required: whenAws },
    AWS_DEFAULT_REGION: notSecret,
    GOOGLE_APPLICATION_CREDENTIALS: notSecret,
    AZURE_STORAGE_ACCOUNT: { secret: false, required: whenAzure },
    AZURE_STORAGE_KEY: { required: whenAzure },
    CLOUD_PROVIDER: notSecret,
    CLOUD_STORAGE_CONTAINER: notSecret,
    CLOUD_MODELS_CONTAINER: notSecret,
    CLOUD_STORAGE_TEST_CONTAINER: notSecret,
    CLOUD_CDN_URL: notSecret,
    STATIC_MODELS: notSecret,
    EMPROPS_DEBUG_LOGGING: notSecret,
    HF_TOKEN: {},
    CIVITAI_TOKEN: {},
    OPENAI_API_KEY: {},
    OLLAMA_HOST: notSecret,
    OLLAMA_PORT: notSecret,
    OLLAMA_DEFAULT_MODEL: notSecret,
  },
});
