import { constants } from 'node:os';
import { cleanRecorded, ConfigError, ExitCode, errnoCode, RunState, type Lifecycle, type RunReport } from '@comfy-secrets/core';
import { currentUid } from '../lifecycle';
import type { CliContext } from '../context';
import type { CommandSpec } from '../args';
import { runOptions, type RunFlags } from '../options';
import { runSinks } from './run';

/** Forwarded to the command; the first four also stop a start-up that has not spawned it yet. */
export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;
type ForwardedSignal = (typeof FORWARDED_SIGNALS)[number];
const STOPPING: ReadonlySet<string> = new Set(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']);

interface ExecFlags extends RunFlags {
  keep?: boolean;
  allowFailures?: boolean;
}

/** What a process hands its signal listeners to; injected so a test can drive it in-process. */
export interface SignalSource {
  on(signal: ForwardedSignal, listener: () => void): unknown;
  off(signal: ForwardedSignal, listener: () => void): unknown;
}

export const execCommand: CommandSpec<ExecFlags> = {
  name: 'exec',
  description: 'run, then start COMMAND with the files in place; forward signals to it, clean up after it, exit with its code',
  usage: '[options] -- COMMAND [ARGS...]',
  argument: { name: 'command', variadic: true, description: 'the command to start (after --), e.g. -- python main.py --listen' },
  options: [
    // The report goes to stderr: stdout belongs to COMMAND.
    ...runOptions.map((option) => (option.name === 'json' ? { ...option, description: 'print the run report as one JSON document on stderr (stdout belongs to COMMAND)' } : option)),
    { name: 'keep', description: 'leave the written files in place when the command ends' },
    { name: 'allow-failures', description: 'start the command even when a sink failed' },
  ],
  passThrough: true,
  run: (flags, command, context) => execute(command, flags, context, process),
};

/**
 * The container's start: run the sinks, start the command, relay signals, wait for it, clean up, and
 * return its exit code (128 + n when a signal ended it). Never returns before the command has ended.
 */
export async function execute(command: readonly string[], flags: ExecFlags, context: CliContext, signals: SignalSource): Promise<number> {
  const [file, ...args] = command;
  if (file === undefined || file === '') throw new ConfigError('BAD_USAGE', 'exec needs a command to start: comfy-secrets exec [options] -- COMMAND [ARGS...]');

  // Listening before the (synchronous) run means a signal that arrives during start-up is queued, not
  // fatal: it is handled once the run is done, by not starting the command at all.
  const received: ForwardedSignal[] = [];
  let relay: ((signal: ForwardedSignal) => void) | undefined;
  const listeners = FORWARDED_SIGNALS.map((signal) => {
    const listener = () => (relay ? relay(signal) : received.push(signal));
    signals.on(signal, listener);
    return [signal, listener] as const;
  });
  try {
    // The report goes to stderr: stdout belongs to the command.
    const run = runSinks('run', flags, { ...context, stdout: context.stderr }, true);
    const cleanUp = () => cleanAfter(run.lifecycle, flags, context);
    if (run.exitCode !== ExitCode.ok && !flags.allowFailures) {
      context.stderr.write(context.redactor.redact(`comfy-secrets exec: not starting ${file}: a sink failed (--allow-failures starts it anyway)\n`));
      cleanUp();
      return run.exitCode;
    }
    await new Promise((resolve) => setImmediate(resolve)); // let signals queued during the run arrive
    const stop = received.find((signal) => STOPPING.has(signal));
    if (stop) {
      context.stderr.write(context.redactor.redact(`comfy-secrets exec: ${stop} during start-up; not starting ${file}\n`));
      cleanUp();
      return 128 + constants.signals[stop];
    }

    // Loaded here, not at the top: child_process (with net and dgram) is a tenth of every other command's start-up.
    // (require, not import(): the bundle runs as a vm.Script, which has no dynamic-import hook.)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { spawn } = require('node:child_process') as typeof import('node:child_process');
    const code = await new Promise<number>((resolve) => {
      const child = spawn(file, args, { stdio: 'inherit', env: childEnvironment(context, run.report), cwd: context.cwd });
      relay = (signal) => {
        if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) child.kill(signal);
      };
      child.once('spawn', () => received.splice(0).forEach((signal) => relay?.(signal)));
      child.once('error', (error) => {
        // Only spawn failures land here: the command never ran.
        const reason = errnoCode(error);
        context.stderr.write(context.redactor.redact(`comfy-secrets exec: cannot start ${file}: ${reason ?? error.message}\n`));
        resolve(reason === 'ENOENT' ? 127 : 126);
      });
      child.once('exit', (exitCode, signal) => resolve(signal ? 128 + (constants.signals[signal] ?? 0) : exitCode ?? 0));
    });
    relay = () => undefined; // the command is gone; a late signal must not end the clean-up half-way
    cleanUp();
    return code;
  } finally {
    for (const [signal, listener] of listeners) signals.off(signal, listener);
  }
}

/**
 * The command's environment: ours, less every key of a dotenv file just written whose value here is
 * not the file's (docs/container.md "What the command inherits"). python-dotenv's `load_dotenv` does not
 * override, so such a key would hide the file's value; without it the node reads the file. Keys are
 * removed rather than set to the file's value, so a secret that came from a file, `--secrets-dir`
 * or `-f` is not copied into the process environment of ComfyUI and of everything it starts.
 */
export function childEnvironment(context: Pick<CliContext, 'env' | 'invalidUtf8Env' | 'stderr' | 'redactor'>, report: Pick<RunReport, 'envMismatches'>): Record<string, string | undefined> {
  const env = { ...context.env };
  for (const { key } of report.envMismatches) delete env[key];
  for (const name of context.invalidUtf8Env ?? []) {
    // Node hands a child only strings: bytes that are not UTF-8 cannot be passed on unchanged.
    if (env[name] !== undefined) context.stderr.write(context.redactor.redact(`comfy-secrets exec: ${name} is not valid UTF-8; the command receives it with U+FFFD in place of the bad bytes\n`));
  }
  return env;
}

function cleanAfter(lifecycle: Lifecycle, flags: ExecFlags, context: CliContext): void {
  const touched = lifecycle.state?.touched ?? [];
  if (flags.keep || !lifecycle.state || touched.length === 0) return;
  // Reloaded under the lock: other runs may have recorded files since ours.
  const state = RunState.open(context.fs, lifecycle.state.dir, currentUid());
  const report = cleanRecorded(context.fs, state, { only: [...touched] });
  for (const entry of report.files) {
    if (entry.action === 'kept') context.stderr.write(context.redactor.redact(`comfy-secrets exec: kept ${entry.path}: ${entry.reason ?? ''}\n`));
  }
}
