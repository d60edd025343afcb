// The CLI's entry: the only module that reads process.env, and the only process.exit.
import 'reflect-metadata';
import * as path from 'node:path';
import { realFileSystem } from '@runtime-env/core';
import { main } from './main';

main(process.argv.slice(2), {
  env: { ...process.env },
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  fs: realFileSystem,
  cliDir: path.resolve(__dirname, '..'),
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`runtime-env: internal error: ${error instanceof Error ? error.name : 'unknown'}\n`);
    process.exit(70);
  },
);
