import { sha256 as sha256Digest } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { constants, type Stats } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, SinkError, errnoCode } from './errors';
import type { FileSystem } from './fs';
import { pathId } from './ids';
import { isAlive } from './pid';
import { readTreeFile, tempPathFor, writeAll } from './writer';
import type { Environment } from './sources';

/**
 * What comfy-secrets wrote, so `clean` (and `exec`, when its command ends) can undo exactly that.
 *
 * The state file holds paths, hashes, sink names, modes and times — never a value. When a target
 * already existed (a user's `config.ini` merged into, a `.env` baked into the image) its previous
 * bytes are kept beside the state, mode 0600 in the 0700 state directory, and `clean` puts them back:
 * restoring the whole previous file is exact for every format, where removing "our keys" would need
 * the format to know what the user had set to the same key before. It is the user's own content, not a
 * value we resolved, but it may hold secrets of its own, so it is treated like one.
 */

export const STATE_FILE = 'state.json';
const LOCK_FILE = 'state.lock';
/** How long a run waits for another one to finish with the state before giving up. */
const LOCK_TIMEOUT_MS = 30_000;
const BACKUP_DIR = 'backups';

export interface PreviousFile {
  /** Absolute path of the saved copy of the file's previous bytes. */
  backup: string;
  sha256: string;
  mode: string;
  uid: number;
  gid: number;
  /** The new content was merged into it (ini, json with `merge`) rather than replacing it. */
  merged: boolean;
}

export interface StateRecord {
  /** Absolute path of the target (for the memory store: the link). */
  path: string;
  /** Relative to the ComfyUI root, for messages. */
  file: string;
  comfyuiDir: string;
  sink: string;
  /** sha256 of the bytes written (of the store file, for the memory store). */
  sha256: string;
  mode: string;
  store: 'disk' | 'memory';
  /** The real file, for the memory store. */
  storedAt?: string;
  /** ISO-8601 time of the write. */
  writtenAt: string;
  /** The file that was at the target before comfy-secrets first wrote it. */
  previous?: PreviousFile;
}

interface StateDocument {
  version: 1;
  records: StateRecord[];
}

/**
 * SHA-256 in hex. @noble/hashes (audited, pure JavaScript) rather than node:crypto: loading
 * node:crypto costs a container's first start a fifth of Node's own start-up, for digests of a few
 * files of a few kilobytes.
 */
export function sha256(bytes: Buffer | string): string {
  return bytesToHex(sha256Digest(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes));
}

export interface StateDirOptions {
  /** `--state-dir` */
  flag?: string;
  env: Environment;
  fs: FileSystem;
  cwd: string;
  uid: number;
}

/** `--state-dir`, else `$COMFY_SECRETS_STATE_DIR`, else `/run/comfy-secrets`, else a per-user temp dir: the directories to try, in order. */
function stateDirCandidates(options: StateDirOptions): string[] {
  const explicit = options.flag ?? options.env.COMFY_SECRETS_STATE_DIR;
  if (explicit) return [path.resolve(options.cwd, explicit)];
  return ['/run/comfy-secrets', path.join(options.env.TMPDIR || '/tmp', `comfy-secrets-${options.uid}`)];
}

/**
 * Creates `dir` 0700 or checks it: a real directory of ours, not a link, nobody else's to read. That it
 * is writable is proven by the first file made in it (the lock, a backup), not by a probe.
 */
export function ensurePrivateDirectory(fs: FileSystem, dir: string, uid: number): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw stateError(dir, `cannot be created (${errnoCode(error) ?? 'error'})`, error);
  }
  let fd: number;
  try {
    fd = fs.openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (error) {
    throw stateError(dir, errnoCode(error) === 'ELOOP' ? 'is a symbolic link' : `cannot be opened (${errnoCode(error) ?? 'error'})`, error);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (stat.uid !== uid) throw stateError(dir, `belongs to uid ${stat.uid}, not to this user (${uid})`);
    if ((stat.mode & 0o777) !== 0o700) fs.fchmodSync(fd, 0o700);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The state of one state directory, loaded once per command and saved once with `commit`. Saving once
 * keeps a thousand-sink run linear; a run killed before `commit` leaves files that the next run sees
 * as already present (and warns about), never a state that names files it did not write.
 */
export class RunState {
  private readonly records = new Map<string, StateRecord>();
  private readonly pending = new Map<string, PreviousFile>();
  /** Targets this run wrote or found unchanged, in order: what `exec` cleans when its command ends. */
  readonly touched: string[] = [];
  /** `touched` as a set: asking the array would make a thousand-sink run quadratic. */
  private readonly touchedSet = new Set<string>();
  /** Whether the records differ from the state file's: a run that changed nothing rewrites nothing. */
  private dirty = false;

  private constructor(
    private readonly fs: FileSystem,
    readonly dir: string,
    private readonly uid: number,
  ) {}

  /**
   * Loads the state and holds its lock until `commit`: two runs at once would otherwise each take the
   * other's fresh file for one baked into the image, and save a copy of it to "restore".
   * @throws ConfigError when the directory is unusable, the state is locked for too long, or corrupt.
   */
  static open(fs: FileSystem, dir: string, uid: number, lockTimeoutMs = LOCK_TIMEOUT_MS): RunState {
    return RunState.openFirst(fs, [dir], uid, lockTimeoutMs);
  }

  /**
   * `open` on the first usable of the state directory candidates, each checked once: `/run/comfy-secrets`
   * is given up for the temp dir when it cannot be created, is not ours, or the lock cannot be made in it
   * (/run is read-only in some containers).
   */
  static openResolved(options: StateDirOptions, lockTimeoutMs = LOCK_TIMEOUT_MS): RunState {
    return RunState.openFirst(options.fs, stateDirCandidates(options), options.uid, lockTimeoutMs);
  }

  /** The first of `dirs` that can be set up and locked; a locked or corrupt state is no reason to try the next. */
  private static openFirst(fs: FileSystem, dirs: readonly string[], uid: number, lockTimeoutMs: number): RunState {
    for (let index = 0; ; index += 1) {
      const state = new RunState(fs, dirs[index] as string, uid);
      try {
        try {
          ensurePrivateDirectory(fs, state.dir, uid);
          acquireLock(fs, path.join(state.dir, LOCK_FILE), lockTimeoutMs);
        } catch (error) {
          if (index + 1 < dirs.length && error instanceof SinkError && error.code === 'STATE_UNUSABLE') continue;
          throw error;
        }
        const file = path.join(state.dir, STATE_FILE);
        const text = readPrivate(fs, file);
        if (text !== undefined) for (const record of parseState(text, file)) state.records.set(record.path, record);
        return state;
      } catch (error) {
        // Whatever went wrong, the next run must not wait for this one.
        state.release();
        if (error instanceof SinkError) throw new ConfigError(error.code, error.message, { file: error.file, cause: error.cause });
        throw error;
      }
    }
  }

  list(): StateRecord[] {
    return [...this.records.values()];
  }

  find(target: string): StateRecord | undefined {
    return this.records.get(target);
  }

  /**
   * Before a real write over a file that is someone else's (no record of it): saves its bytes, so
   * `clean` can put them back even if we crash mid-write. Until `record`, the copy is pending: `commit`
   * removes one the run never recorded a write for.
   * @param found what `lstat` found at the target just now (the caller has it from its path checks)
   * @throws SinkError when the file cannot be read as the writer would read it (`readTreeFile`)
   */
  keepPrevious(target: string, found: Stats, options: { merged: boolean; file: string; comfyuiDir: string }): void {
    if (!found.isFile()) return;
    const previous = this.saveBackup(target, options.merged, options.file, options.comfyuiDir);
    if (previous) this.pending.set(target, previous);
  }

  /** After a write (or an unchanged file): record it. The first run's `previous` is kept across runs. */
  record(record: Omit<StateRecord, 'previous'>): void {
    const previous = this.records.get(record.path)?.previous ?? this.pending.get(record.path);
    this.pending.delete(record.path);
    this.records.set(record.path, previous ? { ...record, previous } : record);
    this.dirty = true;
    this.touch(record.path);
  }

  /** A file this run found as an earlier run recorded it and left alone: its record still holds. */
  keep(target: string): void {
    this.touch(target);
  }

  private touch(target: string): void {
    if (!this.touchedSet.has(target)) {
      this.touchedSet.add(target);
      this.touched.push(target);
    }
  }

  /** Forgets a record (after `clean` dealt with it) and its backup. */
  forget(target: string): void {
    const backup = this.records.get(target)?.previous?.backup;
    this.dirty ||= this.records.delete(target);
    if (backup) {
      try {
        this.fs.unlinkSync(backup);
      } catch {
        // already gone
      }
    }
  }

  /**
   * Writes the state file atomically, 0600 (removes it when nothing is recorded), removes the copies of
   * files whose write failed, and releases the lock.
   */
  commit(): void {
    const file = path.join(this.dir, STATE_FILE);
    try {
      if (!this.dirty) return;
      if (this.records.size === 0) {
        try {
          this.fs.unlinkSync(file);
        } catch {
          // there was none
        }
        return;
      }
      const document: StateDocument = { version: 1, records: [...this.records.values()] };
      writePrivate(this.fs, file, `${JSON.stringify(document, null, 2)}\n`);
    } finally {
      this.discardPending();
      this.release();
    }
  }

  /** Copies no record points to, nor ever will: `clean` would not find them, and they may hold secrets. */
  private discardPending(): void {
    for (const { backup } of this.pending.values()) {
      try {
        this.fs.unlinkSync(backup);
      } catch {
        // already gone
      }
    }
    this.pending.clear();
  }

  /** Lets the next run in without saving (a failed open). */
  release(): void {
    try {
      const lock = path.join(this.dir, LOCK_FILE);
      if (readPrivate(this.fs, lock)?.trim() === String(process.pid)) this.fs.unlinkSync(lock);
    } catch {
      // not ours, or gone
    }
  }

  /** `undefined` when the file is gone since it was found. */
  private saveBackup(target: string, merged: boolean, file: string, comfyuiDir: string): PreviousFile | undefined {
    // Read through the tree's open directories (`readTreeFile`): a swapped directory cannot make this
    // copy someone else's file into the backups.
    const existing = readTreeFile(this.fs, comfyuiDir, target, file);
    if (existing === undefined) return undefined;
    const { bytes, stat } = existing;
    const directory = path.join(this.dir, BACKUP_DIR);
    ensurePrivateDirectory(this.fs, directory, this.uid);
    const backup = path.join(directory, `${pathId(target)}.orig`);
    writePrivate(this.fs, backup, bytes);
    return { backup, sha256: sha256(bytes), mode: `0${(stat.mode & 0o7777).toString(8)}`, uid: stat.uid, gid: stat.gid, merged };
  }
}

/** @throws ConfigError `STATE_CORRUPT` */
function parseState(text: string, file: string): StateRecord[] {
  let document: StateDocument | null;
  try {
    document = JSON.parse(text) as StateDocument | null;
  } catch (error) {
    throw new ConfigError('STATE_CORRUPT', `the state file ${file} is not valid JSON; remove it (files it named must then be removed by hand)`, { cause: error });
  }
  if (document?.version !== 1 || !Array.isArray(document.records)) {
    throw new ConfigError('STATE_CORRUPT', `the state file ${file} is not a comfy-secrets state (version 1)`);
  }
  return document.records;
}

/**
 * An O_EXCL lock file holding our pid. A lock whose process is gone, or that holds our own pid (a
 * container restarted with a persistent state dir reuses pid 1), is stale and taken over.
 */
function acquireLock(fs: FileSystem, lock: string, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
    try {
      const fd = fs.openSync(lock, 'wx', 0o600);
      try {
        fs.writeSync(fd, Buffer.from(String(process.pid)), 0, String(process.pid).length);
      } finally {
        fs.closeSync(fd);
      }
      return;
    } catch (error) {
      // The first file this run makes in the directory: /run exists read-only in some containers.
      if (errnoCode(error) !== 'EEXIST') throw stateError(path.dirname(lock), `is not writable (${errnoCode(error) ?? 'error'})`, error);
    }
    const raw = readPrivate(fs, lock)?.trim();
    const holder = Number(raw);
    // Empty: its creator has not written its pid yet — unless that was long ago (killed in between).
    const fresh = raw === '' && Date.now() - (lstatTime(fs, lock) ?? 0) < 2_000;
    if (raw !== undefined && !fresh && (!Number.isSafeInteger(holder) || holder <= 0 || holder === process.pid || !isAlive(holder))) {
      try {
        fs.unlinkSync(lock);
      } catch {
        // another run took it over first
      }
      continue;
    }
    if (Date.now() > deadline) throw new SinkError('STATE_LOCKED', `another comfy-secrets run (pid ${holder}) holds ${lock}; waited ${timeoutMs / 1000} s`, { file: lock });
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
  }
}

function lstatTime(fs: FileSystem, file: string): number | undefined {
  try {
    return fs.lstatSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Reads a file that must be a plain file (not a link); `undefined` when absent. */
export function readPrivate(fs: FileSystem, file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw stateError(file, `cannot be read (${errnoCode(error) ?? 'error'})`, error);
  }
  try {
    if (!fs.fstatSync(fd).isFile()) throw stateError(file, 'is not a regular file');
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * temp (O_EXCL, 0600) + fsync + rename: the file is either the old one or the new one. The temp is
 * named as the writer names its own, so the stale-temp sweep also removes one a killed `clean` left in
 * the ComfyUI tree while it restored a file.
 */
export function writePrivate(fs: FileSystem, file: string, content: Buffer | string, mode = 0o600, owner?: { uid: number; gid: number }): void {
  const temp = tempPathFor(file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, 'wx', 0o600);
    if (owner) fs.fchownSync(fd, owner.uid, owner.gid);
    fs.fchmodSync(fd, mode);
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    writeAll(fs, fd, bytes);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temp, file);
  } catch (error) {
    if (fd !== undefined) fs.closeSync(fd);
    try {
      fs.unlinkSync(temp);
    } catch {
      // never created
    }
    throw stateError(file, `cannot be written (${errnoCode(error) ?? 'error'})`, error);
  }
}

function stateError(file: string, why: string, cause?: unknown): SinkError {
  return new SinkError('STATE_UNUSABLE', `${file} ${why}`, { file, cause });
}
