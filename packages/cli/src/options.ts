import * as path from 'node:path';
import {
  ConfigError,
  createContainer,
  createLogger,
  discoverSinks,
  errnoCode,
  findProjectDir,
  LOG_LEVELS,
  Redactor,
  Runner,
  type DiscoveryOptions,
  type Environment,
  type LoadedSink,
  type Logger,
  type LogLevel,
} from '@comfy-secrets/core';
import { mayApply } from './applies';
import { UsageError, type OptionSpec } from './args';
import { withConfigNodes, type WithDeclarations } from './config-nodes';
import { colourOn, paintLogLine, painter, type Paint } from './colour';
import type { CliContext } from './context';

/** Options shared by the commands that run sinks (`run`, `plan`, `check`, `exec`). */
export interface RunFlags {
  comfyuiDir?: string;
  userDirectory?: string;
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
  configNodes?: string;
  noConfigNodes?: boolean;
  /** `auto` unless given: memory for files that carry a secret when a tmpfs exists. */
  store?: 'auto' | 'memory' | 'disk';
  storeDir?: string;
  stateDir?: string;
}

const names = (value: string) => value.split(',').map((name) => name.trim()).filter(Boolean);

/** How the sink-running commands and `list` find sinks, and how they print. */
export const discoveryOptions: readonly OptionSpec[] = [
  { name: 'plugin', value: '<path>', repeatable: true, description: 'also load the sink(s) of this package directory or module file (repeatable)' },
  { name: 'project', value: '<dir>', description: "discover sinks in this project's dependencies instead of the one that installed comfy-secrets" },
  { name: 'config-nodes', value: '<file>', description: 'also run the env maps of this config_nodes.json (default: $WORKSPACE_PATH/config_nodes.json when it exists)' },
  { name: 'no-config-nodes', description: 'read no config_nodes.json' },
  { name: 'json', description: 'print one JSON document on stdout (logs stay on stderr)' },
  { name: 'log-level', value: '<level>', choices: LOG_LEVELS, description: 'error, warn, info or debug (default: $COMFY_SECRETS_LOG_LEVEL, else info)' },
];

/** Options shared by `run`, `plan`, `check` and `exec`. */
export const runOptions: readonly OptionSpec[] = [
  { name: 'comfyui-dir', value: '<dir>', description: 'ComfyUI root (default: $COMFYUI_PATH, else $WORKSPACE_PATH/ComfyUI, else /workspace/ComfyUI)' },
  {
    name: 'user-directory',
    value: '<dir>',
    description: "ComfyUI's user directory, when ComfyUI runs with --user-directory (default: $COMFY_SECRETS_USER_DIRECTORY, else <comfyui-dir>/user)",
  },
  {
    name: 'env-file',
    short: 'f',
    value: '<file>',
    repeatable: true,
    description:
      'read variables from a dotenv file too (repeatable; later files win). Write it -f FILE: Node itself looks for --env-file FILE anywhere on its command line and exits 9 before comfy-secrets starts when FILE is missing',
  },
  { name: 'override', description: 'let --env-file values win over the real environment' },
  { name: 'secrets-dir', value: '<dir>', description: 'read a variable from the file of its name in this directory (e.g. /run/secrets)' },
  { name: 'only', value: '<names>', parse: names, description: 'run only these sinks (comma-separated)' },
  { name: 'skip', value: '<names>', parse: names, description: 'skip these sinks (comma-separated)' },
  { name: 'strict', description: 'a missing optional variable fails its sink too' },
  { name: 'owner', value: '<uid:gid>', parse: parseOwner, description: 'owner of written files, e.g. the user ComfyUI runs as' },
  {
    name: 'store',
    value: '<where>',
    choices: ['memory', 'disk', 'auto'],
    description: 'memory: files live on a tmpfs, the target is a link to them; disk: plain files; auto (default): memory for files that carry a secret when a tmpfs exists, else disk',
  },
  { name: 'store-dir', value: '<dir>', description: 'the memory store directory, on a tmpfs (default: $COMFY_SECRETS_STORE_DIR, else /dev/shm/comfy-secrets-<uid>)' },
  { name: 'state-dir', value: '<dir>', description: 'where runs record what they wrote, for clean (default: $COMFY_SECRETS_STATE_DIR, else /run/comfy-secrets, else a temp dir)' },
  ...discoveryOptions,
];

/** `--config-nodes FILE`, `--no-config-nodes`, or neither; both at once is a contradiction. */
export function configNodesOption(flags: { configNodes?: string; noConfigNodes?: boolean }): string | false | undefined {
  if (flags.noConfigNodes && flags.configNodes !== undefined) throw new UsageError('--config-nodes and --no-config-nodes contradict each other');
  return flags.noConfigNodes ? false : flags.configNodes;
}

function parseOwner(value: string): { uid: number; gid: number } {
  const match = /^(\d+):(\d+)$/.exec(value);
  if (!match) throw new ConfigError('BAD_OPTION', `--owner takes numeric uid:gid, e.g. 1000:1000 (got '${value}')`);
  return { uid: Number(match[1]), gid: Number(match[2]) };
}

/**
 * A setting from the environment. Empty counts as unset, as it does for every variable the sinks read:
 * a platform's form often passes `NAME=` for a field left blank.
 */
export function setting(env: Environment, name: string): string | undefined {
  return env[name] || undefined;
}

/** `$COMFYUI_PATH`, else `$WORKSPACE_PATH/ComfyUI`, else `/workspace/ComfyUI`; not resolved (audit reads it inside --rootfs). */
export function defaultComfyuiDir(env: Environment): string {
  const workspace = setting(env, 'WORKSPACE_PATH');
  return setting(env, 'COMFYUI_PATH') ?? (workspace ? path.join(workspace, 'ComfyUI') : '/workspace/ComfyUI');
}

export function comfyuiDir(flags: RunFlags, context: CliContext): string {
  return path.resolve(context.cwd, flags.comfyuiDir ?? defaultComfyuiDir(context.env));
}

/**
 * ComfyUI's user directory: `--user-directory`, else `$COMFY_SECRETS_USER_DIRECTORY`, else undefined
 * (the runner takes `<comfyui-dir>/user`). ComfyUI reads its own `--user-directory` from its command
 * line only, so the container passes the same path to both. Like ComfyUI, it must be an existing directory.
 */
export function userDirectory(flags: RunFlags, context: CliContext): string | undefined {
  const given = flags.userDirectory ?? setting(context.env, 'COMFY_SECRETS_USER_DIRECTORY');
  if (given === undefined) return undefined;
  const resolved = path.resolve(context.cwd, given);
  const source = flags.userDirectory === undefined ? 'COMFY_SECRETS_USER_DIRECTORY' : '--user-directory';
  if (context.fs.statSync(resolved, { throwIfNoEntry: false })?.isDirectory() !== true) {
    throw new ConfigError('USER_DIR_MISSING', `${source} names ${resolved}, which is not a directory (ComfyUI refuses a --user-directory that does not exist too)`, { file: resolved });
  }
  return resolved;
}

export function makeLogger(flags: Pick<RunFlags, 'logLevel'>, context: CliContext, redactor: Redactor): RunLogger {
  const level = flags.logLevel ?? setting(context.env, 'COMFY_SECRETS_LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError('BAD_OPTION', `COMFY_SECRETS_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got '${level}')`);
  }
  const { stdout, stderr } = context;
  let paint: Paint | undefined | null = null;
  const logger = createLogger({
    level: level as LogLevel,
    // Read when the first line is logged: a run that logs nothing never asks (and never loads node:tty).
    get json() {
      return !stdout.isTTY;
    },
    redactor,
    // The logger hands over lines it has redacted; a text line's level is coloured after that. JSON
    // lines stay as they are whatever FORCE_COLOR says: they are for machines.
    write: (text) => {
      if (paint === null) paint = stdout.isTTY ? painter(colourOn(context.colour, stderr)) : undefined;
      stderr.write(paintLogLine(text, paint));
    },
  });
  // A sink's failure is a line of the run report too. When the report and the log lines share the
  // terminal, a person would read it twice: the report, which comes last and says the most, keeps it.
  // Piped (pm2, docker logs, a log shipper) the JSON line stays: that is what those collect.
  let held: Array<Parameters<Logger['error']>> | undefined = [];
  return {
    ...logger,
    error(message, meta) {
      if (held && meta?.sink !== undefined && meta.code !== undefined && stdout.isTTY && stderr.isTTY) held.push([message, meta]);
      else logger.error(message, meta);
    },
    reported() {
      held = undefined;
    },
    releaseHeld() {
      for (const [message, meta] of held ?? []) logger.error(message, meta);
      held = undefined;
    },
  };
}

/**
 * The run's logger. On a terminal it holds the sink failures back for the report; the command calls
 * `reported()` once the report is printed, or `releaseHeld()` when the run ended without one, so no
 * failure goes unsaid.
 */
export interface RunLogger extends Logger {
  reported(): void;
  releaseHeld(): void;
}

export function loadSinks(flags: Pick<RunFlags, 'plugin' | 'project' | 'configNodes' | 'noConfigNodes'>, context: CliContext): LoadedSink[] {
  return loadSinksAndDeclarations(flags, context).sinks;
}

/** The discovered sinks plus those a config_nodes.json declares (and which declarations a code sink shadows). */
export function loadSinksAndDeclarations(flags: Pick<RunFlags, 'plugin' | 'project' | 'configNodes' | 'noConfigNodes'>, context: CliContext, applies?: DiscoveryOptions['applies']): WithDeclarations {
  const { cliDir } = context;
  const projectDir = flags.project ? path.resolve(context.cwd, flags.project) : setting(context.env, 'COMFY_SECRETS_PROJECT') ?? (cliDir === undefined ? undefined : findProjectDir(context.fs, cliDir));
  const plugins = [...pluginsIn(context), ...flags.plugin];
  return withConfigNodes(discoverSinks({ fs: context.fs, projectDir, plugins, bundled: context.bundledSinks, cwd: context.cwd, redactor: context.redactor, applies }), configNodesOption(flags), context);
}

/**
 * Every entry of `context.pluginsDir` (a package directory or a module file), in name order; dot
 * entries are left out. A missing directory is none: most images have no third-party sink.
 */
function pluginsIn(context: CliContext): string[] {
  const dir = context.pluginsDir;
  if (dir === undefined) return [];
  let names: string[];
  try {
    names = context.fs.readdirSync(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return [];
    throw new ConfigError('PLUGIN_NOT_FOUND', `cannot read the plugins directory ${dir} (${errnoCode(error) ?? 'error'})`, { plugin: dir, cause: error });
  }
  return names.filter((name) => !name.startsWith('.')).sort().map((name) => path.join(dir, name));
}

/**
 * Discovery, logger and a fresh container for one run of the sink-running commands.
 * @param onlyWhatApplies leave unloaded the sink packages whose nodes are absent from the tree (`run`,
 * `plan`, `exec`); `check` loads and checks every one, as `list` does
 */
export function setUpRun(flags: RunFlags, context: CliContext, onlyWhatApplies = false): { runner: Runner; logger: RunLogger } {
  const { redactor } = context;
  const logger = makeLogger(flags, context, redactor);
  const { sinks, shadowed } = loadSinksAndDeclarations(flags, context, onlyWhatApplies ? mayApply(context, comfyuiDir(flags, context), flags.owner) : undefined);
  // Keys a user declared for a node that a code sink serves: the run would drop them without a word.
  for (const { node, by, unwritten } of shadowed) {
    if (unwritten === undefined) continue;
    logger.warn(`config_nodes.json's entry for custom_nodes/${node} is served by the code sink ${by}, which does not write ${unwritten.join(', ')}: ${unwritten.length === 1 ? 'it is' : 'they are'} not written (a code sink writes what its node reads; comfy-secrets list shows its keys)`, { sink: by });
  }
  const container = createContainer({
    env: context.env,
    invalidUtf8: context.invalidUtf8Env,
    cwd: context.cwd,
    envFiles: flags.envFile,
    override: flags.override,
    secretsDir: flags.secretsDir,
    fs: context.fs,
    sinks,
    logger,
    redactor,
  });
  return { runner: container.resolve(Runner), logger };
}
