import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkSinks, createContainer, realFileSystem, Runner, type FileSystem, type Logger, type SecretSink } from '@comfy-secrets/core';
import { tempTree } from '../helpers/cli';
import { main } from '../../packages/cli/src/main';
import { cliEnv, runReliabilityCli, writePlugin } from '../helpers/reliability';
import { isTempFile, tempDebris, walk } from '../helpers/temp-files';

/**
 * Bad inputs: each one gets its message and exit code; a sink-level problem leaves the other sinks
 * written, and no problem touches a file that was there before (or anything outside the tree).
 */
const GOOD_SINK = `{ name: 'good', nodes: ['good_node'], variables: { GOOD_TOKEN: {} } }`;
const GOOD_VALUE = 'hf_FAKE_good_value_for_bad_inputs';
const PREVIOUS = 'BAD_TOKEN=previous-FAKE\n';

let tree: ReturnType<typeof tempTree>;
let comfyuiDir: string;
let outside: string;
beforeEach(() => {
  tree = tempTree({
    'ComfyUI/custom_nodes/good_node/__init__.py': '',
    'ComfyUI/custom_nodes/bad_node/.env': PREVIOUS,
    'outside/secret.txt': 'outside-untouched\n',
  });
  comfyuiDir = path.join(tree.dir, 'ComfyUI');
  outside = path.join(tree.dir, 'outside');
});
afterEach(() => tree.cleanup());

function run(badSink: string | undefined, env: Record<string, string>, extraArgs: string[] = [], command = 'run') {
  const plugin = writePlugin(tree.dir, 'sinks', `[${[GOOD_SINK, badSink].filter(Boolean).join(', ')}]`);
  const where = { COMFY_SECRETS_STATE_DIR: path.join(tree.dir, 'state'), COMFY_SECRETS_STORE_DIR: path.join(tree.dir, 'no-store') };
  return runReliabilityCli([command, '--store', 'disk', '--comfyui-dir', comfyuiDir, '--plugin', plugin, '--project', tree.dir, ...extraArgs], cliEnv({ ...where, GOOD_TOKEN: GOOD_VALUE, ...env }));
}

const goodFile = () => path.join(comfyuiDir, 'custom_nodes/good_node/.env');
const badFile = () => path.join(comfyuiDir, 'custom_nodes/bad_node/.env');

/** A sink-level failure: exit 1, the message, the good sink written, the bad sink's old file as it was. */
function expectSinkFailure(result: ReturnType<typeof run>, code: string, mentions: string[]): void {
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(code);
  for (const text of mentions) expect(result.stderr).toContain(text);
  expect(fs.readFileSync(goodFile(), 'utf8')).toContain(GOOD_VALUE);
  expect(fs.readFileSync(badFile(), 'utf8')).toBe(PREVIOUS);
  expect(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('outside-untouched\n');
  expect(walk(outside)).toEqual(['secret.txt']);
  expect(tempDebris(tree.dir)).toEqual([]);
}

/** A configuration failure: exit 2 and the message, before any file is written. */
function expectConfigFailure(result: ReturnType<typeof run>, code: string, mentions: string[]): void {
  expect(result.status).toBe(2);
  expect(result.stderr).toContain(code);
  for (const text of mentions) expect(result.stderr).toContain(text);
  expect(fs.existsSync(goodFile())).toBe(false);
  expect(fs.readFileSync(badFile(), 'utf8')).toBe(PREVIOUS);
  expect(walk(outside)).toEqual(['secret.txt']);
}

const bad = (variables: string, extra = '') => `{ name: 'bad', nodes: ['bad_node'], ${extra} variables: ${variables} }`;

describe('sink-level problems: exit 1, other sinks written, old files untouched', () => {
  test('invalid base64 in NAME_ENCODED', () => {
    expectSinkFailure(run(bad('{ BAD_TOKEN: {} }'), { BAD_TOKEN_ENCODED: 'bm90*YmFzZTY0' }), 'INVALID_BASE64', ['BAD_TOKEN_ENCODED']);
  });

  test('NAME and NAME_ENCODED disagreeing', () => {
    const result = run(bad('{ BAD_TOKEN: {} }'), { BAD_TOKEN: 'FAKE-one-value', BAD_TOKEN_ENCODED: Buffer.from('FAKE-another-value').toString('base64') });
    expectSinkFailure(result, 'CONFLICTING_SOURCES', ['BAD_TOKEN', 'BAD_TOKEN_ENCODED']);
  });

  test('a missing required variable', () => {
    expectSinkFailure(run(bad('{ BAD_TOKEN: { required: true } }'), {}), 'MISSING_REQUIRED', ['BAD_TOKEN']);
  });

  test('a value outside the allowed list', () => {
    expectSinkFailure(run(bad(`{ BAD_MODE: { secret: false, allowed: ['fast', 'safe'] } }`), { BAD_MODE: 'reckless' }), 'INVALID_VALUE', ['BAD_MODE', 'fast, safe']);
  });

  test('the target is a symlink pointing outside the tree', () => {
    fs.rmSync(badFile());
    fs.symlinkSync(path.join(outside, 'secret.txt'), badFile());
    const result = run(bad('{ BAD_TOKEN: {} }'), { BAD_TOKEN: 'FAKE-bad-token' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('UNSAFE_PATH');
    expect(result.stderr).toContain('symbolic link');
    expect(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('outside-untouched\n');
    expect(fs.readlinkSync(badFile())).toBe(path.join(outside, 'secret.txt'));
    expect(fs.readFileSync(goodFile(), 'utf8')).toContain(GOOD_VALUE);
  });

  test('the parent directory of the target is a symlink', () => {
    const result = run(bad('{ BAD_TOKEN: {} }', `file: 'conf/.env',`), { BAD_TOKEN: 'FAKE-bad-token' }, []);
    expect(result.status).toBe(0); // sanity: writable without the link
    fs.rmSync(path.join(comfyuiDir, 'custom_nodes/bad_node/conf'), { recursive: true });
    fs.symlinkSync(outside, path.join(comfyuiDir, 'custom_nodes/bad_node/conf'));
    expectSinkFailure(run(bad('{ BAD_TOKEN: {} }', `file: 'conf/.env',`), { BAD_TOKEN: 'FAKE-bad-token' }), 'UNSAFE_PATH', ['conf', 'symbolic link']);
  });

  test('a sink path with ..', () => {
    expectSinkFailure(run(bad('{ BAD_TOKEN: {} }', `file: '../good_node/.env',`), { BAD_TOKEN: 'FAKE-bad-token' }), 'UNSAFE_PATH', ['leaves']);
  });

  test('an absolute sink path', () => {
    const target = path.join(outside, 'absolute.env');
    expectSinkFailure(run(bad('{ BAD_TOKEN: {} }', `file: ${JSON.stringify(target)},`), { BAD_TOKEN: 'FAKE-bad-token' }), 'UNSAFE_PATH', ['absolute']);
  });

  test('the target is a directory', () => {
    fs.mkdirSync(path.join(comfyuiDir, 'custom_nodes/bad_node/settings.env'));
    expectSinkFailure(run(bad('{ BAD_TOKEN: {} }', `file: 'settings.env',`), { BAD_TOKEN: 'FAKE-bad-token' }), 'NOT_A_FILE', ['directory']);
  });

  test("a sink whose file() throws", () => {
    expectSinkFailure(run(bad('{ BAD_TOKEN: {} }', `file: () => { throw new Error('no config dir found'); },`), { BAD_TOKEN: 'FAKE-bad-token' }), 'PLUGIN_ERROR', ['no config dir found']);
  });
});

describe('injected file-system failures (root ignores permissions, so through the FileSystem seam)', () => {
  const quiet: Logger = { error() {}, warn() {}, info() {}, debug() {} };
  const sinks: SecretSink[] = [
    { name: 'good', nodes: ['good_node'], variables: { GOOD_TOKEN: {} } },
    { name: 'bad', nodes: ['bad_node'], variables: { BAD_TOKEN: {} } },
  ];

  /** The real file system, except that `call` fails with `code` for paths in the bad node. */
  function failing(call: 'openSync' | 'writeSync', code: string): FileSystem {
    const badDir = path.join(comfyuiDir, 'custom_nodes/bad_node');
    // The writer names a file through its open directory: /proc/self/fd/<fd>/<name>.
    const inDirectory = (file: string, dir: string) => {
      const through = /^\/proc\/self\/fd\/\d+(?=\/)/.exec(file)?.[0];
      return (through === undefined ? path.dirname(file) : fs.readlinkSync(through)) === dir;
    };
    const fds = new Set<number>();
    const error = () => Object.assign(new Error(`${code}: injected`), { code });
    return {
      ...realFileSystem,
      openSync: ((file: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
        const inBad = inDirectory(String(file), badDir) && (flags === 'wx' || isTempFile(String(file)));
        if (inBad && call === 'openSync') throw error();
        const fd = realFileSystem.openSync(file, flags ?? 'r', mode);
        if (inBad) fds.add(fd);
        return fd;
      }) as FileSystem['openSync'],
      closeSync: (fd: number) => {
        fds.delete(fd); // the number is reused by the next open
        realFileSystem.closeSync(fd);
      },
      writeSync: ((fd: number, ...rest: unknown[]) => {
        if (call === 'writeSync' && fds.has(fd)) throw error();
        return (realFileSystem.writeSync as (...args: unknown[]) => number)(fd, ...rest);
      }) as FileSystem['writeSync'],
    };
  }

  test.each([
    ['EACCES', 'openSync'],
    ['ENOSPC', 'writeSync'],
  ] as const)('%s while writing one sink: exit 1 naming it, the other sink written, the old file kept, no temp file', (code, call) => {
    const env = { GOOD_TOKEN: GOOD_VALUE, BAD_TOKEN: 'FAKE-bad-token' };
    const container = createContainer({ env, cwd: tree.dir, sinks: checkSinks(sinks), fs: failing(call, code), logger: quiet });
    const report = container.resolve(Runner).run({ comfyuiDir });

    expect(report.exitCode).toBe(1);
    const failed = report.sinks.find((sink) => sink.name === 'bad');
    expect(failed?.errors).toEqual([expect.objectContaining({ code: 'WRITE_FAILED', message: expect.stringContaining(code), file: 'custom_nodes/bad_node/.env' })]);
    expect(fs.readFileSync(goodFile(), 'utf8')).toContain(GOOD_VALUE);
    expect(fs.readFileSync(badFile(), 'utf8')).toBe(PREVIOUS);
    expect(tempDebris(tree.dir)).toEqual([]);
  });
});

describe('configuration problems: exit 2, nothing written', () => {
  // Node 20 itself checks a `--env-file` anywhere on its command line, even after the script, and
  // exits 9 ("node: FILE: not found") before comfy-secrets runs; our own error shows on Node 22+. Both
  // stop before anything is written.
  test.each([
    ['missing', () => path.join(tree.dir, 'missing.env'), 'ENOENT'],
    ['a directory', () => outside, 'EISDIR'],
  ])('an unreadable --env-file (%s)', (_what, file, errno) => {
    const result = run(undefined, {}, ['--env-file', file()]);
    if (result.status === 9) expect(result.stderr).toContain(`node: ${file()}`);
    else {
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('ENV_FILE_UNREADABLE');
      expect(result.stderr).toContain(errno);
    }
    expect(fs.existsSync(goodFile())).toBe(false);
    expect(fs.readFileSync(badFile(), 'utf8')).toBe(PREVIOUS);
  });

  test('an unreadable --env-file given as --env-file=FILE to the CLI in-process: ENV_FILE_UNREADABLE, exit 2', async () => {
    const plugin = writePlugin(tree.dir, 'sinks', `[${GOOD_SINK}]`);
    let stderr = '';
    const sink = { isTTY: false, write: (text: string) => void (stderr += text) };
    const code = await main(['run', '--store', 'disk', '--comfyui-dir', comfyuiDir, '--plugin', plugin, '--project', tree.dir, '--env-file', path.join(tree.dir, 'missing.env')], {
      env: { GOOD_TOKEN: GOOD_VALUE, COMFY_SECRETS_STATE_DIR: path.join(tree.dir, 'state') },
      cwd: tree.dir,
      stdout: sink,
      stderr: sink,
      fs: realFileSystem,
      cliDir: tree.dir,
    });
    expect(code).toBe(2);
    expect(stderr).toContain('ENV_FILE_UNREADABLE');
    expect(stderr).toContain('missing.env');
    expect(fs.existsSync(goodFile())).toBe(false);
  });

  test('a plugin that throws while loading', () => {
    fs.writeFileSync(path.join(tree.dir, 'throws.js'), "throw new Error('plugin exploded on load');\n");
    expectConfigFailure(run(undefined, {}, ['--plugin', path.join(tree.dir, 'throws.js')]), 'PLUGIN_LOAD_FAILED', ['throws.js', 'failed to load', 'plugin exploded on load']);
  });

  test('a plugin that exports the wrong shape', () => {
    fs.writeFileSync(path.join(tree.dir, 'shape.js'), "module.exports = { name: 5, nodes: 'x' };\n");
    expectConfigFailure(run(undefined, {}, ['--plugin', path.join(tree.dir, 'shape.js')]), 'PLUGIN_INVALID', ['shape.js', "'name'", "'nodes'"]);
  });

  test('a plugin whose module fails to load (syntax error)', () => {
    fs.writeFileSync(path.join(tree.dir, 'syntax.js'), 'module.exports = {{;\n');
    expectConfigFailure(run(undefined, {}, ['--plugin', path.join(tree.dir, 'syntax.js')]), 'PLUGIN_LOAD_FAILED', ['syntax.js', 'failed to load']);
  });

  test('a plugin path that does not exist', () => {
    expectConfigFailure(run(undefined, {}, ['--plugin', path.join(tree.dir, 'nowhere')]), 'PLUGIN_NOT_FOUND', ['nowhere', 'does not exist']);
  });

  test('a dependency cycle', () => {
    const cycle = `{ name: 'a', nodes: ['good_node'], file: 'a.env', dependencies: ['b'], variables: { GOOD_TOKEN: {} } }, { name: 'b', nodes: ['good_node'], file: 'b.env', dependencies: ['a'], variables: { GOOD_TOKEN: {} } }`;
    const result = run(cycle, {});
    expectConfigFailure(result, 'cycle', ['a', 'b']);
  });

  test('two sinks with the same name', () => {
    expectConfigFailure(run(`{ name: 'good', nodes: ['bad_node'], variables: { BAD_TOKEN: {} } }`, { BAD_TOKEN: 'FAKE-bad' }), 'DUPLICATE_SINK', ["'good'"]);
  });

  test('an unknown flag', () => {
    expectConfigFailure(run(undefined, {}, ['--no-such-flag']), 'unknown option', ['--no-such-flag']);
  });

  test('a malformed config_nodes.json names the file, never a value', () => {
    const file = path.join(tree.dir, 'config_nodes.json');
    fs.writeFileSync(file, '{ "custom_nodes": [ { "name": "good_node", "env": { "X": "FAKE-secret-in-json", } } ] ');
    const result = run(undefined, {}, ['--config-nodes', file]);
    expectConfigFailure(result, 'config_nodes.json', []);
    expect(result.stdout + result.stderr).not.toContain('FAKE-secret-in-json');
  });

  test('a config_nodes.json entry of the wrong shape names the entry', () => {
    const file = path.join(tree.dir, 'config_nodes.json');
    fs.writeFileSync(file, JSON.stringify({ custom_nodes: [{ name: 'good_node', env: { X: 42 } }] }));
    expectConfigFailure(run(undefined, {}, ['--config-nodes', file]), 'config_nodes.json', ['custom_nodes[0]']);
  });
});
