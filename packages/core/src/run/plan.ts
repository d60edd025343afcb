import * as path from 'node:path';
import type { OutsideRoot, SecretSink, TargetChoice, TargetContext, TreeBase, TreeContext } from '../contract';
import { SinkError } from '../errors';
import { createFormat, mergesExisting } from '../formats';
import { UnwritableValueError } from '../formats/format';
import { lstatQuietly } from '../fs';
import { chooseTargets } from '../files/target';
import { locateTarget, readTarget, type LocatedTarget, type WriteRequest } from '../files/writer';
import { resolveVariables } from '../values/variables';
import { failSink, skipSink, type RunDeps } from './failure';
import type { EnvMismatch, RunOptions, SinkReport } from './types';
import type { Claim, RunView } from './view';

/**
 * The first half of a sink's trip, which writes nothing: resolve its values, validate them, choose and
 * check its targets, and render every file, before the first one is written, so a refusal leaves all
 * of them as they were. What earlier sinks of the run wrote (or, in a dry run, would write) it reads
 * through the run's view.
 */

/** One file of a sink's plan: where it goes, checked, and its content rendered; nothing written yet. */
export interface PlannedFile {
  /** The installation it is for; undefined for a node run from elsewhere. */
  nodeDir: string | undefined;
  /** The target itself (not where our memory-store link leads). Absolute. */
  linkPath: string;
  /** Relative to the ComfyUI root (absolute outside it), for the report and messages. */
  file: string;
  located: LocatedTarget;
  request: Pick<WriteRequest, 'root' | 'comfyuiDir' | 'path' | 'allowedLinkDir'>;
  content: string;
  owner: { uid: number; gid: number } | undefined;
  claim: Claim;
  reason: string | undefined;
  /** How many keys it holds, for the log. */
  keys: number;
}

/** A sink's plan: every file of every installation, in the order they are written. */
export interface SinkPlan {
  sink: SecretSink;
  carriesSecret: boolean;
  mode: number;
  files: PlannedFile[];
  /** Keys of its dotenv files that a reader keeping the environment would not take (`EnvMismatch`). */
  mismatches: EnvMismatch[];
}

/** The start of a skip reason: the sink's node directory is not there. */
export const NOT_INSTALLED = 'its node is not installed';

const OUTSIDE_ROOTS: ReadonlySet<string> = new Set<OutsideRoot>(['home', 'xdg-config', 'hf-home', 'hf-token']);

/** Names of code that ComfyUI and its nodes run: `.py` and compiled Python, anything in a `.git` directory. */
const SOURCE_FILE = /\.(py|pyc|pyo|pyi|pyw|pth|so)$/i;

/**
 * The sink's plan, or undefined when it is skipped or has failed (its report says which; the report
 * also takes its variables and warnings).
 * @throws what stops the sink; the caller fails it
 */
export function planSink(deps: RunDeps, sink: SecretSink, report: SinkReport, options: RunOptions, view: RunView): SinkPlan | undefined {
  const skip = (reason: string): undefined => void skipSink(deps, report, reason);
  const userDir = options.userDir ?? path.join(options.comfyuiDir, 'user');
  const installs: Array<string | undefined> = installedNodeDirs(deps, sink, options.comfyuiDir);
  if (installs.length === 0 && sink.installedElsewhere) {
    if (typeof sink.installedElsewhere(treeContext(deps, options.comfyuiDir, userDir, view)) === 'string') installs.push(undefined);
  }
  const looked = `looked for ${sink.nodes.map((node) => `custom_nodes/${node}`).join(', ')}`;
  if (installs.length === 0 && sink.whenNotInstalled !== 'fail-when-set') return skip(`${NOT_INSTALLED} (${looked})`);
  const absent = sink.nodes.length === 0 ? absentProgram(deps, sink, options) : undefined;
  if (absent !== undefined) return skip(absent);

  const resolved = resolveVariables(sink, deps.sources, deps.redactor, options.strict);
  report.variables = resolved.report;
  if (installs.length === 0) {
    const set = resolved.report.filter((line) => line.state === 'set').map((line) => variableLabel(sink, line.key));
    if (set.length === 0) return skip(`${NOT_INSTALLED} (${looked})`);
    throw new SinkError('NOT_INSTALLED', `${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set, but the node ${sink.name} serves is not installed (${looked}${sink.installedElsewhere ? ', nor anywhere else it can run from' : ''}), so nothing would read ${set.length === 1 ? 'it' : 'them'}`);
  }
  if (resolved.errors.length > 0) {
    for (const error of resolved.errors) failSink(deps, report, error);
    return undefined;
  }
  for (const line of resolved.report) {
    if (line.state === 'missing' && line.unset) deps.logger.warn(`${sink.name}: ${line.key} left out because ${line.unset.join(', ')} ${line.unset.length === 1 ? 'is' : 'are'} not set`, { sink: sink.name, variable: line.key });
  }
  if (resolved.entries.length === 0) return skip('nothing to configure (none of its variables is set)');

  const header = sink.header?.length ? [...sink.header, `Generated at: ${deps.clock().toISOString()}`] : [];
  const setKeys = new Set(resolved.report.filter((line) => line.state === 'set').map((line) => line.key));
  const plan: SinkPlan = {
    sink,
    carriesSecret: resolved.report.some((line) => line.secret && line.state === 'set'),
    mode: options.mode ?? 0o600,
    files: [],
    mismatches: [],
  };
  for (const nodeDir of installs) {
    // A node run from elsewhere (no node directory) writes under the ComfyUI tree: its owner, then.
    const owner = options.owner ?? (options.ownerFromNodeDir ? ownerOf(deps, nodeDir ?? options.comfyuiDir) : undefined);
    const context: TargetContext = { ...treeContext(deps, options.comfyuiDir, userDir, view), nodeDir, hfTokenName: options.roots?.hfTokenName ?? 'token' };
    for (const target of chooseTargets(sink, context, deps.redactor)) {
      const spec = target.format ?? sink.format;
      // A format that replaces the file does not read it: the writer compares it once, before writing.
      const merges = mergesExisting(spec);
      const type = typeof spec === 'string' ? spec : (spec?.type ?? 'dotenv');
      const { request, linkPath, file } = placement(deps, sink, target, options, userDir, nodeDir);
      refuseSourceFile(file);
      const entries = entriesFor(deps, sink, target, resolved.entries, setKeys, file, report);
      if (entries.length === 0) continue;
      // One sink reaching the same file from two node directories writes it once.
      if (plan.files.some((planned) => planned.linkPath === linkPath)) continue;
      const earlier = view.claimOf(linkPath);
      // A file that replaces another sink's would silently drop that sink's keys, run after run.
      if (earlier && !(earlier.merges && merges && earlier.type === type)) {
        throw new SinkError('TARGET_CONFLICT', `${file} is also written by sink '${earlier.sink}' (${earlier.label}); two sinks can share a file only when both merge their keys into it in the same format (ini, or json with merge: true)`, { file });
      }
      const located = locateTarget(deps.fs, request);
      const format = createFormat(spec);
      let content: string;
      try {
        const existing = merges ? (view.textOf(linkPath) ?? readTarget(deps.fs, request) ?? seedOf(deps, target, options.comfyuiDir)) : undefined;
        content = format.render({ entries, header, existing });
      } catch (error) {
        if (error instanceof UnwritableValueError) {
          throw new SinkError('UNWRITABLE_VALUE', `cannot write ${variableLabel(sink, error.key)} to ${file}: ${error.reason}`, { variable: error.key, file });
        }
        // The format does not know which file it read.
        if (error instanceof SinkError && error.file === undefined) throw new SinkError(error.code, `${file}: ${error.message}`, { file, variable: error.variable });
        throw error;
      }
      if (type === 'dotenv') plan.mismatches.push(...mismatches(deps, sink, entries, resolved.entries, file));
      const claim: Claim = { sink: sink.name, label: format.label, merges, type };
      plan.files.push({ nodeDir, linkPath, file, located, request, content, owner, claim, reason: target.reason, keys: entries.length });
    }
  }
  return plan;
}

/**
 * Where a target goes: the write request's root and path (a root outside the tree is its own anchor),
 * the target's absolute path, and its name in the report.
 */
function placement(deps: RunDeps, sink: SecretSink, target: TargetChoice, options: RunOptions, userDir: string, nodeDir: string | undefined): { request: PlannedFile['request']; linkPath: string; file: string } {
  const base = target.relativeTo ?? 'node';
  if (sink.nodes.length === 0 && base === 'node') throw new SinkError('PLUGIN_ERROR', "it serves no custom node (its 'nodes' is empty), so its file cannot be relative to a node directory");
  // Below the home or another outside root: its own base, the path checked against the root.
  const outside = OUTSIDE_ROOTS.has(base) ? outsidePlacement(deps, target, base as OutsideRoot, options) : undefined;
  // A user directory inside the tree is written from the tree's root, which makes `user/` when it
  // is missing; one outside (`--user-directory`, which must exist) is its own anchor.
  const userInside = isInside(options.comfyuiDir, userDir);
  const root = outside ? outside.base : base === 'comfyui' || (base === 'user' && userInside) ? options.comfyuiDir : base === 'user' ? userDir : nodeDir!;
  const relative = outside ? outside.path : base === 'user' && userInside ? path.join(path.relative(options.comfyuiDir, userDir), target.path) : target.path;
  const anchor = outside || !isInside(options.comfyuiDir, root) ? root : options.comfyuiDir;
  // The target itself, not where our memory-store link leads.
  const linkPath = path.resolve(root, relative);
  return {
    request: { root, comfyuiDir: anchor, path: relative, allowedLinkDir: options.lifecycle?.store?.memory?.dir },
    linkPath,
    // Outside the tree a file is named by its absolute path.
    file: outside ? linkPath : path.relative(options.comfyuiDir, linkPath),
  };
}

/**
 * A sink may write anywhere in the tree (`relativeTo: 'comfyui'`), but never over code: a `main.py`
 * or a node's `__init__.py` replaced by a secrets file would break ComfyUI (or run what the file
 * holds), and no node reads its secrets from its own source. Refused whether the file exists or not.
 * @throws SinkError `UNSAFE_PATH`
 */
function refuseSourceFile(file: string): void {
  const parts = file.split(path.sep);
  if (SOURCE_FILE.test(parts[parts.length - 1] ?? '') || parts.includes('.git')) {
    throw new SinkError('UNSAFE_PATH', `refusing to write ${file}: it is ${parts.includes('.git') ? 'inside a .git directory' : 'Python source (or compiled code)'}, which ComfyUI runs; a sink writes configuration files only`, { file });
  }
}

/**
 * The keys of a dotenv file whose value in the platform environment is not the file's, and the
 * sink's keys left out of every file while the environment holds them empty (see `EnvMismatch`).
 */
function mismatches({ sources }: RunDeps, sink: SecretSink, entries: ReadonlyArray<[string, string]>, resolved: ReadonlyArray<[string, string]>, file: string): EnvMismatch[] {
  const found: EnvMismatch[] = [];
  for (const [key, value] of entries) {
    const inEnvironment = sources.environmentValue(key);
    if (inEnvironment !== undefined && inEnvironment !== value) found.push({ key, sink: sink.name, file, kind: 'differs' });
  }
  const resolvedKeys = new Set(resolved.map(([key]) => key));
  for (const key of Object.keys(sink.variables)) {
    if (!resolvedKeys.has(key) && sources.environmentValue(key) === '') found.push({ key, sink: sink.name, file, kind: 'empty' });
  }
  return found;
}

/** The owner of a node directory: whoever installed the node is whom ComfyUI runs as, most often. */
function ownerOf({ fs }: RunDeps, dir: string): { uid: number; gid: number } {
  const stat = fs.statSync(dir);
  return { uid: stat.uid, gid: stat.gid };
}

/** Node directories that exist; a symlinked one is refused rather than followed out of the tree. */
function installedNodeDirs({ fs }: RunDeps, sink: SecretSink, comfyuiDir: string): string[] {
  // A sink for a program that is not a custom node applies to the tree itself (contract `nodes`).
  if (sink.nodes.length === 0) return [comfyuiDir];
  const dirs: string[] = [];
  for (const node of sink.nodes) {
    const dir = path.join(comfyuiDir, 'custom_nodes', node);
    // Without throwing for a node that is absent: an error object and its stack per absent name add up.
    const stat = lstatQuietly(fs, dir);
    if (stat === undefined) continue;
    if (stat.isSymbolicLink()) {
      throw new SinkError('UNSAFE_PATH', `custom_nodes/${node} is a symbolic link; comfy-secrets does not write through links`, { file: `custom_nodes/${node}` });
    }
    if (stat.isDirectory()) dirs.push(dir);
  }
  return dirs;
}

/**
 * The keys one file gets: the resolved ones it takes (`keys`), then its `defaults` for keys left
 * unset. Its reader's rules are checked here; an `error` rule stops the sink.
 */
function entriesFor({ logger }: RunDeps, sink: SecretSink, target: TargetChoice, resolved: ReadonlyArray<[string, string]>, setKeys: ReadonlySet<string>, file: string, report: SinkReport): Array<[string, string]> {
  const takes = (key: string) => target.keys === undefined || target.keys.includes(key);
  const values = new Map(resolved.filter(([key]) => takes(key)));
  for (const rule of target.rules ?? []) {
    const value = values.get(rule.key);
    const applies = rule.when === 'set' ? setKeys.has(rule.key) && value !== undefined && (rule.values === undefined || rule.values.includes(value)) : !setKeys.has(rule.key);
    if (!applies) continue;
    const message = `${variableLabel(sink, rule.key)}: ${rule.reason}`;
    if (rule.level === 'error') throw new SinkError('READER_CONFLICT', `${message} (${file})`, { variable: rule.key, file });
    (report.warnings ??= []).push(message);
    logger.warn(`${sink.name}: ${message}`, { sink: sink.name, variable: rule.key, file });
  }
  const entries: Array<[string, string]> = [];
  for (const key of Object.keys(sink.variables)) {
    const value = values.get(key) ?? (takes(key) ? target.defaults?.[key] : undefined);
    if (value !== undefined) entries.push([key, value]);
  }
  return entries;
}

/**
 * A context that reads only inside the ComfyUI tree (or its user directory), never through a link,
 * and sees the files the sinks before have written in this run as they left them (`RunView`).
 */
function treeContext({ fs }: RunDeps, comfyuiDir: string, userDir: string, view: RunView): TreeContext {
  const baseOf = (base: TreeBase | undefined) => (base === 'user' ? userDir : comfyuiDir);
  return {
    comfyuiDir,
    userDir,
    readText(relative, base) {
      const root = baseOf(base);
      const written = view.textOf(path.resolve(root, relative));
      if (written !== undefined) return written;
      const anchor = isInside(comfyuiDir, root) ? comfyuiDir : root;
      try {
        return readTarget(fs, { root, comfyuiDir: anchor, path: relative });
      } catch {
        return undefined;
      }
    },
    exists(relative, base) {
      const root = baseOf(base);
      const absolute = path.resolve(root, relative);
      if (!isInside(root, absolute)) return false;
      if (view.textOf(absolute) !== undefined) return true;
      try {
        fs.lstatSync(absolute);
        return true;
      } catch {
        return false;
      }
    },
  };
}

/**
 * Why a sink with no nodes does not apply: its `present` path is missing, or lies below a root that
 * is not known (no home). `undefined` when it applies. One lstat, before any variable is resolved.
 */
function absentProgram({ fs }: RunDeps, sink: SecretSink, options: RunOptions): string | undefined {
  if (sink.present === undefined) return undefined;
  const { path: relative, relativeTo } = sink.present;
  const userDir = options.userDir ?? path.join(options.comfyuiDir, 'user');
  const declared = relativeTo === 'comfyui' ? { dir: options.comfyuiDir } : relativeTo === 'user' ? { dir: userDir } : options.roots?.roots[relativeTo];
  if (!declared) return `the ${relativeTo} directory is not known${options.roots?.missing ? ` (${options.roots.missing})` : ''}`;
  const where = path.resolve(declared.dir, relative);
  return lstatQuietly(fs, where) === undefined ? `its program is not set up here (looked for ${where})` : undefined;
}

/** The seed's text (`TargetChoice.seed`), read inside the ComfyUI tree without following a link; `undefined` when there is none. */
function seedOf({ fs }: RunDeps, target: TargetChoice, comfyuiDir: string): string | undefined {
  if (target.seed === undefined) return undefined;
  return readTarget(fs, { root: comfyuiDir, comfyuiDir, path: target.seed });
}

/**
 * Where a target below an outside root is written from: the root's base (an existing real directory),
 * and the path below it. The writer creates missing directories below its root only, and `~/.config`
 * or `~/.cache/huggingface` may not exist yet, so its root is the base and leaving the declared root
 * is refused here.
 * @throws SinkError `ROOT_UNKNOWN`, `ROOT_MISSING`, `UNSAFE_PATH` or `NOT_A_FILE`
 */
function outsidePlacement({ fs }: RunDeps, target: TargetChoice, name: OutsideRoot, options: RunOptions): { base: string; path: string } {
  const declared = options.roots?.roots[name];
  if (!declared) {
    throw new SinkError('ROOT_UNKNOWN', `it writes below the ${name} directory, which is not known${options.roots?.missing ? ` (${options.roots.missing})` : ''}`, { file: target.path });
  }
  const stat = lstatQuietly(fs, declared.base);
  if (stat === undefined) throw new SinkError('ROOT_MISSING', `it writes below ${declared.source}, but ${declared.base} does not exist`, { file: declared.base });
  if (stat.isSymbolicLink()) throw new SinkError('UNSAFE_PATH', `${declared.base} (${declared.source}) is a symbolic link; comfy-secrets does not write through links`, { file: declared.base });
  if (!stat.isDirectory()) throw new SinkError('NOT_A_FILE', `${declared.base} (${declared.source}) is not a directory`, { file: declared.base });
  const absolute = path.resolve(declared.dir, target.path);
  if (path.isAbsolute(target.path) || !isInside(declared.dir, absolute)) {
    throw new SinkError('UNSAFE_PATH', `refusing to write ${target.path}: the path must stay inside ${declared.dir} (${declared.source}); it leaves it`, { file: target.path });
  }
  return { base: declared.base, path: path.relative(declared.base, absolute) };
}

/** `child` is `parent` or below it. */
function isInside(parent: string, child: string): boolean {
  const relative = path.relative(path.resolve(parent), path.resolve(child));
  // Outside is `..` or `../…`; a name of its own may start with two dots (`..cache`).
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

/** `COMFYUI_MANAGER_SECURITY_LEVEL (security_level)`: the variable a user sets, with the key it becomes. */
function variableLabel(sink: SecretSink, key: string): string {
  const from = sink.variables[key]?.from?.[0];
  return from !== undefined && from !== key ? `${from} (${key})` : key;
}
