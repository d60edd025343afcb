import { constants, type Stats } from 'node:fs';
import * as path from 'node:path';
import type { SecretSink } from './contract';
import { ConfigError, SinkError, errnoCode } from './errors';
import { lstatQuietly, realFileSystem, type FileSystem } from './fs';
import { Linker } from './linker';
import { pathId } from './ids';
import type { Logger } from './logger';
import { ensureParentDirectories, removeStaleTempFilesBeside, tempPathFor, writeFileSafely, type TempSweep, type WriteResult } from './writer';

/**
 * The memory-only store: the real file lives in a 0700 directory on a memory-backed file system and
 * the target path is a symlink into it. The container's writable layer then holds only a link, so a
 * `docker commit` or a saved instance disk cannot capture a secret. Readers (python-dotenv,
 * configparser, anything that `open()`s the path) follow the link.
 *
 * Trade-off: a file an application itself rewrites by writing a new file and renaming it over the
 * path replaces our link with a real file on disk; such files stay on disk (`SecretSink.store`).
 */

/** `statfs` magic numbers of memory-backed file systems (linux/magic.h). */
export const MEMORY_FS_TYPES: ReadonlyMap<number, string> = new Map([
  [0x01021994, 'tmpfs'],
  [0x858458f6, 'ramfs'],
]);

/** Where the default store directory is looked for, in order; each must really be tmpfs or ramfs. */
export const MEMORY_ROOTS = ['/dev/shm', '/run'] as const;

export type StoreMode = 'auto' | 'memory' | 'disk';
export type Placement = 'memory' | 'disk';

/** The memory file system a directory is on (`tmpfs`, `ramfs`), or `undefined` when it is not one. */
export function memoryFsType(fs: FileSystem, directory: string): string | undefined {
  try {
    return MEMORY_FS_TYPES.get(Number(fs.statfsSync(directory).type));
  } catch {
    return undefined;
  }
}

export interface StoreOptions {
  /** `--store`: `auto` (memory for files that carry a secret when a tmpfs exists), `memory` or `disk`. */
  mode: StoreMode;
  /** `--store-dir`: the store directory itself; must be on tmpfs/ramfs. Default: `<first memory root>/comfy-secrets-<uid>`. */
  dir?: string;
  /** @default MEMORY_ROOTS */
  roots?: readonly string[];
  uid: number;
}

/**
 * Decides, per file, whether it goes to memory or disk, and writes it there. One per run: it prints
 * its "no tmpfs" notice once.
 */
export class Store {
  private noticed = false;

  private constructor(
    private readonly logger: Logger,
    readonly mode: StoreMode,
    /** The memory store, when a memory file system was found. Also where our own links may point. */
    readonly memory: MemoryStore | undefined,
    private readonly missingReason: string,
  ) {}

  /** @throws ConfigError when `--store memory` (or an explicit `--store-dir`) cannot be honoured. */
  static open(fs: FileSystem, logger: Logger, options: StoreOptions): Store {
    if (options.dir !== undefined) {
      const dir = path.resolve(options.dir);
      let existing = dir;
      while (!fs.existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
      if (memoryFsType(fs, existing) === undefined) {
        if (options.mode === 'disk') return new Store(logger, options.mode, undefined, '--store disk');
        throw new ConfigError('STORE_NOT_IN_MEMORY', `--store-dir ${dir} is not on a memory file system (tmpfs or ramfs); secrets there would reach the disk`);
      }
      return new Store(logger, options.mode, new MemoryStore(fs, dir, options.uid), '');
    }
    const roots = options.roots ?? MEMORY_ROOTS;
    const root = roots.find((candidate) => memoryFsType(fs, candidate) !== undefined);
    if (root === undefined) {
      if (options.mode === 'memory') {
        throw new ConfigError('NO_MEMORY_FS', `--store memory needs a tmpfs or ramfs, and none of ${roots.join(', ')} is one (mount one, or pass --store-dir)`);
      }
      return new Store(logger, options.mode, undefined, `none of ${roots.join(', ')} is a tmpfs`);
    }
    return new Store(logger, options.mode, new MemoryStore(fs, path.join(root, `comfy-secrets-${options.uid}`), options.uid), '');
  }

  /**
   * Where a file goes. `--store disk`: disk. `--store memory`: memory unless the sink says `disk`.
   * Default: memory when the file carries a secret (or the sink asks for it) and a tmpfs exists.
   * A target that already is our link stays in memory: writing it on disk would mean following it.
   */
  place(sink: SecretSink, carriesSecret: boolean, alreadyLinked: boolean): Placement {
    if (alreadyLinked && this.memory) return 'memory';
    if (this.mode === 'disk' || sink.store === 'disk') return 'disk';
    if (this.mode === 'auto' && sink.store !== 'memory' && !carriesSecret) return 'disk';
    if (this.memory) return 'memory';
    if (!this.noticed) {
      this.noticed = true;
      this.logger.warn(`secret files are written to disk: ${this.missingReason} (mount a tmpfs at /dev/shm, or pass --store-dir on one)`);
    }
    return 'disk';
  }
}

export interface MemoryWriteRequest {
  /** The target path in the ComfyUI tree, where the link goes. Absolute; already checked by `resolveTarget`. */
  readonly target: string;
  /**
   * The directory the target stays inside (`WriteRequest.root`): directories missing between it and the
   * link are created as the writer creates them. @default the nearest existing directory above the target
   */
  readonly root?: string;
  readonly content: string;
  readonly mode: number;
  readonly owner?: { uid: number; gid: number };
  readonly dryRun?: boolean;
  /** The run's stale-temp sweep record (`WriteRequest.sweep`): the store directory is listed once per run. */
  readonly sweep?: TempSweep;
  /** `isLinked(target)`, when the caller has just asked it. */
  readonly linked?: boolean;
  /**
   * The caller can wait for the link: it may then be made on a helper thread (`Linker`), the result
   * says `linkPending`, and `settleLinks` says how it went. Absent: the link exists when `write` returns.
   */
  readonly deferLink?: boolean;
  /** `WriteRequest.beforeWrite`: also called before a link is made to a store file that was already right. */
  readonly beforeWrite?: (onDisk: string) => void;
}

/** A deferred link that could not be made: its target, and the error an inline link would have thrown. */
export interface LinkFailure {
  readonly target: string;
  readonly error: SinkError;
}

/** Links a run makes inline before it hands them to a helper thread (`Linker`): a thread costs more than a few links. */
const INLINE_LINKS = 16;

/** Files in a 0700 directory on tmpfs, each reached from its target through a symlink. */
export class MemoryStore {
  /** The owner `ensureDirectory` last checked the directory for (`-` for none), so a run checks it once. */
  private checkedFor: string | undefined;
  /** Links made so far; the first `INLINE_LINKS` are made inline, so a small run never starts a thread. */
  private linksMade = 0;
  private linker: Linker | undefined;
  /** Deferred links by target, with their `root` and what to do once each exists. */
  private readonly deferred = new Map<string, { root: string | undefined; after: Array<() => void> }>();

  constructor(
    private readonly fs: FileSystem,
    /** Absolute path of the store directory. */
    readonly dir: string,
    private readonly uid: number,
  ) {}

  /** The store file for a target: an id of the target's path keeps two targets apart, the name keeps it readable. */
  fileFor(target: string): string {
    return path.join(this.dir, `${pathId(target)}-${path.basename(target)}`);
  }

  /** Whether `target` is a link to its own store file. */
  isLinked(target: string): boolean {
    return this.isOurLink(target, lstatQuietly(this.fs, target));
  }

  /** `isLinked`, given what `lstat` found at `target` just now (`undefined`: nothing), so it is not asked again. */
  isOurLink(target: string, found: Stats | undefined): boolean {
    if (found?.isSymbolicLink() !== true) return false;
    try {
      return path.resolve(path.dirname(target), this.fs.readlinkSync(target)) === this.fileFor(target);
    } catch {
      return false;
    }
  }

  /**
   * Writes the content into the store (atomically, through the safe writer) and points the target at
   * it with a link renamed into place, so a reader sees the old file or the link, never neither.
   */
  write(request: MemoryWriteRequest): WriteResult & { storedAt: string; linkPending?: boolean } {
    const storedAt = this.fileFor(request.target);
    const linked = request.linked ?? this.isLinked(request.target);
    if (!request.dryRun) this.ensureDirectoryOnce(request.owner);
    else if (!this.fs.existsSync(this.dir)) return { status: 'would-write', path: storedAt, storedAt };
    const result = writeFileSafely(this.fs, {
      root: this.dir,
      comfyuiDir: this.dir,
      path: path.basename(storedAt),
      content: request.content,
      mode: request.mode,
      owner: request.owner,
      dryRun: request.dryRun,
      sweep: request.sweep,
      beforeWrite: request.beforeWrite,
    });
    if (linked) return { ...result, storedAt };
    if (request.dryRun) return { ...result, status: 'would-write', storedAt };
    if (result.status === 'unchanged') request.beforeWrite?.(result.previous ?? request.content);
    // A link temp file a killed run left beside the target would otherwise stay in the tree.
    sweepBeside(this.fs, request.target, request.sweep);
    this.linksMade += 1;
    // The helper thread calls Node's own fs: it stands in for the real file system only.
    if (request.deferLink === true && this.fs === realFileSystem && this.linksMade > INLINE_LINKS) {
      this.linker ??= Linker.start();
      if (this.linker) {
        this.linker.link(storedAt, request.target);
        this.deferred.set(request.target, { root: request.root, after: [] });
        return { ...result, status: 'written', storedAt, linkPending: true };
      }
    }
    this.link(request.target, storedAt, request.root);
    return { ...result, status: 'written', storedAt };
  }

  /** Runs `then` once the deferred link to `target` exists (right away when none is pending). */
  afterLink(target: string, then: () => void): void {
    const entry = this.deferred.get(target);
    if (entry) entry.after.push(then);
    else then();
  }

  /**
   * Waits for every deferred link. One that found something at its target (or no directory) is made
   * here as an inline link would be (mkdir, temp link, rename); one that failed otherwise is returned
   * with the error `write` would have thrown, and its `afterLink` steps are not run.
   */
  settleLinks(): LinkFailure[] {
    const linker = this.linker;
    this.linker = undefined;
    if (!linker) return [];
    const failures: LinkFailure[] = [];
    for (const { storedAt, target, code } of linker.settle()) {
      const entry = this.deferred.get(target);
      this.deferred.delete(target);
      try {
        if (code !== undefined) this.link(target, storedAt, entry?.root, code);
      } catch (error) {
        failures.push({ target, error: error as SinkError });
        continue;
      }
      for (const then of entry?.after ?? []) then();
    }
    return failures;
  }

  /** @param tried the errno code of a `symlink(storedAt, target)` already tried (by the helper thread) */
  private link(target: string, storedAt: string, root: string | undefined, tried?: string): void {
    const display = target;
    const failed = (error: unknown) => new SinkError('WRITE_FAILED', `cannot link ${display} into the memory store (${errnoCode(error) ?? 'error'})`, { file: display, cause: error });
    // Nothing there yet (a first start): symlink() makes the link in place, atomically, and fails
    // rather than follow or replace anything that appeared meanwhile.
    if (tried === undefined || tried === 'UNKNOWN') {
      try {
        this.fs.symlinkSync(storedAt, target);
        return;
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST' && errnoCode(error) !== 'ENOENT') throw failed(error);
      }
    } else if (tried !== 'EEXIST' && tried !== 'ENOENT') {
      throw failed(Object.assign(new Error(`symlink failed (${tried})`), { code: tried }));
    }
    // As a file written on disk would get them: mkdir's mode alone is narrowed by the umask, and a
    // 0700 root-owned directory would hide the file from the --owner that reads it.
    ensureParentDirectories(this.fs, root ?? existingAncestor(this.fs, target), target, display);
    const temp = tempPathFor(target);
    try {
      this.fs.symlinkSync(storedAt, temp);
      // rename replaces a file (or a stale link) at the target without following it.
      this.fs.renameSync(temp, target);
    } catch (error) {
      try {
        this.fs.unlinkSync(temp);
      } catch {
        // the symlink itself failed
      }
      throw failed(error);
    }
  }

  /**
   * `ensureDirectory`, once per owner for this store (one run): a thousand files need not each create,
   * open, stat and statfs the same directory. Checking before each write never closed the window
   * between the check and the write either; swapping the directory needs write access to its parent
   * (/dev/shm is sticky, /run is root's).
   */
  private ensureDirectoryOnce(owner?: { uid: number; gid: number }): void {
    const key = owner === undefined ? '-' : `${owner.uid}:${owner.gid}`;
    if (this.checkedFor === key) return;
    this.ensureDirectory(owner);
    this.checkedFor = key;
  }

  /**
   * Creates the store directory 0700, or checks an existing one: a real directory (not a link), ours
   * (or the `--owner`'s, who reads the files), on a memory file system.
   */
  ensureDirectory(owner?: { uid: number; gid: number }): void {
    try {
      this.fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw storeError(this.dir, `cannot be created (${errnoCode(error) ?? 'error'})`, error);
    }
    let fd: number;
    try {
      fd = this.fs.openSync(this.dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    } catch (error) {
      throw storeError(this.dir, errnoCode(error) === 'ELOOP' ? 'is a symbolic link' : `cannot be opened (${errnoCode(error) ?? 'error'})`, error);
    }
    try {
      const stat = this.fs.fstatSync(fd);
      if (stat.uid !== this.uid && stat.uid !== owner?.uid) throw storeError(this.dir, `belongs to uid ${stat.uid}, not to this user`);
      // The owner of the files must be able to reach them through the link; the directory stays 0700.
      if (owner !== undefined && stat.uid !== owner.uid) this.fs.fchownSync(fd, owner.uid, owner.gid);
      if ((stat.mode & 0o777) !== 0o700) this.fs.fchmodSync(fd, 0o700);
    } finally {
      this.fs.closeSync(fd);
    }
    if (memoryFsType(this.fs, this.dir) === undefined) throw storeError(this.dir, 'is not on a memory file system (tmpfs or ramfs)');
  }
}

function sweepBeside(fs: FileSystem, target: string, sweep: TempSweep | undefined): void {
  try {
    removeStaleTempFilesBeside(fs, target, sweep);
  } catch {
    // no directory yet: nothing to sweep; a temp that cannot be removed is the writer's to report
  }
}

/** The nearest directory above `file` that exists. */
function existingAncestor(fs: FileSystem, file: string): string {
  let directory = path.dirname(file);
  while (lstatQuietly(fs, directory) === undefined && path.dirname(directory) !== directory) directory = path.dirname(directory);
  return directory;
}

function storeError(dir: string, why: string, cause?: unknown): SinkError {
  return new SinkError('STORE_UNUSABLE', `the memory store ${dir} ${why}`, { file: dir, cause });
}
