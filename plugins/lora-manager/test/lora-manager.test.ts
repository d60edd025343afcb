import { matchers, runSink } from '@comfy-secrets/testing';
import { expectExactOrRefused, readTextAs } from '../../../test/helpers/sink-checks';
import sink from '../src';

expect.extend(matchers);

const NODE = 'custom_nodes/ComfyUI-Lora-Manager';
const FILE = '~/.config/ComfyUI-LoRA-Manager/settings.json';
const read = (file: string) => ({ reader: 'json' as const, file, encoding: 'utf-8' });

test("writes civitai_api_key into platformdirs' user config directory", () => {
  const run = runSink(sink, { env: { CIVITAI_TOKEN: 'civitai_FAKE_0001' } });
  expect(readTextAs(run.files[FILE]!.text, FILE, read)).toEqual({ civitai_api_key: 'civitai_FAKE_0001' });
});

test('merges into the settings the app wrote', () => {
  const run = runSink(sink, { env: { CIVITAI_API_KEY: 'civitai_FAKE_0002' }, homeFiles: { '.config/ComfyUI-LoRA-Manager/settings.json': '{"language": "en", "civitai_api_key": ""}' } });
  expect(readTextAs(run.files[FILE]!.text, FILE, read)).toEqual({ language: 'en', civitai_api_key: 'civitai_FAKE_0002' });
});

test('portable mode writes <node>/settings.json', () => {
  const run = runSink(sink, { env: { CIVITAI_API_KEY: 'civitai_FAKE_0003' }, files: { [`${NODE}/settings.json`]: '{"use_portable_settings": true}' } });
  expect(readTextAs(run.files[`${NODE}/settings.json`]!.text, 'settings.json', read)).toEqual({ use_portable_settings: true, civitai_api_key: 'civitai_FAKE_0003' });
  expect(run.files[FILE]).toBeUndefined();
});

test("an old <node>/settings.json (portable off) is carried into the new file, as the node's migration would", () => {
  const run = runSink(sink, { env: { CIVITAI_API_KEY: 'civitai_FAKE_0004' }, files: { [`${NODE}/settings.json`]: '{"folder_paths": {"loras": ["/models/loras"]}}' } });
  expect(readTextAs(run.files[FILE]!.text, FILE, read)).toEqual({ folder_paths: { loras: ['/models/loras'] }, civitai_api_key: 'civitai_FAKE_0004' });
});

test('follows $XDG_CONFIG_HOME', () => {
  const run = runSink(sink, { env: { CIVITAI_API_KEY: 'civitai_FAKE_0005', XDG_CONFIG_HOME: '~/xdg' }, homeFiles: { 'xdg/.keep': '' } });
  expect(Object.keys(run.files)).toContain('~/xdg/ComfyUI-LoRA-Manager/settings.json');
});

test('adversarial values: json.load reads them exactly, or they are refused naming the key (edge whitespace: the app strips)', () => {
  const figures = expectExactOrRefused({ sink, key: 'civitai_api_key', variable: 'CIVITAI_API_KEY', file: FILE, read, pick: (doc) => (doc as Record<string, unknown>).civitai_api_key });
  expect(figures.refusedValues).toContain('  FAKE leading and trailing  ');
});

test('is skipped when the node is not installed', () => {
  expect(runSink(sink, { env: { CIVITAI_API_KEY: 'x' }, nodes: [] })).toHaveBeenSkipped('not installed');
});
