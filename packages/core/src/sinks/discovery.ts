import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { SecretSink } from '../contract';
import { ConfigError } from '../errors';
import type { FileSystem } from '../fs';
import { pluginText, type Redactor } from '../values/redact';
import { sinkProblems } from './validate';

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

function pluginEntry(fs: FileSystem, dir: string, explicit: boolean): { file: string; version?: string } | undefined {
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
  return { file: path.resolve(dir, main), version: typeof manifest.version === 'string' ? manifest.version : undefined };
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
