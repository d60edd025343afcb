import { matchers, runSink } from '@comfy-secrets/testing';
import sink from '../src';

expect.extend(matchers);

const FILE = 'custom_nodes/eden_comfy_pipelines/.env';
const KEY = 'sk-FAKE-eden-example-0001';

test('writes OPENAI_API_KEY into the node\'s .env', () => {
  expect(runSink(sink, { env: { OPENAI_API_KEY: KEY } })).toHaveWritten(FILE, { OPENAI_API_KEY: KEY });
});

test('takes the key from EDEN_OPENAI_API_KEY when OPENAI_API_KEY is not set', () => {
  expect(runSink(sink, { env: { EDEN_OPENAI_API_KEY: KEY } })).toHaveWritten(FILE, { OPENAI_API_KEY: KEY });
});

test('reads a Docker secret named by OPENAI_API_KEY_FILE', () => {
  const run = runSink(sink, { env: { OPENAI_API_KEY_FILE: 'secrets/openai' }, files: { 'secrets/openai': `${KEY}\n` } });
  expect(run).toHaveWritten(FILE, { OPENAI_API_KEY: KEY });
});

test('a key with a # and quotes still reads back exactly', () => {
  const tricky = `sk-FAKE-#with 'quotes' and "more"`;
  expect(runSink(sink, { env: { OPENAI_API_KEY: tricky } })).toHaveWritten(FILE, { OPENAI_API_KEY: tricky });
});

test('fails without a key, naming it, and the log never shows another value', () => {
  const run = runSink(sink, { env: { UNRELATED_TOKEN: KEY } });
  expect(run).toHaveFailedWith('OPENAI_API_KEY', 'MISSING_REQUIRED');
  expect(JSON.stringify(run)).not.toContain(KEY);
});

test('is skipped when eden_comfy_pipelines is not installed', () => {
  expect(runSink(sink, { env: { OPENAI_API_KEY: KEY }, nodes: [] })).toHaveBeenSkipped('not installed');
});
