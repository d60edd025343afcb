import * as fs from 'node:fs';
import * as path from 'node:path';
import { createContainer } from '../../src/container';
import type { SecretSink } from '../../src/contract';
import { Runner, type RunOptions } from '../../src/run/runner';
import { pythonDotenvValues, readWithConfigparser } from '../../../../test/helpers/real-readers';
import { captureLogger, loaded, sink, testdir } from '../helpers';

// file() choosing several files, keys per file, defaults, reader rules, the user directory, and nodes
// that live outside custom_nodes.
const env = { APP_TOKEN: 'fake-app-token-value', APP_MODE: 'fast' };

/** The tree is `<temp>/ComfyUI`, so that `../` in `files` stays in the temp directory. */
function setup(sinks: SecretSink[], files: Record<string, string> = { 'custom_nodes/n/': '' }, runEnv: Record<string, string> = env) {
  // A ComfyUI root always has custom_nodes/ (the runner refuses one without: a path one level off).
  const comfyuiDir = path.join(testdir(Object.fromEntries([['ComfyUI/', ''], ['ComfyUI/custom_nodes/', ''], ...Object.entries(files).map(([file, text]) => [path.join('ComfyUI', file) + (file.endsWith('/') ? '/' : ''), text])])), 'ComfyUI');
  const capture = captureLogger();
  const runner = createContainer({ env: runEnv, cwd: comfyuiDir, sinks: loaded(...sinks), logger: capture.logger, redactor: capture.redactor }).resolve(Runner);
  return { comfyuiDir, run: (options: Partial<RunOptions> = {}) => runner.run({ comfyuiDir, ...options }) };
}

const variables = { APP_TOKEN: {}, APP_MODE: { secret: false, from: ['MY_APP_MODE', 'APP_MODE'] }, APP_LEVEL: { secret: false } } as const;

describe('a file() that chooses several files', () => {
  it('writes each file with its keys and its defaults, relative to node, tree and user directory', () => {
    const multi = sink({
      name: 'multi',
      nodes: ['n'],
      variables,
      file: () => [
        { path: 'a.env', keys: ['APP_TOKEN'] },
        { path: 'settings/b.env', relativeTo: 'user', defaults: { APP_LEVEL: 'low' } },
      ],
    });
    const { run, comfyuiDir } = setup([multi]);
    const report = run();
    expect(report.sinks[0]?.files.map((file) => file.path)).toEqual(['custom_nodes/n/a.env', 'user/settings/b.env']);
    expect(pythonDotenvValues(path.join(comfyuiDir, 'custom_nodes/n/a.env'))).toEqual({ APP_TOKEN: env.APP_TOKEN });
    expect(pythonDotenvValues(path.join(comfyuiDir, 'user/settings/b.env'))).toEqual({ APP_TOKEN: env.APP_TOKEN, APP_MODE: 'fast', APP_LEVEL: 'low' });
  });

  it('a rule of one file fails the sink before any file is written, naming the variable and the key', () => {
    const ruled = sink({
      name: 'ruled',
      nodes: ['n'],
      variables,
      file: () => [{ path: 'a.env' }, { path: 'b.env', rules: [{ key: 'APP_MODE', when: 'set', values: ['fast'], level: 'error', reason: 'this reader ignores it' }] }],
    });
    const { run, comfyuiDir } = setup([ruled]);
    const report = run();
    expect(report.sinks[0]?.errors).toEqual([expect.objectContaining({ code: 'READER_CONFLICT', variable: 'APP_MODE', message: 'MY_APP_MODE (APP_MODE): this reader ignores it (custom_nodes/n/b.env)' })]);
    expect(fs.readdirSync(path.join(comfyuiDir, 'custom_nodes/n'))).toEqual([]);
  });

  it('a warn rule writes and reports the warning; an unset rule applies when the key has no value', () => {
    const warned = sink({
      name: 'warned',
      nodes: ['n'],
      variables,
      file: () => ({ path: 'a.env', rules: [{ key: 'APP_LEVEL', when: 'unset', level: 'warn', reason: 'the reader picks a level itself' }] }),
    });
    const { run } = setup([warned]);
    const report = run();
    expect(report.sinks[0]?.status).toBe('written');
    expect(report.sinks[0]?.warnings).toEqual(['APP_LEVEL: the reader picks a level itself']);
  });

  it('a malformed choice is a plugin error', () => {
    for (const bad of [[], [{ path: 'a.env', keys: ['NOPE'] }], { path: 'a.env', rules: [{ key: 'APP_MODE' }] }, { path: 'a.env', relativeTo: 'elsewhere' }]) {
      const { run } = setup([sink({ name: 'bad', nodes: ['n'], variables, file: () => bad as never })]);
      expect(run().sinks[0]?.errors[0]?.code).toBe('PLUGIN_ERROR');
    }
  });

  it('an error with a stable code thrown by file() is the sink refusing, shown as it is', () => {
    class Refusal extends Error {
      readonly code = 'LAYOUT_UNKNOWN';
    }
    const { run } = setup([sink({ name: 'refuses', nodes: ['n'], variables, file: () => { throw new Refusal('cannot tell where this node reads'); } })]);
    expect(run().sinks[0]?.errors[0]).toMatchObject({ code: 'LAYOUT_UNKNOWN', message: 'cannot tell where this node reads' });
  });

  it('strict: false is used for the file it is chosen for', () => {
    const existing = '[s]\nk = 1\n[s]\nk = 2\n';
    const lenient = sink({ name: 'lenient', nodes: ['n'], variables, format: { type: 'ini', section: 's' }, file: () => ({ path: 'c.ini', format: { type: 'ini', section: 's', strict: false } }) });
    const { run, comfyuiDir } = setup([lenient], { 'custom_nodes/n/c.ini': existing });
    expect(run().sinks[0]?.status).toBe('written');
    expect(readWithConfigparser([{ text: fs.readFileSync(path.join(comfyuiDir, 'custom_nodes/n/c.ini'), 'utf8'), section: 's', strict: false }])[0]?.values).toMatchObject({ k: '2', app_mode: 'fast' });
  });
});

describe('the user directory', () => {
  it('a --user-directory outside the tree is written there, and the report names it from the tree', () => {
    const user = sink({ name: 'user', nodes: ['n'], variables, file: () => ({ path: 'x/app.env', relativeTo: 'user' }) });
    const { run, comfyuiDir } = setup([user], { 'custom_nodes/n/': '', '../elsewhere/': '' });
    const userDir = path.join(comfyuiDir, '../elsewhere');
    const report = run({ userDir });
    expect(report.sinks[0]?.files[0]?.path).toBe(path.join('..', 'elsewhere/x/app.env'));
    expect(pythonDotenvValues(path.join(userDir, 'x/app.env'))).toMatchObject({ APP_MODE: 'fast' });
  });
});

describe('a node installed outside custom_nodes', () => {
  const pip = (elsewhere: string | undefined) =>
    sink({ name: 'pip', nodes: ['pip_node'], variables, installedElsewhere: () => elsewhere, whenNotInstalled: 'fail-when-set', file: (context) => ({ path: 'pip.env', relativeTo: 'user', reason: `node dir ${String(context.nodeDir)}` }) });

  it('runs with nodeDir undefined when installedElsewhere finds it', () => {
    const { run } = setup([pip('as a pip package')], {});
    const report = run();
    expect(report.sinks[0]?.files[0]).toMatchObject({ path: 'user/pip.env', reason: 'node dir undefined' });
  });

  it('fails naming the set variables when it is nowhere; is skipped when none is set', () => {
    const { run } = setup([pip(undefined)], {});
    expect(run().sinks[0]?.errors[0]).toMatchObject({ code: 'NOT_INSTALLED', message: expect.stringMatching(/^APP_TOKEN, MY_APP_MODE \(APP_MODE\) are set, but the node pip serves is not installed/) });
    const quiet = setup([pip(undefined)], {}, {});
    expect(quiet.run().sinks[0]?.status).toBe('skipped');
  });

  it("a file() relative to 'node' is a plugin error then", () => {
    const { run } = setup([sink({ name: 'pip', nodes: ['pip_node'], variables, installedElsewhere: () => 'pip', file: () => ({ path: 'x.env' }) })], {});
    expect(run().sinks[0]?.errors[0]?.code).toBe('PLUGIN_ERROR');
  });
});
