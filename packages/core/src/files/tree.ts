import { constants, type Stats } from 'node:fs';
import * as nodePath from 'node:path';
import { SinkError, errnoCode } from '../errors';
import type { FileSystem } from '../fs';

/**
 * An open directory, and every file-system call comfy-secrets makes inside it, relative to it.
 *
 * The ComfyUI tree belongs to a user who may be hostile (custom nodes run arbitrary Python as that
 * user), and that user can swap any directory it owns for a symlink at any moment. A path looked up
 * twice can then name two different places: a check by path and an act by path is a race root loses.
 * So every act goes through a directory that is already open: each component of a path is opened
 * `O_DIRECTORY | O_NOFOLLOW` relative to the one above it (a link there fails with ELOOP, never is
 * followed), and the file itself is named as `/proc/self/fd/<fd>/<name>`. Linux resolves that through
 * the open directory, whatever has become of the path since; Node has no `openat`/`renameat`, and this
 * is the same thing spelled with a path. A rename, unlink, mkdir or symlink through it acts in that
 * directory, and a final component opened with O_NOFOLLOW is never a link.
 *
 * What a swap can still do: move a directory we hold elsewhere (its owner may rename it), so our
 * writes land in that directory at its new place — the attacker's own directory, reached without a
 * link when we opened it, never a directory it could not already write.
 *
 * Without /proc (some minimal chroots) nothing in the tree is touched: `TreeDir.open` fails closed.
 */
export class TreeDir {
  private closed = false;

  private constructor(
    /** The file system every call goes through (the test seam). */
    readonly fileSystem: FileSystem,
    /** The open descriptor. */
    readonly fd: number,
    /** Absolute path the directory was reached by, for messages and records only; never for acting. */
    readonly path: string,
  ) {}

  /** The path naming `name` inside this very directory (see the class comment). */
  entry(name: string): string {
    checkName(name);
    return `/proc/self/fd/${this.fd}/${name}`;
  }

  /** Where `name` was when the directory was opened: for messages and records, never for acting. */
  pathOf(name: string): string {
    return nodePath.join(this.path, name);
  }

  /** `lstat` of an entry; `undefined` when nothing is there. */
  lstat(name: string): Stats | undefined {
    return this.fileSystem.lstatSync(this.entry(name), { throwIfNoEntry: false });
  }

  /** Opens an entry that must not be a link (O_NOFOLLOW is always added: a link gives ELOOP). */
  open(name: string, flags: number, mode?: number): number {
    return this.fileSystem.openSync(this.entry(name), flags | constants.O_NOFOLLOW, mode);
  }

  /** Opens a subdirectory, refusing a link and anything that is not a directory (both ENOTDIR). */
  openDir(name: string): TreeDir {
    const fd = this.fileSystem.openSync(this.entry(name), DIRECTORY_FLAGS);
    return new TreeDir(this.fileSystem, fd, this.pathOf(name));
  }

  mkdir(name: string, mode: number): void {
    this.fileSystem.mkdirSync(this.entry(name), { mode });
  }

  readlink(name: string): string {
    return this.fileSystem.readlinkSync(this.entry(name));
  }

  symlink(destination: string, name: string): void {
    this.fileSystem.symlinkSync(destination, this.entry(name));
  }

  /** rename within this directory: replaces `to` (a file or a link) without following it. */
  rename(from: string, to: string): void {
    this.fileSystem.renameSync(this.entry(from), this.entry(to));
  }

  unlink(name: string): void {
    this.fileSystem.unlinkSync(this.entry(name));
  }

  rmdir(name: string): void {
    this.fileSystem.rmdirSync(this.entry(name));
  }

  list(): string[] {
    return this.fileSystem.readdirSync(`/proc/self/fd/${this.fd}`);
  }

  /** fchmod of the directory itself. */
  chmod(mode: number): void {
    this.fileSystem.fchmodSync(this.fd, mode);
  }

  stat(): Stats {
    return this.fileSystem.fstatSync(this.fd);
  }

  sync(): void {
    this.fileSystem.fsyncSync(this.fd);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.fileSystem.closeSync(this.fd);
    } catch {
      // nothing left to do with it
    }
  }

  /**
   * Opens `absolute` as a trusted starting point: the ComfyUI root, the memory store, the state
   * directory. Links in it are followed (a ComfyUI root may itself be a link, and its parents are not
   * the tree's user's), except with `noFollowLast`, where the last component must be the directory itself.
   */
  static open(fs: FileSystem, absolute: string, options: { noFollowLast?: boolean } = {}): TreeDir {
    requireProc(fs);
    const fd = fs.openSync(absolute, options.noFollowLast === true ? DIRECTORY_FLAGS : constants.O_RDONLY | constants.O_DIRECTORY);
    return new TreeDir(fs, fd, absolute);
  }
}

const DIRECTORY_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** A name inside one directory: never a path, `.`, or `..`, which would leave it. */
function checkName(name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new SinkError('UNSAFE_PATH', `refusing to use ${JSON.stringify(name)} as a file name`);
  }
}

/** Per file system (the real one, or a test's): /proc/self/fd checked once. */
const procChecked = new WeakSet<FileSystem>();

/**
 * Fails closed when `/proc/self/fd` is not the kernel's: every act in the tree would otherwise go
 * through paths that do not lead where they should. Checked once: the same inode through
 * `/proc/self/fd/<fd>` as through the descriptor itself.
 * @throws SinkError `PROC_UNAVAILABLE`
 */
function requireProc(fs: FileSystem): void {
  if (procChecked.has(fs)) return;
  let fd: number | undefined;
  try {
    fd = fs.openSync('/', constants.O_RDONLY | constants.O_DIRECTORY);
    const direct = fs.fstatSync(fd);
    const through = fs.statSync(`/proc/self/fd/${fd}`);
    if (direct.dev !== through.dev || direct.ino !== through.ino) throw new Error('mismatch');
  } catch (error) {
    throw new SinkError(
      'PROC_UNAVAILABLE',
      `comfy-secrets needs /proc mounted (it acts in the ComfyUI tree through /proc/self/fd, so that a directory swapped for a link cannot redirect it); /proc/self/fd is not usable here (${errnoCode(error) ?? 'not the kernel’s'})`,
      { cause: error },
    );
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  procChecked.add(fs);
}

/**
 * O_DIRECTORY|O_NOFOLLOW on a link fails with ENOTDIR, as on a file: which one it was, for the message
 * only (the refusal stands either way).
 */
export function linkOrNotDir(dir: TreeDir, name: string): 'link' | 'not-dir' {
  try {
    return dir.lstat(name)?.isSymbolicLink() === true ? 'link' : 'not-dir';
  } catch {
    return 'not-dir';
  }
}

/** How a walk below a directory ended. */
export interface Walk {
  /** The deepest directory opened: `to` itself when `missing` is empty. The caller closes it. */
  readonly dir: TreeDir;
  /** The components below `dir` that do not exist yet, outermost first. */
  readonly missing: readonly string[];
}

/**
 * Opens `components` one below the other under `start` (which the walk takes over: it is closed, or
 * returned as `dir`), each `O_NOFOLLOW`. Stops at the first that does not exist.
 * @param describe turns a refusal into the caller's error: `link` (a symbolic link), `not-dir`
 * (something else), or another errno code
 */
export function walkBelow(start: TreeDir, components: readonly string[], describe: (component: number, problem: string, error: unknown) => Error): Walk {
  let dir = start;
  for (let index = 0; index < components.length; index += 1) {
    let next: TreeDir;
    try {
      next = dir.openDir(components[index] as string);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'ENOENT') return { dir, missing: components.slice(index) };
      const problem = code === 'ENOTDIR' || code === 'ELOOP' ? linkOrNotDir(dir, components[index] as string) : code ?? 'error';
      dir.close();
      throw describe(index, problem, error);
    }
    dir.close();
    dir = next;
  }
  return { dir, missing: [] };
}
