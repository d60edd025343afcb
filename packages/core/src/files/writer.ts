import { constants, type Stats } from 'node:fs';
import * as nodePath from 'node:path';
import { errnoCode, SinkError } from '../errors';
import type { FileSystem } from '../fs';
import { randomToken } from './ids';
import { isAlive } from './pid';
import { linkOrNotDir, TreeDir, walkBelow } from './tree';

/**
 * The safe writer: every file comfy-secrets writes goes through `writeFileSafely`.
 *
 * The ComfyUI tree is not ours. A custom node (or whoever can write into it) could plant a symlink so
 * that a root-run container start writes a secret somewhere else, or reads another file back as the
 * "previous" content. So the writer never follows a link it did not expect, writes through a temp file
 * that it renames into place, and reports only paths, never contents.
 *
 * A directory on the way may be swapped for a link at any moment (its owner may be hostile), so nothing
 * here acts by path: the path is walked once, each directory opened without following a link, and
 * every open, create, rename, unlink, chmod and chown happens relative to the open directory
 * (`TreeDir`). The temp file is created with O_EXCL, `rename` replaces a link rather than following
 * it, and reads use O_NOFOLLOW.
 */

export interface WriteRequest {
  /** The directory the target must stay inside (the sink's node directory, or the ComfyUI root). Absolute. */
  readonly root: string;
  /** The ComfyUI root: no path component between it and the target may be a symlink. Absolute; root is inside it or equal. */
  readonly comfyuiDir: string;
  /** Target path relative to `root` (as the sink declared it). */
  readonly path: string;
  readonly content: string;
  /** @default 0o600 */
  readonly mode?: number;
  /** Applied to the file only; directories the writer creates keep the runner's owner (see `DIRECTORY_MODE`). */
  readonly owner?: { uid: number; gid: number };
  /** Compute the status only; touch nothing. */
  readonly dryRun?: boolean;
  /**
   * A symlink at the target that points here (our own memory-store link) may be followed, one level:
   * the file is then written (and read) at the link's destination, which must itself be a plain file
   * inside this directory with no linked directory on the way. Absent = no link is followed.
   */
  readonly allowedLinkDir?: string;
  /**
   * One run's record of the directories it has looked for stale temp files in (see `createTempSweep`).
   * Absent: the directory is listed before every write, which a thousand files in one directory (the
   * memory store) turns into a million names read.
   */
  readonly sweep?: TempSweep;
  /**
   * Called with the text the target will hold, right before the writer first changes anything (the
   * state journals its intent there); not called for an unchanged file or a dry run. What it throws
   * fails the write with nothing touched.
   */
  readonly beforeWrite?: (onDisk: string) => void;
}

/** Per run: directory → the names of temp files it held when this run first wrote there. */
export type TempSweep = Map<string, readonly string[]>;

/**
 * A fresh sweep record for one run. Listing a directory once per run is enough: the temp files a
 * killed run left are there before this run starts, a live process's are kept anyway, and this
 * process's own temp files are renamed or removed before its next write.
 */
export function createTempSweep(): TempSweep {
  return new Map();
}

export interface WriteResult {
  status: 'written' | 'unchanged' | 'would-write';
  /** The file written (or that would be): the link's destination when an allowed link was followed. */
  path: string;
  /** The old content when there was a file, for merging formats and state. */
  previous?: string;
}

/** @default for `WriteRequest.mode`: only the owner may read a file full of secrets. */
const DEFAULT_MODE = 0o600;

/**
 * Directories the writer creates for a node (`custom_nodes/x/config/`) get 0o755, set explicitly so a
 * restrictive umask (077 is common in hardened images) cannot narrow it. Secrecy comes from the file's
 * own 0o600; the directory only has to let the file's `owner` (ComfyUI's user, when the runner is root)
 * traverse to it, which 0o700 root-owned would not. The directory stays owned by the runner: chowning
 * it to the node's user would let that user swap entries under a root process.
 */
const DIRECTORY_MODE = 0o755;

const TEMP_SUFFIX = '.comfy-secrets.tmp';
/** Keeps `.<name>.<pid>.<random>.comfy-secrets.tmp` under NAME_MAX (255) for long target names. */
const TEMP_NAME_PREFIX_MAX = 100;

/** A directory fsync that the file system does not support is not a failed write. */
const DIRECTORY_FSYNC_UNSUPPORTED = new Set(['EINVAL', 'EISDIR', 'ENOTSUP', 'EOPNOTSUPP', 'EBADF']);

/**
 * The path to write, reached through open directories (`TreeDir`): `dir` is the deepest directory of
 * the path that exists, open, and `missing` the components below it still to create (`create`).
 */
interface Target {
  /** Absolute path, for results and records only; every act goes through `dir`. */
  readonly path: string;
  /** The file's name in its directory. */
  readonly name: string;
  readonly display: string;
  /** Open; whoever called `locate` closes it. Replaced by `ensureDirectories` as it creates. */
  dir: TreeDir;
  /** Directories still to create below `dir`, outermost first. */
  missing: readonly string[];
  /** How many of `missing` are at or above the write root: those are not ours to create. */
  readonly aboveRoot: number;
  /** `locate` found nothing there: no need to open it to read what it holds. */
  readonly absent?: boolean;
  /** What `lstat` found at the requested path itself (for a followed link: the link). */
  readonly found?: Stats;
}

/** Validates `request.path` and returns the absolute path to write (see `allowedLinkDir`). */
export function resolveTarget(fs: FileSystem, request: Pick<WriteRequest, 'root' | 'comfyuiDir' | 'path' | 'allowedLinkDir'>): string {
  return locateTarget(fs, request).path;
}

/** `resolveTarget`'s checks and result, and what they found at the requested path. */
export interface LocatedTarget {
  /** The absolute path to write: an allowed link's destination, else the requested path. */
  readonly path: string;
  /** `lstat` of the requested path itself (our link, when there is one); `undefined` when nothing is there. */
  readonly found: Stats | undefined;
}

/** `resolveTarget`, also returning what is at the path, so a caller about to write need not `lstat` it again. */
export function locateTarget(fs: FileSystem, request: Pick<WriteRequest, 'root' | 'comfyuiDir' | 'path' | 'allowedLinkDir'>): LocatedTarget {
  const target = locate(fs, request);
  target.dir.close();
  return { path: target.path, found: target.found };
}

/**
 * The current text of the request's target (through our allowed link, as the writer would write it),
 * or `undefined` when there is none: reached and read as the writer reaches what it replaces, so a
 * directory swapped for a link can make it read nothing outside the tree.
 * @throws SinkError `UNSAFE_PATH`, `NOT_A_FILE` or `READ_FAILED`
 */
export function readTarget(fs: FileSystem, request: Pick<WriteRequest, 'root' | 'comfyuiDir' | 'path' | 'allowedLinkDir'>): string | undefined {
  const target = locate(fs, request);
  try {
    return inspect(target)?.text;
  } finally {
    target.dir.close();
  }
}

/**
 * Writes `content` atomically at the target, or leaves it alone when it already holds that content
 * (ignoring the `Generated at:` header line) with that mode and owner.
 * @throws SinkError `UNSAFE_PATH`, `NOT_A_FILE`, `READ_FAILED` or `WRITE_FAILED`
 */
export function writeFileSafely(fs: FileSystem, request: WriteRequest): WriteResult {
  const mode = checkedMode(request.mode);
  const target = locate(fs, request);
  try {
    const existing = inspect(target);
    const previous = existing?.text;
    const sameContent = holds(existing, request.content);

    if (sameContent && matchesMetadata(existing.stat, mode, request.owner)) {
      // A run killed mid-write leaves its temp file (a copy of the secrets) even when it had nothing new to say.
      if (request.dryRun !== true) removeStaleTempFiles(target, request.sweep);
      return { status: 'unchanged', path: target.path, previous };
    }
    if (request.dryRun === true) return { status: 'would-write', path: target.path, previous };

    // Same content, wrong mode or owner: fix it in place so the mtime (and the header's time) stay.
    if (sameContent) {
      request.beforeWrite?.(existing.text);
      removeStaleTempFiles(target, request.sweep);
      fixMetadata(target, existing.stat, mode, request.owner);
    } else {
      request.beforeWrite?.(request.content);
      ensureDirectories(target);
      removeStaleTempFiles(target, request.sweep);
      replaceIn(target.dir, target.name, Buffer.from(request.content, 'utf8'), mode, request.owner, target.display);
    }
    return { status: 'written', path: target.path, previous };
  } finally {
    target.dir.close();
  }
}

/**
 * What `writeFileSafely` would do with `request`, decided as it decides, with nothing changed: the first
 * half of a run (`plan`, `check`, `run --dry-run`) reports it without the writing half.
 * @throws SinkError as `writeFileSafely` does, for what it would refuse
 */
export function previewWrite(fs: FileSystem, request: Omit<WriteRequest, 'dryRun' | 'sweep' | 'beforeWrite'>): 'unchanged' | 'would-write' {
  const mode = checkedMode(request.mode);
  const target = locate(fs, request);
  try {
    const existing = inspect(target);
    return holds(existing, request.content) && matchesMetadata(existing.stat, mode, request.owner) ? 'unchanged' : 'would-write';
  } finally {
    target.dir.close();
  }
}

/** The file there holds `content`, apart from the header's time (bytes that are not UTF-8 never do). */
function holds(existing: Existing | undefined, content: string): existing is Existing {
  return existing !== undefined && existing.exactText && sameIgnoringTimestamp(existing.text, content);
}

/** `WriteRequest.mode`, or its default; anything but a file mode is refused before a path is looked at. */
function checkedMode(mode: number | undefined): number {
  const checked = mode ?? DEFAULT_MODE;
  if (!Number.isInteger(checked) || checked < 0 || checked > 0o7777) {
    throw new SinkError('INVALID_MODE', `mode ${String(checked)} is not a file mode (0 to 0o7777)`);
  }
  return checked;
}

/**
 * Whether two renderings are the same file apart from the `# Generated at: <time>` (or `;` for ini)
 * header line. Only that line in the leading comment block counts as the header: a multi-line value
 * that happens to contain such a line must still make the files differ.
 */
export function sameIgnoringTimestamp(a: string, b: string): boolean {
  return a === b || withoutTimestamp(a) === withoutTimestamp(b);
}

const HEADER_TIMESTAMP = /^((?:[#;][^\r\n]*\r?\n)*?[#;] Generated at: )[^\r\n]*/;

function withoutTimestamp(text: string): string {
  return text.replace(HEADER_TIMESTAMP, '$1');
}

function locate(fs: FileSystem, request: Pick<WriteRequest, 'root' | 'comfyuiDir' | 'path' | 'allowedLinkDir'>): Target {
  const { root, comfyuiDir, path } = request;
  const shown = path.includes('\0') ? JSON.stringify(path) : path;
  // Resolved once here; below, containment is a prefix test on these.
  const base = nodePath.resolve(comfyuiDir);
  const rootDir = nodePath.resolve(root);
  if (!nodePath.isAbsolute(comfyuiDir) || !nodePath.isAbsolute(root) || !isBelow(base, rootDir, true)) {
    throw unsafe(shown, `the write root ${root} is not an absolute directory inside the ComfyUI directory ${comfyuiDir}`);
  }
  if (nodePath.isAbsolute(path)) throw unsafe(shown, 'the path must be relative to the node directory, not absolute');
  if (path === '' || path.includes('\0')) throw unsafe(shown, 'the path is empty or contains a NUL byte');

  const absolute = nodePath.resolve(rootDir, path);
  const display = relativeBelow(base, absolute);
  if (!isBelow(rootDir, absolute, false)) throw unsafe(display, `the path ${path} leaves ${relativeBelow(base, rootDir) || '.'}`);
  if (/[\\/]$/.test(path)) throw new SinkError('NOT_A_FILE', `${display} names a directory, not a file`, { file: display });

  const components = componentsBetween(base, nodePath.dirname(absolute));
  const rootDepth = componentsBetween(base, rootDir).length;
  const { dir, missing } = walkFrom(fs, base, components, display);
  const target: Target = { path: absolute, name: nodePath.basename(absolute), display, dir, missing, aboveRoot: Math.max(0, rootDepth - (components.length - missing.length)) };
  if (missing.length > 0) return { ...target, absent: true };
  let stat: Stats | undefined;
  try {
    stat = lstatIn(dir, target.name, display);
    if (stat?.isSymbolicLink() === true) {
      const followed = followAllowedLink(fs, dir, absolute, display, request.allowedLinkDir);
      dir.close();
      return { ...followed, found: stat };
    }
    if (stat !== undefined && !stat.isFile()) throw notAFile(display, stat);
  } catch (error) {
    dir.close();
    throw error;
  }
  return { ...target, absent: stat === undefined, found: stat };
}

/** Opens the trusted `base` and walks `components` below it (`walkBelow`), refusing links. */
function walkFrom(fs: FileSystem, base: string, components: readonly string[], display: string): { dir: TreeDir; missing: readonly string[] } {
  let start: TreeDir;
  try {
    start = TreeDir.open(fs, base);
  } catch (error) {
    if (error instanceof SinkError) throw error;
    throw new SinkError('READ_FAILED', `cannot open the directory of ${display} (${errnoCode(error) ?? 'error'})`, { file: display, cause: error });
  }
  return walkBelow(start, components, (index, problem, error) => {
    const where = components.slice(0, index + 1).join(nodePath.sep);
    if (problem === 'link') return unsafe(display, `its directory ${where} is a symbolic link`);
    if (problem === 'not-dir') return unsafe(display, `${where} is not a directory`);
    return new SinkError('READ_FAILED', `cannot open the directory ${where} of ${display} (${problem})`, { file: display, cause: error });
  });
}

/** The one link we may follow: ours, into `allowedLinkDir`, to a plain file reached without links. */
function followAllowedLink(fs: FileSystem, dir: TreeDir, link: string, display: string, allowedLinkDir: string | undefined): Target {
  let text: string;
  try {
    text = dir.readlink(nodePath.basename(link));
  } catch (error) {
    // EINVAL: what was a link a moment ago no longer is — someone is changing the tree under this run.
    throw new SinkError('TARGET_CHANGED', `${display} changed while comfy-secrets was looking at it (${errnoCode(error) ?? 'error'}); nothing was written, run again`, { file: display, cause: error });
  }
  const destination = nodePath.resolve(nodePath.dirname(link), text);
  if (allowedLinkDir === undefined || !nodePath.isAbsolute(allowedLinkDir) || !isInside(allowedLinkDir, destination, false)) {
    throw unsafe(display, 'it is a symbolic link, and comfy-secrets does not write through links it did not create');
  }
  const shown = `${display} -> ${destination}`;
  const store = nodePath.resolve(allowedLinkDir);
  const components = componentsBetween(store, nodePath.dirname(destination));
  // A dangling link of ours whose store is gone (a recreated container's fresh /dev/shm): nothing to
  // read, and the store makes its directory itself; here the directory above stands in, creating nothing.
  let above = store;
  while (lstatIfMissing(fs, above) && nodePath.dirname(above) !== above) above = nodePath.dirname(above);
  const gone = componentsBetween(above, store);
  const walk = walkFrom(fs, above, [...gone, ...components], shown);
  const target: Target = { path: destination, name: nodePath.basename(destination), display: shown, dir: walk.dir, missing: walk.missing, aboveRoot: gone.length };
  if (walk.missing.length > 0) return { ...target, absent: true };
  try {
    const stat = lstatIn(walk.dir, target.name, shown);
    if (stat?.isSymbolicLink() === true) throw unsafe(shown, 'the link points to another link');
    if (stat !== undefined && !stat.isFile()) throw notAFile(shown, stat);
    return { ...target, absent: stat === undefined };
  } catch (error) {
    walk.dir.close();
    throw error;
  }
}

/** The components of the path from `from` down to `to` (`to` inside `from`, or equal: none). */
function componentsBetween(from: string, to: string): string[] {
  const outer = nodePath.resolve(from);
  const inner = nodePath.resolve(to);
  if (inner === outer) return [];
  const prefix = outer.endsWith(nodePath.sep) ? outer : outer + nodePath.sep;
  const relative = inner.startsWith(prefix) ? inner.slice(prefix.length) : nodePath.relative(outer, inner);
  return relative.split(nodePath.sep).filter((part) => part !== '');
}

/**
 * The directory holding `file` (absolute, inside `comfyuiDir`), open, with the directories missing
 * between `root` and it created as a write creates them (each `DIRECTORY_MODE` whatever the umask,
 * none through a link): for the files the writer does not write itself, the memory store's links.
 * The caller closes it.
 * @throws SinkError `UNSAFE_PATH` or `WRITE_FAILED`
 */
export function openParentForWrite(fs: FileSystem, comfyuiDir: string, root: string, file: string, display: string): TreeDir {
  const base = nodePath.resolve(comfyuiDir);
  if (!isBelow(base, nodePath.resolve(file), false) || !isBelow(base, nodePath.resolve(root), true)) throw unsafe(display, `it is not inside ${comfyuiDir}`);
  const components = componentsBetween(base, nodePath.dirname(file));
  const rootDepth = componentsBetween(base, root).length;
  const { dir, missing } = walkFrom(fs, base, components, display);
  const target: Target = { path: file, name: nodePath.basename(file), display, dir, missing, aboveRoot: Math.max(0, rootDepth - (components.length - missing.length)) };
  try {
    ensureDirectories(target);
  } catch (error) {
    target.dir.close();
    throw error;
  }
  return target.dir;
}

/**
 * The directory holding the tree file `file` (absolute, inside `comfyuiDir`), open, reached without
 * links; `undefined` when a directory on the way does not exist. For `clean` and the state's backups:
 * read, remove or restore the file through it, by its name (`path.basename(file)`). The caller closes it.
 * @throws SinkError `UNSAFE_PATH` (a link or a non-directory on the way) or `READ_FAILED`
 */
export function openTreeDirOf(fs: FileSystem, comfyuiDir: string, file: string, display: string): TreeDir | undefined {
  const base = nodePath.resolve(comfyuiDir);
  if (!isBelow(base, nodePath.resolve(file), false)) throw unsafe(display, `it is not inside ${comfyuiDir}`);
  // A tree removed since (a container's volume gone) holds nothing to clean.
  if (lstatIfMissing(fs, base)) return undefined;
  const { dir, missing } = walkFrom(fs, base, componentsBetween(base, nodePath.dirname(file)), display);
  if (missing.length === 0) return dir;
  dir.close();
  return undefined;
}

/** Creates the directories missing below `target.dir` (never at or above the write root), each without following a link. */
function ensureDirectories(target: Target): void {
  if (target.missing.length === 0) return;
  if (target.aboveRoot > 0) {
    throw writeFailed(target, `creating directory ${target.missing[0] as string}`, Object.assign(new Error('the write root does not exist'), { code: 'ENOENT' }));
  }
  for (const name of target.missing) {
    let created = true;
    try {
      target.dir.mkdir(name, DIRECTORY_MODE);
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw writeFailed(target, `creating directory ${name}`, error);
      created = false; // a concurrent runner (or a node) made it since the walk: opened below like any other
    }
    let next: TreeDir;
    try {
      next = target.dir.openDir(name);
    } catch (error) {
      if (errnoCode(error) === 'ENOTDIR') throw unsafe(target.display, linkOrNotDir(target.dir, name) === 'link' ? `its directory ${name} is a symbolic link` : `${name} is not a directory`);
      throw writeFailed(target, `opening directory ${name}`, error);
    }
    target.dir.close();
    target.dir = next;
    if (created) {
      try {
        target.dir.chmod(DIRECTORY_MODE);
      } catch (error) {
        throw writeFailed(target, 'setting directory mode', error);
      }
    }
  }
  target.missing = [];
}

interface Existing {
  readonly text: string;
  /** False when the bytes are not valid UTF-8, so `text` cannot be compared for equality. */
  readonly exactText: boolean;
  readonly stat: Stats;
}

function inspect(target: Target): Existing | undefined {
  // One created since `locate` looked is replaced by the rename all the same, as it would be had it
  // appeared just after this open.
  if (target.absent === true) return undefined;
  const existing = readFileIn(target.dir, target.name, target.display);
  if (existing === undefined) return undefined;
  const text = existing.bytes.toString('utf8');
  return { text, exactText: Buffer.from(text, 'utf8').equals(existing.bytes), stat: existing.stat };
}

/**
 * The bytes and metadata of the file `name` in `dir`, read as the writer reads what it replaces: not
 * followed if it is a link, and only a regular file with no other hard link. `undefined` when nothing
 * is there.
 * @param display the file's name in errors
 * @throws SinkError `UNSAFE_PATH`, `NOT_A_FILE` or `READ_FAILED`
 */
export function readFileIn(dir: TreeDir, name: string, display: string): { bytes: Buffer; stat: Stats } | undefined {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO swapped in since the lstat must not hang the container start.
    fd = dir.open(name, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw unsafe(display, 'it is a symbolic link');
    throw new SinkError('READ_FAILED', `cannot read ${display} (${code ?? 'error'})`, { file: display, cause: error });
  }
  const fs = dir.fileSystem;
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw notAFile(display, stat);
    // A hard link into the tree could hand us another file's content as "previous" (and a chmod).
    if (stat.nlink > 1) throw unsafe(display, `it has ${stat.nlink} hard links`);
    return { bytes: fs.readFileSync(fd), stat };
  } catch (error) {
    if (error instanceof SinkError) throw error;
    throw new SinkError('READ_FAILED', `cannot read ${display} (${errnoCode(error) ?? 'error'})`, { file: display, cause: error });
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * `readFileIn` for a file of the ComfyUI tree named by its absolute path: the directories on the way
 * opened without following links (`openTreeDirOf`). For the state's backup of a file about to be replaced.
 */
export function readTreeFile(fs: FileSystem, comfyuiDir: string, file: string, display: string): { bytes: Buffer; stat: Stats } | undefined {
  const dir = openTreeDirOf(fs, comfyuiDir, file, display);
  if (dir === undefined) return undefined;
  try {
    return readFileIn(dir, nodePath.basename(file), display);
  } finally {
    dir.close();
  }
}

function matchesMetadata(stat: Stats, mode: number, owner: WriteRequest['owner']): boolean {
  return (stat.mode & 0o7777) === mode && (owner === undefined || (stat.uid === owner.uid && stat.gid === owner.gid));
}

/** chmod/chown of the very file `inspect` read: opened again through the same directory, and checked to be that inode. */
function fixMetadata(target: Target, seen: Stats, mode: number, owner: WriteRequest['owner']): void {
  const fs = target.dir.fileSystem;
  let fd: number;
  try {
    fd = target.dir.open(target.name, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if (errnoCode(error) === 'ELOOP') throw unsafe(target.display, 'it is a symbolic link');
    throw writeFailed(target, 'setting mode', error);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (stat.ino !== seen.ino || stat.dev !== seen.dev || stat.nlink > 1) {
      throw new SinkError('TARGET_CHANGED', `${target.display} was replaced while comfy-secrets was writing it; nothing was changed, run again`, { file: target.display });
    }
    applyMetadata(fs, fd, mode, owner);
    fs.fsyncSync(fd);
  } catch (error) {
    throw writeFailed(target, 'setting mode', error);
  } finally {
    fs.closeSync(fd);
  }
}

/** chown first: it may clear set-id bits, and the mode asked for is the one that must hold. */
function applyMetadata(fs: FileSystem, fd: number, mode: number, owner: WriteRequest['owner']): void {
  if (owner !== undefined) fs.fchownSync(fd, owner.uid, owner.gid);
  fs.fchmodSync(fd, mode);
}

/**
 * Replaces `name` in `dir` with `bytes` atomically: a temp file (O_CREAT|O_EXCL, never an existing
 * file or a planted link) created 0600, its owner and mode set before any byte lands, fsync, renamed
 * over `name` within the same open directory, and the directory fsynced. For `clean`'s restores too.
 * @throws SinkError `WRITE_FAILED` naming the step
 */
export function replaceFileIn(dir: TreeDir, name: string, bytes: Buffer, mode: number, owner: { uid: number; gid: number } | undefined, display: string): void {
  replaceIn(dir, name, bytes, mode, owner, display);
}

function replaceIn(dir: TreeDir, name: string, bytes: Buffer, mode: number, owner: WriteRequest['owner'], display: string): void {
  const fs = dir.fileSystem;
  const failed = (step: string, error: unknown) =>
    error instanceof SinkError ? error : new SinkError('WRITE_FAILED', `cannot write ${display}: ${errnoCode(error) ?? 'error'} while ${step}`, { file: display, cause: error });
  const temp = tempNameFor(name);
  let fd: number | undefined;
  let step = 'creating the temp file';
  try {
    fd = dir.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, DEFAULT_MODE);
    step = owner === undefined ? 'setting the mode' : 'setting the owner and mode';
    applyMetadata(fs, fd, mode, owner);
    step = 'writing';
    writeAll(fs, fd, bytes);
    step = 'flushing to disk';
    fs.fsyncSync(fd);
    step = 'closing';
    const closing = fd;
    fd = undefined;
    fs.closeSync(closing);
    step = 'renaming into place';
    dir.rename(temp, name);
  } catch (error) {
    discard(dir, fd, temp);
    throw failed(step, error);
  }
  try {
    // Makes the rename itself durable: without it a crash can bring the old file back.
    dir.sync();
  } catch (error) {
    if (!DIRECTORY_FSYNC_UNSUPPORTED.has(errnoCode(error) ?? '')) throw failed('flushing the directory', error);
  }
}

/** All of `bytes`, however many calls it takes; a call that writes nothing is an error, not a hang. */
export function writeAll(fs: FileSystem, fd: number, bytes: Buffer): void {
  for (let offset = 0; offset < bytes.length; ) {
    const written = fs.writeSync(fd, bytes, offset, bytes.length - offset);
    if (written <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    offset += written;
  }
}

/** Best effort after a failure: the original error is the one worth reporting. */
function discard(dir: TreeDir, fd: number | undefined, temp: string): void {
  if (fd !== undefined) {
    try {
      dir.fileSystem.closeSync(fd);
    } catch {
      // already failing
    }
  }
  try {
    dir.unlink(temp);
  } catch {
    // ENOENT when the open itself failed; anything else is left for the next run's stale-temp sweep
  }
}

/**
 * Removes `.<name>.<pid>.*.comfy-secrets.tmp` left by a killed run: its pid is gone, or it is ours (a
 * container restart reuses pids, and within this process no write is in flight). A live process's
 * temp file is another runner writing right now and is kept. With a `sweep`, each directory is listed
 * once per run and later writes there only look through the temp files that listing found.
 */
function removeStaleTempFiles(target: Target, sweep: TempSweep | undefined): void {
  // A directory still to be created holds nothing.
  if (target.missing.length > 0) return;
  const directory = nodePath.dirname(target.path);
  const prefix = tempPrefix(target.name);
  let names = sweep?.get(directory);
  if (names === undefined) {
    try {
      names = target.dir.list().filter((name) => name.endsWith(TEMP_SUFFIX));
    } catch (error) {
      throw writeFailed(target, 'listing the directory for stale temp files', error);
    }
    sweep?.set(directory, names);
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(\d+)\.[0-9a-f]+$/.exec(name.slice(prefix.length, -TEMP_SUFFIX.length));
    const pid = Number(match?.[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || (pid !== process.pid && isAlive(pid))) continue;
    try {
      target.dir.unlink(name);
    } catch (error) {
      // A stale temp holds a copy of the secrets: not being able to remove it is worth failing over.
      if (errnoCode(error) !== 'ENOENT') throw writeFailed(target, `removing the stale temp file ${name}`, error);
    }
  }
}

/**
 * The stale-temp sweep beside `name` in an open directory, for a target that is not being written by
 * the writer (clean, the memory store's links): a temp file a killed run left there holds a copy of a secret.
 */
export function removeStaleTempFilesIn(dir: TreeDir, name: string, display: string, sweep?: TempSweep): void {
  removeStaleTempFiles({ path: dir.pathOf(name), name, display, dir, missing: [], aboveRoot: 0 }, sweep);
}

function tempPrefix(name: string): string {
  return `.${name.slice(0, TEMP_NAME_PREFIX_MAX)}.`;
}

/**
 * A fresh temp name for `name`: `.<name>.<pid>.<random>.comfy-secrets.tmp`. Everything that renames a
 * temp into the tree (the memory store's links too) names it here, so the stale-temp sweep recognises
 * what a killed run left.
 */
export function tempNameFor(name: string): string {
  return `${tempPrefix(name)}${process.pid}.${randomToken()}${TEMP_SUFFIX}`;
}

/** `tempNameFor` beside `target`, as a path (the state directory's own files). */
export function tempPathFor(target: string): string {
  return nodePath.join(nodePath.dirname(target), tempNameFor(nodePath.basename(target)));
}

/** Whether nothing is at `path` (by path: for the trusted directories above a store only). */
function lstatIfMissing(fs: FileSystem, path: string): boolean {
  try {
    return fs.lstatSync(path, { throwIfNoEntry: false }) === undefined;
  } catch {
    return false;
  }
}

function lstatIn(dir: TreeDir, name: string, display: string): Stats | undefined {
  try {
    // No exception for a missing path: a first start misses most of them, and each thrown one costs
    // Node an Error with a stack.
    return dir.lstat(name);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return undefined;
    throw new SinkError('READ_FAILED', `cannot inspect ${display} (${code ?? 'error'})`, { file: display, cause: error });
  }
}

/** `inner` is `outer` itself (when allowed) or below it, compared on normalised absolute paths. */
function isInside(outer: string, inner: string, allowEqual: boolean): boolean {
  return isBelow(nodePath.resolve(outer), nodePath.resolve(inner), allowEqual);
}

/** `isInside` for paths already resolved (absolute, normalised). */
function isBelow(base: string, path: string, allowEqual: boolean): boolean {
  if (path === base) return allowEqual;
  return path.startsWith(base.endsWith(nodePath.sep) ? base : base + nodePath.sep);
}

/** `path.relative(base, path)` for resolved paths, without its general case for the usual path below the base. */
function relativeBelow(base: string, path: string): string {
  const prefix = base.endsWith(nodePath.sep) ? base : base + nodePath.sep;
  return path.startsWith(prefix) ? path.slice(prefix.length) : nodePath.relative(base, path);
}

function unsafe(display: string, why: string): SinkError {
  return new SinkError('UNSAFE_PATH', `refusing to write ${display}: ${why}`, { file: display });
}

function notAFile(display: string, stat: Stats): SinkError {
  const kind = stat.isDirectory() ? 'a directory' : 'not a regular file';
  return new SinkError('NOT_A_FILE', `cannot write ${display}: it is ${kind}`, { file: display });
}

function writeFailed(target: Target, step: string, error: unknown): SinkError {
  if (error instanceof SinkError) return error;
  return new SinkError('WRITE_FAILED', `cannot write ${target.display}: ${errnoCode(error) ?? 'error'} while ${step}`, {
    file: target.display,
    cause: error,
  });
}
