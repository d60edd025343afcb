// Starting the CLI as a process: the only module that reads process.env, and the only process.exit.
// Two entries use it: entry.ts (the npm package's bin) and sea.ts (the single executable).
import 'reflect-metadata';
import { realFileSystem } from '@comfy-secrets/core';
import type { CliContext } from './context';
import { fdOutput } from './fd-output';
import { main } from './main';

/** What differs between the two entries: where sinks are found. */
export type Placement = Pick<CliContext, 'cliDir' | 'bundledSinks' | 'pluginsDir'>;

export function start(placement: Placement): void {
  main(process.argv.slice(2), {
    ...placement,
    env: { ...process.env },
    cwd: process.cwd(),
    stdout: fdOutput(1),
    stderr: fdOutput(2),
    fs: realFileSystem,
  }).then(exit, (error: unknown) => {
    fdOutput(2).write(`comfy-secrets: internal error: ${error instanceof Error ? error.name : 'unknown'}\n`);
    exit(70);
  });
}

/** Every write was synchronous; a turn of the event loop lets the logger's last lines reach stderr. */
function exit(code: number): void {
  setImmediate(() => process.exit(code));
}
