import { defineSink, type TargetContext } from '@comfy-secrets/core/contract';

const NODES = ['ComfyUI_Custom_Nodes_AlekPet', 'comfyui_custom_nodes_alekpet'];
const nodeName = (context: TargetContext): string => (context.nodeDir ?? '').split(/[\\/]/).pop() || NODES[0]!;

/**
 * AlekPet/ComfyUI_Custom_Nodes_AlekPet `ChatGLMNode/chatglm_node.py` reads `ChatGLMNode/config.json`
 * (UTF-8, `json.load`), top-level `ZHIPUAI_API_KEY`; with no file it writes its defaults (models,
 * languages) and uses them. Only `config.json.example` is in the repository: the key is merged into
 * config.json, or into a copy of the example while there is none.
 */
export const chatglm = defineSink({
  name: 'AlekPet-ChatGLMNode',
  nodes: NODES,
  file: (context) => ({ path: 'ChatGLMNode/config.json', seed: `custom_nodes/${nodeName(context)}/ChatGLMNode/config.json.example` }),
  format: { type: 'json', merge: true },
  variables: {
    ZHIPUAI_API_KEY: { from: ['ZHIPUAI_API_KEY', 'ZHIPU_API_KEY'] },
  },
});

const service = (name: string, field = 'api_key'): readonly string[] => ['deep_translator_node', 'services', name, field];

/**
 * `DeepTranslatorNode/deep_translator_node.py` reads `DeepTranslatorNode/config.json` with
 * `json.load(open(path, "r"))` (the locale's encoding: written in ASCII escapes), and each service's
 * credentials under `deep_translator_node.services.<Service>`; a paid service shows only once its
 * `api_key` (Baidu: `appid`/`appkey`, Papago: `client_id`/`secret_key`) is not the placeholder. The
 * file is committed: the keys are merged in, and the run warns that the checkout then has a local change.
 */
export const deepTranslator = defineSink({
  name: 'AlekPet-DeepTranslatorNode',
  nodes: NODES,
  file: 'DeepTranslatorNode/config.json',
  format: {
    type: 'json',
    merge: true,
    ascii: true,
    paths: {
      'DeeplTranslator.api_key': service('DeeplTranslator'),
      'ChatGptTranslator.api_key': service('ChatGptTranslator'),
      'MicrosoftTranslator.api_key': service('MicrosoftTranslator'),
      'YandexTranslator.api_key': service('YandexTranslator'),
      'LibreTranslator.api_key': service('LibreTranslator'),
      'BaiduTranslator.appid': service('BaiduTranslator', 'appid'),
      'BaiduTranslator.appkey': service('BaiduTranslator', 'appkey'),
      'PapagoTranslator.client_id': service('PapagoTranslator', 'client_id'),
      'PapagoTranslator.secret_key': service('PapagoTranslator', 'secret_key'),
    },
  },
  variables: {
    'DeeplTranslator.api_key': { from: ['DEEPL_API_KEY', 'DEEPL_AUTH_KEY'] },
    'ChatGptTranslator.api_key': { from: ['OPENAI_API_KEY'] },
    'MicrosoftTranslator.api_key': { from: ['MICROSOFT_TRANSLATOR_KEY', 'AZURE_TRANSLATOR_KEY'] },
    'YandexTranslator.api_key': { from: ['YANDEX_TRANSLATE_API_KEY'] },
    'LibreTranslator.api_key': { from: ['LIBRETRANSLATE_API_KEY'] },
    'BaiduTranslator.appid': { from: ['BAIDU_TRANSLATE_APPID'], secret: false },
    'BaiduTranslator.appkey': { from: ['BAIDU_TRANSLATE_APPKEY'] },
    'PapagoTranslator.client_id': { from: ['PAPAGO_CLIENT_ID'], secret: false },
    'PapagoTranslator.secret_key': { from: ['PAPAGO_SECRET_KEY'] },
  },
});

export default [chatglm, deepTranslator];
