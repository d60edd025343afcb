import { matchers, runSink } from '@comfy-secrets/testing';
import sink from '../src';

expect.extend(matchers);

const FILE = 'custom_nodes/emprops_custom_nodes/.env';
const aws = { CLOUD_PROVIDER: 'aws', AWS_ACCESS_KEY_ID: 'FAKEACCESSKEYID0001', AWS_SECRET_ACCESS_KEY: 'fake/secret+key=0002' };

describe('emprops_custom_nodes sink', () => {
  test('writes the AWS credentials and leaves unset optional keys out', () => {
    expect(runSink(sink, { env: { ...aws, HF_TOKEN: 'hf_FAKE_emprops' } })).toHaveWritten(FILE, { ...aws, HF_TOKEN: 'hf_FAKE_emprops' });
  });

  test('serves the real repository directory name too', () => {
    expect(runSink(sink, { env: aws, nodes: ['emprops_comfy_nodes'] })).toHaveWritten('custom_nodes/emprops_comfy_nodes/.env', aws);
  });

  test('takes AWS_SECRET_ACCESS_KEY from its _ENCODED form', () => {
    const { AWS_SECRET_ACCESS_KEY, ...rest } = aws;
    const run = runSink(sink, { env: { ...rest, AWS_SECRET_ACCESS_KEY_ENCODED: Buffer.from(AWS_SECRET_ACCESS_KEY).toString('base64') } });
    expect(run).toHaveWritten(FILE, aws);
  });

  test('CLOUD_PROVIDER=azure requires AZURE_STORAGE_KEY', () => {
    expect(runSink(sink, { env: { CLOUD_PROVIDER: 'azure', AZURE_STORAGE_ACCOUNT: 'fakeaccount' } })).toHaveFailedWith('AZURE_STORAGE_KEY', 'MISSING_REQUIRED');
  });

  test('CLOUD_PROVIDER=aws requires the key pair', () => {
    expect(runSink(sink, { env: { CLOUD_PROVIDER: 'aws', AWS_ACCESS_KEY_ID: aws.AWS_ACCESS_KEY_ID } })).toHaveFailedWith('AWS_SECRET_ACCESS_KEY');
  });
});
