// The CLI's entry: the only module that reads process.env, and the only process.exit.
import 'reflect-metadata';
import * as path from 'node:path';
import { realFileSystem } from '@runtime-env/core';
import { main } from './main';

// `runtime-env list | head` closes the pipe early: the reader's choice, not a failure of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

main(process.argv.slice(2), {
  env: { ...process.env },
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  fs: realFileSystem,
  cliDir: path.resolve(__dirname, '..'),
}).then(exitAfterFlush, (error: unknown) => {
  process.stderr.write(`runtime-env: internal error: ${error instanceof Error ? error.name : 'unknown'}\n`);
  exitAfterFlush(70);
});

/**
 * process.exit drops whatever a pipe has not taken yet: a `--json` report over 64 KiB piped to `jq`
 * was cut short. An empty write's callback runs once everything written before it is flushed.
 */
function exitAfterFlush(code: number): void {
  let pending = 2;
  const flushed = () => {
    pending -= 1;
    if (pending === 0) process.exit(code);
  };
  process.stdout.write('', flushed);
  process.stderr.write('', flushed);
}
