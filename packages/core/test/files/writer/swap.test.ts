import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanRecorded } from '../../../src/state/clean';
import { SinkError } from '../../../src/errors';
import { realFileSystem, type FileSystem } from '../../../src/fs';
import { writeTarget } from '../../../src/state/lifecycle';
import { RunState } from '../../../src/state/state';
import { MemoryStore } from '../../../src/files/store';
import { readTarget, writeFileSafely } from '../../../src/files/writer';
import { captureLogger, sink, testdir } from '../../helpers';
import { isTempFile } from '../../../../../test/helpers/temp-files';
import { makeTree, request, type Tree } from './helpers';

/**
 * The node directory is swapped for a link to a directory outside the tree at the worst moment of each
 * operation (injected through the FileSystem seam, just before the call), as a hostile owner of the
 * node directory can do with renameat2(RENAME_EXCHANGE) at any time. Whatever the operation, nothing
 * outside the tree is read, created, changed or removed: the operation acts in the directory it had
 * opened (now at `moved`), or is refused.
 */

const SENTINEL = 'ROOT_ONLY=hf_FAKE_sentinel_outside_the_tree\n';
const uid = process.getuid!();

let tree: Tree;
let moved: string;
let outsideBefore: Map<string, string>;
beforeEach(() => {
  tree = makeTree();
  moved = `${tree.nodeDir}.moved`;
  fs.writeFileSync(path.join(tree.outside, '.env'), SENTINEL, { mode: 0o644 });
  fs.writeFileSync(path.join(tree.outside, 'config.ini'), SENTINEL, { mode: 0o600 });
  outsideBefore = snapshot(tree.outside);
});
afterEach(() => tree.cleanup());

/** Every entry below `dir` with its type, mode, owner and content: what must not change. */
function snapshot(dir: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const file = path.join(dir, name);
    const stat = fs.lstatSync(file);
    const content = stat.isFile() ? fs.readFileSync(file, 'utf8') : stat.isSymbolicLink() ? `-> ${fs.readlinkSync(file)}` : 'dir';
    entries.set(name, `${stat.mode.toString(8)} ${stat.uid}:${stat.gid} ${content}`);
  }
  return entries;
}

/** The swap: the node directory moves aside, a link to `outside` takes its place. */
function swap(): void {
  fs.renameSync(tree.nodeDir, moved);
  fs.symlinkSync(tree.outside, tree.nodeDir);
}

/** The real file system, except that the first call of `method` that `when` picks swaps first. */
function swapBefore(method: keyof FileSystem, when: (args: unknown[]) => boolean): FileSystem & { swapped: () => boolean } {
  let done = false;
  const real = realFileSystem[method] as (...args: unknown[]) => unknown;
  return {
    ...realFileSystem,
    [method]: (...args: unknown[]) => {
      if (!done && when(args)) {
        done = true;
        swap();
      }
      return real(...args);
    },
    swapped: () => done,
  } as FileSystem & { swapped: () => boolean };
}

const named = (name: string) => (args: unknown[]) => typeof args[0] === 'string' && path.basename(args[0]) === name;
const flagsOf = (args: unknown[]) => (typeof args[1] === 'number' ? args[1] : 0);

/** The operation either finished in the directory it had opened or was refused with a SinkError; nothing else. */
function attempt(run: () => void): SinkError | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof SinkError) return error;
    throw error;
  }
}

function expectOutsideUntouched(): void {
  expect(snapshot(tree.outside)).toEqual(outsideBefore);
}

test('open: reading the file to merge into reads the file of the directory it opened, not the one outside', () => {
  fs.writeFileSync(path.join(tree.nodeDir, '.env'), 'IN_TREE=1\n');
  const racing = swapBefore('openSync', (args) => named('.env')(args) && (flagsOf(args) & fs.constants.O_CREAT) === 0);

  let previous: string | undefined;
  const error = attempt(() => (previous = writeFileSafely(racing, request(tree, 'NEW=1\n')).previous));

  expect(racing.swapped()).toBe(true);
  expect(error).toBeUndefined();
  expect(previous).toBe('IN_TREE=1\n');
  expect(fs.readFileSync(path.join(moved, '.env'), 'utf8')).toBe('NEW=1\n');
  expectOutsideUntouched();
});

test('open: readTarget (what a merging format and a file() function read) never reads outside', () => {
  fs.writeFileSync(path.join(tree.nodeDir, 'config.ini'), '[default]\nin_tree = 1\n');
  const racing = swapBefore('openSync', named('config.ini'));

  expect(readTarget(racing, { ...request(tree), path: 'config.ini' })).toBe('[default]\nin_tree = 1\n');
  expect(racing.swapped()).toBe(true);
});

test("open: the state's backup of a file about to be replaced is a copy of the tree's file", () => {
  const stateDir = testdir();
  const target = path.join(tree.nodeDir, '.env');
  fs.writeFileSync(target, 'BAKED_IN=1\n');
  const found = fs.lstatSync(target);
  const racing = swapBefore('openSync', (args) => named('.env')(args) && (flagsOf(args) & fs.constants.O_CREAT) === 0);
  const state = RunState.open(racing, stateDir, uid);

  state.keepPrevious(target, found, { merged: false, file: 'custom_nodes/node/.env', comfyuiDir: tree.comfyuiDir });
  state.record({ path: target, file: 'custom_nodes/node/.env', comfyuiDir: tree.comfyuiDir, sink: 's', sha256: 'x', mode: '0600', store: 'disk', writtenAt: new Date(0).toISOString() });
  state.commit();

  expect(racing.swapped()).toBe(true);
  const backups = fs.readdirSync(path.join(stateDir, 'backups'));
  expect(backups.map((name) => fs.readFileSync(path.join(stateDir, 'backups', name), 'utf8'))).toEqual(['BAKED_IN=1\n']);
});

test('create: the temp file is created in the directory that was opened', () => {
  const racing = swapBefore('openSync', (args) => typeof args[0] === 'string' && isTempFile(args[0]));

  expect(attempt(() => writeFileSafely(racing, request(tree, 'NEW=1\n')))).toBeUndefined();

  expect(racing.swapped()).toBe(true);
  expect(fs.readFileSync(path.join(moved, '.env'), 'utf8')).toBe('NEW=1\n');
  expectOutsideUntouched();
});

test('create: a missing directory is created in the directory that was opened', () => {
  const racing = swapBefore('mkdirSync', () => true);

  expect(attempt(() => writeFileSafely(racing, { ...request(tree, 'NEW=1\n'), path: 'config/.env' }))).toBeUndefined();

  expect(racing.swapped()).toBe(true);
  expect(fs.readFileSync(path.join(moved, 'config', '.env'), 'utf8')).toBe('NEW=1\n');
  expectOutsideUntouched();
});

test('rename: the temp file is renamed over the target in the directory that was opened', () => {
  fs.writeFileSync(path.join(tree.nodeDir, '.env'), 'OLD=1\n');
  const racing = swapBefore('renameSync', () => true);

  expect(attempt(() => writeFileSafely(racing, request(tree, 'NEW=1\n')))).toBeUndefined();

  expect(racing.swapped()).toBe(true);
  expect(fs.readFileSync(path.join(moved, '.env'), 'utf8')).toBe('NEW=1\n');
  expect(fs.readdirSync(moved)).toEqual(['.env']);
  expectOutsideUntouched();
});

test("unlink: the stale-temp sweep removes the killed run's temp file in the directory that was opened", () => {
  // A pid above pid_max: never alive.
  const stale = `..env.${Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 1}.abcdef.comfy-secrets.tmp`;
  fs.writeFileSync(path.join(tree.nodeDir, stale), 'STALE=1\n');
  fs.writeFileSync(path.join(tree.outside, stale), SENTINEL);
  outsideBefore = snapshot(tree.outside);
  const racing = swapBefore('unlinkSync', named(stale));

  expect(attempt(() => writeFileSafely(racing, request(tree, 'NEW=1\n')))).toBeUndefined();

  expect(racing.swapped()).toBe(true);
  expect(fs.readdirSync(moved)).toEqual(['.env']);
  expectOutsideUntouched();
});

test('unlink: clean removes the file it wrote in the directory it opened, not the same-named file outside', () => {
  const stateDir = testdir();
  const target = path.join(tree.nodeDir, '.env');
  const state = RunState.open(realFileSystem, stateDir, uid);
  writeTarget(realFileSystem, captureLogger().logger, { state }, { sink: sink({ name: 'node' }), carriesSecret: true, linkPath: target, file: 'custom_nodes/node/.env', request: { ...request(tree, SENTINEL), mode: 0o644 } });
  state.commit();
  const racing = swapBefore('unlinkSync', named('.env'));

  const report = cleanRecorded(racing, RunState.open(racing, stateDir, uid));

  expect(racing.swapped()).toBe(true);
  expect(report.counts.removed).toBe(1);
  expect(fs.readdirSync(moved)).toEqual([]);
  expectOutsideUntouched();
});

test("unlink and rename: clean's restore of a previous file puts it back in the directory it opened", () => {
  const stateDir = testdir();
  const target = path.join(tree.nodeDir, '.env');
  fs.writeFileSync(target, 'BAKED_IN=1\n');
  const state = RunState.open(realFileSystem, stateDir, uid);
  writeTarget(realFileSystem, captureLogger().logger, { state }, { sink: sink({ name: 'node' }), carriesSecret: true, linkPath: target, file: 'custom_nodes/node/.env', request: request(tree, 'NEW=1\n') });
  state.commit();
  const racing = swapBefore('openSync', (args) => typeof args[0] === 'string' && isTempFile(args[0]));

  const report = cleanRecorded(racing, RunState.open(racing, stateDir, uid));

  expect(racing.swapped()).toBe(true);
  expect(report.counts.restored).toBe(1);
  expect(fs.readFileSync(path.join(moved, '.env'), 'utf8')).toBe('BAKED_IN=1\n');
  expectOutsideUntouched();
});

describe('chmod and chown of a file whose content is already right', () => {
  beforeEach(() => {
    fs.writeFileSync(path.join(tree.nodeDir, '.env'), SENTINEL, { mode: 0o644 });
    fs.writeFileSync(path.join(tree.outside, '.env'), SENTINEL, { mode: 0o644 });
    outsideBefore = snapshot(tree.outside);
  });
  // The first open reads the file; the second is the one whose descriptor gets fchmod/fchown.
  const secondOpenOfEnv = () => {
    let opens = 0;
    return swapBefore('openSync', (args) => named('.env')(args) && ++opens === 2);
  };

  test('chmod: the mode is set on the file that was read, in the directory that was opened', () => {
    const racing = secondOpenOfEnv();

    expect(attempt(() => writeFileSafely(racing, { ...request(tree, SENTINEL), mode: 0o600 }))).toBeUndefined();

    expect(racing.swapped()).toBe(true);
    expect(fs.statSync(path.join(moved, '.env')).mode & 0o777).toBe(0o600);
    expectOutsideUntouched();
  });

  const asRoot = uid === 0 ? test : test.skip;
  asRoot('chown: the owner is set on the file that was read, in the directory that was opened', () => {
    const racing = secondOpenOfEnv();

    expect(attempt(() => writeFileSafely(racing, { ...request(tree, SENTINEL), mode: 0o644, owner: { uid: 1234, gid: 1234 } }))).toBeUndefined();

    expect(racing.swapped()).toBe(true);
    expect(fs.statSync(path.join(moved, '.env')).uid).toBe(1234);
    expectOutsideUntouched();
  });
});

test("symlink: the memory store's link is made in the directory that was opened", () => {
  const storeDir = fs.mkdtempSync('/dev/shm/comfy-secrets-swap-test-');
  try {
    const racing = swapBefore('symlinkSync', () => true);
    const store = new MemoryStore(racing, path.join(storeDir, 'store'), uid);
    const target = path.join(tree.nodeDir, '.env');

    expect(attempt(() => store.write({ target, comfyuiDir: tree.comfyuiDir, root: tree.nodeDir, content: 'NEW=1\n', mode: 0o600 }))).toBeUndefined();

    expect(racing.swapped()).toBe(true);
    expect(fs.readlinkSync(path.join(moved, '.env'))).toBe(store.fileFor(target));
    expectOutsideUntouched();
  } finally {
    fs.rmSync(storeDir, { recursive: true, force: true });
  }
});

test('a swap before the walk reaches the node directory is refused: the link is not followed', () => {
  swap();

  const error = attempt(() => writeFileSafely(realFileSystem, request(tree, 'NEW=1\n')));

  expect(error?.code).toBe('UNSAFE_PATH');
  expect(error?.message).toContain('custom_nodes/node is a symbolic link');
  expectOutsideUntouched();
});

test('a link of ours replaced by a plain file while it is read (readlink EINVAL) fails the sink with exit 1, not an internal error', () => {
  const storeDir = path.join(tree.outside, 'store');
  fs.mkdirSync(storeDir);
  const link = path.join(tree.nodeDir, '.env');
  fs.symlinkSync(path.join(storeDir, 'x-.env'), link);
  const racing: FileSystem = {
    ...realFileSystem,
    readlinkSync: ((file: string) => {
      fs.unlinkSync(link);
      fs.writeFileSync(link, 'PLAIN=1\n');
      return realFileSystem.readlinkSync(file);
    }) as FileSystem['readlinkSync'],
  };

  const error = attempt(() => writeFileSafely(racing, { ...request(tree, 'NEW=1\n'), allowedLinkDir: storeDir }));

  expect(error?.code).toBe('TARGET_CHANGED');
  expect(error?.exitCode).toBe(1);
  expect(fs.readFileSync(link, 'utf8')).toBe('PLAIN=1\n');
});

test('without a usable /proc/self/fd nothing is written: it fails closed, naming /proc', () => {
  const noProc: FileSystem = {
    ...realFileSystem,
    statSync: ((file: string, options?: fs.StatSyncOptions) => {
      if (String(file).startsWith('/proc/')) throw Object.assign(new Error('ENOENT: no /proc'), { code: 'ENOENT' });
      return realFileSystem.statSync(file, options);
    }) as FileSystem['statSync'],
  };

  const error = attempt(() => writeFileSafely(noProc, request(tree, 'NEW=1\n')));

  expect(error?.code).toBe('PROC_UNAVAILABLE');
  expect(error?.message).toContain('/proc');
  expect(fs.readdirSync(tree.nodeDir)).toEqual([]);
});
