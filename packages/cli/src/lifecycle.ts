import * as path from 'node:path';
import { ConfigError, RunState, Store, type Lifecycle, type Logger, type StoreMode } from '@comfy-secrets/core';
import type { CliContext } from './context';
import type { RunFlags } from './options';

/** The user the files and directories are checked against; root in most containers. */
export function currentUid(): number {
  return process.getuid?.() ?? 0;
}

function storeFromEnv(context: CliContext): StoreMode {
  const value = context.env.COMFY_SECRETS_STORE;
  if (value === undefined || value === '') return 'auto';
  if (value === 'memory' || value === 'disk' || value === 'auto') return value;
  throw new ConfigError('BAD_OPTION', `COMFY_SECRETS_STORE must be memory, disk or auto (got '${value}')`);
}

/** The state of that directory, opened and locked; the directory is checked once, not named first and opened after. */
export function openState(flags: Pick<RunFlags, 'stateDir'>, context: CliContext): RunState {
  return RunState.openResolved({ flag: flags.stateDir, env: context.env, fs: context.fs, cwd: context.cwd, uid: currentUid() });
}

/**
 * The state and store of one run. A dry run (`plan`, `check`, `run --dry-run`) gets the store only, to
 * say where each file would go; it creates no directory and records nothing.
 */
export function openLifecycle(flags: RunFlags, context: CliContext, logger: Logger, dryRun: boolean): Lifecycle {
  const storeDir = flags.storeDir ?? context.env.COMFY_SECRETS_STORE_DIR;
  const store = Store.open(context.fs, logger, {
    mode: flags.store ?? storeFromEnv(context),
    dir: storeDir ? path.resolve(context.cwd, storeDir) : undefined,
    uid: currentUid(),
  });
  if (dryRun) return { store };
  return { store, state: openState(flags, context) };
}
