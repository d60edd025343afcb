import { matchers, runSink } from '@comfy-secrets/testing';
import { expectExactOrRefused, readTextAs } from '../../../test/helpers/sink-checks';
import sink from '../src';

expect.extend(matchers);

const FILE = 'custom_nodes/ComfyUI-Easy-Use/config.yaml';
const read = (file: string) => ({ reader: 'pyyaml' as const, file });

test("creates the node's own shape for a first Stability key, and BIZYAIR_API_KEY as a string", () => {
  const run = runSink(sink, { env: { STABILITY_API_KEY: 'sk-FAKE-stab-0001', BIZYAIR_API_KEY: 'bz-FAKE-0002' } });
  expect(readTextAs(run.files[FILE]!.text, FILE, read)).toEqual({
    STABILITY_API_KEY: [{ name: 'Default', key: 'sk-FAKE-stab-0001' }],
    STABILITY_API_DEFAULT: 0,
    BIZYAIR_API_KEY: 'bz-FAKE-0002',
  });
});

test('merges into the config.yaml the node dumped, keeping its keys and comments', () => {
  const existing = '# mine\nWEB_VERSION: v2\nSTABILITY_API_DEFAULT: 1\nSTABILITY_API_KEY:\n- key: old\n  name: Default\n- key: second\n  name: Other\n';
  const run = runSink(sink, { env: { STABILITY_API_KEY: 'sk-FAKE-stab-0003' }, files: { [FILE]: existing } });
  expect(run.files[FILE]!.text.startsWith('# mine\n')).toBe(true);
  expect(readTextAs(run.files[FILE]!.text, FILE, read)).toEqual({
    WEB_VERSION: 'v2',
    STABILITY_API_DEFAULT: 1,
    STABILITY_API_KEY: [{ key: 'sk-FAKE-stab-0003', name: 'Default' }, { key: 'second', name: 'Other' }],
  });
});

test('refuses, naming the key, a STABILITY_API_KEY that is not a list of entries', () => {
  expect(runSink(sink, { env: { STABILITY_API_KEY: 'sk-FAKE' }, files: { [FILE]: 'STABILITY_API_KEY: text\n' } })).toHaveFailedWith('STABILITY_API_KEY', 'EXISTING_SHAPE');
});

test('adversarial values: PyYAML FullLoader reads them exactly, or they are refused naming the key', () => {
  expectExactOrRefused({ sink, key: 'BIZYAIR_API_KEY', variable: 'BIZYAIR_API_KEY', file: FILE, read, pick: (doc) => (doc as Record<string, unknown>).BIZYAIR_API_KEY });
  expectExactOrRefused({ sink, key: 'STABILITY_API_KEY', variable: 'STABILITY_API_KEY', file: FILE, read, pick: (doc) => (doc as { STABILITY_API_KEY: Array<{ key: unknown }> }).STABILITY_API_KEY[0]?.key });
});

test('is skipped when the node is not installed', () => {
  expect(runSink(sink, { env: { BIZYAIR_API_KEY: 'x' }, nodes: [] })).toHaveBeenSkipped('not installed');
});
