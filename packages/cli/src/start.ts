// Starting the CLI as a process: the only module that reads process.env, and the only process.exit.
// Two entries use it: entry.ts (the npm package's bin) and sea.ts (the single executable).
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { realFileSystem } from '@comfy-secrets/core';
import type { CliContext } from './context';
import { guardExit } from './exit-guard';
import { fdOutput } from './fd-output';
import { main } from './main';
import { invalidUtf8Names } from './raw-env';

/** What differs between the two entries: where sinks are found. */
export type Placement = Pick<CliContext, 'cliDir' | 'bundledSinks' | 'pluginsDir'>;

export function start(placement: Placement): void {
  const realExit = guardExit(process, fdOutput(2));
  const exit = (code: number): void => {
    // Every write was synchronous; a turn of the event loop lets the logger's last lines reach stderr.
    setImmediate(() => realExit(code));
  };
  main(process.argv.slice(2), {
    ...placement,
    env: { ...process.env },
    // Node decodes the environment lossily: its raw bytes tell which values are not UTF-8.
    invalidUtf8Env: invalidUtf8Names(() => readFileSync('/proc/self/environ')),
    cwd: process.cwd(),
    stdout: fdOutput(1),
    stderr: fdOutput(2),
    fs: realFileSystem,
  }).then(exit, (error: unknown) => {
    fdOutput(2).write(`comfy-secrets: internal error: ${error instanceof Error ? error.name : 'unknown'}\n`);
    exit(70);
  });
}
