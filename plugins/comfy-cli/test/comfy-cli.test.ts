import { matchers, runSink } from '@comfy-secrets/testing';
import { expectExactOrRefused, readTextAs } from '../../../test/helpers/sink-checks';
import sink from '../src';

expect.extend(matchers);

const FILE = '~/.config/comfy-cli/config.ini';
const read = (file: string) => ({ reader: 'configparser' as const, file, section: 'DEFAULT' });
// comfy-cli's load() makes this on every run: where it is, comfy-cli has been used.
const USED = { '.config/comfy-cli/tmp/.keep': '' };

test('writes both tokens into [DEFAULT] below the home, and comfy-cli\'s configparser reads them', () => {
  const run = runSink(sink, { env: { HF_TOKEN: 'hf_FAKE_cli_0001', CIVITAI_API_TOKEN: 'civitai_FAKE_0002' }, homeFiles: USED });
  expect(run.result.status).toBe('written');
  expect(readTextAs(run.files[FILE]!.text, FILE, read)).toEqual({ civitai_api_token: 'civitai_FAKE_0002', hf_api_token: 'hf_FAKE_cli_0001' });
});

test('merges into the config comfy-cli wrote, keeping its other settings', () => {
  const existing = '[DEFAULT]\ndefault_workspace = /workspace/ComfyUI\nhf_api_token = old\n';
  const run = runSink(sink, { env: { HF_API_TOKEN: 'hf_FAKE_cli_0003' }, homeFiles: { ...USED, '.config/comfy-cli/config.ini': existing } });
  expect(readTextAs(run.files[FILE]!.text, FILE, read)).toEqual({ default_workspace: '/workspace/ComfyUI', hf_api_token: 'hf_FAKE_cli_0003' });
});

test('is not under $XDG_CONFIG_HOME: comfy-cli hard-codes ~/.config', () => {
  const run = runSink(sink, { env: { HF_TOKEN: 'hf_FAKE_cli_0004', XDG_CONFIG_HOME: '/nonexistent-xdg' }, homeFiles: USED });
  expect(run.files[FILE]).toBeDefined();
});

test('adversarial values: exact through configparser (with % as %%), or refused naming the key', () => {
  const figures = expectExactOrRefused({ sink, key: 'hf_api_token', variable: 'HF_API_TOKEN', file: FILE, read, pick: (values) => (values as Record<string, unknown>).hf_api_token, options: { homeFiles: USED } });
  expect(figures.refusedValues).toContain('FAKE line1\nline2');
  expect(figures.refusedValues).not.toContain('FAKE 100% %(x)s %%');
});

test('is skipped where comfy-cli has not been used, before anything else is looked at', () => {
  expect(runSink(sink, { env: { HF_TOKEN: 'hf_FAKE_cli_0005' } })).toHaveBeenSkipped('not set up here');
});

test('is skipped when none of its variables is set', () => {
  expect(runSink(sink, { env: {}, homeFiles: USED })).toHaveBeenSkipped('none of its variables is set');
});
