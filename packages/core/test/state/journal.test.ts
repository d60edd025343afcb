import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanRecorded } from '../../src/state/clean';
import { realFileSystem, type FileSystem } from '../../src/fs';
import { writeTarget } from '../../src/state/lifecycle';
import { RunState } from '../../src/state/state';
import { Store } from '../../src/files/store';
import { captureLogger, sink, testdir } from '../helpers';

/**
 * A run "killed" before it saved its state: the RunState is dropped without `commit` (its lock holds
 * our own pid, which the next open takes over as a restarted container's would be). The next open
 * must resolve what the killed run journaled, and `clean` must then put the tree back exactly.
 */
const uid = process.getuid!();
const BAKED = 'A_TOKEN=fake-baked-in\n';
const NEW = 'A_TOKEN=hf_FAKE_journal_new_value\n';

const stores: string[] = [];
afterEach(() => {
  for (const dir of stores.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function memoryStore(): Store {
  const dir = fs.mkdtempSync('/dev/shm/comfy-secrets-journal-test-');
  stores.push(dir);
  return Store.open(realFileSystem, captureLogger().logger, { mode: 'memory', dir: path.join(dir, 'store'), uid });
}

function setUp(files: Record<string, string>) {
  const comfyuiDir = testdir(files);
  const stateDir = testdir();
  const root = path.join(comfyuiDir, 'custom_nodes', 'node_a');
  fs.mkdirSync(root, { recursive: true });
  const target = path.join(root, '.env');
  const write = (state: RunState, store: Store | undefined, content = NEW, fileSystem: FileSystem = realFileSystem) =>
    writeTarget(fileSystem, captureLogger().logger, { state, store }, {
      sink: sink({ name: 'node_a', variables: { A_TOKEN: {} } }),
      carriesSecret: true,
      linkPath: target,
      file: 'custom_nodes/node_a/.env',
      request: { root, comfyuiDir, path: '.env', content, allowedLinkDir: store?.memory?.dir },
    });
  const stateFiles = () => fs.readdirSync(stateDir, { recursive: true }).map(String).sort();
  return { comfyuiDir, stateDir, target, write, stateFiles };
}

/** Everything under `dir` as path → bytes (links as their target), for byte-identical comparisons. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir, { recursive: true }).map(String).sort()) {
    const file = path.join(dir, name);
    const stat = fs.lstatSync(file);
    if (stat.isSymbolicLink()) out[name] = `-> ${fs.readlinkSync(file)}`;
    else if (stat.isFile()) out[name] = `${(stat.mode & 0o777).toString(8)} ${fs.readFileSync(file, 'utf8')}`;
  }
  return out;
}

describe.each([
  ['disk', (): Store | undefined => undefined],
  ['memory', memoryStore],
] as const)('a run killed after its write, before its state was saved (%s store)', (_name, makeStore) => {
  test('over a baked-in file: the next open records the write with the copy, and clean restores the original', () => {
    const { comfyuiDir, stateDir, target, write, stateFiles } = setUp({ 'custom_nodes/node_a/.env': BAKED });
    const store = makeStore();
    const before = snapshot(comfyuiDir);
    write(RunState.open(realFileSystem, stateDir, uid), store); // killed: never committed

    const next = RunState.open(realFileSystem, stateDir, uid);
    expect(next.find(target)?.previous).toBeDefined();
    expect(cleanRecorded(realFileSystem, next).counts).toMatchObject({ restored: 1, kept: 0 });

    expect(snapshot(comfyuiDir)).toEqual(before);
    expect(stateFiles()).toEqual(['backups']);
  });

  test('over a baked-in file: a second run after the kill does not take the killed run\'s file for the original', () => {
    const { comfyuiDir, stateDir, write } = setUp({ 'custom_nodes/node_a/.env': BAKED });
    const store = makeStore();
    const before = snapshot(comfyuiDir);
    write(RunState.open(realFileSystem, stateDir, uid), store); // killed

    const second = RunState.open(realFileSystem, stateDir, uid);
    write(second, store, 'A_TOKEN=hf_FAKE_journal_second_value\n');
    second.commit();
    cleanRecorded(realFileSystem, RunState.open(realFileSystem, stateDir, uid));

    expect(snapshot(comfyuiDir)).toEqual(before);
  });

  test('where nothing was: clean removes the file (and its store file)', () => {
    const { comfyuiDir, stateDir, write } = setUp({});
    const store = makeStore();
    const before = snapshot(comfyuiDir);
    write(RunState.open(realFileSystem, stateDir, uid), store); // killed

    expect(cleanRecorded(realFileSystem, RunState.open(realFileSystem, stateDir, uid)).counts).toMatchObject({ removed: 1, kept: 0 });

    expect(snapshot(comfyuiDir)).toEqual(before);
    if (store?.memory) expect(fs.readdirSync(path.dirname(store.memory.dir))).toEqual([]);
  });
});

test('a run killed after its intent, before its write: the copy is removed, no record is made, the file is untouched', () => {
  const { comfyuiDir, stateDir, target, write, stateFiles } = setUp({ 'custom_nodes/node_a/.env': BAKED });
  const before = snapshot(comfyuiDir);
  // The write fails right after the intent was journaled, as a kill there would leave it.
  const killedAtRename: FileSystem = {
    ...realFileSystem,
    renameSync: () => {
      throw Object.assign(new Error('killed'), { code: 'EINTR' });
    },
  };
  const killed = RunState.open(realFileSystem, stateDir, uid);
  expect(() => write(killed, undefined, NEW, killedAtRename)).toThrow();
  expect(stateFiles()).toEqual(expect.arrayContaining(['intents.jsonl']));
  // (not committed: killed)

  const next = RunState.open(realFileSystem, stateDir, uid);
  expect(next.find(target)).toBeUndefined();
  next.commit();

  expect(snapshot(comfyuiDir)).toEqual(before);
  expect(stateFiles()).toEqual(['backups']);
});

test('a memory-store write whose link fails removes its store file: nothing unrecorded stays in /dev/shm', () => {
  const { comfyuiDir, stateDir, write } = setUp({});
  const store = memoryStore();
  const noLinks: FileSystem = {
    ...realFileSystem,
    symlinkSync: () => {
      throw Object.assign(new Error('read-only'), { code: 'EROFS' });
    },
  };
  const state = RunState.open(realFileSystem, stateDir, uid);
  const lifecycleStore = Store.open(noLinks, captureLogger().logger, { mode: 'memory', dir: store.memory!.dir, uid });

  expect(() => write(state, lifecycleStore, NEW, noLinks)).toThrow(/EROFS/);
  state.commit();

  expect(fs.readdirSync(store.memory!.dir)).toEqual([]);
  expect(state.list()).toEqual([]);
  expect(snapshot(comfyuiDir)).toEqual({});
});

test.each([
  ['a new file', {}],
  ['a baked-in file', { 'custom_nodes/node_a/.env': BAKED }],
])('a state directory that fills up (ENOSPC) after the lock is taken: the sink fails before its target (%s) is touched', (_what, files) => {
  const { comfyuiDir, stateDir, write, stateFiles } = setUp(files);
  const before = snapshot(comfyuiDir);
  let filled = false;
  const full: FileSystem = {
    ...realFileSystem,
    writeSync: ((fd: number, ...rest: unknown[]) => {
      if (filled && fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(stateDir)) throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
      return (realFileSystem.writeSync as (...args: unknown[]) => number)(fd, ...rest);
    }) as FileSystem['writeSync'],
  };
  const state = RunState.open(full, stateDir, uid);
  filled = true;

  expect(() => write(state, undefined, NEW, full)).toThrow(/custom_nodes\/node_a\/\.env.*ENOSPC/);
  try {
    state.commit();
  } catch {
    // nothing to save, or no room to save it: either way the tree must be as it was
  }

  expect(snapshot(comfyuiDir)).toEqual(before);
  expect(stateFiles().filter((name) => name !== 'backups')).toEqual([]);
});

test('a clean killed after putting a file back, before saving: the next clean finds it restored, not changed', () => {
  const { comfyuiDir, stateDir, target, write } = setUp({ 'custom_nodes/node_a/.env': BAKED });
  const before = snapshot(comfyuiDir);
  const run = RunState.open(realFileSystem, stateDir, uid);
  write(run, undefined);
  run.commit();
  // What the killed clean did: the original is back, the state still names the write.
  fs.writeFileSync(target, BAKED);
  fs.chmodSync(target, Number.parseInt(before['custom_nodes/node_a/.env']!.split(' ')[0]!, 8));

  const report = cleanRecorded(realFileSystem, RunState.open(realFileSystem, stateDir, uid));

  expect(report.counts).toMatchObject({ restored: 1, kept: 0 });
  expect(snapshot(comfyuiDir)).toEqual(before);
});

test('opening the state removes the temp files a killed run left in it and in backups/, and copies no record names', () => {
  const { stateDir, stateFiles } = setUp({});
  fs.mkdirSync(path.join(stateDir, 'backups'), { mode: 0o700 });
  for (const name of ['.state.json.4242.0123456789ab.comfy-secrets.tmp', 'backups/.0011223344556677.aabbccddeeff.orig.4242.0123456789ab.comfy-secrets.tmp', 'backups/0011223344556677.aabbccddeeff.orig']) {
    fs.writeFileSync(path.join(stateDir, name), 'HF_TOKEN=hf_FAKE_left_by_a_killed_run\n', { mode: 0o600 });
  }

  RunState.open(realFileSystem, stateDir, uid).commit();

  expect(stateFiles()).toEqual(['backups']);
});
