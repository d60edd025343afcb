import { matchers, runSink } from '@comfy-secrets/testing';
import { expectExactOrRefused, readTextAs } from '../../../test/helpers/sink-checks';
import sink from '../src';

expect.extend(matchers);

const FILE = 'custom_nodes/ComfyUI-Gemini/config.json';
// open(path, 'r') without an encoding: the locale decides; ASCII escapes read the same in any of them.
const read = (file: string) => ({ reader: 'json' as const, file, encoding: 'latin-1' });

test('replaces the committed placeholder', () => {
  const run = runSink(sink, { env: { GOOGLE_API_KEY: 'AIza-FAKE-0001' }, files: { [FILE]: '{\n    "GEMINI_API_KEY": "your key"\n}' } });
  expect(readTextAs(run.files[FILE]!.text, FILE, read)).toEqual({ GEMINI_API_KEY: 'AIza-FAKE-0001' });
});

test('adversarial values: json.load in a Latin-1 locale reads them exactly', () => {
  const figures = expectExactOrRefused({ sink, key: 'GEMINI_API_KEY', variable: 'GEMINI_API_KEY', file: FILE, read, pick: (doc) => (doc as Record<string, unknown>).GEMINI_API_KEY });
  expect(figures.refused).toBe(0);
});

test('is skipped when the node is not installed', () => {
  expect(runSink(sink, { env: { GEMINI_API_KEY: 'x' }, nodes: [] })).toHaveBeenSkipped('not installed');
});
