import { matchers, runSink } from '@comfy-secrets/testing';
import { expectExactOrRefused } from '../../../test/helpers/sink-checks';
import sink from '../src';

expect.extend(matchers);

const FILE = 'custom_nodes/eden_comfy_pipelines/.env';
const KEY = 'sk-FAKE-eden-example-0001';

test("writes OPENAI_API_KEY into the node's .env", () => {
  expect(runSink(sink, { env: { OPENAI_API_KEY: KEY } })).toHaveWritten(FILE, { OPENAI_API_KEY: KEY });
});

test('takes the key from EDEN_OPENAI_API_KEY when OPENAI_API_KEY is not set', () => {
  expect(runSink(sink, { env: { EDEN_OPENAI_API_KEY: KEY } })).toHaveWritten(FILE, { OPENAI_API_KEY: KEY });
});

test('reads a Docker secret named by OPENAI_API_KEY_FILE', () => {
  const run = runSink(sink, { env: { OPENAI_API_KEY_FILE: 'secrets/openai' }, files: { 'secrets/openai': `${KEY}\n` } });
  expect(run).toHaveWritten(FILE, { OPENAI_API_KEY: KEY });
});

test('writes img_utils/.env when there is one: load_dotenv() in img_utils/gpt_nodes.py finds it first', () => {
  const run = runSink(sink, { env: { OPENAI_API_KEY: KEY }, files: { 'custom_nodes/eden_comfy_pipelines/img_utils/.env': '' } });
  expect(run).toHaveWritten('custom_nodes/eden_comfy_pipelines/img_utils/.env', { OPENAI_API_KEY: KEY });
});

test('adversarial values: python-dotenv reads them exactly, or they are refused naming the key', () => {
  expectExactOrRefused({ sink, key: 'OPENAI_API_KEY', variable: 'OPENAI_API_KEY', file: FILE, read: (file) => ({ reader: 'dotenv', file }), pick: (values) => (values as Record<string, unknown>).OPENAI_API_KEY });
});

test('without a key the sink is skipped (the node runs without its GPT nodes), and no value is logged', () => {
  const run = runSink(sink, { env: { UNRELATED_TOKEN: KEY } });
  expect(run).toHaveBeenSkipped('none of its variables is set');
  expect(JSON.stringify(run)).not.toContain(KEY);
});

test('is skipped when eden_comfy_pipelines is not installed', () => {
  expect(runSink(sink, { env: { OPENAI_API_KEY: KEY }, nodes: [] })).toHaveBeenSkipped('not installed');
});
