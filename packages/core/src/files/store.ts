import { constants, type Stats } from 'node:fs';
import * as path from 'node:path';
import type { SecretSink } from '../contract';
import { ConfigError, SinkError, errnoCode } from '../errors';
import { lstatQuietly, realFileSystem, type FileSystem } from '../fs';
import { Linker } from './linker';
import { pathId } from './ids';
import type { Logger } from '../logger';
import type { TreeDir } from './tree';
import { openParentForWrite, previewWrite, removeStaleTempFilesIn, tempNameFor, writeFileSafely, type TempSweep, type WriteResult } from './writer';

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
   * The ComfyUI root (`WriteRequest.comfyuiDir`): the link's directory is reached from it, each
   * directory opened without following a link. @default `root`
   */
  readonly comfyuiDir?: string;
  /**
   * The directory the target stays inside (`WriteRequest.root`): directories missing between it and the
   * link are created as the writer creates them. @default the nearest existing directory above the target
   */
  readonly root?: string;
  readonly content: string;
  readonly mode: number;
  readonly owner?: { uid: number; gid: number };
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

/**
 * Deferred links in flight at most: each holds its directory open until its link is made, and a
 * thousand-node tree must not run into the descriptor limit. Reaching it waits for those made so far.
 */
const MAX_DEFERRED = 256;

/** A deferred link: the directory it goes in (open), its name there, and what to do once it exists. */
interface DeferredLink {
  readonly dir: TreeDir;
  readonly name: string;
  readonly display: string;
  readonly after: Array<() => void>;
}

/**
 * Files in a directory on a memory-backed file system, each reached from its target through a symlink.
 * The directory is the runner's own (0700, or 0711 with an `--owner`, who may then traverse it to its
 * files, mode 0600 and its own, but not list, rename or replace anything in it): were it the owner's, in a
 * sticky /dev/shm, the owner could rename it away and put a link in its place.
 */
export class MemoryStore {
  /** The owner `ensureDirectory` last checked the directory for (`-` for none), so a run checks it once. */
  private checkedFor: string | undefined;
  /** This run has given a file to another user: the directory stays traversable (0711) for the rest of it. */
  private traversable = false;
  /** Links made so far; the first `INLINE_LINKS` are made inline, so a small run never starts a thread. */
  private linksMade = 0;
  private linker: Linker | undefined;
  /** A helper thread stopped answering this run: every later link is made inline. */
  private linkerGaveUp = false;
  /** Deferred links by target. */
  private readonly deferred = new Map<string, DeferredLink>();
  /** Deferred links that failed in a `drain` before `settleLinks`, for it to report. */
  private readonly failures: LinkFailure[] = [];

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

  /**
   * `isLinked`, given what `lstat` found at `target` just now (`undefined`: nothing), so it is not asked
   * again. Only a decision (write into the store, make no new link): nothing is acted on through it.
   */
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
    this.ensureDirectoryOnce(request.owner);
    const display = request.target;
    // The link's directory first (made if missing): a tree that cannot take the link gets no file in the store.
    const root = request.root ?? existingAncestor(this.fs, request.target);
    const dir = linked ? undefined : openParentForWrite(this.fs, request.comfyuiDir ?? root, root, request.target, display);
    let handedOver = false;
    try {
      const result = writeFileSafely(this.fs, {
        root: this.dir,
        comfyuiDir: this.dir,
        path: path.basename(storedAt),
        content: request.content,
        mode: request.mode,
        owner: request.owner,
        sweep: request.sweep,
        beforeWrite: request.beforeWrite,
      });
      if (linked || dir === undefined) return { ...result, storedAt };
      if (result.status === 'unchanged') request.beforeWrite?.(result.previous ?? request.content);
      this.linksMade += 1;
      const name = path.basename(request.target);
      try {
        // A link temp file a killed run left beside the target would otherwise stay in the tree.
        removeStaleTempFilesIn(dir, name, display, request.sweep);
      } catch {
        // one that cannot be removed is left for the writer to report
      }
      // The helper thread calls Node's own fs: it stands in for the real file system only.
      if (request.deferLink === true && this.fs === realFileSystem && this.linksMade > INLINE_LINKS && !this.linkerGaveUp) {
        if (this.deferred.size >= MAX_DEFERRED) this.drain(false);
        if (!this.linkerGaveUp) this.linker ??= Linker.start();
        if (this.linker) {
          this.linker.link(storedAt, request.target, dir.entry(name));
          this.deferred.set(request.target, { dir, name, display, after: [] });
          handedOver = true;
          return { ...result, status: 'written', storedAt, linkPending: true };
        }
      }
      this.link(dir, name, storedAt, display);
      return { ...result, status: 'written', storedAt };
    } finally {
      if (!handedOver) dir?.close();
    }
  }

  /**
   * What `write` would do, with nothing changed (`previewWrite`): unchanged only when the target already
   * is our link and its store file holds the content with that mode and owner.
   */
  preview(request: Pick<MemoryWriteRequest, 'target' | 'content' | 'mode' | 'owner' | 'linked'>): 'unchanged' | 'would-write' {
    const linked = request.linked ?? this.isLinked(request.target);
    if (!linked || !this.fs.existsSync(this.dir)) return 'would-write';
    const storedAt = this.fileFor(request.target);
    return previewWrite(this.fs, { root: this.dir, comfyuiDir: this.dir, path: path.basename(storedAt), content: request.content, mode: request.mode, owner: request.owner });
  }

  /** Runs `then` once the deferred link to `target` exists (right away when none is pending). */
  afterLink(target: string, then: () => void): void {
    const entry = this.deferred.get(target);
    if (entry) entry.after.push(then);
    else then();
  }

  /**
   * Waits for every deferred link. One that found something at its target is made here as an inline
   * link would be (temp link, rename); one that failed otherwise is returned with the error `write`
   * would have thrown, and its `afterLink` steps are not run.
   */
  settleLinks(): LinkFailure[] {
    if (this.linker) this.drain(true);
    return this.failures.splice(0);
  }

  /** Takes the outcome of every link the thread was given so far; `stop` (or a stalled thread) ends the thread. */
  private drain(stop: boolean): void {
    const linker = this.linker;
    if (!linker) return;
    const outcomes = linker.drain();
    if (stop || linker.stalled) {
      linker.settle();
      this.linker = undefined;
      if (linker.stalled) this.linkerGaveUp = true;
    }
    for (const { target, storedAt, code } of outcomes) {
      const entry = this.deferred.get(target);
      this.deferred.delete(target);
      if (!entry) continue;
      try {
        if (code !== undefined) this.link(entry.dir, entry.name, storedAt, entry.display, code);
      } catch (error) {
        this.failures.push({ target, error: error as SinkError });
        continue;
      } finally {
        // The thread that stopped answering may still act through this descriptor: its number must not be reused.
        if (code !== 'UNKNOWN') entry.dir.close();
      }
      for (const then of entry.after) then();
    }
  }

  /**
   * Makes the link `name` in `dir` (open, reached without links) to `storedAt`.
   * @param tried the errno code of a `symlink` already tried (by the helper thread)
   */
  private link(dir: TreeDir, name: string, storedAt: string, display: string, tried?: string): void {
    const failed = (error: unknown) => new SinkError('WRITE_FAILED', `cannot link ${display} into the memory store (${errnoCode(error) ?? 'error'})`, { file: display, cause: error });
    // Nothing there yet (a first start): symlink() makes the link in place, atomically, and fails
    // rather than follow or replace anything that appeared meanwhile.
    if (tried === undefined || tried === 'UNKNOWN') {
      try {
        dir.symlink(storedAt, name);
        return;
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST') throw failed(error);
      }
    } else if (tried !== 'EEXIST') {
      throw failed(Object.assign(new Error(`symlink failed (${tried})`), { code: tried }));
    }
    const temp = tempNameFor(name);
    try {
      dir.symlink(storedAt, temp);
      // rename replaces a file (or a stale link) at the target without following it, in the same directory.
      dir.rename(temp, name);
    } catch (error) {
      try {
        dir.unlink(temp);
      } catch {
        // the symlink itself failed
      }
      throw failed(error);
    }
  }

  /**
   * `ensureDirectory`, once per owner for this store (one run): a thousand files need not each create,
   * open, stat and statfs the same directory. The directory cannot be swapped between the check and
   * a write: it is ours, in a sticky (/dev/shm) or root's (/run) directory.
   */
  private ensureDirectoryOnce(owner?: { uid: number; gid: number }): void {
    const key = owner === undefined ? '-' : `${owner.uid}:${owner.gid}`;
    if (this.checkedFor === key) return;
    this.ensureDirectory(owner);
    this.checkedFor = key;
  }

  /**
   * Creates the store directory, or checks an existing one: a real directory (not a link) of this
   * user's, on a memory file system; mode 0700, or 0711 when the files belong to another `owner`
   * (traverse only: the owner reaches its files through the links, lists and renames nothing).
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
      const code = errnoCode(error);
      const link = code === 'ELOOP' || (code === 'ENOTDIR' && lstatQuietly(this.fs, this.dir)?.isSymbolicLink() === true);
      throw storeError(this.dir, link ? 'is a symbolic link' : `cannot be opened (${code ?? 'error'})`, error);
    }
    try {
      const stat = this.fs.fstatSync(fd);
      // A directory the --owner holds (an earlier version gave it one) is theirs to rename away.
      if (stat.uid !== this.uid) throw storeError(this.dir, `belongs to uid ${stat.uid}, not to this user (${this.uid}); remove it, and comfy-secrets makes it again`);
      // Files of several owners in one run (node directories of different users, as root): going back
      // to 0700 for a later one would lock the earlier owner out of its file.
      if (owner !== undefined && owner.uid !== this.uid) this.traversable = true;
      const mode = this.traversable ? 0o711 : 0o700;
      if ((stat.mode & 0o7777) !== mode) this.fs.fchmodSync(fd, mode);
    } finally {
      this.fs.closeSync(fd);
    }
    if (memoryFsType(this.fs, this.dir) === undefined) throw storeError(this.dir, 'is not on a memory file system (tmpfs or ramfs)');
  }
}

/** The nearest directory above `file` that exists: the default write root of a link (tests). */
function existingAncestor(fs: FileSystem, file: string): string {
  let directory = path.dirname(file);
  while (lstatQuietly(fs, directory) === undefined && path.dirname(directory) !== directory) directory = path.dirname(directory);
  return directory;
}

function storeError(dir: string, why: string, cause?: unknown): SinkError {
  return new SinkError('STORE_UNUSABLE', `the memory store ${dir} ${why}`, { file: dir, cause });
}
