import * as fs from 'node:fs';
import * as path from 'node:path';
import { createContainer } from '../../src/container';
import type { SecretSink } from '../../src/contract';
import { realFileSystem, type FileSystem } from '../../src/fs';
import { Runner, type RunReport } from '../../src/run/runner';
import { RunState } from '../../src/state/state';
import { Store, type StoreMode } from '../../src/files/store';
import { captureLogger, loaded, sink, testdir } from '../helpers';

// `plan`, `check` and `run --dry-run` take only the first half of each sink's trip and preview the
// second: they must write nothing, and say what the run then does, file by file.

const a = sink({ name: 'a', nodes: ['n'], file: 'config.ini', format: { type: 'ini', section: 'first' }, variables: { A_TOKEN: { secret: true } } });
const b = sink({ name: 'b', nodes: ['n'], file: 'config.ini', format: { type: 'ini', section: 'second' }, variables: { B_TOKEN: { secret: true } } });
const c = sink({ name: 'c', nodes: ['m'], variables: { C_TOKEN: { secret: true } } });
// Its file() function looks at what a and b wrote before it.
const looking = sink({
  name: 'looking',
  nodes: ['m'],
  dependencies: ['a', 'b'],
  file: (context) => ({ path: 'seen.env', reason: `config.ini ${context.exists('custom_nodes/n/config.ini') ? 'present' : 'missing'}, ${/B_TOKEN/.test(context.readText('custom_nodes/n/config.ini') ?? '') ? 'with' : 'without'} b's key` }),
  variables: { D_TOKEN: { secret: true } },
});
const SINKS: SecretSink[] = [a, b, c, looking];

let storeRoot: string;
beforeEach(() => {
  storeRoot = fs.mkdtempSync('/dev/shm/comfy-secrets-runner-plan-');
});
afterEach(() => fs.rmSync(storeRoot, { recursive: true, force: true }));

function setup(storeMode: StoreMode) {
  const comfyuiDir = testdir({ 'custom_nodes/n/': '', 'custom_nodes/m/': '' });
  const stateDir = testdir();
  const storeDir = path.join(storeRoot, 'store');
  const env: Record<string, string> = { A_TOKEN: 'fake-a-1', B_TOKEN: 'fake-b-1', C_TOKEN: 'fake-c-1', D_TOKEN: 'fake-d-1' };
  const run = (dryRun: boolean, fileSystem: FileSystem = realFileSystem): RunReport => {
    const capture = captureLogger();
    const runner = createContainer({ env: { ...env }, cwd: comfyuiDir, sinks: loaded(...SINKS), logger: capture.logger, redactor: capture.redactor, fs: fileSystem }).resolve(Runner);
    const store = Store.open(fileSystem, capture.logger, { mode: storeMode, dir: storeDir, uid: process.getuid!() });
    // As the CLI opens it: a run that writes nothing takes no state (and no lock).
    if (dryRun) return runner.run({ comfyuiDir, dryRun, lifecycle: { store } });
    const state = RunState.open(realFileSystem, stateDir, process.getuid!());
    try {
      return runner.run({ comfyuiDir, lifecycle: { state, store } });
    } finally {
      state.release();
    }
  };
  return { comfyuiDir, stateDir, storeDir, env, run };
}

/** Each sink's status and file reasons, a dry run's `would-write` read as the `written` it announces. */
function outcome(report: RunReport): Array<[string, string, Array<string | undefined>]> {
  return report.sinks.map((entry) => [entry.name, entry.status === 'would-write' ? 'written' : entry.status, entry.files.map((file) => `${file.path}: ${file.status === 'would-write' ? 'written' : file.status} (${file.reason ?? ''}, ${file.store ?? ''})`)]);
}

/** Every entry below the directories, with its type, mode, size, link text and content. */
function snapshot(...dirs: string[]): string[] {
  const lines: string[] = [];
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) {
      lines.push(`${dir}: absent`);
      continue;
    }
    for (const name of (fs.readdirSync(dir, { recursive: true }) as string[]).sort()) {
      const where = path.join(dir, name);
      const stat = fs.lstatSync(where);
      const detail = stat.isSymbolicLink() ? `-> ${fs.readlinkSync(where)}` : stat.isFile() ? fs.readFileSync(where, 'utf8') : 'dir';
      lines.push(`${where} ${stat.mode.toString(8)} ${stat.mtimeMs} ${detail}`);
    }
  }
  return lines;
}

describe.each<StoreMode>(['memory', 'disk'])('a dry run (store %s)', (storeMode) => {
  it('says, file by file, what the run after it does, and changes nothing', () => {
    const { comfyuiDir, stateDir, storeDir, env, run } = setup(storeMode);
    const steps: Array<[string, () => void]> = [
      ['a first start', () => {}],
      ['a restart', () => {}],
      ["a's value changed", () => (env.A_TOKEN = 'fake-a-2')],
      ["b's value changed", () => (env.B_TOKEN = 'fake-b-2')],
      ["c's file removed", () => fs.rmSync(path.join(comfyuiDir, 'custom_nodes/m/.env'))],
    ];
    for (const [step, change] of steps) {
      change();
      const before = snapshot(comfyuiDir, stateDir, storeDir);
      const dry = run(true);
      expect(snapshot(comfyuiDir, stateDir, storeDir)).toEqual(before);
      const real = run(false);
      expect([step, outcome(dry)]).toEqual([step, outcome(real)]);
      expect(real.exitCode).toBe(0);
    }
  });
});

it("previews the run's own order: the second sink of a shared file is unchanged when only the first one's value moved", () => {
  const { env, run } = setup('disk');
  run(false);
  env.A_TOKEN = 'fake-a-2';
  expect(run(true).sinks.map((entry) => [entry.name, entry.status])).toEqual([['a', 'would-write'], ['b', 'unchanged'], ['c', 'unchanged'], ['looking', 'unchanged']]);
});

it("shows a sink's file() function the files the sinks before it would write", () => {
  const { run } = setup('memory');
  expect(run(true).sinks.find((entry) => entry.name === 'looking')?.files[0]?.reason).toBe("config.ini present, with b's key");
});

/** A file system that records every call that could change something. */
function recording(): { fileSystem: FileSystem; changes: string[] } {
  const changes: string[] = [];
  const mutating = new Set(['fchmodSync', 'fchownSync', 'fsyncSync', 'linkSync', 'mkdirSync', 'renameSync', 'rmdirSync', 'symlinkSync', 'unlinkSync', 'writeSync']);
  const writeFlags = fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_APPEND;
  const fileSystem = new Proxy(realFileSystem, {
    get(target, name: string) {
      const original = (target as unknown as Record<string, (...args: unknown[]) => unknown>)[name]!;
      return (...args: unknown[]) => {
        const flags = args[1];
        if (mutating.has(name) || (name === 'openSync' && ((typeof flags === 'number' && (flags & writeFlags) !== 0) || (typeof flags === 'string' && flags !== 'r')))) changes.push(`${name} ${String(args[0])}`);
        return original.apply(target, args);
      };
    },
  });
  return { fileSystem, changes };
}

it.each<StoreMode>(['memory', 'disk'])('makes no call that changes anything, on a fresh tree and on one written before (store %s)', (storeMode) => {
  const { env, run } = setup(storeMode);
  const fresh = recording();
  expect(run(true, fresh.fileSystem).exitCode).toBe(0);
  expect(fresh.changes).toEqual([]);
  run(false);
  env.A_TOKEN = 'fake-a-2';
  const written = recording();
  expect(run(true, written.fileSystem).counts['would-write']).toBe(1);
  expect(written.changes).toEqual([]);
  // The recorder does see a real run's writes.
  const real = recording();
  run(false, real.fileSystem);
  expect(real.changes.length).toBeGreaterThan(0);
});
