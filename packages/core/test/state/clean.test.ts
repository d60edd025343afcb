import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanRecorded } from '../../src/state/clean';
import { realFileSystem, type FileSystem } from '../../src/fs';
import { writeTarget } from '../../src/state/lifecycle';
import { RunState } from '../../src/state/state';
import { Store } from '../../src/files/store';
import { writeFileSafely } from '../../src/files/writer';
import { captureLogger, sink, testdir } from '../helpers';

const uid = process.getuid!();

let storeRoot: string;
beforeEach(() => {
  storeRoot = fs.mkdtempSync('/dev/shm/comfy-secrets-clean-test-');
});
afterEach(() => fs.rmSync(storeRoot, { recursive: true, force: true }));

/** One run that wrote `custom_nodes/node_a/.env` into the memory store and committed its state. */
function writtenToMemory() {
  const comfyuiDir = testdir({ 'custom_nodes/node_a/': '' });
  const stateDir = testdir();
  const storeDir = path.join(storeRoot, 'store');
  const logger = captureLogger().logger;
  const state = RunState.open(realFileSystem, stateDir, uid);
  const store = Store.open(realFileSystem, logger, { mode: 'memory', dir: storeDir, uid });
  const root = path.join(comfyuiDir, 'custom_nodes', 'node_a');
  writeTarget(realFileSystem, logger, { state, store }, {
    sink: sink({ name: 'node_a', variables: { A_TOKEN: {} } }),
    carriesSecret: true,
    linkPath: path.join(root, '.env'),
    file: 'custom_nodes/node_a/.env',
    request: { root, comfyuiDir, path: '.env', content: 'A_TOKEN=fake-a-token\n' },
  });
  state.commit();
  return { comfyuiDir, stateDir, storeDir, target: path.join(root, '.env'), storedAt: store.memory!.fileFor(path.join(root, '.env')) };
}

describe('the memory store directory', () => {
  test('is removed, once empty, before clean lets the next run in', () => {
    const { stateDir, storeDir } = writtenToMemory();
    const lock = path.join(stateDir, 'state.lock');
    const storeAtRelease: boolean[] = [];
    const watching: FileSystem = {
      ...realFileSystem,
      unlinkSync: (file) => {
        if (file === lock) storeAtRelease.push(fs.existsSync(storeDir));
        realFileSystem.unlinkSync(file);
      },
    };

    const report = cleanRecorded(watching, RunState.open(watching, stateDir, uid));

    expect(report.counts.removed).toBe(1);
    expect(storeAtRelease).toEqual([false]);
  });

  test('is kept, with what it holds, when a file appears in it while clean runs', () => {
    const { stateDir, storeDir, storedAt } = writtenToMemory();
    const newcomer = path.join(storeDir, 'another-run.env');
    // Another run (with its own state directory) writes into the store right after clean removed ours.
    const racing: FileSystem = {
      ...realFileSystem,
      unlinkSync: (file) => {
        realFileSystem.unlinkSync(file);
        // Through the store's open directory: /proc/self/fd/<fd>/<name>.
        if (path.basename(String(file)) === path.basename(storedAt)) fs.writeFileSync(newcomer, 'B_TOKEN=fake-b-token\n', { mode: 0o600 });
      },
    };

    cleanRecorded(racing, RunState.open(racing, stateDir, uid));

    expect(fs.readFileSync(newcomer, 'utf8')).toBe('B_TOKEN=fake-b-token\n');
  });
});

test("a restore's temp file that clean could not remove is swept by the next write there", () => {
  const comfyuiDir = testdir({ 'custom_nodes/node_a/.env': 'A_TOKEN=fake-baked-in\n' });
  const stateDir = testdir();
  const root = path.join(comfyuiDir, 'custom_nodes', 'node_a');
  const target = path.join(root, '.env');
  const request = { root, comfyuiDir, path: '.env', content: 'A_TOKEN=fake-a-token\n' };
  const state = RunState.open(realFileSystem, stateDir, uid);
  writeTarget(realFileSystem, captureLogger().logger, { state }, { sink: sink({ name: 'node_a' }), carriesSecret: true, linkPath: target, file: 'custom_nodes/node_a/.env', request });
  state.commit();
  // As a clean killed between writing the restored file and renaming it leaves it. Clean acts
  // through the node directory's descriptor (/proc/self/fd/<fd>/<name>); the state directory by path.
  const inNode = (file: unknown) => String(file).startsWith('/proc/self/fd/');
  const interrupted: FileSystem = {
    ...realFileSystem,
    renameSync: (from, to) => {
      if (inNode(to) && path.basename(String(to)) === '.env') throw Object.assign(new Error('interrupted'), { code: 'EIO' });
      realFileSystem.renameSync(from, to);
    },
    unlinkSync: (file) => {
      if (inNode(file)) throw Object.assign(new Error('interrupted'), { code: 'EIO' });
      realFileSystem.unlinkSync(file);
    },
  };
  expect(cleanRecorded(interrupted, RunState.open(interrupted, stateDir, uid)).counts.kept).toBe(1);
  expect(fs.readdirSync(root)).toHaveLength(2);

  writeFileSafely(realFileSystem, { ...request, content: 'A_TOKEN=fake-a-token-2\n' });

  expect(fs.readdirSync(root)).toEqual(['.env']);
});

test('a record whose whole ComfyUI tree is gone is forgotten as gone, not kept', () => {
  const comfyuiDir = testdir({ 'custom_nodes/node_a/': '' });
  const stateDir = testdir();
  const root = path.join(comfyuiDir, 'custom_nodes', 'node_a');
  const state = RunState.open(realFileSystem, stateDir, uid);
  writeTarget(realFileSystem, captureLogger().logger, { state }, { sink: sink({ name: 'node_a' }), carriesSecret: true, linkPath: path.join(root, '.env'), file: 'custom_nodes/node_a/.env', request: { root, comfyuiDir, path: '.env', content: 'A_TOKEN=fake-a-token\n' } });
  state.commit();
  fs.rmSync(comfyuiDir, { recursive: true });

  const report = cleanRecorded(realFileSystem, RunState.open(realFileSystem, stateDir, uid));

  expect(report.counts).toEqual({ removed: 0, restored: 0, gone: 1, kept: 0 });
});
