import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { realFileSystem, type FileSystem } from '../../src/fs';
import { MemoryStore } from '../../src/files/store';
import { createTempSweep } from '../../src/files/writer';

// The memory store needs a memory file system; /dev/shm is one on Linux (and in the CI container).
let base: string;
let storeDir: string;
beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-store-'));
  storeDir = fs.mkdtempSync('/dev/shm/comfy-secrets-store-test-');
  for (const node of ['a', 'b', 'c']) fs.mkdirSync(path.join(base, node));
});
afterEach(() => {
  fs.rmSync(base, { recursive: true, force: true });
  fs.rmSync(storeDir, { recursive: true, force: true });
});

/** The real file system, counting the calls to `method`. */
function counting(method: 'statfsSync' | 'readdirSync' | 'symlinkSync' | 'lstatSync'): { fs: FileSystem; calls: unknown[] } {
  const calls: unknown[] = [];
  const real = realFileSystem[method] as (...args: unknown[]) => unknown;
  return { fs: { ...realFileSystem, [method]: (...args: unknown[]) => (calls.push(args[0]), real(...args)) } as FileSystem, calls };
}

test('checks the store directory once for a run of many files, not once per file', () => {
  const { fs: countingFs, calls } = counting('statfsSync');
  const store = new MemoryStore(countingFs, path.join(storeDir, 'store'), process.getuid!());

  for (const node of ['a', 'b', 'c']) store.write({ target: path.join(base, node, '.env'), content: `NODE=${node}\n`, mode: 0o600 });

  expect(calls).toEqual([path.join(storeDir, 'store')]);
});

test('every target of such a run is a link to its own store file', () => {
  const store = new MemoryStore(realFileSystem, path.join(storeDir, 'store'), process.getuid!());

  for (const node of ['a', 'b', 'c']) store.write({ target: path.join(base, node, '.env'), content: `NODE=${node}\n`, mode: 0o600 });

  expect(['a', 'b', 'c'].map((node) => fs.readFileSync(path.join(base, node, '.env'), 'utf8'))).toEqual(['NODE=a\n', 'NODE=b\n', 'NODE=c\n']);
});

test('lists the store directory for stale temp files once per run with a sweep record', () => {
  const { fs: countingFs, calls } = counting('readdirSync');
  const store = new MemoryStore(countingFs, path.join(storeDir, 'store'), process.getuid!());
  const sweep = createTempSweep();

  for (const node of ['a', 'b', 'c']) store.write({ target: path.join(base, node, '.env'), content: `NODE=${node}\n`, mode: 0o600, sweep });

  // Listed through its open descriptor (`TreeDir`), once; each target's own directory once too, for
  // a link temp file a killed run left there.
  expect(calls).toEqual(Array.from({ length: 4 }, () => expect.stringMatching(/^\/proc\/self\/fd\/\d+$/)));
});

test('a first write makes the link in place: one symlink call, at the target itself, no temp link', () => {
  const { fs: countingFs, calls } = counting('symlinkSync');
  const store = new MemoryStore(countingFs, path.join(storeDir, 'store'), process.getuid!());
  const target = path.join(base, 'a', '.env');

  store.write({ target, content: 'NODE=a\n', mode: 0o600 });

  expect(calls).toEqual([store.fileFor(target)]);
  expect(fs.readlinkSync(target)).toBe(store.fileFor(target));
  expect(fs.readdirSync(path.join(base, 'a'))).toEqual(['.env']);
});

test('a file already at the target is replaced by the link (renamed over it), leaving no temp link', () => {
  const store = new MemoryStore(realFileSystem, path.join(storeDir, 'store'), process.getuid!());
  const target = path.join(base, 'a', '.env');
  fs.writeFileSync(target, 'BAKED=1\n');

  store.write({ target, content: 'NODE=a\n', mode: 0o600 });

  expect(fs.lstatSync(target).isSymbolicLink()).toBe(true);
  expect(fs.readFileSync(target, 'utf8')).toBe('NODE=a\n');
  expect(fs.readdirSync(path.join(base, 'a'))).toEqual(['.env']);
});

test("a link to somewhere else at the target is replaced, not followed", () => {
  const store = new MemoryStore(realFileSystem, path.join(storeDir, 'store'), process.getuid!());
  const target = path.join(base, 'a', '.env');
  const elsewhere = path.join(base, 'b', 'victim');
  fs.writeFileSync(elsewhere, 'UNTOUCHED\n');
  fs.symlinkSync(elsewhere, target);

  store.write({ target, content: 'NODE=a\n', mode: 0o600 });

  expect(fs.readlinkSync(target)).toBe(store.fileFor(target));
  expect(fs.readFileSync(elsewhere, 'utf8')).toBe('UNTOUCHED\n');
});

test('a target whose directory does not exist yet gets the directory, then the link', () => {
  const store = new MemoryStore(realFileSystem, path.join(storeDir, 'store'), process.getuid!());
  const target = path.join(base, 'a', 'config', '.env');

  store.write({ target, content: 'NODE=a\n', mode: 0o600 });

  expect(fs.readFileSync(target, 'utf8')).toBe('NODE=a\n');
  expect(fs.readdirSync(path.join(base, 'a', 'config'))).toEqual(['.env']);
});

test('directories made for a link are 0755 whatever the umask, like those of a file written on disk', () => {
  const store = new MemoryStore(realFileSystem, path.join(storeDir, 'store'), process.getuid!());
  const target = path.join(base, 'a', 'user', '__manager', 'config.ini');
  const umask = process.umask(0o077);
  try {
    store.write({ target, root: base, content: 'NODE=a\n', mode: 0o600 });
  } finally {
    process.umask(umask);
  }

  expect([path.join(base, 'a', 'user'), path.dirname(target)].map((dir) => fs.statSync(dir).mode & 0o777)).toEqual([0o755, 0o755]);
  expect(fs.readFileSync(target, 'utf8')).toBe('NODE=a\n');
});

test('isOurLink takes the lstat the caller already has instead of asking again', () => {
  const { fs: countingFs, calls } = counting('lstatSync');
  const store = new MemoryStore(countingFs, path.join(storeDir, 'store'), process.getuid!());
  const target = path.join(base, 'a', '.env');
  store.write({ target, content: 'NODE=a\n', mode: 0o600, linked: false });
  const found = fs.lstatSync(target);
  calls.length = 0;

  expect(store.isOurLink(target, found)).toBe(true);
  expect(store.isOurLink(path.join(base, 'b', '.env'), undefined)).toBe(false);
  expect(calls).toEqual([]);
});

describe('links deferred to a helper thread', () => {
  const nodes = Array.from({ length: 24 }, (_, i) => `n${String(i).padStart(2, '0')}`);
  beforeEach(() => {
    for (const node of nodes) fs.mkdirSync(path.join(base, node));
  });

  test('a run of many links makes the first ones inline and the rest on the thread; once settled, every target links to its store file', () => {
    const store = new MemoryStore(realFileSystem, path.join(storeDir, 'store'), process.getuid!());
    const pending: string[] = [];
    const recorded: string[] = [];
    for (const node of nodes) {
      const target = path.join(base, node, '.env');
      const result = store.write({ target, content: `NODE=${node}\n`, mode: 0o600, deferLink: true });
      if (result.linkPending) pending.push(node);
      store.afterLink(target, () => recorded.push(node));
    }

    expect(pending).toEqual(nodes.slice(16));
    expect(recorded).toEqual(nodes.slice(0, 16));
    expect(store.settleLinks()).toEqual([]);
    expect(recorded).toEqual(nodes);
    for (const node of nodes) {
      const target = path.join(base, node, '.env');
      expect(fs.readlinkSync(target)).toBe(store.fileFor(target));
      expect(fs.readFileSync(target, 'utf8')).toBe(`NODE=${node}\n`);
    }
  });

  test('a deferred link that finds a file at its target replaces it as an inline link does, leaving no temp link', () => {
    const store = new MemoryStore(realFileSystem, path.join(storeDir, 'store'), process.getuid!());
    const baked = path.join(base, nodes[20]!, '.env');
    fs.writeFileSync(baked, 'BAKED=1\n');
    for (const node of nodes) store.write({ target: path.join(base, node, '.env'), content: `NODE=${node}\n`, mode: 0o600, deferLink: true });

    expect(store.settleLinks()).toEqual([]);
    expect(fs.readlinkSync(baked)).toBe(store.fileFor(baked));
    expect(fs.readdirSync(path.dirname(baked))).toEqual(['.env']);
  });

  test('a deferred link that cannot be made comes back with the error an inline link throws, and what waited for it does not run', () => {
    const store = new MemoryStore(realFileSystem, path.join(storeDir, 'store'), process.getuid!());
    const recorded: string[] = [];
    // A directory where the link goes: symlink() finds it there, and the rename over it fails.
    const impossible = path.join(base, 'a', 'taken');
    fs.mkdirSync(impossible);
    for (const node of nodes.slice(0, 17)) store.write({ target: path.join(base, node, '.env'), content: 'X=1\n', mode: 0o600, deferLink: true });
    expect(store.write({ target: impossible, content: 'X=1\n', mode: 0o600, deferLink: true }).linkPending).toBe(true);
    store.afterLink(impossible, () => recorded.push('impossible'));

    const failures = store.settleLinks();

    expect(failures.map(({ target, error }) => [target, error.code, error.message])).toEqual([[impossible, 'WRITE_FAILED', `cannot link ${impossible} into the memory store (EISDIR)`]]);
    expect(recorded).toEqual([]);
  });

  test('without deferLink, or on another file system than the real one, every link exists when write returns', () => {
    const { fs: countingFs } = counting('symlinkSync');
    for (const [fileSystem, deferLink] of [[realFileSystem, false], [countingFs, true]] as const) {
      const store = new MemoryStore(fileSystem, fs.mkdtempSync(path.join(storeDir, 'store-')), process.getuid!());
      for (const node of nodes) {
        const target = path.join(base, node, `.env-${String(deferLink)}`);
        expect(store.write({ target, content: 'X=1\n', mode: 0o600, deferLink }).linkPending).toBeUndefined();
        expect(fs.readlinkSync(target)).toBe(store.fileFor(target));
      }
    }
  });
});

describe('links deferred in numbers', () => {
  const openDescriptors = () => fs.readdirSync('/proc/self/fd').length;

  test('holds at most a bounded number of directories open while links wait, and closes every one once settled', () => {
    const nodes = Array.from({ length: 600 }, (_, i) => `m${String(i).padStart(3, '0')}`);
    for (const node of nodes) fs.mkdirSync(path.join(base, node));
    const store = new MemoryStore(realFileSystem, path.join(storeDir, 'store'), process.getuid!());
    const before = openDescriptors();
    let most = 0;
    const recorded: string[] = [];
    for (const node of nodes) {
      const target = path.join(base, node, '.env');
      store.write({ target, content: `NODE=${node}\n`, mode: 0o600, deferLink: true });
      store.afterLink(target, () => recorded.push(node));
      most = Math.max(most, openDescriptors() - before);
    }

    expect(store.settleLinks()).toEqual([]);
    // Each waiting link holds its directory open (the thread makes it through /proc/self/fd/<fd>);
    // past 256 the store waits for those made so far. A few more for the thread itself.
    expect(most).toBeLessThanOrEqual(256 + 16);
    expect(recorded).toHaveLength(nodes.length);
    expect(nodes.every((node) => fs.readlinkSync(path.join(base, node, '.env')) === store.fileFor(path.join(base, node, '.env')))).toBe(true);
    expect(openDescriptors()).toBeLessThanOrEqual(before + 4);
  });
});

describe('the store directory', () => {
  test('stays the runner’s own with an --owner: 0711, so the owner can reach its files, not list or rename them', () => {
    const store = new MemoryStore(realFileSystem, path.join(storeDir, 'store'), process.getuid!());
    store.ensureDirectory({ uid: process.getuid!() + 1, gid: process.getgid!() + 1 });

    const stat = fs.statSync(path.join(storeDir, 'store'));
    expect([stat.uid, stat.mode & 0o7777]).toEqual([process.getuid!(), 0o711]);

    // Later in the same run, a file of the runner's own does not lock that owner out again.
    store.ensureDirectory();
    expect(fs.statSync(path.join(storeDir, 'store')).mode & 0o7777).toBe(0o711);
    // A later run without an --owner closes it.
    new MemoryStore(realFileSystem, path.join(storeDir, 'store'), process.getuid!()).ensureDirectory();
    expect(fs.statSync(path.join(storeDir, 'store')).mode & 0o7777).toBe(0o700);
  });

  const asRoot = process.getuid?.() === 0 ? test : test.skip;
  asRoot('of another user (an earlier version gave it to the --owner) is refused, even when that user is the --owner', () => {
    const dir = path.join(storeDir, 'store');
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.chownSync(dir, 1234, 1234);
    const store = new MemoryStore(realFileSystem, dir, 0);

    expect(() => store.ensureDirectory({ uid: 1234, gid: 1234 })).toThrow(/belongs to uid 1234, not to this user \(0\)/);
  });

  test('that is a link is refused', () => {
    const dir = path.join(storeDir, 'store');
    fs.symlinkSync(base, dir);
    const store = new MemoryStore(realFileSystem, dir, process.getuid!());

    expect(() => store.ensureDirectory()).toThrow(/is a symbolic link/);
  });
});
