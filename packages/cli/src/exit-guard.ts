import { ComfySecretsError, ExitCode } from '@comfy-secrets/core';

/**
 * A plugin's code runs inside the CLI's process: one that calls `process.exit(0)` (a copied CLI
 * snippet, a library's "fatal" handler) would end a container start with exit 0 and nothing written.
 * While the CLI runs, `process.exit` throws this instead, so the call fails the sink (or the plugin's
 * load) that made it, with the documented codes.
 */
export class PluginExitError extends ComfySecretsError {
  constructor(code: unknown) {
    super('PLUGIN_EXIT', `a plugin's code called process.exit(${typeof code === 'number' ? code : ''}); comfy-secrets does not let a plugin end the run`, ExitCode.sinkFailed);
  }
}

/**
 * Installs the guard; returns the only way out, for the CLI's own exit. A process that ends any other
 * way before that (an event loop drained by a plugin that never settles, a plugin's own exit) exits
 * 70 with a line saying so, never 0.
 */
export function guardExit(proc: NodeJS.Process, stderr: { write(text: string): unknown }): (code: number) => void {
  const realExit = proc.exit.bind(proc);
  let ours = false;
  proc.exit = ((code?: unknown) => {
    throw new PluginExitError(code);
  }) as NodeJS.Process['exit'];
  proc.on('exit', () => {
    if (ours) return;
    stderr.write('comfy-secrets: internal error: the process was ending before comfy-secrets had finished (did a plugin end it?)\n');
    proc.exitCode = ExitCode.internal;
  });
  return (code) => {
    ours = true;
    realExit(code);
  };
}
