import * as fs from 'node:fs';
import * as path from 'node:path';
import { createContainer } from '../../src/container';
import type { SecretSink } from '../../src/contract';
import { Runner, type RunOptions } from '../../src/run/runner';
import { pythonDotenvValues } from '../../../../test/helpers/real-readers';
import { captureLogger, loaded, sink, testdir } from '../helpers';

// Two sinks that write one file: a file that replaces the other's would silently drop its secrets.
const env = { A_TOKEN: 'fake-a-token-value', B_TOKEN: 'fake-b-token-value' };

function setup(sinks: SecretSink[]) {
  const comfyuiDir = testdir({ 'custom_nodes/n/': '' });
  const capture = captureLogger();
  const runner = createContainer({ env, cwd: comfyuiDir, sinks: loaded(...sinks), logger: capture.logger, redactor: capture.redactor }).resolve(Runner);
  return { comfyuiDir, run: (options: Partial<RunOptions> = {}) => runner.run({ comfyuiDir, ...options }) };
}

const a = sink({ name: 'a', nodes: ['n'], variables: { A_TOKEN: {} } });
const b = sink({ name: 'b', nodes: ['n'], variables: { B_TOKEN: {} } });

describe('two sinks on one file', () => {
  it('fails the later sink when neither merges, and leaves the first one’s file whole', () => {
    const { run, comfyuiDir } = setup([a, b]);
    const report = run();
    expect(report.sinks.map((s) => [s.name, s.status])).toEqual([['a', 'written'], ['b', 'failed']]);
    expect(report.sinks[1]?.errors).toEqual([
      expect.objectContaining({ code: 'TARGET_CONFLICT', file: 'custom_nodes/n/.env', message: expect.stringContaining("sink 'a'") }),
    ]);
    expect(report.exitCode).toBe(1);
    expect(pythonDotenvValues(path.join(comfyuiDir, 'custom_nodes/n/.env'))).toEqual({ A_TOKEN: env.A_TOKEN });
  });

  it('reports the conflict in a dry run too', () => {
    const { run, comfyuiDir } = setup([a, b]);
    const report = run({ dryRun: true });
    expect(report.sinks.map((s) => [s.name, s.status])).toEqual([['a', 'would-write'], ['b', 'failed']]);
    expect(report.sinks[1]?.errors.map((e) => e.code)).toEqual(['TARGET_CONFLICT']);
    expect(fs.readdirSync(path.join(comfyuiDir, 'custom_nodes/n'))).toEqual([]);
  });

  it('fails the later sink when only one of them merges', () => {
    const json = (name: string, merge: boolean, key: string) => sink({ name, nodes: ['n'], file: 'settings.json', format: { type: 'json', merge }, variables: { [key]: {} } });
    const report = setup([json('a', true, 'A_TOKEN'), json('b', false, 'B_TOKEN')]).run();
    expect(report.sinks.map((s) => [s.name, s.status])).toEqual([['a', 'written'], ['b', 'failed']]);
    expect(report.sinks[1]?.errors.map((e) => e.code)).toEqual(['TARGET_CONFLICT']);
  });

  it('fails the later sink when both merge, but in different formats', () => {
    const ini = sink({ name: 'a', nodes: ['n'], file: 'settings', format: 'ini', variables: { A_TOKEN: {} } });
    const json = sink({ name: 'b', nodes: ['n'], file: 'settings', format: { type: 'json', merge: true }, variables: { B_TOKEN: {} } });
    const report = setup([ini, json]).run();
    expect(report.sinks.map((s) => [s.name, s.status])).toEqual([['a', 'written'], ['b', 'failed']]);
    expect(report.sinks[1]?.errors.map((e) => e.code)).toEqual(['TARGET_CONFLICT']);
  });

  it('lets two merging sinks share a file: both sets of keys end in it', () => {
    const ini = (name: string, section: string, key: string) => sink({ name, nodes: ['n'], file: 'config.ini', format: { type: 'ini', section }, variables: { [key]: {} } });
    const { run, comfyuiDir } = setup([ini('a', 'first', 'A_TOKEN'), ini('b', 'second', 'B_TOKEN')]);
    const report = run();
    expect(report.sinks.map((s) => s.status)).toEqual(['written', 'written']);
    const text = fs.readFileSync(path.join(comfyuiDir, 'custom_nodes/n/config.ini'), 'utf8');
    expect(text).toBe(`[first]\nA_TOKEN = ${env.A_TOKEN}\n\n[second]\nB_TOKEN = ${env.B_TOKEN}\n`);
    expect(run().sinks.map((s) => s.status)).toEqual(['unchanged', 'unchanged']);
  });

  it('still writes one file once when a sink reaches it from two node directories', () => {
    const shared = sink({ name: 'shared', nodes: ['n', 'm'], file: () => ({ path: 'user/shared.env', relativeTo: 'comfyui' }), variables: { A_TOKEN: {} } });
    const comfyuiDir = testdir({ 'custom_nodes/n/': '', 'custom_nodes/m/': '', 'user/': '' });
    const capture = captureLogger();
    const report = createContainer({ env, cwd: comfyuiDir, sinks: loaded(shared), logger: capture.logger, redactor: capture.redactor }).resolve(Runner).run({ comfyuiDir });
    expect(report.sinks[0]).toMatchObject({ status: 'written', files: [expect.objectContaining({ path: 'user/shared.env' })] });
  });
});
