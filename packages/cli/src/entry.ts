// The CLI's entry: the only module that reads process.env, and the only process.exit.
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { realFileSystem } from '@comfy-secrets/core';
import { fdOutput } from './fd-output';
import { main } from './main';
import { invalidUtf8Names } from './raw-env';

main(process.argv.slice(2), {
  env: { ...process.env },
  invalidUtf8Env: invalidUtf8Names(() => readFileSync('/proc/self/environ')),
  cwd: process.cwd(),
  stdout: fdOutput(1),
  stderr: fdOutput(2),
  fs: realFileSystem,
  cliDir: path.resolve(__dirname, '..'),
}).then(exit, (error: unknown) => {
  fdOutput(2).write(`comfy-secrets: internal error: ${error instanceof Error ? error.name : 'unknown'}\n`);
  exit(70);
});

/** Every write was synchronous; a turn of the event loop lets the logger's last lines reach stderr. */
function exit(code: number): void {
  setImmediate(() => process.exit(code));
}
