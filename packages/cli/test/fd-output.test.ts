import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fdOutput } from '../src/fd-output';

/** The descriptor of the pipe to a child's stdin, as libuv left it: non-blocking. */
function stdinFd(child: ChildProcess): number {
  const fd = (child.stdin as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('no stdin descriptor');
  return fd;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

test('writes everything to a full non-blocking pipe, waiting for a slow reader instead of dropping bytes', async () => {
  // The reader starts late, so the pipe (64 KiB) fills and the writer meets EAGAIN many times.
  const child = spawn('sh', ['-c', 'sleep 0.3; wc -c'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let counted = '';
  child.stdout!.on('data', (chunk: Buffer) => (counted += chunk.toString()));
  const output = fdOutput(stdinFd(child));
  const megabyte = 'x'.repeat(1024 * 1024);

  output.write(megabyte);
  output.write('é\n'); // multi-byte text is written as UTF-8, whole
  child.stdin!.end();
  await exited(child);

  expect(Number(counted.trim())).toBe(1024 * 1024 + 3);
});

test('a reader that closed the pipe ends the output quietly: no throw, later writes dropped', async () => {
  // The reader closes its end at once and lives on, as `head` does once it has its lines.
  const child = spawn('sh', ['-c', 'exec 0<&-; sleep 1'], { stdio: ['pipe', 'ignore', 'ignore'] });
  const output = fdOutput(stdinFd(child));
  await new Promise((resolve) => setTimeout(resolve, 200));

  expect(() => output.write('nobody reads this\n')).not.toThrow();
  expect(() => output.write('nor this\n')).not.toThrow();
  child.kill();
  await exited(child);
});

test('another write error is not swallowed', () => {
  expect(() => fdOutput(987654).write('x')).toThrow(/EBADF/);
});

test('isTTY: a file, /dev/null and a closed descriptor are no terminal (a pty is: test/terminal.test.ts)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-output-'));
  const file = fs.openSync(path.join(dir, 'out'), 'w');
  const devNull = fs.openSync('/dev/null', 'w');
  try {
    expect(fdOutput(file).isTTY).toBe(false);
    expect(fdOutput(devNull).isTTY).toBe(false);
  } finally {
    fs.closeSync(file);
    fs.closeSync(devNull);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  expect(fdOutput(987_654).isTTY).toBe(false); // no such descriptor
});
