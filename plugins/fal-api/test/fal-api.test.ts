import { matchers, runSink } from '@comfy-secrets/testing';
import { expectExactOrRefused, readTextAs } from '../../../test/helpers/sink-checks';
import sink from '../src';

expect.extend(matchers);

const FILE = 'custom_nodes/ComfyUI-fal-API/config.ini';
const read = (file: string) => ({ reader: 'configparser' as const, file, section: 'API' });

test('replaces the committed placeholder in [API] and keeps the rest', () => {
  const committed = '[API]\nFAL_KEY = <your_fal_api_key_here>\n\n[spend_guard]\nsession_budget_usd = 5\n';
  const run = runSink(sink, { env: { FAL_KEY: 'fal-FAKE-0001:secret' }, files: { [FILE]: committed } });
  expect(readTextAs(run.files[FILE]!.text, FILE, read)).toEqual({ fal_key: 'fal-FAKE-0001:secret' });
  expect(run.files[FILE]!.text).toBe('[API]\nFAL_KEY = fal-FAKE-0001:secret\n\n[spend_guard]\nsession_budget_usd = 5\n');
});

test('adversarial values: exact through configparser, or refused naming the key', () => {
  expectExactOrRefused({ sink, key: 'FAL_KEY', variable: 'FAL_KEY', file: FILE, read, pick: (values) => (values as Record<string, unknown>).fal_key });
});

test('is skipped when the node is not installed', () => {
  expect(runSink(sink, { env: { FAL_KEY: 'fal-FAKE' }, nodes: [] })).toHaveBeenSkipped('not installed');
});
