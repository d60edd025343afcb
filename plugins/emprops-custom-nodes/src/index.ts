import { defineSink, type VariableSpec } from '@comfy-secrets/core/contract';

const notSecret: VariableSpec = { secret: false };
const whenAzure = { when: { CLOUD_PROVIDER: 'azure' } } as const;
const whenAws = { when: { CLOUD_PROVIDER: 'aws' } } as const;
const whenGoogle = { when: { CLOUD_PROVIDER: 'google' } } as const;

/** The providers the node knows (`emprops_cloud_storage_saver.py`, `emprops_image_loader.py`). */
export const CLOUD_PROVIDERS = ['aws', 'azure', 'google'] as const;

/**
 * AWS_SECRET_ACCESS_KEY_ENCODED reaches emprops deployments in two conventions: the design doc's
 * base64, and emprops/emp-job-queue's own, `/` written `_SLASH_` (the node undoes it itself). A key
 * is 40 characters of the base64 alphabet: when a value reads both ways, the reading of that shape
 * is the key (a raw key read as base64 gives 30 bytes; a base64 form is 56 characters).
 */
const awsSecret = { encodings: ['base64', 'slash'], shape: /^[A-Za-z0-9+/]{40}$/ } as const satisfies VariableSpec;

/**
 * The emprops custom nodes read their cloud and model-hub credentials from the environment after
 * `load_dotenv(<node>/.env)` (python-dotenv, override=False; `nodes/emprops_asset_downloader.py` at
 * import, the savers and `utils.py`'s handlers again when a credential is missing). These are the
 * names the node reads in any commit of stakeordie/emprops_comfy_nodes, and nothing else
 * (docs/sinks.md "emprops_custom_nodes"). The design doc calls the directory `emprops_custom_nodes`; the
 * real repository is `emprops_comfy_nodes`. Whichever is installed gets the file.
 */
export default defineSink({
  name: 'emprops_custom_nodes',
  nodes: ['emprops_custom_nodes', 'emprops_comfy_nodes'],
  file: '.env',
  format: { type: 'dotenv', readers: ['python-dotenv'] },
  header: ['Runtime environment variables created by comfy-secrets'],
  variables: {
    // The node lowercases it and falls back to aws on anything else; matching it the same way keeps
    // `Azure` from skipping the credential check, and an unknown provider fails instead.
    CLOUD_PROVIDER: { secret: false, transform: (value) => value.toLowerCase(), allowed: CLOUD_PROVIDERS },
    AWS_ACCESS_KEY_ID: { required: whenAws },
    AWS_SECRET_ACCESS_KEY: { required: whenAws, ...awsSecret },
    // Code paths that read only the _ENCODED name (utils.S3Handler without the plain one, the LoRA
    // loader) undo `_SLASH_`: they get the same key in that form.
    AWS_SECRET_ACCESS_KEY_ENCODED: {
      from: ['AWS_SECRET_ACCESS_KEY'],
      ...awsSecret,
      transform(value) {
        const encoded = value.replaceAll('/', '_SLASH_');
        if (encoded.replaceAll('_SLASH_', '/') !== value) throw new Error("holds '_SLASH_', which the node would read back as '/'");
        return encoded;
      },
    },
    AWS_DEFAULT_REGION: notSecret,
    GOOGLE_APPLICATION_CREDENTIALS: { secret: false, required: whenGoogle },
    AZURE_STORAGE_ACCOUNT: { secret: false, required: whenAzure },
    AZURE_STORAGE_KEY: { required: whenAzure },
    AZURE_STORAGE_CONTAINER: notSecret,
    AZURE_TEST_MODE: notSecret,
    // The savers prefer these to the AZURE_* names (utils.AzureHandler reads only AZURE_*).
    STORAGE_ACCOUNT_NAME: notSecret,
    STORAGE_ACCOUNT_KEY: {},
    STORAGE_CONTAINER: notSecret,
    STORAGE_TEST_MODE: notSecret,
    CLOUD_STORAGE_CONTAINER: notSecret,
    CLOUD_STORAGE_TEST_CONTAINER: notSecret,
    // Not read by the node; the design doc lists it (models bucket of the deployment).
    CLOUD_MODELS_CONTAINER: notSecret,
    CDN_URI: notSecret,
    STATIC_MODELS: notSecret,
    EMPROPS_DEBUG_LOGGING: notSecret,
    HF_TOKEN: {},
    CIVITAI_TOKEN: {},
  },
});
