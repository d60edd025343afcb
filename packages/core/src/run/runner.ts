import * as path from 'node:path';
import { inject, injectable } from 'tsyringe';
import { sourceNames } from '../audit/audit';
import type { OutsideRoot, SecretSink, TargetChoice, TargetContext, TreeBase, TreeContext } from '../contract';
import { isTrackedByCheckout } from '../files/checkout';
import type { LoadedSink } from '../sinks/discovery';
import { ConfigError, ExitCode, ComfySecretsError, SinkError } from '../errors';
import { createFormat, mergesExisting } from '../formats';
import { UnwritableValueError } from '../formats/format';
import { lstatQuietly, type FileSystem } from '../fs';
import type { Logger } from '../logger';
import { orderLoaded } from '../sinks/order';
import { pluginText, stackFrames, type Redactor } from '../values/redact';
import type { Sources } from '../values/sources';
import { CLOCK, FS, LOGGER, REDACTOR, SINKS, SOURCES, type Clock } from '../tokens';
import { type VariableReport, resolveVariables } from '../values/variables';
import { chooseTargets } from '../files/target';
import { createTempSweep, locateTarget, readTarget, type LocatedTarget, type TempSweep, type WriteRequest } from '../files/writer';
import { writeTarget, type Lifecycle } from '../state/lifecycle';
import type { DeclaredRoots } from '../files/roots';

export type { DeclaredRoot, DeclaredRoots } from '../files/roots';

export interface RunOptions {
  /** Absolute path of the ComfyUI root. */
  comfyuiDir: string;
  /** Absolute path of ComfyUI's user directory (its `--user-directory`). @default `<comfyuiDir>/user` */
  userDir?: string;
  /** Decide everything, write nothing (`plan`, `check`, `run --dry-run`). */
  dryRun?: boolean;
  /** A missing optional variable fails its sink too. */
  strict?: boolean;
  /** Run only these sinks (others are reported as skipped). */
  only?: readonly string[];
  skip?: readonly string[];
  /** Owner of written files, e.g. the user ComfyUI runs as. */
  owner?: { uid: number; gid: number };
  /**
   * Without `owner`: give each file the owner of the node directory it is written for (the CLI sets
   * this when it runs as root, so a ComfyUI running as another user can read its files).
   */
  ownerFromNodeDir?: boolean;
  /** @default 0o600 */
  mode?: number;
  /** State to record writes in (for `clean`) and the memory store; absent: plain disk writes, nothing recorded. */
  lifecycle?: Lifecycle;
  /**
   * Where the roots outside the ComfyUI tree are, as the CLI found them from the environment of the
   * user ComfyUI runs as. A sink writing below a root missing here fails, naming it.
   */
  roots?: DeclaredRoots;
}

const OUTSIDE_ROOTS: ReadonlySet<string> = new Set<OutsideRoot>(['home', 'xdg-config', 'hf-home', 'hf-token']);

export type FileStatus = 'written' | 'unchanged' | 'would-write';
export type SinkStatus = FileStatus | 'skipped' | 'failed';

export interface FileReport {
  /** Relative to the ComfyUI root. */
  path: string;
  status: FileStatus;
  format: string;
  mode: string;
  /** Why the sink chose this location, when it chose. */
  reason?: string;
  /** `memory`: the path is a link into the memory-only store. */
  store?: 'memory' | 'disk';
  /** The node's git checkout tracks the file: writing it dirties the checkout (a warning says so). */
  tracked?: boolean;
}

export interface ErrorReport {
  code: string;
  message: string;
  variable?: string;
  file?: string;
}

export interface SinkReport {
  name: string;
  plugin: string;
  status: SinkStatus;
  /** Why it was skipped. */
  reason?: string;
  files: FileReport[];
  variables: VariableReport[];
  errors: ErrorReport[];
  /** What the chosen reader will do differently from what was set (also logged as warnings); absent when nothing. */
  warnings?: string[];
}

/** Names of code that ComfyUI and its nodes run: `.py` and compiled Python, anything in a `.git` directory. */
const SOURCE_FILE = /\.(py|pyc|pyo|pyi|pyw|pth|so)$/i;

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

/** Files whose memory-store link is being made on the helper thread, by target: their sink's report and entry. */
type DeferredLinks = Map<string, { report: SinkReport; file: FileReport }>;

/** The files this run has written or planned, by target: which sink, and how it treats what is there. */
type ClaimedTargets = Map<string, { sink: string; label: string; merges: boolean; type: string }>;

/**
 * A key of a dotenv file this run wrote (or left unchanged) whose value in the platform environment
 * differs: python-dotenv's `load_dotenv` (override=False) keeps the environment's, so a process
 * started with that environment would not see the file's value. Names only, never a value.
 */
export interface EnvMismatch {
  key: string;
  sink: string;
  /** Relative to the ComfyUI root. */
  file: string;
  /** `differs`: the environment holds another value; `empty`: it is set empty and the file leaves the key out. */
  kind: 'differs' | 'empty';
}

/** The start of a skip reason: the sink's node directory is not there. */
const NOT_INSTALLED = 'its node is not installed';

/** One file of a sink's plan: where it goes, checked, and its content rendered; nothing written yet. */
interface PlannedFile {
  /** The installation it is for; undefined for a node run from elsewhere. */
  nodeDir: string | undefined;
  linkPath: string;
  file: string;
  located: LocatedTarget;
  request: Pick<WriteRequest, 'root' | 'comfyuiDir' | 'path' | 'allowedLinkDir'>;
  content: string;
  owner: { uid: number; gid: number } | undefined;
  /** The format's label, for the report. */
  label: string;
  reason: string | undefined;
  /** How many keys it holds, for the log. */
  keys: number;
}

/** A sink's plan: every file of every installation, in the order they are written. */
interface SinkPlan {
  sink: SecretSink;
  carriesSecret: boolean;
  mode: number;
  files: PlannedFile[];
}

export interface RunReport {
  comfyuiDir: string;
  dryRun: boolean;
  exitCode: number;
  sinks: SinkReport[];
  counts: Record<SinkStatus, number>;
  /** See {@link EnvMismatch}; `exec` removes these keys from the command's environment. */
  envMismatches: EnvMismatch[];
}

/**
 * Runs every sink in order: applicable? resolve, validate, render, verify, write. A failing sink is
 * reported and the others go on; nothing a sink does can stop the run or leak a value into the report.
 */
@injectable()
export class Runner {
  constructor(
    @inject(SINKS) private readonly sinks: readonly LoadedSink[],
    @inject(SOURCES) private readonly sources: Sources,
    @inject(FS) private readonly fs: FileSystem,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(CLOCK) private readonly clock: Clock,
    @inject(REDACTOR) private readonly redactor: Redactor,
  ) {}

  /** The sinks in run order. @throws ConfigError for a missing dependency or a cycle. */
  ordered(): LoadedSink[] {
    return orderLoaded(this.sinks);
  }

  run(options: RunOptions): RunReport {
    // A mistyped path would otherwise skip every sink and exit 0: a container would start without its secrets.
    if (this.fs.statSync(options.comfyuiDir, { throwIfNoEntry: false })?.isDirectory() !== true) {
      throw new ConfigError('COMFYUI_DIR_MISSING', `the ComfyUI directory ${options.comfyuiDir} does not exist (set --comfyui-dir, $COMFYUI_PATH or $WORKSPACE_PATH)`, { file: options.comfyuiDir });
    }
    // One level too deep (ComfyUI/custom_nodes) or too high would skip every sink and exit 0 as well.
    if (this.fs.statSync(path.join(options.comfyuiDir, 'custom_nodes'), { throwIfNoEntry: false })?.isDirectory() !== true) {
      throw new ConfigError('NO_CUSTOM_NODES', `${options.comfyuiDir} has no custom_nodes directory; is it the ComfyUI root? (set --comfyui-dir, $COMFYUI_PATH or $WORKSPACE_PATH)`, { file: options.comfyuiDir });
    }
    const sinks = this.ordered();
    const installed = sinks.map((loaded) => loaded.sink.name);
    // A mistyped --only would run nothing and start the container without its secrets.
    const unknown = (options.only ?? []).filter((name) => !installed.includes(name));
    if (unknown.length > 0) {
      throw new ConfigError('UNKNOWN_SINK', `--only names ${unknown.map((name) => `'${name}'`).join(', ')}, which ${unknown.length === 1 ? 'is' : 'are'} not an installed sink (installed: ${installed.join(', ') || 'none'})`);
    }
    for (const name of options.skip ?? []) {
      if (!installed.includes(name)) this.logger.warn(`--skip names '${name}', which is not an installed sink`);
    }
    const envMismatches: EnvMismatch[] = [];
    const sweep = createTempSweep();
    const links: DeferredLinks = new Map();
    const claimed: ClaimedTargets = new Map();
    const reports = sinks.map((loaded) => this.runSink(loaded, options, sweep, links, claimed, envMismatches));
    this.settleLinks(options, links);
    this.warnIfNothingApplied(sinks, reports, options.comfyuiDir);
    const counts: Record<SinkStatus, number> = { written: 0, unchanged: 0, 'would-write': 0, skipped: 0, failed: 0 };
    for (const report of reports) counts[report.status] += 1;
    const internal = reports.some((report) => report.errors.some((error) => error.code === 'INTERNAL_ERROR'));
    const exitCode = internal ? ExitCode.internal : counts.failed > 0 ? ExitCode.sinkFailed : ExitCode.ok;
    const failed = new Set(reports.filter((report) => report.status === 'failed').map((report) => report.name));
    return { comfyuiDir: options.comfyuiDir, dryRun: options.dryRun ?? false, exitCode, sinks: reports, counts, envMismatches: envMismatches.filter((entry) => !failed.has(entry.sink)) };
  }

  /**
   * Every custom node's sink skipped because its node is not installed, while variables they would write are set:
   * most likely the wrong ComfyUI tree, and the container would start without its secrets.
   */
  private warnIfNothingApplied(sinks: readonly LoadedSink[], reports: readonly SinkReport[], comfyuiDir: string): void {
    // A sink for a program (no node directory) says nothing about whether this is the right tree.
    const nodeSinks = new Set(sinks.filter(({ sink }) => sink.nodes.length > 0).map(({ sink }) => sink.name));
    const forNodes = reports.filter((report) => nodeSinks.has(report.name));
    if (forNodes.length === 0 || forNodes.some((report) => report.status !== 'skipped' || !report.reason?.startsWith(NOT_INSTALLED))) return;
    for (const { sink } of sinks) {
      if (!nodeSinks.has(sink.name)) continue;
      const set = [...new Set(Object.entries(sink.variables).flatMap(([key, spec]) => sourceNames(key, spec)))].filter((name) => this.sources.isSet(name));
      if (set.length === 0) continue;
      this.logger.warn(`no sink applies to ${comfyuiDir}, but ${set.slice(0, 3).join(', ')}${set.length > 3 ? ', …' : ''} (read by ${sink.name}) ${set.length === 1 ? 'is' : 'are'} set: ${sink.name} looked for ${sink.nodes.map((node) => `custom_nodes/${node}`).join(', ')}`, { sink: sink.name });
    }
  }

  /**
   * The keys of a dotenv file whose value in the platform environment is not the file's, and the
   * sink's keys left out of every file while the environment holds them empty (see {@link EnvMismatch}).
   */
  private collectMismatches(sink: SecretSink, entries: ReadonlyArray<[string, string]>, resolved: ReadonlyArray<[string, string]>, file: string, into: EnvMismatch[]): void {
    for (const [key, value] of entries) {
      const inEnvironment = this.sources.environmentValue(key);
      if (inEnvironment !== undefined && inEnvironment !== value) into.push({ key, sink: sink.name, file, kind: 'differs' });
    }
    const resolvedKeys = new Set(resolved.map(([key]) => key));
    for (const key of Object.keys(sink.variables)) {
      if (!resolvedKeys.has(key) && this.sources.environmentValue(key) === '') into.push({ key, sink: sink.name, file, kind: 'empty' });
    }
  }

  /** The owner of a node directory: whoever installed the node is whom ComfyUI runs as, most often. */
  private ownerOf(dir: string): { uid: number; gid: number } {
    const stat = this.fs.statSync(dir);
    return { uid: stat.uid, gid: stat.gid };
  }

  /** One sink's trip: its plan (every file decided, checked and rendered), then, if it has one, its apply. */
  private runSink({ sink, plugin }: LoadedSink, options: RunOptions, sweep: TempSweep, links: DeferredLinks, claimed: ClaimedTargets, envMismatches: EnvMismatch[]): SinkReport {
    const report: SinkReport = { name: sink.name, plugin, status: 'skipped', files: [], variables: [], errors: [] };
    if (options.only?.length && !options.only.includes(sink.name)) return this.skip(report, 'not named by --only');
    if (options.skip?.includes(sink.name)) return this.skip(report, 'named by --skip');
    try {
      const plan = this.planSink(sink, report, options, links, claimed, envMismatches);
      if (plan) this.applyPlan(plan, report, options, sweep, links);
    } catch (caught) {
      this.fail(report, caught);
    }
    return report;
  }

  private skip(report: SinkReport, reason: string): SinkReport {
    this.logger.debug(`skipped ${report.name}: ${reason}`, { sink: report.name });
    return Object.assign(report, { status: 'skipped' as const, reason });
  }

  /**
   * The first half of a sink's trip, which writes nothing of its own: resolves its values, chooses its
   * targets, checks them and renders every file, before the first one is written, so a refusal leaves
   * all of them as they were. Undefined when the sink is skipped or has failed (its report says which).
   * It reads the tree, and may settle earlier sinks' deferred links when a file() function or a merge
   * needs to look at what they point to.
   */
  private planSink(sink: SecretSink, report: SinkReport, options: RunOptions, links: DeferredLinks, claimed: ClaimedTargets, envMismatches: EnvMismatch[]): SinkPlan | undefined {
    const skip = (reason: string): undefined => void this.skip(report, reason);
    const userDir = options.userDir ?? path.join(options.comfyuiDir, 'user');
    const installs: Array<string | undefined> = this.installedNodeDirs(sink, options.comfyuiDir);
    let elsewhere: string | undefined;
    if (installs.length === 0 && sink.installedElsewhere) {
      elsewhere = sink.installedElsewhere(this.treeContext(options.comfyuiDir, userDir, () => this.settleLinks(options, links)));
      if (typeof elsewhere === 'string') installs.push(undefined);
    }
    const looked = `looked for ${sink.nodes.map((node) => `custom_nodes/${node}`).join(', ')}`;
    if (installs.length === 0 && sink.whenNotInstalled !== 'fail-when-set') return skip(`${NOT_INSTALLED} (${looked})`);
    const absent = sink.nodes.length === 0 ? this.absentProgram(sink, options) : undefined;
    if (absent !== undefined) return skip(absent);

    const resolved = resolveVariables(sink, this.sources, this.redactor, options.strict);
    report.variables = resolved.report;
    if (installs.length === 0) {
      const set = resolved.report.filter((line) => line.state === 'set').map((line) => variableLabel(sink, line.key));
      if (set.length === 0) return skip(`${NOT_INSTALLED} (${looked})`);
      throw new SinkError('NOT_INSTALLED', `${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set, but the node ${sink.name} serves is not installed (${looked}${sink.installedElsewhere ? ', nor anywhere else it can run from' : ''}), so nothing would read ${set.length === 1 ? 'it' : 'them'}`);
    }
    if (resolved.errors.length > 0) {
      for (const error of resolved.errors) this.fail(report, error);
      return undefined;
    }
    for (const line of resolved.report) {
      if (line.state === 'missing' && line.unset) this.logger.warn(`${sink.name}: ${line.key} left out because ${line.unset.join(', ')} ${line.unset.length === 1 ? 'is' : 'are'} not set`, { sink: sink.name, variable: line.key });
    }
    if (resolved.entries.length === 0) return skip('nothing to configure (none of its variables is set)');

    const header = sink.header?.length ? [...sink.header, `Generated at: ${this.clock().toISOString()}`] : [];
    const mode = options.mode ?? 0o600;
    const carriesSecret = resolved.report.some((line) => line.secret && line.state === 'set');
    const setKeys = new Set(resolved.report.filter((line) => line.state === 'set').map((line) => line.key));
    const files: PlannedFile[] = [];
    for (const nodeDir of installs) {
      // A node run from elsewhere (no node directory) writes under the ComfyUI tree: its owner, then.
      const owner = options.owner ?? (options.ownerFromNodeDir ? this.ownerOf(nodeDir ?? options.comfyuiDir) : undefined);
      const targets = this.targetsFor(sink, nodeDir, options.comfyuiDir, userDir, options.roots?.hfTokenName ?? 'token', () => this.settleLinks(options, links));
      for (const target of targets) {
        const spec = target.format ?? sink.format;
        const format = createFormat(spec);
        // A format that replaces the file does not read it: the writer compares it once, before writing.
        const merges = mergesExisting(spec);
        const type = typeof spec === 'string' ? spec : (spec?.type ?? 'dotenv');
        const base = target.relativeTo ?? 'node';
        if (sink.nodes.length === 0 && base === 'node') throw new SinkError('PLUGIN_ERROR', "it serves no custom node (its 'nodes' is empty), so its file cannot be relative to a node directory");
        // Below the home or another outside root: its own base, the path checked against the root.
        const outside = OUTSIDE_ROOTS.has(base) ? this.outsidePlacement(target, base as OutsideRoot, options) : undefined;
        // A user directory inside the tree is written from the tree's root, which makes `user/` when it
        // is missing; one outside (`--user-directory`, which must exist) is its own anchor.
        const userInside = isInside(options.comfyuiDir, userDir);
        const root = outside ? outside.base : base === 'comfyui' || (base === 'user' && userInside) ? options.comfyuiDir : base === 'user' ? userDir : nodeDir!;
        const relative = outside ? outside.path : base === 'user' && userInside ? path.join(path.relative(options.comfyuiDir, userDir), target.path) : target.path;
        const anchor = outside || !isInside(options.comfyuiDir, root) ? root : options.comfyuiDir;
        const request = { root, comfyuiDir: anchor, path: relative, allowedLinkDir: options.lifecycle?.store?.memory?.dir };
        // The target itself, not where our memory-store link leads.
        const linkPath = path.resolve(root, relative);
        // Outside the tree a file is named by its absolute path.
        const file = outside ? linkPath : path.relative(options.comfyuiDir, linkPath);
        refuseSourceFile(file);
        const entries = this.entriesFor(sink, target, resolved.entries, setKeys, file, report);
        if (entries.length === 0) continue;
        const earlier = claimed.get(linkPath);
        // One sink reaching the same file from two node directories writes it once.
        if (earlier?.sink === sink.name) continue;
        // A file that replaces another sink's would silently drop that sink's keys, run after run.
        if (earlier && !(earlier.merges && merges && earlier.type === type)) {
          throw new SinkError('TARGET_CONFLICT', `${file} is also written by sink '${earlier.sink}' (${earlier.label}); two sinks can share a file only when both merge their keys into it in the same format (ini, or json with merge: true)`, { file });
        }
        // Another sink's link to the same file may still be on its way: look at the file once it is there.
        if (links.has(linkPath)) this.settleLinks(options, links);
        const located = locateTarget(this.fs, request);
        let content: string;
        try {
          const existing = merges ? (readTarget(this.fs, request) ?? this.seedOf(target, options.comfyuiDir)) : undefined;
          content = format.render({ entries, header, existing });
        } catch (error) {
          if (error instanceof UnwritableValueError) {
            throw new SinkError('UNWRITABLE_VALUE', `cannot write ${variableLabel(sink, error.key)} to ${file}: ${error.reason}`, { variable: error.key, file });
          }
          // The format does not know which file it read.
          if (error instanceof SinkError && error.file === undefined) throw new SinkError(error.code, `${file}: ${error.message}`, { file, variable: error.variable });
          throw error;
        }
        claimed.set(linkPath, { sink: sink.name, label: format.label, merges, type });
        if (type === 'dotenv') this.collectMismatches(sink, entries, resolved.entries, file, envMismatches);
        files.push({ nodeDir, linkPath, file, located, request, content, owner, label: format.label, reason: target.reason, keys: entries.length });
      }
    }
    return { sink, carriesSecret, mode, files };
  }

  /** The second half: writes the plan's files in order, records them (the lifecycle) and reports them. */
  private applyPlan({ sink, carriesSecret, mode, files }: SinkPlan, report: SinkReport, options: RunOptions, sweep: TempSweep, links: DeferredLinks): void {
    for (const { nodeDir, linkPath, file, located, request, content, owner, label, reason, keys } of files) {
      const result = writeTarget(this.fs, this.logger, options.lifecycle, {
        sink,
        carriesSecret,
        linkPath,
        file,
        strict: options.strict,
        located,
        deferLink: true,
        request: { ...request, content, mode, owner, dryRun: options.dryRun, sweep },
      });
      const tracked = nodeDir !== undefined && this.warnIfTracked(sink, nodeDir, linkPath, file);
      const entry: FileReport = { path: file, status: result.status, format: label, mode: `0${mode.toString(8)}`, reason, store: result.store, ...(tracked ? { tracked } : {}) };
      report.files.push(entry);
      if ('linkPending' in result && result.linkPending === true) links.set(linkPath, { report, file: entry });
      // The report says it too; a log line is for what needs attention. A run that logs nothing also
      // spares every container start the loading of winston (docs/performance.md).
      this.logger.debug(`${result.status} ${file}`, { sink: sink.name, keys });
    }
    // A deferred link of this sink that failed while its file() function waited for it has failed it already.
    if (report.status !== 'failed') {
      report.status = report.files.some((f) => f.status === 'would-write') ? 'would-write' : report.files.some((f) => f.status === 'written') ? 'written' : 'unchanged';
    }
  }

  /** Node directories that exist; a symlinked one is refused rather than followed out of the tree. */
  private installedNodeDirs(sink: SecretSink, comfyuiDir: string): string[] {
    // A sink for a program that is not a custom node applies to the tree itself (contract `nodes`).
    if (sink.nodes.length === 0) return [comfyuiDir];
    const dirs: string[] = [];
    for (const node of sink.nodes) {
      const dir = path.join(comfyuiDir, 'custom_nodes', node);
      // Without throwing for a node that is absent: an error object and its stack per absent name add up.
      const stat = lstatQuietly(this.fs, dir);
      if (stat === undefined) continue;
      if (stat.isSymbolicLink()) {
        throw new SinkError('UNSAFE_PATH', `custom_nodes/${node} is a symbolic link; comfy-secrets does not write through links`, { file: `custom_nodes/${node}` });
      }
      if (stat.isDirectory()) dirs.push(dir);
    }
    return dirs;
  }

  /**
   * Waits for the memory store's deferred links (`MemoryStore.settleLinks`). A link that could not be
   * made fails its sink with the error an inline link would have thrown; its file leaves the report.
   */
  private settleLinks(options: RunOptions, links: DeferredLinks): void {
    const memory = options.lifecycle?.store?.memory;
    if (!memory || links.size === 0) return;
    for (const { target, error } of memory.settleLinks()) {
      const entry = links.get(target);
      if (!entry) continue;
      const { report, file } = entry;
      report.files = report.files.filter((other) => other !== file);
      this.fail(report, error);
    }
    links.clear();
  }

  /**
   * The keys one file gets: the resolved ones it takes (`keys`), then its `defaults` for keys left
   * unset. Its reader's rules are checked here; an `error` rule stops the sink.
   */
  private entriesFor(sink: SecretSink, target: TargetChoice, resolved: ReadonlyArray<[string, string]>, setKeys: ReadonlySet<string>, file: string, report: SinkReport): Array<[string, string]> {
    const takes = (key: string) => target.keys === undefined || target.keys.includes(key);
    const values = new Map(resolved.filter(([key]) => takes(key)));
    for (const rule of target.rules ?? []) {
      const value = values.get(rule.key);
      const applies = rule.when === 'set' ? setKeys.has(rule.key) && value !== undefined && (rule.values === undefined || rule.values.includes(value)) : !setKeys.has(rule.key);
      if (!applies) continue;
      const message = `${variableLabel(sink, rule.key)}: ${rule.reason}`;
      if (rule.level === 'error') throw new SinkError('READER_CONFLICT', `${message} (${file})`, { variable: rule.key, file });
      (report.warnings ??= []).push(message);
      this.logger.warn(`${sink.name}: ${message}`, { sink: sink.name, variable: rule.key, file });
    }
    const entries: Array<[string, string]> = [];
    for (const key of Object.keys(sink.variables)) {
      const value = values.get(key) ?? (takes(key) ? target.defaults?.[key] : undefined);
      if (value !== undefined) entries.push([key, value]);
    }
    return entries;
  }

  /** A context that reads only inside the ComfyUI tree (or its user directory), never through a link. */
  private treeContext(comfyuiDir: string, userDir: string, settle: () => void): TreeContext {
    const fs = this.fs;
    const baseOf = (base: TreeBase | undefined) => (base === 'user' ? userDir : comfyuiDir);
    return {
      comfyuiDir,
      userDir,
      readText(relative, base) {
        settle();
        const root = baseOf(base);
        const anchor = isInside(comfyuiDir, root) ? comfyuiDir : root;
        try {
          return readTarget(fs, { root, comfyuiDir: anchor, path: relative });
        } catch {
          return undefined;
        }
      },
      exists(relative, base) {
        settle();
        const root = baseOf(base);
        const absolute = path.resolve(root, relative);
        if (!isInside(root, absolute)) return false;
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
   * `chooseTargets` with a context that reads only inside the ComfyUI tree, never through a link.
   * @param settle called before the sink's file() function looks at a file: a deferred link may lead there
   */
  private targetsFor(sink: SecretSink, nodeDir: string | undefined, comfyuiDir: string, userDir: string, hfTokenName: string, settle: () => void): TargetChoice[] {
    const context: TargetContext = { ...this.treeContext(comfyuiDir, userDir, settle), nodeDir, hfTokenName };
    return chooseTargets(sink, context, this.redactor);
  }

  /**
   * A file in the node's git checkout (fal-API's and ComfyUI-Gemini's committed config files): writing
   * it dirties the checkout, and ComfyUI-Manager's later `git pull` may then refuse to update the node.
   * Said once per file; a node without `.git` costs one lstat.
   */
  private warnIfTracked(sink: SecretSink, nodeDir: string, linkPath: string, file: string): boolean {
    const relative = path.relative(nodeDir, linkPath);
    if (relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) return false;
    if (!isTrackedByCheckout(this.fs, nodeDir, relative)) return false;
    this.logger.warn(`${file} is tracked by the node's git checkout: writing it leaves local changes there, and a later git pull (a ComfyUI-Manager update) may refuse to update the node or conflict`, { sink: sink.name, file });
    return true;
  }

  /**
   * Why a sink with no nodes does not apply: its `present` path is missing, or lies below a root that
   * is not known (no home). `undefined` when it applies. One lstat, before any variable is resolved.
   */
  private absentProgram(sink: SecretSink, options: RunOptions): string | undefined {
    if (sink.present === undefined) return undefined;
    const { path: relative, relativeTo } = sink.present;
    const userDir = options.userDir ?? path.join(options.comfyuiDir, 'user');
    const declared = relativeTo === 'comfyui' ? { dir: options.comfyuiDir } : relativeTo === 'user' ? { dir: userDir } : options.roots?.roots[relativeTo];
    if (!declared) return `the ${relativeTo} directory is not known${options.roots?.missing ? ` (${options.roots.missing})` : ''}`;
    const where = path.resolve(declared.dir, relative);
    return lstatQuietly(this.fs, where) === undefined ? `its program is not set up here (looked for ${where})` : undefined;
  }

  /** The seed's text (`TargetChoice.seed`), read inside the ComfyUI tree without following a link; `undefined` when there is none. */
  private seedOf(target: TargetChoice, comfyuiDir: string): string | undefined {
    if (target.seed === undefined) return undefined;
    return readTarget(this.fs, { root: comfyuiDir, comfyuiDir, path: target.seed });
  }

  /**
   * Where a target below an outside root is written from: the root's base (an existing real directory),
   * and the path below it. The writer creates missing directories below its root only, and `~/.config`
   * or `~/.cache/huggingface` may not exist yet, so its root is the base and leaving the declared root
   * is refused here.
   * @throws SinkError `ROOT_UNKNOWN`, `ROOT_MISSING`, `UNSAFE_PATH` or `NOT_A_FILE`
   */
  private outsidePlacement(target: TargetChoice, name: OutsideRoot, options: RunOptions): { base: string; path: string } {
    const declared = options.roots?.roots[name];
    if (!declared) {
      throw new SinkError('ROOT_UNKNOWN', `it writes below the ${name} directory, which is not known${options.roots?.missing ? ` (${options.roots.missing})` : ''}`, { file: target.path });
    }
    const stat = lstatQuietly(this.fs, declared.base);
    if (stat === undefined) throw new SinkError('ROOT_MISSING', `it writes below ${declared.source}, but ${declared.base} does not exist`, { file: declared.base });
    if (stat.isSymbolicLink()) throw new SinkError('UNSAFE_PATH', `${declared.base} (${declared.source}) is a symbolic link; comfy-secrets does not write through links`, { file: declared.base });
    if (!stat.isDirectory()) throw new SinkError('NOT_A_FILE', `${declared.base} (${declared.source}) is not a directory`, { file: declared.base });
    const absolute = path.resolve(declared.dir, target.path);
    if (path.isAbsolute(target.path) || !isInside(declared.dir, absolute)) {
      throw new SinkError('UNSAFE_PATH', `refusing to write ${target.path}: the path must stay inside ${declared.dir} (${declared.source}); it leaves it`, { file: target.path });
    }
    return { base: declared.base, path: path.relative(declared.base, absolute) };
  }

  /** Fails the sink with `error`: in its report and, redacted, in the log. */
  private fail(report: SinkReport, error: unknown): void {
    const described = this.describe(error);
    report.status = 'failed';
    report.errors.push(described);
    this.logger.error(`${report.name} failed: ${described.message}`, { sink: report.name, code: described.code, variable: described.variable, file: described.file });
  }

  private describe(error: unknown): ErrorReport {
    if (error instanceof ComfySecretsError) {
      return { code: error.code, message: this.redactor.redact(error.message), variable: error.variable, file: error.file };
    }
    // Not ours: a plugin's code (a throwing getter, a transform) may have made the message.
    const message = error instanceof Error ? error.message : String(error);
    this.logger.debug('internal error', { stack: error instanceof Error ? stackFrames(error.stack) : undefined });
    return { code: 'INTERNAL_ERROR', message: pluginText(`internal error: ${message}`, this.redactor, `internal error: ${error instanceof Error ? error.name : 'a thrown value'} (its message quotes part of a secret, so it is not shown)`) };
  }
}

/** `child` is `parent` or below it. */
function isInside(parent: string, child: string): boolean {
  const relative = path.relative(path.resolve(parent), path.resolve(child));
  // Outside is `..` or `../…`; a name of its own may start with two dots (`..cache`).
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

/** `COMFYUI_MANAGER_SECURITY_LEVEL (security_level)`: the variable a user sets, with the key it becomes. */
export function variableLabel(sink: SecretSink, key: string): string {
  const from = sink.variables[key]?.from?.[0];
  return from !== undefined && from !== key ? `${from} (${key})` : key;
}
