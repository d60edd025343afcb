import { matchers, runSink } from '@comfy-secrets/testing';
import { expectExactOrRefused, readTextAs } from '../../../test/helpers/sink-checks';
import sink from '../src';

expect.extend(matchers);

const NODE = 'custom_nodes/ComfyUI_LayerStyle_Advance';
const FILE = `${NODE}/api_key.ini`;
const NAMES = ['google_api_key', 'zhipu_api_key', 'deepseek_api_key'];
const read = (file: string) => ({ reader: 'layerstyle' as const, file, names: NAMES });
const EXAMPLE = '# LayerStyle api_key\ngoogle_api_key=\nzhipu_api_key=\ndeepseek_api_key=\n';

test('fills the lines of a copy of api_key.ini.example', () => {
  const run = runSink(sink, { env: { GEMINI_API_KEY: 'AIza-FAKE-0001', DEEPSEEK_API_KEY: 'sk-FAKE-0002' }, files: { [`${NODE}/api_key.ini.example`]: EXAMPLE } });
  expect(run.files[FILE]!.text).toBe('# LayerStyle api_key\ngoogle_api_key=AIza-FAKE-0001\nzhipu_api_key=\ndeepseek_api_key=sk-FAKE-0002\n');
  expect(readTextAs(run.files[FILE]!.text, FILE, read)).toEqual({ google_api_key: 'AIza-FAKE-0001', zhipu_api_key: '', deepseek_api_key: 'sk-FAKE-0002' });
});

test('refuses a value with a quote character, which the parser would delete, naming the key', () => {
  const run = runSink(sink, { env: { GOOGLE_API_KEY: 'AIza"FAKE' } });
  expect(run).toHaveFailedWith('google_api_key', 'UNWRITABLE_VALUE');
  expect(run.result.errors[0]?.message).toContain('U+0022');
});

test("adversarial values: LayerStyle's own parsing (re-written from its rules) reads them exactly, or they are refused", () => {
  const figures = expectExactOrRefused({ sink, key: 'google_api_key', variable: 'GOOGLE_API_KEY', file: FILE, read, pick: (values) => (values as Record<string, unknown>).google_api_key });
  expect(figures.refusedValues).toEqual(expect.arrayContaining(["FAKE'single'quote", 'FAKE\u201ccurly\u201d \u2018quotes\u2019', '  FAKE leading and trailing  ']));
});

test('is skipped when the node is not installed', () => {
  expect(runSink(sink, { env: { GOOGLE_API_KEY: 'x' }, nodes: [] })).toHaveBeenSkipped('not installed');
});
