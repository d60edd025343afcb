import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFixture, type Fixture } from './fixture';

export const repoRoot = path.resolve(__dirname, '../..');
export const cliPath = path.join(repoRoot, 'packages/cli/dist/comfy-secrets.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built `comfy-secrets` (what ships) as a child process with only the given environment plus
 * PATH, so nothing of the developer's shell leaks into a test.
 */
export function runCli(args: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}): CliResult {
  const result = spawnSync(process.execPath, [cliPath, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...testLifecycleEnv(), ...options.env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let lifecycleDir: string | undefined;

/**
 * Keeps the CLI's run state out of /run/comfy-secrets and its files off /dev/shm: a state directory per
 * test file (removed after it by jest.after-env.ts) and plain files on disk, unless a test passes its
 * own COMFY_SECRETS_STATE_DIR / COMFY_SECRETS_STORE or flags.
 */
export function testLifecycleEnv(): Record<string, string> {
  lifecycleDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-test-state-'));
  return { COMFY_SECRETS_STATE_DIR: lifecycleDir, COMFY_SECRETS_STORE: 'disk' };
}

/** Removes the test file's state directory. Not on process exit: jest ends its workers without running 'exit' handlers. */
export function removeTestLifecycleDir(): void {
  if (lifecycleDir !== undefined) fs.rmSync(lifecycleDir, { recursive: true, force: true });
  lifecycleDir = undefined;
}

/**
 * A temp directory with the given files, removed by the returned cleanup: unlike core's `testdir`
 * (removed after each test), it may outlast a test (beforeAll trees, fixtures shared by a suite).
 */
export function tempTree(files: Fixture = {}): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-test-'));
  writeFixture(dir, files);
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * `runCli` with environment values given as raw bytes: Node's child_process takes only strings (and
 * encodes them as UTF-8), so Python's `os.execve`, which takes bytes, starts the CLI instead.
 */
export function runCliWithRawEnv(args: readonly string[], env: Record<string, string | Buffer>, options: { cwd?: string } = {}): CliResult {
  const full: Record<string, string | Buffer> = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...testLifecycleEnv(), ...env };
  const hex = Object.fromEntries(Object.entries(full).map(([name, value]) => [name, Buffer.from(value).toString('hex')]));
  const script = 'import json, os, sys\nenv = {k.encode(): bytes.fromhex(v) for k, v in json.loads(sys.argv[1]).items()}\nos.execve(sys.argv[2], sys.argv[2:], env)';
  const result = spawnSync('/usr/bin/python3', ['-c', script, JSON.stringify(hex), process.execPath, cliPath, ...args], {
    cwd: options.cwd ?? repoRoot,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
