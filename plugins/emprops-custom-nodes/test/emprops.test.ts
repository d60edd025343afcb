import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { matchers, runSink, type SinkRun } from '@comfy-secrets/testing';
import { empropsNodeView } from '../../../test/helpers/real-readers';
import sink from '../src';

expect.extend(matchers);

const FILE = 'custom_nodes/emprops_custom_nodes/.env';
/** Shaped like an AWS secret access key (40 characters of the base64 alphabet), obviously fake. */
const KEY = 'FAKE/aws+secret/key+for/tests/only/00001';
const KEY_SLASHED = KEY.replaceAll('/', '_SLASH_');
/** A key without `/`: its _SLASH_ form is the key itself. */
const KEY_NO_SLASH = 'FAKEawsSECRETkeyFORtestsONLYnoSLASH00002';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const aws = { CLOUD_PROVIDER: 'aws', AWS_ACCESS_KEY_ID: 'FAKEACCESSKEYID0001', AWS_SECRET_ACCESS_KEY: KEY };
const written = (key: string) => ({ AWS_SECRET_ACCESS_KEY: key, AWS_SECRET_ACCESS_KEY_ENCODED: key.replaceAll('/', '_SLASH_') });

/** Puts the written .env into a node directory and runs the emprops stand-in on it with no inherited environment. */
function nodeSees(run: SinkRun, file = FILE) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-emprops-'));
  try {
    const text = run.files[file]?.text;
    if (text === undefined) throw new Error(`${file} was not written`);
    fs.writeFileSync(path.join(dir, '.env'), text);
    return empropsNodeView(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('emprops_custom_nodes sink', () => {
  test('writes the AWS credentials and leaves unset optional keys out', () => {
    expect(runSink(sink, { env: { ...aws, HF_TOKEN: 'hf_FAKE_emprops' } })).toHaveWritten(FILE, { ...aws, ...written(KEY), HF_TOKEN: 'hf_FAKE_emprops' });
  });

  test('serves the real repository directory name too', () => {
    expect(runSink(sink, { env: aws, nodes: ['emprops_comfy_nodes'] })).toHaveWritten('custom_nodes/emprops_comfy_nodes/.env', { ...aws, ...written(KEY) });
  });

  describe('AWS_SECRET_ACCESS_KEY_ENCODED: every code path of the node reads the exact key', () => {
    const { AWS_SECRET_ACCESS_KEY: _, ...rest } = aws;
    test.each([
      ['the _SLASH_ form (emprops, emp-job-queue)', KEY_SLASHED, KEY],
      ['a key without / (its own _SLASH_ form)', KEY_NO_SLASH, KEY_NO_SLASH],
      ['base64 (the design doc)', b64(KEY), KEY],
      ['base64 of a key without /', b64(KEY_NO_SLASH), KEY_NO_SLASH],
    ])('%s', (_name, encoded, key) => {
      const run = runSink(sink, { env: { ...rest, AWS_SECRET_ACCESS_KEY_ENCODED: encoded } });
      expect(run).toHaveWritten(FILE, { ...rest, ...written(key) });
      const seen = nodeSees(run);
      expect([seen.s3_secret, seen.saver_secret, seen.lora_secret]).toEqual([key, key, key]);
    });

    test('with AWS_SECRET_ACCESS_KEY also set to the same key, in either form', () => {
      for (const encoded of [KEY_SLASHED, b64(KEY)]) {
        const run = runSink(sink, { env: { ...aws, AWS_SECRET_ACCESS_KEY_ENCODED: encoded } });
        expect(run).toHaveWritten(FILE, { ...aws, ...written(KEY) });
        expect(nodeSees(run).saver_secret).toBe(KEY);
      }
    });

    test('with AWS_SECRET_ACCESS_KEY set to another key: fails naming both', () => {
      const run = runSink(sink, { env: { ...aws, AWS_SECRET_ACCESS_KEY_ENCODED: KEY_NO_SLASH } });
      expect(run).toHaveFailedWith('AWS_SECRET_ACCESS_KEY', 'CONFLICTING_SOURCES');
      expect(run.result.errors[0]?.message).toBe('AWS_SECRET_ACCESS_KEY and AWS_SECRET_ACCESS_KEY_ENCODED are both set but hold different values; set only one');
    });

    test('a value that reads two ways, neither shaped like a key, is refused rather than guessed', () => {
      const run = runSink(sink, { env: { ...rest, AWS_SECRET_ACCESS_KEY_ENCODED: b64('fake-secret') } });
      expect(run).toHaveFailedWith('AWS_SECRET_ACCESS_KEY_ENCODED', 'AMBIGUOUS_ENCODING');
      expect(run.result.errors).toHaveLength(1);
    });

    test('the plain AWS_SECRET_ACCESS_KEY decides between the two readings', () => {
      const plain = 'fake-secret';
      const run = runSink(sink, { env: { ...rest, AWS_SECRET_ACCESS_KEY: plain, AWS_SECRET_ACCESS_KEY_ENCODED: b64(plain) } });
      expect(run).toHaveWritten(FILE, { ...rest, ...written(plain) });
    });

    test('a key holding the text _SLASH_ is refused: the node would read it back changed', () => {
      const run = runSink(sink, { env: { ...rest, AWS_SECRET_ACCESS_KEY: 'FAKE_SLASH_key' } });
      expect(run).toHaveFailedWith('AWS_SECRET_ACCESS_KEY_ENCODED', 'INVALID_VALUE');
    });
  });

  describe('CLOUD_PROVIDER, matched as the node matches it (lowercased)', () => {
    test.each(['Azure', 'AZURE', 'azure'])('%s requires the Azure credentials', (provider) => {
      expect(runSink(sink, { env: { CLOUD_PROVIDER: provider, AZURE_STORAGE_ACCOUNT: 'fakeaccount' } })).toHaveFailedWith('AZURE_STORAGE_KEY', 'MISSING_REQUIRED');
    });

    test.each(['AWS', 'Aws'])('%s requires the AWS key pair', (provider) => {
      expect(runSink(sink, { env: { CLOUD_PROVIDER: provider, AWS_ACCESS_KEY_ID: aws.AWS_ACCESS_KEY_ID } })).toHaveFailedWith('AWS_SECRET_ACCESS_KEY', 'MISSING_REQUIRED');
    });

    test('google requires GOOGLE_APPLICATION_CREDENTIALS', () => {
      expect(runSink(sink, { env: { CLOUD_PROVIDER: 'Google' } })).toHaveFailedWith('GOOGLE_APPLICATION_CREDENTIALS', 'MISSING_REQUIRED');
    });

    test('is written lowercased, and the node reads the same provider', () => {
      const run = runSink(sink, { env: { ...aws, CLOUD_PROVIDER: 'AWS' } });
      expect(run).toHaveWritten(FILE, { ...aws, ...written(KEY), CLOUD_PROVIDER: 'aws' });
      expect(nodeSees(run).provider).toBe('aws');
    });

    test('a provider the node does not know fails, listing the known ones', () => {
      const run = runSink(sink, { env: { CLOUD_PROVIDER: 'gcp' } });
      expect(run).toHaveFailedWith('CLOUD_PROVIDER', 'INVALID_VALUE');
      expect(run.result.errors[0]?.message).toBe('CLOUD_PROVIDER (from CLOUD_PROVIDER) must be one of: aws, azure, google');
    });
  });

  test('writes the names the cloud savers read before the AZURE_* ones, and CDN_URI', () => {
    const env = {
      CLOUD_PROVIDER: 'azure',
      AZURE_STORAGE_ACCOUNT: 'fakeaccount',
      AZURE_STORAGE_KEY: 'FAKE/azure+key==',
      AZURE_STORAGE_CONTAINER: 'fake-container',
      AZURE_TEST_MODE: 'true',
      STORAGE_ACCOUNT_NAME: 'fakeaccount2',
      STORAGE_ACCOUNT_KEY: 'FAKE/storage+key==',
      STORAGE_CONTAINER: 'fake-container-2',
      STORAGE_TEST_MODE: 'false',
      CDN_URI: 'https://cdn.example.test',
    };
    const run = runSink(sink, { env });
    expect(run).toHaveWritten(FILE, env);
    const seen = nodeSees(run);
    expect(seen.azure_handler).toEqual(['fakeaccount', 'FAKE/azure+key==']);
    expect(seen.saver_azure).toEqual(['fakeaccount2', 'FAKE/storage+key==', 'fake-container-2']);
    expect(seen.cdn_uri).toBe('https://cdn.example.test');
  });

  test('writes no name the node never reads: OPENAI_API_KEY, OLLAMA_*, CLOUD_CDN_URL', () => {
    const run = runSink(sink, { env: { HF_TOKEN: 'hf_FAKE_emprops', OPENAI_API_KEY: 'sk-FAKE-not-for-emprops', OLLAMA_HOST: 'ollama', OLLAMA_PORT: '11434', OLLAMA_DEFAULT_MODEL: 'm', CLOUD_CDN_URL: 'https://x.test' } });
    expect(run).toHaveWritten(FILE, { HF_TOKEN: 'hf_FAKE_emprops' });
    expect(nodeSees(run).openai_api_key).toBeNull();
  });
});
