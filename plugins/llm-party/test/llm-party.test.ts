import { matchers, runSink } from '@comfy-secrets/testing';
import { expectExactOrRefused, readTextAs } from '../../../test/helpers/sink-checks';
import sink from '../src';

expect.extend(matchers);

const NODE = 'custom_nodes/comfyui_LLM_party';
const FILE = `${NODE}/config.ini`;
const read = (file: string) => ({ reader: 'configparser' as const, file, section: 'API_KEYS', encoding: 'utf-8' });
const EXAMPLE = '[API_KEYS]\nopenai_api_key = sk-XXXXX\nbase_url = https://api.openai.com/v1/\n\n[deepseek-chat]\nbase_url=https://api.deepseek.com/v1/\napi_key=\n';

test('merges the keys into [API_KEYS] of a copy of config.ini.example while there is no config.ini', () => {
  const run = runSink(sink, { env: { OPENAI_API_KEY: 'sk-FAKE-party-0001' }, files: { [`${NODE}/config.ini.example`]: EXAMPLE } });
  expect(readTextAs(run.files[FILE]!.text, FILE, read)).toEqual({ openai_api_key: 'sk-FAKE-party-0001', base_url: 'https://api.openai.com/v1/' });
  expect(run.files[FILE]!.text).toContain('[deepseek-chat]\nbase_url=https://api.deepseek.com/v1/\n');
  expect(run.files[`${NODE}/config.ini.example`]!.text).toBe(EXAMPLE);
});

test('merges into the config.ini the node rewrote', () => {
  const run = runSink(sink, { env: { GOOGLE_API_KEY: 'AIza-FAKE-0002' }, files: { [FILE]: '[API_KEYS]\nopenai_api_key = mine\n' } });
  expect(readTextAs(run.files[FILE]!.text, FILE, read)).toEqual({ openai_api_key: 'mine', google_api_key: 'AIza-FAKE-0002' });
});

test('adversarial values: exact through configparser (BasicInterpolation), or refused naming the key', () => {
  const figures = expectExactOrRefused({ sink, key: 'openai_api_key', variable: 'OPENAI_API_KEY', file: FILE, read, pick: (values) => (values as Record<string, unknown>).openai_api_key });
  expect(figures.refusedValues).not.toContain('FAKE 100% %(x)s %%');
});

test('is skipped when the node is not installed', () => {
  expect(runSink(sink, { env: { OPENAI_API_KEY: 'sk-FAKE' }, nodes: [] })).toHaveBeenSkipped('not installed');
});
