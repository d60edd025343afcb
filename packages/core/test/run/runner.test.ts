import * as fs from 'node:fs';
import * as path from 'node:path';
import emprops from '../../../../plugins/emprops-custom-nodes/src/index';
import { createContainer } from '../../src/container';
import type { SecretSink } from '../../src/contract';
import { ConfigError } from '../../src/errors';
import { Runner, type RunOptions } from '../../src/run/runner';
import type { Environment } from '../../src/values/sources';
import { pythonDotenvValues } from '../../../../test/helpers/real-readers';
import { CANARY, OTHER_CANARY, captureLogger, loaded, sink, testdir, thrown, type Fixture } from '../helpers';

const EMPROPS_DIR = 'custom_nodes/emprops_custom_nodes';
const EMPROPS_COMFY_DIR = 'custom_nodes/emprops_comfy_nodes';

/** A ComfyUI tree in a temp dir, and a runner from a fresh container over it. */
function setup(options: { files?: Fixture; env?: Environment; sinks: SecretSink[]; now?: () => Date }) {
  const comfyuiDir = testdir(options.files ?? {});
  const capture = captureLogger({ level: 'debug' });
  const container = createContainer({
    env: options.env ?? {},
    cwd: comfyuiDir,
    sinks: loaded(...options.sinks),
    logger: capture.logger,
    redactor: capture.redactor,
    clock: options.now ?? (() => new Date('2026-01-02T03:04:05.000Z')),
  });
  const runner = container.resolve(Runner);
  return {
    comfyuiDir,
    lines: capture.lines,
    run: (extra: Partial<RunOptions> = {}) => runner.run({ comfyuiDir, ...extra }),
    file: (relative: string) => path.join(comfyuiDir, relative),
  };
}

const statusOf = (report: { sinks: Array<{ name: string; status: string }> }) => Object.fromEntries(report.sinks.map((entry) => [entry.name, entry.status]));
const other = sink({ name: 'other', nodes: ['other_node'], variables: { OPENAI_API_KEY: {} } });
const otherFiles = { 'custom_nodes/other_node/': '' };

describe('Runner', () => {
  it('skips a sink whose node is not installed, and writes nothing', () => {
    const { run, comfyuiDir } = setup({ files: { 'custom_nodes/': '' }, env: { HF_TOKEN: CANARY }, sinks: [emprops] });
    const report = run();
    expect(report.sinks).toEqual([
      expect.objectContaining({ name: 'emprops_custom_nodes', status: 'skipped', reason: `its node is not installed (looked for ${EMPROPS_DIR}, ${EMPROPS_COMFY_DIR})`, files: [] }),
    ]);
    expect(report.exitCode).toBe(0);
    expect(fs.readdirSync(path.join(comfyuiDir, 'custom_nodes'))).toEqual([]);
  });

  it('writes the file with mode 0600', () => {
    const { run, file } = setup({ files: { [`${EMPROPS_DIR}/`]: '' }, env: { HF_TOKEN: CANARY }, sinks: [emprops] });
    expect(run().sinks[0]?.files).toEqual([{ path: `${EMPROPS_DIR}/.env`, status: 'written', format: expect.any(String), mode: '0600', reason: undefined, store: 'disk' }]);
    expect(fs.statSync(file(`${EMPROPS_DIR}/.env`)).mode & 0o777).toBe(0o600);
  });

  it('writes a .env that python-dotenv reads back exactly', () => {
    const env = {
      CLOUD_PROVIDER: 'azure',
      AZURE_STORAGE_ACCOUNT: 'fakeaccount',
      AZURE_STORAGE_KEY: 'FAKE/azure+key==',
      HF_TOKEN: CANARY,
      STORAGE_ACCOUNT_KEY: `${OTHER_CANARY} "quoted" $HOME #not-a-comment 'single'`,
      CDN_URI: 'https://cdn.example.test',
      UNRELATED: 'not written',
    };
    const { run, file } = setup({ files: { [`${EMPROPS_DIR}/`]: '' }, env, sinks: [emprops] });
    expect(run().exitCode).toBe(0);
    const { UNRELATED: _, ...written } = env;
    expect(pythonDotenvValues(file(`${EMPROPS_DIR}/.env`))).toEqual(written);
  });

  it('writes the file into both emprops node directory names', () => {
    const { run, file } = setup({ files: { [`${EMPROPS_DIR}/`]: '', [`${EMPROPS_COMFY_DIR}/`]: '' }, env: { HF_TOKEN: CANARY }, sinks: [emprops] });
    expect(run().sinks[0]?.files.map((entry) => entry.path)).toEqual([`${EMPROPS_DIR}/.env`, `${EMPROPS_COMFY_DIR}/.env`]);
    expect(pythonDotenvValues(file(`${EMPROPS_DIR}/.env`))).toEqual({ HF_TOKEN: CANARY });
    expect(pythonDotenvValues(file(`${EMPROPS_COMFY_DIR}/.env`))).toEqual({ HF_TOKEN: CANARY });
  });

  it('writes into whichever emprops directory name is installed', () => {
    const { run, file } = setup({ files: { [`${EMPROPS_COMFY_DIR}/`]: '' }, env: { HF_TOKEN: CANARY }, sinks: [emprops] });
    expect(run().sinks[0]?.status).toBe('written');
    expect(fs.existsSync(file(`${EMPROPS_COMFY_DIR}/.env`))).toBe(true);
  });

  it('fails a sink whose required variable is missing and still writes the others', () => {
    const { run, file } = setup({ files: { [`${EMPROPS_DIR}/`]: '', ...otherFiles }, env: { CLOUD_PROVIDER: 'aws', OPENAI_API_KEY: OTHER_CANARY }, sinks: [emprops, other] });
    const report = run();
    expect(statusOf(report)).toEqual({ emprops_custom_nodes: 'failed', other: 'written' });
    expect(report.sinks[0]?.errors.map((error) => `${error.code} ${error.variable}`)).toEqual(['MISSING_REQUIRED AWS_ACCESS_KEY_ID', 'MISSING_REQUIRED AWS_SECRET_ACCESS_KEY']);
    expect(fs.existsSync(file(`${EMPROPS_DIR}/.env`))).toBe(false);
    expect(pythonDotenvValues(file('custom_nodes/other_node/.env'))).toEqual({ OPENAI_API_KEY: OTHER_CANARY });
  });

  it('fails a sink whose file() throws with PLUGIN_ERROR and still writes the others', () => {
    const throwing = sink({
      name: 'throwing',
      file: () => {
        throw new Error('cannot decide where to write');
      },
    });
    const { run } = setup({ files: { 'custom_nodes/throwing/': '', ...otherFiles }, env: { HF_TOKEN: CANARY, OPENAI_API_KEY: OTHER_CANARY }, sinks: [throwing, other] });
    const report = run();
    expect(statusOf(report)).toEqual({ other: 'written', throwing: 'failed' });
    expect(report.sinks.find((entry) => entry.name === 'throwing')?.errors).toEqual([{ code: 'PLUGIN_ERROR', message: 'its file() function threw: cannot decide where to write' }]);
  });

  it('fails with PLUGIN_ERROR, not an internal error, when file() returns no path', () => {
    const broken = sink({ name: 'broken', file: (() => ({})) as unknown as SecretSink['file'] });
    const { run } = setup({ files: { 'custom_nodes/broken/': '' }, env: { HF_TOKEN: CANARY }, sinks: [broken] });
    const report = run();
    expect(report.sinks[0]?.errors.map((error) => error.code)).toEqual(['PLUGIN_ERROR']);
    expect(report.exitCode).toBe(1);
  });

  it('writes where file() chooses, relative to the ComfyUI root when asked', () => {
    const choosing = sink({
      name: 'choosing',
      file: (context) => (context.exists('user/settings.json') ? { path: 'user/choosing.env', relativeTo: 'comfyui', reason: 'user settings exist' } : { path: '.env' }),
    });
    const { run, file } = setup({ files: { 'custom_nodes/choosing/': '', 'user/settings.json': '{}' }, env: { HF_TOKEN: CANARY }, sinks: [choosing] });
    expect(run().sinks[0]?.files).toEqual([expect.objectContaining({ path: 'user/choosing.env', reason: 'user settings exist' })]);
    expect(pythonDotenvValues(file('user/choosing.env'))).toEqual({ HF_TOKEN: CANARY });
  });

  it('gives file() the installed tree: readText reads a file, exists sees a file', () => {
    const seen: unknown[] = [];
    const probing = sink({
      name: 'probing',
      file: (context) => {
        seen.push(context.readText('custom_nodes/probing/VERSION'), context.readText('custom_nodes/probing/absent'), context.exists('custom_nodes/probing/VERSION'), context.exists('absent'));
        return { path: '.env' };
      },
    });
    const { run } = setup({ files: { 'custom_nodes/probing/VERSION': '2.0\n' }, env: { HF_TOKEN: CANARY }, sinks: [probing] });
    expect(run().sinks[0]?.status).toBe('written');
    expect(seen).toEqual(['2.0\n', undefined, true, false]);
  });

  it("tells file() that a name starting with '..' inside the tree exists, and nothing outside it does", () => {
    const seen: boolean[] = [];
    const probing = sink({
      name: 'probing',
      file: (context) => {
        const sibling = `${path.basename(context.comfyuiDir)}-outside`;
        seen.push(context.exists('..cache'), context.exists('custom_nodes/probing/..hidden'), context.exists('..'), context.exists(`../${sibling}`), context.exists(`${context.comfyuiDir}-outside`));
        return { path: '.env' };
      },
    });
    const { run, comfyuiDir } = setup({ files: { 'custom_nodes/probing/..hidden': 'x', '..cache': 'x' }, env: { HF_TOKEN: CANARY }, sinks: [probing] });
    const outside = `${comfyuiDir}-outside`;
    fs.writeFileSync(outside, 'x');
    try {
      expect(run().sinks[0]?.status).toBe('written');
    } finally {
      fs.rmSync(outside);
    }
    expect(seen).toEqual([true, true, false, false, false]);
  });

  it('tells file() that an existing directory exists', () => {
    let userDirExists: boolean | undefined;
    const probing = sink({
      name: 'probing',
      file: (context) => {
        userDirExists = context.exists('user');
        return { path: '.env' };
      },
    });
    setup({ files: { 'custom_nodes/probing/': '', 'user/': '' }, env: { HF_TOKEN: CANARY }, sinks: [probing] }).run();
    expect(userDirExists).toBe(true);
  });

  it('runs only the sinks named by --only', () => {
    const { run, file } = setup({ files: { [`${EMPROPS_DIR}/`]: '', ...otherFiles }, env: { HF_TOKEN: CANARY, OPENAI_API_KEY: OTHER_CANARY }, sinks: [emprops, other] });
    const report = run({ only: ['other'] });
    expect(statusOf(report)).toEqual({ emprops_custom_nodes: 'skipped', other: 'written' });
    expect(report.sinks[0]?.reason).toBe('not named by --only');
    expect(fs.existsSync(file(`${EMPROPS_DIR}/.env`))).toBe(false);
  });

  it('leaves out the sinks named by --skip', () => {
    const { run } = setup({ files: { [`${EMPROPS_DIR}/`]: '', ...otherFiles }, env: { HF_TOKEN: CANARY, OPENAI_API_KEY: OTHER_CANARY }, sinks: [emprops, other] });
    const report = run({ skip: ['emprops_custom_nodes'] });
    expect(statusOf(report)).toEqual({ emprops_custom_nodes: 'skipped', other: 'written' });
    expect(report.sinks[0]?.reason).toBe('named by --skip');
  });

  it('refuses an --only name that is not an installed sink (exit 2): a typo would run nothing', () => {
    const { run } = setup({ files: otherFiles, env: {}, sinks: [other] });
    expect(() => run({ only: ['emprops'] })).toThrow(expect.objectContaining({ code: 'UNKNOWN_SINK', exitCode: 2, message: "--only names 'emprops', which is not an installed sink (installed: other)" }));
  });

  it('warns about a --skip name that is not an installed sink', async () => {
    const { run, lines } = setup({ files: otherFiles, env: {}, sinks: [other] });
    run({ skip: ['emprops'] });
    expect(await lines()).toContain("comfy-secrets warn  --skip names 'emprops', which is not an installed sink");
  });

  it('refuses a ComfyUI directory without custom_nodes/ (exit 2): one level too deep would skip every sink', () => {
    const { run, comfyuiDir } = setup({ files: { 'custom_nodes/other_node/': '' }, env: { OPENAI_API_KEY: OTHER_CANARY }, sinks: [other] });
    expect(() => run({ comfyuiDir: path.join(comfyuiDir, 'custom_nodes') })).toThrow(expect.objectContaining({ code: 'NO_CUSTOM_NODES', exitCode: 2 }));
  });

  it('warns, naming the node directories looked for, when every sink is skipped though their variables are set', async () => {
    const { run, lines } = setup({ files: { 'custom_nodes/': '' }, env: { OPENAI_API_KEY: OTHER_CANARY }, sinks: [other] });
    expect(run().exitCode).toBe(0);
    const text = (await lines()).join('\n');
    expect(text).toContain('no sink applies to');
    expect(text).toContain('OPENAI_API_KEY (read by other) is set: other looked for custom_nodes/other_node');
    expect(text).not.toContain(OTHER_CANARY);
  });

  it('does not warn when every sink is skipped and none of their variables is set', async () => {
    const { run, lines } = setup({ files: { 'custom_nodes/': '' }, env: {}, sinks: [other] });
    run();
    expect((await lines()).join('\n')).not.toContain('no sink applies');
  });

  it('writes nothing in a dry run and reports would-write', () => {
    const { run, comfyuiDir } = setup({ files: { [`${EMPROPS_DIR}/`]: '' }, env: { HF_TOKEN: CANARY }, sinks: [emprops] });
    const report = run({ dryRun: true });
    expect(report).toMatchObject({ dryRun: true, exitCode: 0, counts: { 'would-write': 1 } });
    expect(report.sinks[0]?.files.map((entry) => entry.status)).toEqual(['would-write']);
    expect(fs.readdirSync(path.join(comfyuiDir, EMPROPS_DIR))).toEqual([]);
  });

  it('leaves an unchanged file alone on a second run, keeping its mtime, though the header time moved', () => {
    let now = Date.parse('2026-01-02T03:04:05.000Z');
    const { run, file } = setup({ files: { [`${EMPROPS_DIR}/`]: '' }, env: { HF_TOKEN: CANARY }, sinks: [emprops], now: () => new Date((now += 60_000)) });
    expect(run().sinks[0]?.status).toBe('written');
    const target = file(`${EMPROPS_DIR}/.env`);
    const past = new Date('2020-01-01T00:00:00.000Z');
    fs.utimesSync(target, past, past);
    const before = fs.readFileSync(target, 'utf8');

    const second = run();
    expect(second.sinks[0]?.status).toBe('unchanged');
    expect(second.counts.unchanged).toBe(1);
    expect(fs.statSync(target).mtime).toEqual(past);
    expect(fs.readFileSync(target, 'utf8')).toBe(before);
  });

  it('rewrites the file when a value changed', () => {
    const dir = { [`${EMPROPS_DIR}/.env`]: 'HF_TOKEN=hf_FAKE_stale_value\n' };
    const { run, file } = setup({ files: dir, env: { HF_TOKEN: CANARY }, sinks: [emprops] });
    expect(run().sinks[0]?.status).toBe('written');
    expect(pythonDotenvValues(file(`${EMPROPS_DIR}/.env`))).toEqual({ HF_TOKEN: CANARY });
  });

  it('skips a sink with nothing to configure', () => {
    const { run } = setup({ files: { [`${EMPROPS_DIR}/`]: '' }, env: {}, sinks: [emprops] });
    expect(run().sinks[0]).toMatchObject({ status: 'skipped', reason: 'nothing to configure (none of its variables is set)' });
  });

  it('fails a sink whose node directory is a symbolic link', () => {
    const { run } = setup({ files: { 'elsewhere/': '', [EMPROPS_DIR]: { symlink: '../elsewhere' } }, env: { HF_TOKEN: CANARY }, sinks: [emprops] });
    expect(run().sinks[0]?.errors).toEqual([expect.objectContaining({ code: 'UNSAFE_PATH', file: EMPROPS_DIR })]);
  });

  it('puts no value in the report, whether sinks write or fail', () => {
    const picky = sink({ name: 'picky', variables: { OPENAI_API_KEY: { allowed: ['something-else'] }, HF_TOKEN: { required: true, transform: () => { throw new Error('is malformed'); } } } });
    const { run } = setup({
      files: { [`${EMPROPS_DIR}/`]: '', 'custom_nodes/picky/': '' },
      env: { HF_TOKEN: CANARY, OPENAI_API_KEY: OTHER_CANARY, AWS_SECRET_ACCESS_KEY: CANARY.toUpperCase() },
      sinks: [emprops, picky],
    });
    const report = run();
    expect(statusOf(report)).toEqual({ emprops_custom_nodes: 'written', picky: 'failed' });
    const text = JSON.stringify(report);
    for (const value of [CANARY, OTHER_CANARY, CANARY.toUpperCase()]) expect(text).not.toContain(value);
  });

  it('puts no value in a log line', async () => {
    const leaky = sink({ name: 'leaky', file: () => { throw new Error(`cannot use ${CANARY}`); } });
    const { run, lines } = setup({ files: { 'custom_nodes/leaky/': '' }, env: { HF_TOKEN: CANARY }, sinks: [leaky] });
    const report = run();
    expect(report.sinks[0]?.errors[0]?.message).toBe('its file() function threw: cannot use [redacted]');
    const log = (await lines()).join('\n');
    expect(log).toContain('leaky failed');
    expect(log).not.toContain(CANARY);
  });

  it('exits 0 when every sink writes or is skipped', () => {
    const { run } = setup({ files: { [`${EMPROPS_DIR}/`]: '' }, env: { HF_TOKEN: CANARY }, sinks: [emprops, other] });
    expect(run()).toMatchObject({ exitCode: 0, counts: { written: 1, skipped: 1, failed: 0 } });
  });

  it('exits 1 when a sink fails', () => {
    const { run } = setup({ files: { [`${EMPROPS_DIR}/`]: '' }, env: { CLOUD_PROVIDER: 'azure' }, sinks: [emprops] });
    expect(run()).toMatchObject({ exitCode: 1, counts: { failed: 1 } });
  });

  it('fails the whole run with a ConfigError for a missing dependency, before writing', () => {
    const dependent = sink({ name: 'dependent', dependencies: ['absent'] });
    const { run, file } = setup({ files: { 'custom_nodes/dependent/': '' }, env: { HF_TOKEN: CANARY }, sinks: [dependent] });
    expect(thrown(() => run())).toBeInstanceOf(ConfigError);
    expect(fs.existsSync(file('custom_nodes/dependent/.env'))).toBe(false);
  });

  it('runs sinks in dependency order', () => {
    const first = sink({ name: 'zz-first', nodes: ['n1'] });
    const second = sink({ name: 'aa-second', nodes: ['n2'], dependencies: ['zz-first'] });
    const { run } = setup({ files: { 'custom_nodes/n1/': '', 'custom_nodes/n2/': '' }, env: { HF_TOKEN: CANARY }, sinks: [second, first] });
    expect(run().sinks.map((entry) => entry.name)).toEqual(['zz-first', 'aa-second']);
  });
});

describe('Runner path checks', () => {
  it('reaches the node directory through open directories, never by its path, once the installed-node check has found it', () => {
    const comfyuiDir = testdir({ 'custom_nodes/other_node/': '' });
    const nodeDir = path.join(comfyuiDir, 'custom_nodes/other_node');
    const asked: string[] = [];
    const opened: Array<[string, number]> = [];
    const counting = {
      ...fs,
      lstatSync: ((file: string, options?: fs.StatSyncOptions) => (asked.push(file), fs.lstatSync(file, options))) as typeof fs.lstatSync,
      openSync: ((file: string, flags: number, mode?: number) => (opened.push([file, flags]), fs.openSync(file, flags, mode))) as typeof fs.openSync,
    };
    const capture = captureLogger();
    const container = createContainer({ env: { OPENAI_API_KEY: CANARY }, cwd: comfyuiDir, sinks: loaded(other), logger: capture.logger, redactor: capture.redactor, fs: counting });

    expect(container.resolve(Runner).run({ comfyuiDir }).counts.written).toBe(1);
    // By path only in the installed-node check; every act goes through descriptors.
    expect(asked.filter((file) => file === nodeDir)).toHaveLength(1);
    expect(opened.filter(([file]) => file.startsWith(comfyuiDir) && file !== comfyuiDir)).toEqual([]);
    const nodeOpens = opened.filter(([file]) => /^\/proc\/self\/fd\/\d+\/other_node$/.test(file));
    expect(nodeOpens.length).toBeGreaterThan(0);
    for (const [, flags] of nodeOpens) expect(flags & fs.constants.O_NOFOLLOW).toBe(fs.constants.O_NOFOLLOW);
  });
});
