import * as fs from 'node:fs';
import * as path from 'node:path';
import { createLogger, realFileSystem, Redactor, type FileSystem } from '@comfy-secrets/core';
import type { CliContext } from '../src/context';
import { openLifecycle } from '../src/lifecycle';
import { tempTree } from '../../../test/helpers/cli';

const RUN = '/run/comfy-secrets';

let tree: ReturnType<typeof tempTree>;
beforeEach(() => {
  tree = tempTree({ 'run/': '', 'tmp/': '' });
});
afterEach(() => tree.cleanup());

interface Redirected {
  fs: FileSystem;
  /** Every call into the stand-in for /run/comfy-secrets, as `method path [flags]`. */
  calls: string[];
}

/**
 * The real file system with /run/comfy-secrets moved into the test's tree: the default state directory
 * is exercised without touching the machine's /run. `refuse` makes a call there fail as /run would.
 */
function redirected(refuse?: (method: string, args: unknown[]) => string | undefined): Redirected {
  const runDir = path.join(tree.dir, 'run', 'comfy-secrets');
  const calls: string[] = [];
  const move = (value: unknown) => (typeof value === 'string' && (value === RUN || value.startsWith(`${RUN}/`)) ? runDir + value.slice(RUN.length) : value);
  const fileSystem = new Proxy(realFileSystem, {
    get(target, method: string) {
      const real = (target as unknown as Record<string, unknown>)[method];
      if (typeof real !== 'function') return real;
      return (...args: unknown[]) => {
        if (typeof args[0] === 'string' && args[0].startsWith(RUN)) {
          calls.push([method, args[0].replace(/\.probe\..*/, '.probe'), typeof args[1] === 'string' ? args[1] : ''].join(' ').trim());
          const code = refuse?.(method, args);
          if (code) throw Object.assign(new Error(`${code} (test)`), { code });
        }
        return (real as (...a: unknown[]) => unknown).apply(target, args.map(move));
      };
    },
  });
  return { fs: fileSystem, calls };
}

function open(fileSystem: FileSystem, env: Record<string, string> = {}) {
  const context = { env: { TMPDIR: path.join(tree.dir, 'tmp'), COMFY_SECRETS_STORE: 'disk', ...env }, cwd: tree.dir, fs: fileSystem } as unknown as CliContext;
  const logger = createLogger({ level: 'error', json: true, redactor: new Redactor(), write: () => undefined });
  const { state } = openLifecycle({ envFile: [], plugin: [] }, context, logger, false);
  state!.release();
  return state!;
}

describe('the default state directory', () => {
  test('is checked once per run: created or opened once, and the lock is the only file made to prove it writable', () => {
    const { fs: fileSystem, calls } = redirected();

    const state = open(fileSystem);

    expect(state.dir).toBe(RUN);
    expect(calls.filter((call) => call.startsWith('mkdirSync'))).toEqual([`mkdirSync ${RUN}`]);
    // The lock's pid goes into a candidate file first, which is then linked to state.lock whole.
    expect(calls.filter((call) => call.endsWith(' wx'))).toEqual([expect.stringMatching(new RegExp(`^openSync ${RUN}/state\\.lock\\.\\d+\\.[0-9a-f]+\\.candidate wx$`))]);
  });

  test.each([
    ['cannot be created', 'mkdirSync', 'EACCES'],
    ['is read-only', 'openSync', 'EROFS'],
  ])('falls back to a per-user temp directory when /run/comfy-secrets %s', (_what, method, code) => {
    fs.mkdirSync(path.join(tree.dir, 'run', 'comfy-secrets'), { mode: 0o700 });
    const { fs: fileSystem } = redirected((called, args) => (called === method && (method === 'mkdirSync' || args[1] === 'wx') ? code : undefined));

    const state = open(fileSystem);

    expect(state.dir).toBe(path.join(tree.dir, 'tmp', `comfy-secrets-${process.getuid!()}`));
    expect(fs.statSync(state.dir).mode & 0o777).toBe(0o700);
  });

  test('named explicitly and read-only, it is an error saying so, not a fallback', () => {
    fs.mkdirSync(path.join(tree.dir, 'run', 'comfy-secrets'), { mode: 0o700 });
    const { fs: fileSystem } = redirected((called, args) => (called === 'openSync' && args[1] === 'wx' ? 'EROFS' : undefined));

    expect(() => open(fileSystem, { COMFY_SECRETS_STATE_DIR: RUN })).toThrow(expect.objectContaining({ code: 'STATE_UNUSABLE', message: `${RUN} is not writable (EROFS)` }));
  });

  test('an explicit state directory that cannot be used is an error naming it, not a fallback', () => {
    fs.writeFileSync(path.join(tree.dir, 'a-file'), '');

    expect(() => open(realFileSystem, { COMFY_SECRETS_STATE_DIR: path.join(tree.dir, 'a-file') })).toThrow(
      expect.objectContaining({ code: 'STATE_UNUSABLE', message: `${path.join(tree.dir, 'a-file')} cannot be opened (ENOTDIR)` }),
    );
  });
});
