import { matchers, runSink } from '@comfy-secrets/testing';
import { expectExactOrRefused, readTextAs } from '../../../test/helpers/sink-checks';
import sinks, { chatglm, deepTranslator } from '../src';

expect.extend(matchers);

const NODE = 'custom_nodes/ComfyUI_Custom_Nodes_AlekPet';
const CHATGLM = `${NODE}/ChatGLMNode/config.json`;
const TRANSLATOR = `${NODE}/DeepTranslatorNode/config.json`;
const json = (encoding: string) => (file: string) => ({ reader: 'json' as const, file, encoding });
const COMMITTED = JSON.stringify({ deep_translator_node: { services: { DeeplTranslator: { api_key: 'your_api_key', use_free_api: true, free_api: false }, GoogleTranslator: { free_api: true } }, settings: { hide_keys: true } } }, null, 2);

test('the package ships both sinks', () => {
  expect(sinks.map((s) => s.name)).toEqual(['AlekPet-ChatGLMNode', 'AlekPet-DeepTranslatorNode']);
});

test('ChatGLMNode: the key is merged into a copy of config.json.example while there is no config.json', () => {
  const example = JSON.stringify({ from_translate: 'ru', to_translate: 'en', ZHIPUAI_API_KEY: 'your_api_key' }, null, 4);
  const run = runSink(chatglm, { env: { ZHIPUAI_API_KEY: 'zhipu.FAKE.0001' }, files: { [`${NODE}/ChatGLMNode/config.json.example`]: example } });
  expect(readTextAs(run.files[CHATGLM]!.text, CHATGLM, json('utf-8'))).toEqual({ from_translate: 'ru', to_translate: 'en', ZHIPUAI_API_KEY: 'zhipu.FAKE.0001' });
});

test("DeepTranslatorNode: each service's key lands at its place in the committed file; the rest is kept", () => {
  const run = runSink(deepTranslator, { env: { DEEPL_API_KEY: 'deepl-FAKE-0002:fx', OPENAI_API_KEY: 'sk-FAKE-0003' }, files: { [TRANSLATOR]: COMMITTED } });
  expect(readTextAs(run.files[TRANSLATOR]!.text, TRANSLATOR, json('latin-1'))).toEqual({
    deep_translator_node: {
      services: { DeeplTranslator: { api_key: 'deepl-FAKE-0002:fx', use_free_api: true, free_api: false }, GoogleTranslator: { free_api: true }, ChatGptTranslator: { api_key: 'sk-FAKE-0003' } },
      settings: { hide_keys: true },
    },
  });
});

test('adversarial values: json.load reads them exactly, or they are refused naming the key', () => {
  expectExactOrRefused({ sink: chatglm, key: 'ZHIPUAI_API_KEY', variable: 'ZHIPUAI_API_KEY', file: CHATGLM, read: json('utf-8'), pick: (doc) => (doc as Record<string, unknown>).ZHIPUAI_API_KEY });
  expectExactOrRefused({
    sink: deepTranslator,
    key: 'DeeplTranslator.api_key',
    variable: 'DEEPL_API_KEY',
    file: TRANSLATOR,
    read: json('latin-1'),
    pick: (doc) => (doc as { deep_translator_node: { services: { DeeplTranslator: { api_key: unknown } } } }).deep_translator_node.services.DeeplTranslator.api_key,
    options: { files: { [TRANSLATOR]: COMMITTED } },
  });
});

test('both are skipped when the node is not installed', () => {
  expect(runSink(chatglm, { env: { ZHIPUAI_API_KEY: 'x' }, nodes: [] })).toHaveBeenSkipped('not installed');
  expect(runSink(deepTranslator, { env: { DEEPL_API_KEY: 'x' }, nodes: [] })).toHaveBeenSkipped('not installed');
});
