import { constants, type Stats } from 'node:fs';
import * as nodePath from 'node:path';
import { errnoCode, SinkError } from './errors';
import type { FileSystem } from './fs';
import { randomToken } from './ids';
import { isAlive } from './pid';

/**
 * The safe writer: every file comfy-secrets writes goes through `writeFileSafely`.
 *
 * The ComfyUI tree is not ours. A custom node (or whoever can write into it) could plant a symlink so
 * that a root-run container start writes a secret somewhere else, or reads another file back as the
 * "previous" content. So the writer never follows a link it did not expect, writes through a temp file
 * that it renames into place, and reports only paths, never contents.
 *
 * Limits: Node has no `openat`/`renameat`, so a parent directory swapped for a link between the checks
 * and the rename is not caught. The last component is covered: the temp file is created with O_EXCL
 * (which does not follow links), `rename` replaces a link rather than following it, and reads use
 * O_NOFOLLOW.
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

/** The path to write, the directory whose subtree it may not leave, and its name for messages. */
interface Target {
  readonly path: string;
  readonly anchor: string;
  readonly display: string;
  /** `locate` found nothing there: no need to open it to read what it holds. */
  readonly absent?: boolean;
  /** What `lstat` found at the requested path itself (for a followed link: the link). */
  readonly found?: Stats;
}

/** Validates `request.path` and returns the absolute path to write (see `allowedLinkDir`). */
export function resolveTarget(fs: FileSystem, request: Pick<WriteRequest, 'root' | 'comfyuiDir' | 'path' | 'allowedLinkDir'>): string {
  return locate(fs, request).path;
}

/** `resolveTarget`'s checks and result, and what they found at the requested path. */
export interface LocatedTarget {
  /** The absolute path to write: an allowed link's destination, else the requested path. */
  readonly path: string;
  /** `lstat` of the requested path itself (our link, when there is one); `undefined` when nothing is there. */
  readonly found: Stats | undefined;
}

/**
 * `resolveTarget`, also returning what is at the path, so a caller about to write need not `lstat` it again.
 * @param checked a directory on the way that the caller has just `lstat`ed and found a real directory,
 * not a link (the runner's installed-node check): it is not asked again
 */
export function locateTarget(fs: FileSystem, request: Pick<WriteRequest, 'root' | 'comfyuiDir' | 'path' | 'allowedLinkDir'>, checked?: string): LocatedTarget {
  const target = locate(fs, request, checked);
  return { path: target.path, found: target.found };
}

/**
 * The current text of a file returned by `resolveTarget`, or `undefined` when there is none. The last
 * component is opened with O_NOFOLLOW, so a link planted since `resolveTarget` is refused, not read.
 * @param comfyuiDir only to name the file relative to it in errors
 */
export function readExisting(fs: FileSystem, absolutePath: string, comfyuiDir?: string): string | undefined {
  const display = comfyuiDir === undefined ? absolutePath : displayPath(comfyuiDir, absolutePath);
  // A first start finds nothing: asking lstat costs less than the exception a failed open throws.
  const absent = lstatIfExists(fs, absolutePath, display) === undefined;
  return inspect(fs, { path: absolutePath, anchor: nodePath.dirname(absolutePath), display, absent })?.text;
}

/**
 * Writes `content` atomically at the target, or leaves it alone when it already holds that content
 * (ignoring the `Generated at:` header line) with that mode and owner.
 * @throws SinkError `UNSAFE_PATH`, `NOT_A_FILE`, `READ_FAILED` or `WRITE_FAILED`
 */
export function writeFileSafely(fs: FileSystem, request: WriteRequest): WriteResult {
  const mode = request.mode ?? DEFAULT_MODE;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new SinkError('INVALID_MODE', `mode ${String(mode)} is not a file mode (0 to 0o7777)`);
  }
  const target = locate(fs, request);
  const existing = inspect(fs, target);
  const previous = existing?.text;
  const sameContent = existing !== undefined && existing.exactText && sameIgnoringTimestamp(existing.text, request.content);

  if (sameContent && matchesMetadata(existing.stat, mode, request.owner)) {
    // A run killed mid-write leaves its temp file (a copy of the secrets) even when it had nothing new to say.
    if (request.dryRun !== true) removeStaleTempFiles(fs, target, request.sweep);
    return { status: 'unchanged', path: target.path, previous };
  }
  if (request.dryRun === true) return { status: 'would-write', path: target.path, previous };

  // Same content, wrong mode or owner: fix it in place so the mtime (and the header's time) stay.
  if (sameContent) {
    request.beforeWrite?.(existing.text);
    removeStaleTempFiles(fs, target, request.sweep);
    fixMetadata(fs, target, mode, request.owner);
  } else {
    request.beforeWrite?.(request.content);
    ensureDirectories(fs, target);
    removeStaleTempFiles(fs, target, request.sweep);
    replaceFile(fs, target, request.content, mode, request.owner);
  }
  return { status: 'written', path: target.path, previous };
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

function locate(fs: FileSystem, request: Pick<WriteRequest, 'root' | 'comfyuiDir' | 'path' | 'allowedLinkDir'>, checked?: string): Target {
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

  checkDirectories(fs, base, nodePath.dirname(absolute), display, checked);
  const stat = lstatIfExists(fs, absolute, display);
  if (stat?.isSymbolicLink() === true) return { ...followAllowedLink(fs, absolute, display, request.allowedLinkDir), found: stat };
  if (stat !== undefined && !stat.isFile()) throw notAFile(display, stat);
  return { path: absolute, anchor: root, display, absent: stat === undefined, found: stat };
}

/** The one link we may follow: ours, into `allowedLinkDir`, to a plain file reached without links. */
function followAllowedLink(fs: FileSystem, link: string, display: string, allowedLinkDir: string | undefined): Target {
  const destination = nodePath.resolve(nodePath.dirname(link), fs.readlinkSync(link));
  if (allowedLinkDir === undefined || !nodePath.isAbsolute(allowedLinkDir) || !isInside(allowedLinkDir, destination, false)) {
    throw unsafe(display, 'it is a symbolic link, and comfy-secrets does not write through links it did not create');
  }
  const shown = `${display} -> ${destination}`;
  checkDirectories(fs, allowedLinkDir, nodePath.dirname(destination), shown);
  const stat = lstatIfExists(fs, destination, shown);
  if (stat?.isSymbolicLink() === true) throw unsafe(shown, 'the link points to another link');
  if (stat !== undefined && !stat.isFile()) throw notAFile(shown, stat);
  return { path: destination, anchor: allowedLinkDir, display: shown, absent: stat === undefined };
}

/** Every existing directory below `from` down to `to` must be a real directory, not a link. */
function checkDirectories(fs: FileSystem, from: string, to: string, display: string, checked?: string): void {
  for (const directory of directoriesBetween(from, to)) {
    if (directory === checked) continue;
    const stat = lstatIfExists(fs, directory, display);
    if (stat === undefined) return; // the rest does not exist yet; ensureDirectories creates it
    if (stat.isSymbolicLink()) throw unsafe(display, `its directory ${nodePath.relative(from, directory)} is a symbolic link`);
    if (!stat.isDirectory()) throw unsafe(display, `${nodePath.relative(from, directory)} is not a directory`);
  }
}

/** The directories strictly below `from` down to and including `to`, outermost first. */
function directoriesBetween(from: string, to: string): string[] {
  const outer = nodePath.resolve(from);
  const inner = nodePath.resolve(to);
  if (inner === outer) return [];
  // Every caller passes a `to` inside `from`: its directories are prefixes of it, no path arithmetic.
  if (isBelow(outer, inner, false)) {
    const directories: string[] = [];
    const start = outer.endsWith(nodePath.sep) ? outer.length : outer.length + 1;
    for (let end = inner.indexOf(nodePath.sep, start); end !== -1; end = inner.indexOf(nodePath.sep, end + 1)) directories.push(inner.slice(0, end));
    directories.push(inner);
    return directories;
  }
  let current = from;
  return nodePath.relative(from, to).split(nodePath.sep).map((part) => (current = nodePath.join(current, part)));
}

/**
 * Creates the directories missing between `anchor` and `file`'s directory as a write does (each
 * `DIRECTORY_MODE` whatever the umask, none through a link, re-checked for links afterwards), for
 * files the writer does not write itself: the memory store's links.
 */
export function ensureParentDirectories(fs: FileSystem, anchor: string, file: string, display: string): void {
  ensureDirectories(fs, { path: file, anchor, display });
}

/** Creates the missing directories between the anchor and the target, each without following a link. */
function ensureDirectories(fs: FileSystem, target: Target): void {
  for (const directory of directoriesBetween(target.anchor, nodePath.dirname(target.path))) {
    try {
      fs.mkdirSync(directory, { mode: DIRECTORY_MODE });
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') continue; // checked below
      throw writeFailed(target, `creating directory ${nodePath.basename(directory)}`, error);
    }
    withFile(fs, target, directory, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW, 'setting directory mode', (fd) =>
      fs.fchmodSync(fd, DIRECTORY_MODE),
    );
  }
  // A concurrent runner (or a node) may have made one of them since `locate` looked.
  checkDirectories(fs, target.anchor, nodePath.dirname(target.path), target.display);
}

interface Existing {
  readonly text: string;
  /** False when the bytes are not valid UTF-8, so `text` cannot be compared for equality. */
  readonly exactText: boolean;
  readonly stat: Stats;
}

function inspect(fs: FileSystem, target: Target): Existing | undefined {
  // One created since `locate` looked is replaced by the rename all the same, as it would be had it
  // appeared just after this open.
  if (target.absent === true) return undefined;
  const existing = readExistingBytes(fs, target.path, target.display);
  if (existing === undefined) return undefined;
  const text = existing.bytes.toString('utf8');
  return { text, exactText: Buffer.from(text, 'utf8').equals(existing.bytes), stat: existing.stat };
}

/**
 * The bytes and metadata of the file at `absolutePath`, read as the writer reads what it replaces:
 * the last component not followed, and only a regular file with no other hard link. `undefined` when
 * nothing is there.
 * @param display the file's name in errors
 * @throws SinkError `UNSAFE_PATH`, `NOT_A_FILE` or `READ_FAILED`
 */
export function readExistingBytes(fs: FileSystem, absolutePath: string, display: string): { bytes: Buffer; stat: Stats } | undefined {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO swapped in since the lstat must not hang the container start.
    fd = fs.openSync(absolutePath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw unsafe(display, 'it is a symbolic link');
    throw new SinkError('READ_FAILED', `cannot read ${display} (${code ?? 'error'})`, { file: display, cause: error });
  }
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

function matchesMetadata(stat: Stats, mode: number, owner: WriteRequest['owner']): boolean {
  return (stat.mode & 0o7777) === mode && (owner === undefined || (stat.uid === owner.uid && stat.gid === owner.gid));
}

function fixMetadata(fs: FileSystem, target: Target, mode: number, owner: WriteRequest['owner']): void {
  withFile(fs, target, target.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK, 'setting mode', (fd) => {
    applyMetadata(fs, fd, mode, owner);
    fs.fsyncSync(fd);
  });
}

/** chown first: it may clear set-id bits, and the mode asked for is the one that must hold. */
function applyMetadata(fs: FileSystem, fd: number, mode: number, owner: WriteRequest['owner']): void {
  if (owner !== undefined) fs.fchownSync(fd, owner.uid, owner.gid);
  fs.fchmodSync(fd, mode);
}

/** Temp file next to the target, metadata set before any byte lands, renamed over the target. */
function replaceFile(fs: FileSystem, target: Target, content: string, mode: number, owner: WriteRequest['owner']): void {
  const directory = nodePath.dirname(target.path);
  const temp = tempPathFor(target.path);
  let fd: number | undefined;
  let step = 'creating the temp file';
  try {
    // 'wx' = O_CREAT|O_EXCL: never opens an existing file or follows a planted link. 0o600 until the
    // fchmod, whatever the umask.
    fd = fs.openSync(temp, 'wx', DEFAULT_MODE);
    step = owner === undefined ? 'setting the mode' : 'setting the owner and mode';
    applyMetadata(fs, fd, mode, owner);
    step = 'writing';
    writeAll(fs, fd, Buffer.from(content, 'utf8'));
    step = 'flushing to disk';
    fs.fsyncSync(fd);
    step = 'closing';
    const closing = fd;
    fd = undefined;
    fs.closeSync(closing);
    step = 'renaming into place';
    fs.renameSync(temp, target.path);
  } catch (error) {
    discard(fs, fd, temp);
    throw writeFailed(target, step, error);
  }
  syncDirectory(fs, target, directory);
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
function discard(fs: FileSystem, fd: number | undefined, temp: string): void {
  if (fd !== undefined) {
    try {
      fs.closeSync(fd);
    } catch {
      // already failing
    }
  }
  try {
    fs.unlinkSync(temp);
  } catch {
    // ENOENT when the open itself failed; anything else is left for the next run's stale-temp sweep
  }
}

/** Makes the rename itself durable: without it a crash can bring the old file back. */
function syncDirectory(fs: FileSystem, target: Target, directory: string): void {
  try {
    withFile(fs, target, directory, constants.O_RDONLY | constants.O_DIRECTORY, 'flushing the directory', (fd) => fs.fsyncSync(fd));
  } catch (error) {
    if (error instanceof SinkError && DIRECTORY_FSYNC_UNSUPPORTED.has(errnoCode(error.cause) ?? '')) return;
    throw error;
  }
}

/**
 * Removes `.<name>.<pid>.*.comfy-secrets.tmp` left by a killed run: its pid is gone, or it is ours (a
 * container restart reuses pids, and within this process no write is in flight). A live process's
 * temp file is another runner writing right now and is kept. With a `sweep`, each directory is listed
 * once per run and later writes there only look through the temp files that listing found.
 */
function removeStaleTempFiles(fs: FileSystem, target: Target, sweep: TempSweep | undefined): void {
  const directory = nodePath.dirname(target.path);
  const prefix = tempPrefix(target.path);
  let names = sweep?.get(directory);
  if (names === undefined) {
    try {
      names = fs.readdirSync(directory).filter((name) => name.endsWith(TEMP_SUFFIX));
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
      fs.unlinkSync(nodePath.join(directory, name));
    } catch (error) {
      // A stale temp holds a copy of the secrets: not being able to remove it is worth failing over.
      if (errnoCode(error) !== 'ENOENT') throw writeFailed(target, `removing the stale temp file ${name}`, error);
    }
  }
}

/** The stale-temp sweep for a target that is not being written (clean, the memory store's links). */
export function removeStaleTempFilesBeside(fs: FileSystem, target: string, sweep?: TempSweep): void {
  removeStaleTempFiles(fs, { path: target, anchor: nodePath.dirname(target), display: target }, sweep);
}

function tempPrefix(path: string): string {
  return `.${nodePath.basename(path).slice(0, TEMP_NAME_PREFIX_MAX)}.`;
}

/**
 * A fresh temp path beside `target`: `.<name>.<pid>.<random>.comfy-secrets.tmp`. Everything that
 * renames a temp into the tree (the memory store's links too) names it here, so the stale-temp sweep
 * recognises what a killed run left.
 */
export function tempPathFor(target: string): string {
  return nodePath.join(nodePath.dirname(target), `${tempPrefix(target)}${process.pid}.${randomToken()}${TEMP_SUFFIX}`);
}

/** Opens `path`, runs `use`, closes; every failure becomes WRITE_FAILED naming `step`. */
function withFile(fs: FileSystem, target: Target, path: string, flags: number, step: string, use: (fd: number) => void): void {
  let fd: number;
  try {
    fd = fs.openSync(path, flags);
  } catch (error) {
    throw writeFailed(target, step, error);
  }
  try {
    use(fd);
  } catch (error) {
    throw writeFailed(target, step, error);
  } finally {
    fs.closeSync(fd);
  }
}

function lstatIfExists(fs: FileSystem, path: string, display: string): Stats | undefined {
  try {
    // No exception for a missing path: a first start misses most of them, and each thrown one costs
    // Node an Error with a stack.
    return fs.lstatSync(path, { throwIfNoEntry: false });
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

function displayPath(comfyuiDir: string, absolute: string): string {
  return relativeBelow(nodePath.resolve(comfyuiDir), nodePath.resolve(absolute));
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
