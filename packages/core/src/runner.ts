import * as path from 'node:path';
import { inject, injectable } from 'tsyringe';
import type { OutsideRoot, SecretSink, TargetChoice, TargetContext } from './contract';
import { isTrackedByCheckout } from './checkout';
import type { LoadedSink } from './discovery';
import { ConfigError, ExitCode, ComfySecretsError, SinkError } from './errors';
import { createFormat, mergesExisting } from './formats';
import { UnwritableValueError } from './formats/format';
import { lstatQuietly, type FileSystem } from './fs';
import type { Logger } from './logger';
import { orderLoaded } from './order';
import type { Redactor } from './redact';
import type { Sources } from './sources';
import { CLOCK, FS, LOGGER, REDACTOR, SINKS, SOURCES, type Clock } from './tokens';
import { type VariableReport, resolveVariables } from './variables';
import { chooseTarget } from './target';
import { createTempSweep, locateTarget, readTarget, type TempSweep } from './writer';
import { writeTarget, type Lifecycle } from './lifecycle';

export interface RunOptions {
  /** Absolute path of the ComfyUI root. */
  comfyuiDir: string;
  /** Decide everything, write nothing (`plan`, `check`, `run --dry-run`). */
  dryRun?: boolean;
  /** A missing optional variable fails its sink too. */
  strict?: boolean;
  /** Run only these sinks (others are reported as skipped). */
  only?: readonly string[];
  skip?: readonly string[];
  /** Owner of written files, e.g. the user ComfyUI runs as. */
  owner?: { uid: number; gid: number };
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

/** One root outside the ComfyUI tree (contract `OutsideRoot`). */
export interface DeclaredRoot {
  /**
   * An existing directory the path checks start from, as the ComfyUI root is for the tree: the home
   * directory, or a directory named outright by a variable (`$XDG_CONFIG_HOME`, `$HF_HOME`). It must be
   * a real directory, not a link; below it no link is followed and nothing is written outside `dir`.
   */
  base: string;
  /** The root itself: `base` or a directory below it (`~/.config` below the home); created when missing. */
  dir: string;
  /** Where it came from, for messages: `$XDG_CONFIG_HOME`, `~/.config`. */
  source: string;
}

export interface DeclaredRoots {
  roots: Partial<Record<OutsideRoot, DeclaredRoot>>;
  /** huggingface_hub's token file name in the `hf-token` root. @default 'token' */
  hfTokenName?: string;
  /** Why a root is missing (no home known), for the error of a sink that needs one. */
  missing?: string;
}

/** Where one target's path is resolved and checked from. */
interface Placement {
  /** The directory `path` is relative to and may not leave (the writer's `root`). */
  root: string;
  /** The target's path below `root`. */
  path: string;
  /** The directory no link may be followed below (the ComfyUI root, or an outside root's base). */
  base: string;
  /** Outside the ComfyUI tree: reported by absolute path. */
  outside: boolean;
}

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
  /** The node's git checkout tracks the file: writing it dirties the checkout (a warning says so). */
  tracked?: boolean;
  /** `memory`: the path is a link into the memory-only store. */
  store?: 'memory' | 'disk';
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
}

/** Files whose memory-store link is being made on the helper thread, by target: their sink's report and entry. */
type DeferredLinks = Map<string, { report: SinkReport; file: FileReport }>;

/** The files this run has written or planned, by target: which sink, and how it treats what is there. */
type ClaimedTargets = Map<string, { sink: string; label: string; merges: boolean; type: string }>;

export interface RunReport {
  comfyuiDir: string;
  dryRun: boolean;
  exitCode: number;
  sinks: SinkReport[];
  counts: Record<SinkStatus, number>;
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
    const sinks = this.ordered();
    for (const name of [...(options.only ?? []), ...(options.skip ?? [])]) {
      if (!sinks.some((loaded) => loaded.sink.name === name)) this.logger.warn(`--only/--skip names '${name}', which is not an installed sink`);
    }
    const sweep = createTempSweep();
    const links: DeferredLinks = new Map();
    const claimed: ClaimedTargets = new Map();
    const reports = sinks.map((loaded) => this.runSink(loaded, options, sweep, links, claimed));
    this.settleLinks(options, links);
    const counts: Record<SinkStatus, number> = { written: 0, unchanged: 0, 'would-write': 0, skipped: 0, failed: 0 };
    for (const report of reports) counts[report.status] += 1;
    const internal = reports.some((report) => report.errors.some((error) => error.code === 'INTERNAL_ERROR'));
    const exitCode = internal ? ExitCode.internal : counts.failed > 0 ? ExitCode.sinkFailed : ExitCode.ok;
    return { comfyuiDir: options.comfyuiDir, dryRun: options.dryRun ?? false, exitCode, sinks: reports, counts };
  }

  private runSink({ sink, plugin }: LoadedSink, options: RunOptions, sweep: TempSweep, links: DeferredLinks, claimed: ClaimedTargets): SinkReport {
    const report: SinkReport = { name: sink.name, plugin, status: 'skipped', files: [], variables: [], errors: [] };
    const skip = (reason: string) => {
      this.logger.debug(`skipped ${sink.name}: ${reason}`, { sink: sink.name });
      return Object.assign(report, { status: 'skipped', reason });
    };
    if (options.only?.length && !options.only.includes(sink.name)) return skip('not named by --only');
    if (options.skip?.includes(sink.name)) return skip('named by --skip');

    try {
      const nodeDirs = this.installedNodeDirs(sink, options.comfyuiDir);
      if (nodeDirs.length === 0) {
        return skip(`its node is not installed (looked for ${sink.nodes.map((node) => `custom_nodes/${node}`).join(', ')})`);
      }
      const absent = sink.nodes.length === 0 ? this.absentProgram(sink, options) : undefined;
      if (absent !== undefined) return skip(absent);

      const resolved = resolveVariables(sink, this.sources, this.redactor, options.strict);
      report.variables = resolved.report;
      if (resolved.errors.length > 0) {
        for (const error of resolved.errors) this.fail(report, error);
        return report;
      }
      for (const line of resolved.report) {
        if (line.state === 'missing' && line.unset) this.logger.warn(`${sink.name}: ${line.key} left out because ${line.unset.join(', ')} ${line.unset.length === 1 ? 'is' : 'are'} not set`, { sink: sink.name, variable: line.key });
      }
      if (resolved.entries.length === 0) return skip('nothing to configure (none of its variables is set)');

      const format = createFormat(sink.format);
      // A format that replaces the file does not read it: the writer compares it once, before writing.
      const merges = mergesExisting(sink.format);
      const type = typeof sink.format === 'string' ? sink.format : (sink.format?.type ?? 'dotenv');
      const header = sink.header?.length ? [...sink.header, `Generated at: ${this.clock().toISOString()}`] : [];
      const mode = options.mode ?? 0o600;
      const carriesSecret = resolved.report.some((line) => line.secret && line.state === 'set');
      for (const nodeDir of nodeDirs) {
        const target = this.targetFor(sink, nodeDir, options, () => this.settleLinks(options, links));
        if (sink.nodes.length === 0 && (target.relativeTo ?? 'node') === 'node') throw new SinkError('PLUGIN_ERROR', "it serves no custom node (its 'nodes' is empty), so its file cannot be relative to a node directory");
        const place = this.placementOf(target, nodeDir, options);
        const request = { root: place.root, comfyuiDir: place.base, path: place.path, allowedLinkDir: options.lifecycle?.store?.memory?.dir };
        // The target itself, not where our memory-store link leads.
        const linkPath = path.resolve(place.root, place.path);
        const file = place.outside ? linkPath : path.relative(options.comfyuiDir, linkPath);
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
          content = format.render({ entries: resolved.entries, header, existing });
        } catch (error) {
          if (error instanceof UnwritableValueError) {
            throw new SinkError('UNWRITABLE_VALUE', `cannot write ${error.key} to ${file}: ${error.reason}`, { variable: error.key, file });
          }
          throw error;
        }
        const result = writeTarget(this.fs, this.logger, options.lifecycle, {
          sink,
          carriesSecret,
          linkPath,
          file,
          strict: options.strict,
          located,
          deferLink: true,
          request: { ...request, content, mode, owner: options.owner, dryRun: options.dryRun, sweep },
        });
        claimed.set(linkPath, { sink: sink.name, label: format.label, merges, type });
        const tracked = this.warnIfTracked(sink, nodeDir, linkPath, file);
        const entry: FileReport = { path: file, status: result.status, format: format.label, mode: `0${mode.toString(8)}`, reason: target.reason, store: result.store, ...(tracked ? { tracked } : {}) };
        report.files.push(entry);
        if ('linkPending' in result && result.linkPending === true) links.set(linkPath, { report, file: entry });
        // The report says it too; a log line is for what needs attention. A run that logs nothing also
        // spares every container start the loading of winston (README "Performance").
        this.logger.debug(`${result.status} ${file}`, { sink: sink.name, keys: resolved.entries.length });
      }
      // A deferred link of this sink that failed while its file() function waited for it has failed it already.
      if (report.status !== 'failed') {
        report.status = report.files.some((f) => f.status === 'would-write') ? 'would-write' : report.files.some((f) => f.status === 'written') ? 'written' : 'unchanged';
      }
    } catch (caught) {
      this.fail(report, caught);
    }
    return report;
  }

  /** Node directories that exist; a symlinked one is refused rather than followed out of the tree. */
  private installedNodeDirs(sink: SecretSink, comfyuiDir: string): string[] {
    // A sink for a program that is not a custom node applies to the tree itself (contract `nodes`).
    if (sink.nodes.length === 0) return [comfyuiDir];
    const dirs: string[] = [];
    for (const node of sink.nodes) {
      const dir = path.join(comfyuiDir, 'custom_nodes', node);
      let stat;
      try {
        stat = this.fs.lstatSync(dir);
      } catch {
        continue;
      }
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
    const declared = relativeTo === 'comfyui' ? { dir: options.comfyuiDir, source: 'the ComfyUI directory' } : options.roots?.roots[relativeTo];
    if (!declared) return `the ${relativeTo} directory is not known${options.roots?.missing ? ` (${options.roots.missing})` : ''}`;
    const where = path.resolve(declared.dir, relative);
    return lstatQuietly(this.fs, where) === undefined ? `its program is not set up here (looked for ${where})` : undefined;
  }

  /** The seed's text (`TargetChoice.seed`), read inside the ComfyUI tree without following a link; `undefined` when there is none. */
  private seedOf(target: TargetChoice, comfyuiDir: string): string | undefined {
    if (target.seed === undefined) return undefined;
    return readTarget(this.fs, { root: comfyuiDir, comfyuiDir, path: target.seed });
  }

  /** The directory a target is relative to, and where its path checks start. @throws SinkError for an outside root that is unknown or unsafe */
  private placementOf(target: TargetChoice, nodeDir: string, options: RunOptions): Placement {
    const relativeTo = target.relativeTo ?? 'node';
    if (relativeTo === 'node') return { root: nodeDir, path: target.path, base: options.comfyuiDir, outside: false };
    if (relativeTo === 'comfyui') return { root: options.comfyuiDir, path: target.path, base: options.comfyuiDir, outside: false };
    const declared = options.roots?.roots[relativeTo];
    if (!declared) {
      throw new SinkError('ROOT_UNKNOWN', `it writes below the ${relativeTo} directory, which is not known${options.roots?.missing ? ` (${options.roots.missing})` : ''}`, { file: target.path });
    }
    const stat = lstatQuietly(this.fs, declared.base);
    if (stat === undefined) throw new SinkError('ROOT_MISSING', `it writes below ${declared.source}, but ${declared.base} does not exist`, { file: declared.base });
    if (stat.isSymbolicLink()) throw new SinkError('UNSAFE_PATH', `${declared.base} (${declared.source}) is a symbolic link; comfy-secrets does not write through links`, { file: declared.base });
    if (!stat.isDirectory()) throw new SinkError('NOT_A_FILE', `${declared.base} (${declared.source}) is not a directory`, { file: declared.base });
    // The writer creates missing directories below its root only, and `~/.config` or `~/.cache/huggingface`
    // may not exist yet: its root is the base, and leaving the declared root is refused here.
    const absolute = path.resolve(declared.dir, target.path);
    const dir = path.resolve(declared.dir);
    if (path.isAbsolute(target.path) || !absolute.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep)) {
      throw new SinkError('UNSAFE_PATH', `refusing to write ${target.path}: the path must stay inside ${declared.dir} (${declared.source}); it leaves it`, { file: target.path });
    }
    return { root: declared.base, path: path.relative(declared.base, absolute), base: declared.base, outside: true };
  }

  /**
   * `chooseTarget` with a context that reads only inside the ComfyUI tree, never through a link.
   * @param settle called before the sink's file() function looks at a file: a deferred link may lead there
   */
  private targetFor(sink: SecretSink, nodeDir: string, options: RunOptions, settle: () => void): TargetChoice {
    const fs = this.fs;
    const { comfyuiDir } = options;
    const context: TargetContext = {
      comfyuiDir,
      nodeDir,
      hfTokenName: options.roots?.hfTokenName ?? 'token',
      readText(relative) {
        settle();
        try {
          return readTarget(fs, { root: comfyuiDir, comfyuiDir, path: relative });
        } catch {
          return undefined;
        }
      },
      exists(relative) {
        settle();
        const absolute = path.resolve(comfyuiDir, relative);
        const fromRoot = path.relative(comfyuiDir, absolute);
        // Outside the tree is `..` or `../…`; a name of its own may start with two dots (`..cache`).
        if (fromRoot === '..' || fromRoot.startsWith(`..${path.sep}`)) return false;
        try {
          fs.lstatSync(absolute);
          return true;
        } catch {
          return false;
        }
      },
    };
    return chooseTarget(sink, context, this.redactor);
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
    const message = error instanceof Error ? error.message : String(error);
    this.logger.debug('internal error', { stack: error instanceof Error ? error.stack : undefined });
    return { code: 'INTERNAL_ERROR', message: this.redactor.redact(`internal error: ${message}`) };
  }
}
