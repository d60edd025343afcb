import { createRequire } from 'node:module';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { SecretSink, TargetRoot, Tier } from '../contract';
import { ConfigError } from '../errors';
import type { FileSystem } from '../fs';
import { pluginText, type Redactor } from '../values/redact';
import { sinkProblems, TARGET_ROOTS } from './validate';

/** A sink and the package it came from, as `list` shows it. */
export interface LoadedSink {
  sink: SecretSink;
  /** Package name, or the path given with `--plugin`. */
  plugin: string;
  version?: string;
}

export interface DiscoveryOptions {
  fs: FileSystem;
  /** The installing project: its dependencies are the candidates. None → only `plugins`. */
  projectDir?: string;
  /** `--plugin` paths: a package directory or a module file. */
  plugins?: readonly string[];
  /**
   * Sinks compiled into the program itself (the single executable carries the shipped ones). They are
   * checked like loaded ones and come first; a plugin with the same sink name is a DUPLICATE_SINK.
   */
  bundled?: ReadonlyArray<{ sink: unknown; plugin: string; version?: string }>;
  cwd: string;
  /**
   * Problems quote what a plugin's code threw (a module that fails to load: V8's JSON.parse quotes ten
   * characters of its input): with a redactor, a message that still quotes a piece of a secret once
   * redacted is withheld.
   */
  redactor?: Pick<Redactor, 'quotesPiece' | 'redact'>;
  /**
   * Whether a sink may apply to the tree about to be run, judged from its package's marker alone (see
   * {@link SinkSummary}). When given, a package whose marker summarises every sink it exports, none of
   * which applies, is not loaded: its sinks are stand-ins that answer from the marker and load the
   * module only if something asks for more. Without it (`list`, `check`, `audit`) every sink is loaded and
   * checked. Answer `true` when unsure: a wrong `false` costs a late load, never a different run.
   */
  applies?: (summary: SinkSummary) => boolean;
}

/**
 * What the runner looks at before it skips a sink whose node is absent (contract `nodes`, `present`) and
 * what ordering and duplicate names need. A package may list one per sink in its marker,
 * `"comfySecrets": { "sink": "./dist/index.js", "sinks": [SinkSummary…] }`, so that a run on a tree
 * without its node does not load it. It must equal {@link sinkSummary} of each exported sink.
 */
export interface SinkSummary {
  name: string;
  nodes: string[];
  present?: { path: string; relativeTo: Exclude<TargetRoot, 'node'> };
  order?: Tier;
  dependencies?: string[];
}

/**
 * The marker summary of a sink, or `undefined` when whether it applies cannot be told from one: a sink
 * with `installedElsewhere`, `whenNotInstalled: 'fail-when-set'`, or no `nodes` and no `present`.
 */
export function sinkSummary(sink: SecretSink): SinkSummary | undefined {
  if (sink.installedElsewhere !== undefined || sink.whenNotInstalled === 'fail-when-set') return undefined;
  if (sink.nodes.length === 0 && sink.present === undefined) return undefined;
  return {
    name: sink.name,
    nodes: [...sink.nodes],
    ...(sink.present ? { present: { path: sink.present.path, relativeTo: sink.present.relativeTo } } : {}),
    ...(sink.order ? { order: sink.order } : {}),
    ...(sink.dependencies ? { dependencies: [...sink.dependencies] } : {}),
  };
}

/** The package.json field that marks a package as holding sinks: `"comfySecrets": { "sink": "./dist/index.js" }`. */
export const MARKER_FIELD = 'comfySecrets';
const CLI_PACKAGE = '@comfy-secrets/cli';

/**
 * The project that installed comfy-secrets: the nearest directory at or above `fromDir` whose
 * package.json depends on the CLI. Sinks are that project's dependencies, so what runs is what the
 * image's package.json says, never whatever else lies in node_modules.
 */
export function findProjectDir(fs: FileSystem, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const manifest = readManifest(fs, path.join(dir, 'package.json'));
    if (manifest && dependencyNames(manifest).includes(CLI_PACKAGE)) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * Loads every sink of the project's marked dependencies and of `--plugin` paths. Reads only the
 * package.json of declared dependencies (not all of node_modules). All problems are collected and
 * thrown together, naming each package, so a broken image is fixed in one round.
 */
export function discoverSinks(options: DiscoveryOptions): LoadedSink[] {
  const { fs } = options;
  const loaded: LoadedSink[] = [];
  const problems: ConfigError[] = [];
  for (const { sink, plugin, version } of options.bundled ?? []) {
    try {
      loaded.push(...checkSinks([sink], plugin).map((checked) => ({ ...checked, version })));
    } catch (error) {
      problems.push(error as ConfigError);
    }
  }

  const candidates: Array<{ plugin: string; dir: string; explicit: boolean }> = [];
  if (options.projectDir) {
    const manifest = readManifest(fs, path.join(options.projectDir, 'package.json')) ?? {};
    for (const name of dependencyNames(manifest)) {
      candidates.push({ plugin: name, dir: path.join(options.projectDir, 'node_modules', name), explicit: false });
    }
  }
  for (const given of options.plugins ?? []) {
    candidates.push({ plugin: given, dir: path.resolve(options.cwd, given), explicit: true });
  }

  // One require function for every plugin: a module's path is absolute, so where it is required from
  // changes nothing, and a thousand plugins need not each make their own.
  const load = createRequire(path.join(options.cwd, 'package.json'));
  for (const { plugin, dir, explicit } of candidates) {
    try {
      const entry = pluginEntry(fs, dir, explicit);
      if (!entry) continue;
      if (options.applies && entry.summaries && !entry.summaries.some(options.applies)) {
        loaded.push(...standIns(entry.summaries, () => loadSinks(fs, load, entry.file, plugin), plugin, entry.version));
        continue;
      }
      for (const sink of loadSinks(fs, load, entry.file, plugin)) loaded.push({ sink, plugin, version: entry.version });
    } catch (error) {
      const problem = error instanceof ConfigError ? error : new ConfigError('PLUGIN_INVALID', `${plugin}: ${String(error)}`, { plugin });
      const shown = pluginText(problem.message, options.redactor, `Plugin ${plugin}: ${problem.code} (the message quotes part of a secret, so it is not shown)`);
      problems.push(shown === problem.message ? problem : new ConfigError(problem.code, shown, { plugin: problem.plugin ?? plugin, file: problem.file }));
    }
  }

  const seen = new Map<string, string>();
  for (const { sink, plugin } of loaded) {
    const first = seen.get(sink.name);
    if (first !== undefined) problems.push(new ConfigError('DUPLICATE_SINK', `Two sinks are named '${sink.name}': one in ${first}, one in ${plugin}`, { sink: sink.name, plugin }));
    else seen.set(sink.name, plugin);
  }

  // One problem keeps its own code; several are reported together so a broken image is fixed in one go.
  if (problems.length === 1) throw problems[0]!;
  if (problems.length > 1) throw new ConfigError('PLUGIN_INVALID', `${problems.length} plugin problems:\n- ${problems.map((p) => p.message).join('\n- ')}`);
  return loaded;
}

/** Checks sinks given directly (the test seam, and `runSink`), with the same errors as discovery. */
export function checkSinks(sinks: readonly unknown[], plugin = 'sinks given directly'): LoadedSink[] {
  return sinks.map((sink) => {
    const problems = sinkProblems(sink);
    if (problems.length) throw new ConfigError('PLUGIN_INVALID', `${plugin} is not a valid sink: ${problems.join('; ')}`, { plugin });
    return { sink: sink as SecretSink, plugin };
  });
}

/**
 * Stand-ins for a package not loaded: name, nodes, present, order and dependencies come from its marker;
 * any other field loads the module (checked as discovery checks it, and against the marker) first.
 */
function standIns(summaries: readonly SinkSummary[], loadAll: () => SecretSink[], plugin: string, version: string | undefined): LoadedSink[] {
  let sinks: SecretSink[] | undefined;
  const real = (summary: SinkSummary): SecretSink => {
    sinks ??= loadAll();
    const sink = sinks.find((candidate) => candidate.name === summary.name);
    if (!sink || !isDeepStrictEqual(sinkSummary(sink), summary)) {
      throw new ConfigError('PLUGIN_INVALID', `Plugin ${plugin}: its package.json ${MARKER_FIELD}.sinks does not match the sink '${summary.name}' its module exports`, { plugin });
    }
    return sink;
  };
  return summaries.map((summary) => {
    // Known not to run elsewhere and to be skipped when absent: that is what having a summary means.
    const known = { installedElsewhere: undefined, whenNotInstalled: undefined, present: undefined, order: undefined, dependencies: undefined, ...summary };
    // Own fields are plain properties (the runner reads them often); any other lookup reaches the prototype.
    const sink = Object.setPrototypeOf(known, new Proxy({}, { get: (_target, key) => Reflect.get(real(summary), key) })) as unknown as SecretSink;
    return { sink, plugin, version };
  });
}

function pluginEntry(fs: FileSystem, dir: string, explicit: boolean): { file: string; version?: string; summaries?: SinkSummary[] } | undefined {
  const manifest = readManifest(fs, path.join(dir, 'package.json'));
  if (!manifest) {
    if (!explicit) return undefined;
    if (!fs.existsSync(dir)) throw new ConfigError('PLUGIN_NOT_FOUND', `--plugin ${dir} does not exist`, { plugin: dir });
    return { file: dir };
  }
  const marker = manifest[MARKER_FIELD];
  if (marker === undefined && !explicit) return undefined;
  const declared = typeof marker === 'object' && marker !== null && typeof (marker as { sink?: unknown }).sink === 'string' ? (marker as { sink: string }).sink : undefined;
  const main = declared ?? (typeof manifest.main === 'string' ? manifest.main : 'index.js');
  const listed = typeof marker === 'object' && marker !== null ? (marker as { sinks?: unknown }).sinks : undefined;
  if (listed !== undefined && !(Array.isArray(listed) && listed.length > 0 && listed.every(isSummary))) {
    throw new ConfigError('PLUGIN_INVALID', `${path.join(dir, 'package.json')}: ${MARKER_FIELD}.sinks must list { name, nodes, present?, order?, dependencies? } for each sink`, { file: path.join(dir, 'package.json') });
  }
  return { file: path.resolve(dir, main), version: typeof manifest.version === 'string' ? manifest.version : undefined, summaries: listed as SinkSummary[] | undefined };
}

function isSummary(value: unknown): value is SinkSummary {
  if (typeof value !== 'object' || value === null) return false;
  const { name, nodes, present, order, dependencies } = value as Record<string, unknown>;
  const strings = (list: unknown): list is string[] => Array.isArray(list) && list.every((item) => typeof item === 'string');
  const presentOk = present === undefined || (typeof present === 'object' && present !== null && typeof (present as { path?: unknown }).path === 'string' && TARGET_ROOTS.includes((present as { relativeTo?: unknown }).relativeTo as string) && (present as { relativeTo?: unknown }).relativeTo !== 'node');
  return typeof name === 'string' && strings(nodes) && nodes.every((node) => node !== '' && node !== '.' && node !== '..' && !/[\\/]/.test(node)) && presentOk && (nodes.length > 0 || present !== undefined) && (order === undefined || order === 'pre' || order === 'normal' || order === 'post') && (dependencies === undefined || strings(dependencies));
}

function loadSinks(fs: FileSystem, load: NodeJS.Require, file: string, plugin: string): SecretSink[] {
  let exported: unknown;
  try {
    // require() also loads ES modules without top-level await on the Node versions we support.
    exported = load(file);
  } catch (error) {
    // Asked only on failure: require() itself finds out whether the file is there.
    if (!fs.existsSync(file)) throw new ConfigError('PLUGIN_LOAD_FAILED', `Plugin ${plugin}: its module ${file} is missing (is it built?)`, { plugin });
    const firstLine = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ConfigError('PLUGIN_LOAD_FAILED', `Plugin ${plugin}: its module failed to load: ${firstLine}`, { plugin, cause: error });
  }
  const unwrapped = unwrapDefault(exported);
  const sinks = Array.isArray(unwrapped) ? unwrapped : [unwrapped];
  if (sinks.length === 0) throw new ConfigError('PLUGIN_INVALID', `Plugin ${plugin} exports no sink`, { plugin });
  return checkSinks(sinks, `Plugin ${plugin}`).map((loaded) => loaded.sink);
}

function unwrapDefault(exported: unknown): unknown {
  let value = exported;
  // CommonJS output of `export default` and ESM namespaces both put the sink under `default`.
  while (typeof value === 'object' && value !== null && 'default' in value && !('name' in value)) {
    value = (value as { default: unknown }).default;
  }
  return value;
}

function readManifest(fs: FileSystem, file: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new ConfigError('PLUGIN_INVALID', `${file} is not valid JSON`, { file });
  }
}

function dependencyNames(manifest: Record<string, unknown>): string[] {
  const names = new Set<string>();
  for (const field of ['dependencies', 'optionalDependencies', 'devDependencies']) {
    const deps = manifest[field];
    if (typeof deps === 'object' && deps !== null) for (const name of Object.keys(deps)) names.add(name);
  }
  return [...names].sort();
}
