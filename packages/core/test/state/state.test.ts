import * as fs from 'node:fs';
import * as path from 'node:path';
import { realFileSystem, type FileSystem } from '../../src/fs';
import { writeTarget } from '../../src/state/lifecycle';
import { RunState } from '../../src/state/state';
import { Store } from '../../src/files/store';
import { captureLogger, sink, testdir, thrown } from '../helpers';

const uid = process.getuid!();

/** A run's state in a fresh directory, over `fileSystem`, and a tree with one node holding a baked-in `.env`. */
function setUp(fileSystem: FileSystem = realFileSystem, store?: Store) {
  const comfyuiDir = testdir({ 'custom_nodes/node_a/.env': 'A_TOKEN=fake-baked-in\n' });
  const stateDir = testdir();
  const state = RunState.open(fileSystem, stateDir, uid);
  const root = path.join(comfyuiDir, 'custom_nodes', 'node_a');
  const write = (strict = false) =>
    writeTarget(fileSystem, captureLogger().logger, { state, store }, {
      sink: sink({ name: 'node_a', variables: { A_TOKEN: {} } }),
      carriesSecret: true,
      linkPath: path.join(root, '.env'),
      file: 'custom_nodes/node_a/.env',
      strict,
      request: { root, comfyuiDir, path: '.env', content: 'A_TOKEN=fake-new\n' },
    });
  const backups = () => (fs.existsSync(path.join(stateDir, 'backups')) ? fs.readdirSync(path.join(stateDir, 'backups')) : []);
  return { comfyuiDir, stateDir, state, write, backups };
}

describe('the copy of a file that was there before', () => {
  test('is not made when --strict refuses the file', () => {
    const { state, write, backups } = setUp();

    expect(thrown(() => write(true)).code).toBe('PREEXISTING_TARGET');
    state.commit();

    expect(backups()).toEqual([]);
  });

  test('is removed when the write that needed it failed, so nothing unrecorded is left', () => {
    const failingRename: FileSystem = {
      ...realFileSystem,
      renameSync: (from, to) => {
        if (String(to).endsWith(`${path.sep}.env`)) throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
        realFileSystem.renameSync(from, to);
      },
    };
    const { comfyuiDir, state, write, backups } = setUp(failingRename);

    expect(thrown(() => write()).code).toBe('WRITE_FAILED');
    state.commit();

    expect(backups()).toEqual([]);
    expect(state.list()).toEqual([]);
    expect(fs.readFileSync(path.join(comfyuiDir, 'custom_nodes/node_a/.env'), 'utf8')).toBe('A_TOKEN=fake-baked-in\n');
  });

  test('is kept for clean when the write succeeded', () => {
    const { stateDir, state, write, backups } = setUp();

    write();
    state.commit();

    expect(backups()).toHaveLength(1);
    expect(state.list()[0]?.previous?.backup).toBe(path.join(stateDir, 'backups', backups()[0]!));
  });
});

describe('a file that was there before and cannot be copied safely', () => {
  test('fails its sink with READ_FAILED naming the file when it cannot be read', () => {
    const unreadable: FileSystem = {
      ...realFileSystem,
      openSync: ((file: string, flags: number, mode?: number) => {
        if (String(file).endsWith(`${path.sep}.env`) && typeof flags === 'number') throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
        return realFileSystem.openSync(file, flags, mode);
      }) as FileSystem['openSync'],
    };
    const { state, write, backups } = setUp(unreadable);

    const error = thrown(() => write());
    state.commit();

    expect([error.code, error.message, error.file]).toEqual(['READ_FAILED', 'cannot read custom_nodes/node_a/.env (EACCES)', 'custom_nodes/node_a/.env']);
    expect(backups()).toEqual([]);
  });

  test('is refused when it has other hard links, even where the memory store would only link over it', () => {
    const storeDir = fs.mkdtempSync('/dev/shm/comfy-secrets-state-test-');
    try {
      const store = Store.open(realFileSystem, captureLogger().logger, { mode: 'memory', dir: path.join(storeDir, 'store'), uid });
      const { comfyuiDir, state, write, backups } = setUp(realFileSystem, store);
      const target = path.join(comfyuiDir, 'custom_nodes/node_a/.env');
      fs.linkSync(target, path.join(comfyuiDir, 'elsewhere'));

      expect(thrown(() => write()).code).toBe('UNSAFE_PATH');
      state.commit();

      expect(backups()).toEqual([]);
      expect(fs.lstatSync(target).isFile()).toBe(true);
    } finally {
      fs.rmSync(storeDir, { recursive: true, force: true });
    }
  });
});

test.each([
  ['not JSON', '{ "version": 1, '],
  ['not a state', '{ "version": 2 }\n'],
  ['JSON null', 'null\n'],
])('a state file that is %s is refused, and the lock is released', (_what, text) => {
  const stateDir = testdir({ 'state.json': text });

  expect(thrown(() => RunState.open(realFileSystem, stateDir, uid)).code).toBe('STATE_CORRUPT');
  expect(fs.readdirSync(stateDir)).toEqual(['state.json']);
});
