import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { matchers, runSink } from '@comfy-secrets/testing';
import { readAsNode } from '../../../test/helpers/node-readers';
import { expectExactOrRefused } from '../../../test/helpers/sink-checks';
import sink from '../src';

expect.extend(matchers);

const FILE = 'custom_nodes/ComfyUI-IF_AI_tools/.env';

test('writes the provider keys; HF_TOKEN feeds HUGGINGFACE_TOKEN', () => {
  const run = runSink(sink, { env: { ANTHROPIC_API_KEY: 'sk-ant-FAKE-0001', HF_TOKEN: 'hf_FAKE_0002' } });
  expect(run).toHaveWritten(FILE, { ANTHROPIC_API_KEY: 'sk-ant-FAKE-0001', HUGGINGFACE_TOKEN: 'hf_FAKE_0002' });
});

test("load_dotenv()'s walk from the node finds this .env before one in custom_nodes/ or the ComfyUI root", () => {
  const run = runSink(sink, { env: { OPENAI_API_KEY: 'sk-FAKE-walk-0003' } });
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-walk-'));
  try {
    const node = path.join(tree, 'ComfyUI/custom_nodes/ComfyUI-IF_AI_tools');
    fs.mkdirSync(node, { recursive: true });
    fs.writeFileSync(path.join(tree, 'ComfyUI/.env'), 'OPENAI_API_KEY=from-the-root\n');
    fs.writeFileSync(path.join(tree, 'ComfyUI/custom_nodes/.env'), 'OPENAI_API_KEY=from-custom-nodes\n');
    fs.writeFileSync(path.join(node, '.env'), run.files[FILE]!.text);
    const read = readAsNode({ reader: 'find-dotenv', fromDir: node });
    expect(read.found).toBe(path.join(node, '.env'));
    expect(read.value).toEqual({ OPENAI_API_KEY: 'sk-FAKE-walk-0003' });
  } finally {
    fs.rmSync(tree, { recursive: true, force: true });
  }
});

test('adversarial values: python-dotenv reads them exactly, or they are refused naming the key', () => {
  expectExactOrRefused({ sink, key: 'OPENAI_API_KEY', variable: 'OPENAI_API_KEY', file: FILE, read: (file) => ({ reader: 'dotenv', file }), pick: (values) => (values as Record<string, unknown>).OPENAI_API_KEY });
});

test('is skipped when the node is not installed', () => {
  expect(runSink(sink, { env: { OPENAI_API_KEY: 'sk-FAKE' }, nodes: [] })).toHaveBeenSkipped('not installed');
});
