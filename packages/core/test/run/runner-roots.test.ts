import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createContainer } from '../../src/container';
import type { SecretSink } from '../../src/contract';
import { declaredRoots } from '../../src/files/roots';
import { Runner, type RunOptions } from '../../src/run/runner';
import { realFileSystem } from '../../src/fs';
import { CANARY, captureLogger, loaded, sink, testdir, type Fixture } from '../helpers';

/** A ComfyUI tree and a home directory, each in a temp dir, and a runner over them. */
function setup(options: { files?: Fixture; homeFiles?: Fixture; env?: Record<string, string>; sinks: SecretSink[] }) {
  const comfyuiDir = testdir(options.files ?? { 'custom_nodes/': '' });
  const home = testdir(options.homeFiles ?? {});
  const capture = captureLogger({ level: 'debug' });
  const env = { HOME: home, ...options.env };
  const container = createContainer({ env, cwd: comfyuiDir, sinks: loaded(...options.sinks), logger: capture.logger, redactor: capture.redactor });
  const runner = container.resolve(Runner);
  return {
    comfyuiDir,
    home,
    lines: capture.lines,
    run: (extra: Partial<RunOptions> = {}) => runner.run({ comfyuiDir, roots: declaredRoots(env, realFileSystem, undefined), ...extra }),
  };
}

const homeSink = (overrides: Partial<SecretSink> = {}) =>
  sink({ name: 'tool', nodes: [], relativeTo: 'home', file: '.config/tool/config.ini', format: { type: 'ini', section: 'DEFAULT' }, variables: { token: { from: ['HF_TOKEN'] } }, ...overrides });

describe('roots outside the ComfyUI tree', () => {
  it('writes below the home, creating missing directories, and reports the absolute path', () => {
    const { run, home } = setup({ env: { HF_TOKEN: CANARY }, sinks: [homeSink()] });
    const report = run();
    const file = path.join(home, '.config/tool/config.ini');
    expect(report.sinks[0]).toMatchObject({ status: 'written', files: [{ path: file, status: 'written' }] });
    expect(fs.readFileSync(file, 'utf8')).toBe(`[DEFAULT]\ntoken = ${CANARY}\n`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('a sink with no nodes is skipped while none of its variables is set, before anything is looked at', () => {
    const { run, home } = setup({ sinks: [homeSink()] });
    expect(run().sinks[0]).toMatchObject({ status: 'skipped', reason: expect.stringContaining('none of its variables is set') });
    expect(fs.readdirSync(home)).toEqual([]);
  });

  it('refuses a symbolic link on the way below the home', () => {
    const elsewhere = testdir({});
    const { run } = setup({ homeFiles: { '.config': { symlink: elsewhere } }, env: { HF_TOKEN: CANARY }, sinks: [homeSink()] });
    const report = run();
    expect(report.sinks[0]).toMatchObject({ status: 'failed', errors: [{ code: 'UNSAFE_PATH' }] });
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  it('refuses a path that leaves its root', () => {
    const { run } = setup({ env: { HF_TOKEN: CANARY }, sinks: [homeSink({ relativeTo: 'xdg-config', file: '../../escape.ini' })] });
    expect(run().sinks[0]).toMatchObject({ status: 'failed', errors: [{ code: 'UNSAFE_PATH', message: expect.stringContaining('leaves') }] });
  });

  it('takes $XDG_CONFIG_HOME as its own base, and refuses it when it is a link', () => {
    const config = testdir({});
    const { run } = setup({ env: { HF_TOKEN: CANARY, XDG_CONFIG_HOME: config }, sinks: [homeSink({ relativeTo: 'xdg-config', file: 'tool/config.ini' })] });
    expect(run().sinks[0]).toMatchObject({ status: 'written', files: [{ path: path.join(config, 'tool/config.ini') }] });

    const link = path.join(testdir({}), 'link');
    fs.symlinkSync(config, link);
    const linked = setup({ env: { HF_TOKEN: CANARY, XDG_CONFIG_HOME: link }, sinks: [homeSink({ relativeTo: 'xdg-config', file: 'tool/config.ini' })] });
    expect(linked.run().sinks[0]).toMatchObject({ status: 'failed', errors: [{ code: 'UNSAFE_PATH', message: expect.stringContaining('$XDG_CONFIG_HOME') }] });
  });

  it('skips a program sink whose present path is missing, or below an unknown root', () => {
    const present = homeSink({ present: { path: '.config/tool', relativeTo: 'home' } });
    expect(setup({ env: { HF_TOKEN: CANARY }, sinks: [present] }).run().sinks[0]).toMatchObject({ status: 'skipped', reason: expect.stringContaining('not set up here') });
    expect(setup({ homeFiles: { '.config/tool/': '' }, env: { HF_TOKEN: CANARY }, sinks: [present] }).run().sinks[0]?.status).toBe('written');
    const comfyuiDir = testdir({ 'custom_nodes/': '' });
    const capture = captureLogger({ level: 'debug' });
    const runner = createContainer({ env: { HF_TOKEN: CANARY }, cwd: comfyuiDir, sinks: loaded(present), logger: capture.logger, redactor: capture.redactor }).resolve(Runner);
    expect(runner.run({ comfyuiDir, roots: declaredRoots({}, realFileSystem, undefined) }).sinks[0]).toMatchObject({ status: 'skipped', reason: expect.stringContaining('$HOME is not set') });
  });

  it('fails naming the root when no home is known', () => {
    const comfyuiDir = testdir({ 'custom_nodes/': '' });
    const capture = captureLogger({ level: 'debug' });
    const runner = createContainer({ env: { HF_TOKEN: CANARY }, cwd: comfyuiDir, sinks: loaded(homeSink()), logger: capture.logger, redactor: capture.redactor }).resolve(Runner);
    const report = runner.run({ comfyuiDir, roots: declaredRoots({}, realFileSystem, undefined) });
    expect(report.sinks[0]).toMatchObject({ status: 'failed', errors: [{ code: 'ROOT_UNKNOWN', message: expect.stringContaining('$HOME is not set') }] });
  });

  it('with --owner, the home is that uid\'s /etc/passwd entry, not $HOME', () => {
    const passwd = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((line) => line.split(':')[2] === '0');
    const rootHome = passwd?.split(':')[5];
    const roots = declaredRoots({ HOME: '/nonexistent-home' }, realFileSystem, { uid: 0 });
    expect(roots.roots.home?.dir).toBe(rootHome);
    expect(declaredRoots({ HOME: '/h' }, realFileSystem, { uid: 2_000_000_123 }).missing).toContain('has no home directory in /etc/passwd');
  });

  it("resolves huggingface_hub's token file as it does", () => {
    expect(declaredRoots({ HOME: '/h' }, realFileSystem, undefined).roots['hf-token']).toEqual({ base: '/h', dir: '/h/.cache/huggingface', source: '~/.cache/huggingface' });
    expect(declaredRoots({ HOME: '/h', XDG_CACHE_HOME: '/c' }, realFileSystem, undefined).roots['hf-token']?.dir).toBe('/c/huggingface');
    expect(declaredRoots({ HOME: '/h', HF_HOME: '~/hf' }, realFileSystem, undefined).roots['hf-token']).toEqual({ base: '/h', dir: '/h/hf', source: '$HF_HOME' });
    expect(declaredRoots({ HOME: '/h', HF_HOME: '/data/hf' }, realFileSystem, undefined).roots['hf-token']).toEqual({ base: '/data/hf', dir: '/data/hf', source: '$HF_HOME' });
    const byPath = declaredRoots({ HOME: '/h', HF_HOME: '/x', HF_TOKEN_PATH: '/s/my-token' }, realFileSystem, undefined);
    expect(byPath.roots['hf-token']).toEqual({ base: '/s', dir: '/s', source: '$HF_TOKEN_PATH' });
    expect(byPath.hfTokenName).toBe('my-token');
    expect(declaredRoots({ HOME: '/h', HF_HOME: '$OTHER/hf' }, realFileSystem, undefined).missing).toContain('holds a $');
  });
});

describe('seed', () => {
  const seeded = sink({
    name: 'seeded',
    nodes: ['n'],
    file: () => ({ path: 'config.ini', seed: 'custom_nodes/n/config.ini.example' }),
    format: { type: 'ini', section: 'API_KEYS' },
    variables: { openai_api_key: { from: ['OPENAI_API_KEY'] } },
  });

  it('merges into the template while the target does not exist, and into the target once it does', () => {
    const example = '[API_KEYS]\nopenai_api_key = sk-XXXXX\n\n[deepseek-chat]\nbase_url = https://example.invalid/v1/\n';
    const { run, comfyuiDir } = setup({ files: { 'custom_nodes/n/config.ini.example': example }, env: { OPENAI_API_KEY: CANARY }, sinks: [seeded] });
    expect(run().sinks[0]?.status).toBe('written');
    const written = fs.readFileSync(path.join(comfyuiDir, 'custom_nodes/n/config.ini'), 'utf8');
    expect(written).toBe(example.replace('sk-XXXXX', CANARY));
    expect(fs.readFileSync(path.join(comfyuiDir, 'custom_nodes/n/config.ini.example'), 'utf8')).toBe(example);
  });
});

describe('files tracked by the node\'s git checkout', () => {
  const tracked = sink({ name: 'tracked', nodes: ['n'], file: 'config.json', format: { type: 'json', merge: true }, variables: { KEY: {} } });

  function gitTree(committed: Record<string, string>): string {
    const comfyuiDir = testdir(Object.fromEntries(Object.entries(committed).map(([name, text]) => [`custom_nodes/n/${name}`, text])));
    const node = path.join(comfyuiDir, 'custom_nodes/n');
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args], { cwd: node, env: { PATH: '/usr/bin:/bin', HOME: os.tmpdir(), GIT_CONFIG_NOSYSTEM: '1' } });
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'fixture');
    return comfyuiDir;
  }

  function runIn(comfyuiDir: string) {
    const capture = captureLogger({ level: 'debug' });
    const runner = createContainer({ env: { KEY: CANARY }, cwd: comfyuiDir, sinks: loaded(tracked), logger: capture.logger, redactor: capture.redactor }).resolve(Runner);
    return { report: runner.run({ comfyuiDir }), lines: capture.lines };
  }

  it('warns, naming the file, when the target is committed in the node', async () => {
    const { report, lines } = runIn(gitTree({ 'config.json': '{"KEY": "your key"}\n', 'other.py': '' }));
    expect(report.sinks[0]?.files[0]).toMatchObject({ path: 'custom_nodes/n/config.json', tracked: true });
    const warnings = (await lines()).filter((line) => line.includes('warn'));
    expect(warnings).toEqual([expect.stringContaining("custom_nodes/n/config.json is tracked by the node's git checkout")]);
  });

  it('says nothing for a file the checkout does not track, or a node without .git', async () => {
    const untracked = runIn(gitTree({ 'other.py': '', 'config.jsonx': '' }));
    expect(untracked.report.sinks[0]?.files[0]?.tracked).toBeUndefined();
    expect((await untracked.lines()).filter((line) => line.includes('tracked by'))).toEqual([]);
    const plain = runIn(testdir({ 'custom_nodes/n/': '' }));
    expect(plain.report.sinks[0]?.files[0]?.tracked).toBeUndefined();
  });
});
