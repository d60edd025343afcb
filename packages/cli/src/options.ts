import * as path from 'node:path';
import { Option, type Command } from 'commander';
import {
  ConfigError,
  createContainer,
  createLogger,
  discoverSinks,
  findProjectDir,
  LOG_LEVELS,
  Redactor,
  Runner,
  type LoadedSink,
  type Logger,
  type LogLevel,
} from '@runtime-env/core';
import { withConfigNodes, type WithDeclarations } from './config-nodes';
import type { CliContext } from './context';

/** Options shared by the commands that run sinks (`run`, `plan`, `check`, `exec`). */
export interface RunFlags {
  comfyuiDir?: string;
  envFile: string[];
  override?: boolean;
  secretsDir?: string;
  plugin: string[];
  project?: string;
  only?: string[];
  skip?: string[];
  dryRun?: boolean;
  json?: boolean;
  strict?: boolean;
  logLevel?: string;
  owner?: { uid: number; gid: number };
  /** `--config-nodes FILE`, or `false` for `--no-config-nodes`. */
  configNodes?: string | boolean;
  /** `auto` unless given: memory for files that carry a secret when a tmpfs exists. */
  store?: 'auto' | 'memory' | 'disk';
  storeDir?: string;
  stateDir?: string;
}

/** Commander's accumulator for a repeatable option. */
export const collect = (value: string, previous: string[]) => [...previous, value];
const names = (value: string) => value.split(',').map((name) => name.trim()).filter(Boolean);

export function addDiscoveryOptions(command: Command): Command {
  return command
    .option('--plugin <path>', 'also load the sink(s) of this package directory or module file (repeatable)', collect, [])
    .option('--project <dir>', "discover sinks in this project's dependencies instead of the one that installed runtime-env")
    .option('--config-nodes <file>', 'also run the env maps of this config_nodes.json (default: $WORKSPACE_PATH/config_nodes.json when it exists)')
    .option('--no-config-nodes', 'read no config_nodes.json')
    .option('--json', 'print one JSON document on stdout (logs stay on stderr)')
    .addOption(new Option('--log-level <level>', 'error, warn, info or debug (default: $RUNTIME_ENV_LOG_LEVEL, else info)').choices(LOG_LEVELS));
}

export function addRunOptions(command: Command): Command {
  return addDiscoveryOptions(
    command
      .option('--comfyui-dir <dir>', 'ComfyUI root (default: $COMFYUI_PATH, else $WORKSPACE_PATH/ComfyUI, else /workspace/ComfyUI)')
      .option('-f, --env-file <file>', 'read variables from a dotenv file too (repeatable; later files win)', collect, [])
      .option('--override', 'let --env-file values win over the real environment')
      .option('--secrets-dir <dir>', 'read a variable from the file of its name in this directory (e.g. /run/secrets)')
      .option('--only <names>', 'run only these sinks (comma-separated)', names)
      .option('--skip <names>', 'skip these sinks (comma-separated)', names)
      .option('--strict', 'a missing optional variable fails its sink too')
      .option('--owner <uid:gid>', 'owner of written files, e.g. the user ComfyUI runs as', parseOwner)
      .addOption(new Option('--store <where>', 'memory: files live on a tmpfs, the target is a link to them; disk: plain files; auto (default): memory for files that carry a secret when a tmpfs exists, else disk').choices(['memory', 'disk', 'auto']))
      .option('--store-dir <dir>', 'the memory store directory, on a tmpfs (default: $RUNTIME_ENV_STORE_DIR, else /dev/shm/runtime-env-<uid>)')
      .option('--state-dir <dir>', 'where runs record what they wrote, for clean (default: $RUNTIME_ENV_STATE_DIR, else /run/runtime-env, else a temp dir)'),
  );
}

function parseOwner(value: string): { uid: number; gid: number } {
  const match = /^(\d+):(\d+)$/.exec(value);
  if (!match) throw new ConfigError('BAD_OPTION', `--owner takes numeric uid:gid, e.g. 1000:1000 (got '${value}')`);
  return { uid: Number(match[1]), gid: Number(match[2]) };
}

export function comfyuiDir(flags: RunFlags, context: CliContext): string {
  const { env } = context;
  const dir = flags.comfyuiDir ?? env.COMFYUI_PATH ?? (env.WORKSPACE_PATH ? path.join(env.WORKSPACE_PATH, 'ComfyUI') : '/workspace/ComfyUI');
  return path.resolve(context.cwd, dir);
}

export function makeLogger(flags: Pick<RunFlags, 'logLevel'>, context: CliContext, redactor: Redactor): Logger {
  const level = flags.logLevel ?? context.env.RUNTIME_ENV_LOG_LEVEL ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError('BAD_OPTION', `RUNTIME_ENV_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got '${level}')`);
  }
  return createLogger({ level: level as LogLevel, json: !context.stdout.isTTY, redactor, stream: context.stderr });
}

export function loadSinks(flags: Pick<RunFlags, 'plugin' | 'project' | 'configNodes'>, context: CliContext): LoadedSink[] {
  return loadSinksAndDeclarations(flags, context).sinks;
}

/** The discovered sinks plus those a config_nodes.json declares (and which declarations a code sink shadows). */
export function loadSinksAndDeclarations(flags: Pick<RunFlags, 'plugin' | 'project' | 'configNodes'>, context: CliContext): WithDeclarations {
  const projectDir = flags.project ? path.resolve(context.cwd, flags.project) : context.env.RUNTIME_ENV_PROJECT ?? findProjectDir(context.fs, context.cliDir);
  return withConfigNodes(discoverSinks({ fs: context.fs, projectDir, plugins: flags.plugin, cwd: context.cwd }), flags.configNodes, context);
}

/** Discovery, logger and a fresh container for one run of the sink-running commands. */
export function setUpRun(flags: RunFlags, context: CliContext): { runner: Runner; logger: Logger } {
  const { redactor } = context;
  const logger = makeLogger(flags, context, redactor);
  const container = createContainer({
    env: context.env,
    cwd: context.cwd,
    envFiles: flags.envFile,
    override: flags.override,
    secretsDir: flags.secretsDir,
    fs: context.fs,
    sinks: loadSinks(flags, context),
    logger,
    redactor,
  });
  return { runner: container.resolve(Runner), logger };
}
