import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { matchers, runSink } from '@comfy-secrets/testing';
import { readAsNode } from '../../../test/helpers/node-readers';
import { expectExactOrRefused } from '../../../test/helpers/sink-checks';
import sink from '../src';

expect.extend(matchers);

const NODE = 'custom_nodes/ComfyS3';
const COMMITTED = 'S3_REGION = "replace with your region"\nS3_ACCESS_KEY = "replace with your access key"\n';
const aws = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'FAKEACCESSKEY0001', AWS_SECRET_ACCESS_KEY: 'fake/secret+key=0002', S3_BUCKET_NAME: 'fake-bucket' };

test("replaces the committed placeholders in the node's .env, taking the AWS names too", () => {
  const run = runSink(sink, { env: aws, files: { [`${NODE}/.env`]: COMMITTED } });
  expect(run).toHaveWritten(`${NODE}/.env`, { S3_REGION: 'eu-west-1', S3_ACCESS_KEY: 'FAKEACCESSKEY0001', S3_SECRET_KEY: 'fake/secret+key=0002', S3_BUCKET_NAME: 'fake-bucket' });
});

test('writes src/.env when there is one: load_dotenv() in src/client_s3.py finds it first', () => {
  const run = runSink(sink, { env: aws, files: { [`${NODE}/.env`]: COMMITTED, [`${NODE}/src/.env`]: '' } });
  expect(run.result.files.map((file) => file.path)).toEqual([`${NODE}/src/.env`]);
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-walk-'));
  try {
    fs.mkdirSync(path.join(tree, 'src'));
    fs.writeFileSync(path.join(tree, '.env'), COMMITTED);
    fs.writeFileSync(path.join(tree, 'src/.env'), run.files[`${NODE}/src/.env`]!.text);
    const read = readAsNode({ reader: 'find-dotenv', fromDir: path.join(tree, 'src') });
    expect(read.found).toBe(path.join(tree, 'src/.env'));
    expect(read.value).toMatchObject({ S3_SECRET_KEY: 'fake/secret+key=0002' });
  } finally {
    fs.rmSync(tree, { recursive: true, force: true });
  }
});

test('refuses an S3_ADDRESSING_STYLE the node would replace by auto', () => {
  expect(runSink(sink, { env: { ...aws, S3_ADDRESSING_STYLE: 'sideways' } })).toHaveFailedWith('S3_ADDRESSING_STYLE', 'INVALID_VALUE');
});

test('adversarial values: python-dotenv reads them exactly, or they are refused naming the key', () => {
  expectExactOrRefused({ sink, key: 'S3_SECRET_KEY', variable: 'S3_SECRET_KEY', file: `${NODE}/.env`, read: (file) => ({ reader: 'dotenv', file }), pick: (values) => (values as Record<string, unknown>).S3_SECRET_KEY });
});

test('is skipped when the node is not installed', () => {
  expect(runSink(sink, { env: aws, nodes: [] })).toHaveBeenSkipped('not installed');
});
