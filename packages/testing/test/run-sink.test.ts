import * as fs from 'node:fs';
import { defineSink, type SecretSink } from '@comfy-secrets/core';
import { matchers, runSink } from '../src';

expect.extend(matchers);

const FAKE = 'hf_FAKE_testing_kit_token';
const sink = defineSink({
  name: 'kit_node',
  nodes: ['kit_node', 'kit_node_alt'],
  header: ['kit'],
  variables: { HF_TOKEN: { required: true }, REGION: { secret: false, default: 'eu-west-1' } },
});

describe('runSink', () => {
  test('runs the real runner and reads the file back with the format\'s parser, mode included', () => {
    const run = runSink(sink, { env: { HF_TOKEN: FAKE } });
    expect(run.result.status).toBe('written');
    expect(run.files['custom_nodes/kit_node/.env']).toMatchObject({ mode: 0o600, values: { HF_TOKEN: FAKE, REGION: 'eu-west-1' } });
    expect(run.files['custom_nodes/kit_node/.env']?.text).toMatch(/^# kit\n# Generated at: /);
  });

  test('pins the Generated at line with now', () => {
    const run = runSink(sink, { env: { HF_TOKEN: FAKE }, now: new Date('2030-01-02T03:04:05.000Z') });
    expect(run.files['custom_nodes/kit_node/.env']?.text).toContain('# Generated at: 2030-01-02T03:04:05.000Z\n');
  });

  test('removes the temporary tree afterwards', () => {
    let seen = '';
    const spy: SecretSink = { ...sink, file: (context) => ((seen = context.comfyuiDir), { path: '.env' }) };
    runSink(spy, { env: { HF_TOKEN: FAKE } });
    expect(seen).not.toBe('');
    expect(fs.existsSync(seen)).toBe(false);
  });

  test('installs the given node directories and extra files', () => {
    const run = runSink(sink, { env: { HF_TOKEN: FAKE }, nodes: ['kit_node_alt'], files: { 'custom_nodes/kit_node_alt/.env': 'OLD=1\n' } });
    expect(run).toHaveWritten('custom_nodes/kit_node_alt/.env', { HF_TOKEN: FAKE, REGION: 'eu-west-1' });
  });

  test('returns the log lines, redacted', () => {
    const run = runSink({ ...sink, file: () => { throw new Error(`cannot use ${FAKE}`); } }, { env: { HF_TOKEN: FAKE } });
    expect(run.logs.some((entry) => entry.level === 'error')).toBe(true);
    expect(JSON.stringify(run.logs)).not.toContain(FAKE);
  });

  test('returns a supplied file that is not in the sink\'s format as text, with no values', () => {
    const json = defineSink({ name: 'kit_json', nodes: ['kit_node'], file: 'settings.json', format: 'json', variables: { HF_TOKEN: {} } });
    const run = runSink(json, { env: { HF_TOKEN: FAKE }, files: { 'custom_nodes/kit_node/notes.txt': 'not json' } });
    expect(run.files['custom_nodes/kit_node/notes.txt']).toMatchObject({ text: 'not json', values: {} });
    expect(run).toHaveWritten('custom_nodes/kit_node/settings.json', { HF_TOKEN: FAKE });
  });

  test('keeps log metadata whole when a secret equals a piece of its layout', () => {
    const run = runSink({ ...sink, file: () => { throw new Error('no'); } }, { env: { HF_TOKEN: '{"sink":' } });
    expect(run.logs.find((entry) => entry.level === 'error')?.meta).toMatchObject({ sink: 'kit_node' });
  });

  test('throws for an object that is not a valid sink, as discovery would', () => {
    expect(() => runSink({ name: 'bad', nodes: [], variables: {} })).toThrow(/is not a valid sink: 'nodes'/);
  });
});

describe('matchers', () => {
  test('toHaveFailedWith matches the variable of a failed sink', () => {
    expect(runSink(sink)).toHaveFailedWith('HF_TOKEN', 'MISSING_REQUIRED');
  });

  test('toHaveWritten fails when the file holds another key, naming keys only', () => {
    const run = runSink(sink, { env: { HF_TOKEN: FAKE } });
    const result = matchers.toHaveWritten(run, 'custom_nodes/kit_node/.env', { HF_TOKEN: 'hf_FAKE_other_value' });
    expect(result.pass).toBe(false);
    expect(result.message()).toBe(
      `custom_nodes/kit_node/.env does not read back as expected: HF_TOKEN holds a different value (${FAKE.length} chars, expected 19); REGION was written but not expected`,
    );
  });

  test('toHaveWritten fails for a file the sink did not write, saying why', () => {
    const result = matchers.toHaveWritten(runSink(sink), 'custom_nodes/kit_node/.env', {});
    expect(result.message()).toContain('status failed, files: none, errors: MISSING_REQUIRED (HF_TOKEN)');
  });

  test('toHaveBeenSkipped with a reason', () => {
    expect(runSink(sink, { env: { HF_TOKEN: FAKE }, nodes: [] })).toHaveBeenSkipped('its node is not installed');
  });
});
