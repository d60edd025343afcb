import { matchers, runSink } from '@comfy-secrets/testing';
import { expectExactOrRefused } from '../../../test/helpers/sink-checks';
import sink from '../src';

expect.extend(matchers);

const FILE = '~/.cache/huggingface/token';
const read = (file: string) => ({ reader: 'hf-token' as const, file });
const USED = { '.cache/huggingface/hub/.keep': '' };

test('writes the token, without a newline, at ~/.cache/huggingface/token', () => {
  const run = runSink(sink, { env: { HF_TOKEN: 'hf_FAKE_token_0001' }, homeFiles: USED });
  expect(run.files[FILE]).toMatchObject({ text: 'hf_FAKE_token_0001', mode: 0o600 });
});

test('follows $HF_HOME, and $HF_TOKEN_PATH over it', () => {
  const home = runSink(sink, { env: { HUGGING_FACE_HUB_TOKEN: 'hf_FAKE_token_0002', HF_HOME: '~/hf' }, homeFiles: { 'hf/.keep': '' } });
  expect(home.files['~/hf/token']?.text).toBe('hf_FAKE_token_0002');
  const byPath = runSink(sink, { env: { HF_TOKEN: 'hf_FAKE_token_0003', HF_HOME: '~/hf', HF_TOKEN_PATH: '~/secrets/hf-token' }, homeFiles: { 'hf/.keep': '', 'secrets/.keep': '' } });
  expect(byPath.files['~/secrets/hf-token']?.text).toBe('hf_FAKE_token_0003');
});

test("adversarial values: huggingface_hub's _clean_token reads them exactly, or they are refused naming the key", () => {
  const figures = expectExactOrRefused({ sink, key: 'token', variable: 'HF_TOKEN', file: FILE, read, pick: (value) => value, options: { homeFiles: USED } });
  expect(figures.refusedValues).toEqual(expect.arrayContaining(['  FAKE leading and trailing  ', 'FAKE line1\nline2', 'FAKE cr only\r']));
});

test('is skipped when HF_TOKEN is not set', () => {
  expect(runSink(sink, { env: {}, homeFiles: USED })).toHaveBeenSkipped('none of its variables is set');
});

test('is skipped where HF_HOME does not exist (huggingface_hub was never used as that user)', () => {
  expect(runSink(sink, { env: { HF_TOKEN: 'hf_FAKE_token_0004' } })).toHaveBeenSkipped('not set up here');
});
