import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliPath, repoRoot, tempTree } from '../../../test/helpers/cli';

jest.setTimeout(30_000);

const CHILD = path.join(__dirname, 'fixtures/lifecycle-child.py');
const NODE = 'custom_nodes/emprops_comfy_nodes';
const HF_TOKEN = 'hf_FAKE_exec_lifecycle_token_0001';

let tree: ReturnType<typeof tempTree>;
let store: string;
beforeEach(() => {
  tree = tempTree({ [`C/${NODE}/__init__.py`]: '', 'state/': '' });
  // The memory store must be on a tmpfs; a fresh one per test, removed after.
  store = fs.mkdtempSync(path.join('/dev/shm', 'comfy-secrets-test-'));
});
afterEach(() => {
  tree.cleanup();
  fs.rmSync(store, { recursive: true, force: true });
});

const envFile = () => path.join(tree.dir, 'C', NODE, '.env');
const outFile = () => path.join(tree.dir, 'child.json');

interface Exec {
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function startExec(childArgs: string[], env: Record<string, string> = { HF_TOKEN }, extra: string[] = []): Exec {
  const args = [cliPath, 'exec', '--comfyui-dir', path.join(tree.dir, 'C'), '--state-dir', path.join(tree.dir, 'state'), '--store-dir', path.join(store, 's'), ...extra];
  const child = spawn(process.execPath, [...args, '--', '/usr/bin/python3', CHILD, outFile(), envFile(), ...childArgs], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { pid: child.pid as number, exited };
}

interface ChildRecord {
  ready?: boolean;
  signals: string[];
  is_link: boolean;
  values: Record<string, string> | null;
}

async function childRecord(predicate: (record: ChildRecord) => boolean = () => true): Promise<ChildRecord> {
  for (let waited = 0; waited < 15_000; waited += 25) {
    try {
      const record = JSON.parse(fs.readFileSync(outFile(), 'utf8')) as ChildRecord;
      if (predicate(record)) return record;
    } catch {
      // not written yet
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the child never reported');
}

describe('comfy-secrets exec', () => {
  test('the command reads its .env through python-dotenv, via a link into the memory store', async () => {
    const exec = startExec(['--wait']);
    const record = await childRecord((r) => r.ready === true);
    process.kill(exec.pid, 'SIGTERM');
    await exec.exited;

    expect(record.values).toEqual({ HF_TOKEN });
    expect(record.is_link).toBe(true);
  });

  test.each(['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const)('%s sent to comfy-secrets reaches the command, and comfy-secrets exits with its code', async (signal) => {
    const exec = startExec(['--wait']);
    await childRecord((r) => r.ready === true);

    process.kill(exec.pid, signal);
    const result = await exec.exited;

    expect((await childRecord((r) => r.signals.length > 0)).signals).toEqual([signal]);
    expect(result.code).toBe(40);
  });

  test('the .env and its memory-store file are gone once the command has ended', async () => {
    const exec = startExec(['--wait']);
    await childRecord((r) => r.ready === true);
    process.kill(exec.pid, 'SIGTERM');
    await exec.exited;

    expect(fs.existsSync(envFile())).toBe(false);
    expect(fs.lstatSync(path.dirname(envFile())).isDirectory()).toBe(true);
    expect(fs.existsSync(path.join(store, 's')) ? fs.readdirSync(path.join(store, 's')) : []).toEqual([]);
  });

  test("exits with the command's own exit code", async () => {
    const result = await startExec(['--exit', '3']).exited;

    expect(result.code).toBe(3);
  });

  test('exits 128 + n when the command dies of signal n', async () => {
    const exec = startExec(['--die']);
    await childRecord((r) => r.ready === true);

    process.kill(exec.pid, 'SIGTERM');

    expect((await exec.exited).code).toBe(128 + os.constants.signals.SIGTERM);
  });

  test('a failed run never starts the command, and exits with the run code', async () => {
    const result = await startExec(['--exit', '0'], { CLOUD_PROVIDER: 'azure', HF_TOKEN }).exited;

    expect(result.code).toBe(1);
    expect(fs.existsSync(outFile())).toBe(false);
    expect(result.stderr).toContain('not starting');
  });

  test('--allow-failures starts the command although a sink failed', async () => {
    const result = await startExec(['--exit', '0'], { CLOUD_PROVIDER: 'azure', HF_TOKEN }, ['--allow-failures']).exited;

    expect(result.code).toBe(0);
    expect(fs.existsSync(outFile())).toBe(true);
  });

  test('--keep leaves the written file in place', async () => {
    await startExec(['--exit', '0'], { HF_TOKEN }, ['--keep', '--store', 'disk']).exited;

    expect(fs.readFileSync(envFile(), 'utf8')).toContain(HF_TOKEN);
  });

  test('a command that does not exist exits 127 and leaves no file behind', async () => {
    const args = [cliPath, 'exec', '--comfyui-dir', path.join(tree.dir, 'C'), '--state-dir', path.join(tree.dir, 'state'), '--store', 'disk', '--', '/nonexistent/command'];
    const child = spawn(process.execPath, args, { env: { PATH: '/usr/bin:/bin', HF_TOKEN }, stdio: 'ignore' });
    const code = await new Promise((resolve) => child.on('exit', resolve));

    expect(code).toBe(127);
    expect(fs.existsSync(envFile())).toBe(false);
  });
});
