import { constants, type Stats } from 'node:fs';
import * as path from 'node:path';
import { sha256 } from './digest';
import { ConfigError, SinkError, errnoCode } from '../errors';
import type { FileSystem } from '../fs';
import { pathId, randomToken } from '../files/ids';
import { Journal, JOURNAL_FILE, isPreviousFile, parseJournal, resolveIntents, syncDirectory, type Intent } from './journal';
import { isAlive } from '../files/pid';
import { readTreeFile, tempPathFor, writeAll } from '../files/writer';
import type { Environment } from '../values/sources';
import type { PreviousFile, StateRecord } from './record';

export { sha256 } from './digest';
export type { PreviousFile, StateRecord } from './record';

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

interface StateDocument {
  version: 1;
  records: StateRecord[];
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
 * keeps a thousand-sink run linear; what makes it crash-safe is the intent journal (`journal.ts`):
 * every write is journaled (fsynced) before its target is touched, and opening the state resolves
 * the intents of a run that was killed (or could not save) before anything else happens.
 */
export class RunState {
  private readonly records = new Map<string, StateRecord>();
  private readonly pending = new Map<string, PreviousFile>();
  /** This run's intents by target, in order. */
  private readonly intents = new Map<string, Intent[]>();
  /** Targets this run recorded a write for. */
  private readonly recordedNow = new Set<string>();
  /** Copies to remove once the state that no longer names them is saved (`forget`). */
  private readonly afterSave: string[] = [];
  /** Targets this run wrote or found unchanged, in order: what `exec` cleans when its command ends. */
  readonly touched: string[] = [];
  /** `touched` as a set: asking the array would make a thousand-sink run quadratic. */
  private readonly touchedSet = new Set<string>();
  /** Whether the records differ from the state file's: a run that changed nothing rewrites nothing. */
  private dirty = false;
  private readonly journal: Journal;

  private constructor(
    private readonly fs: FileSystem,
    readonly dir: string,
    private readonly uid: number,
  ) {
    this.journal = new Journal(fs, path.join(dir, JOURNAL_FILE));
  }

  /**
   * Loads the state and holds its lock until `commit`: two runs at once would otherwise each take the
   * other's fresh file for one baked into the image, and save a copy of it to "restore". Resolves the
   * intents a killed run left, and removes temp files and copies nothing points to.
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
        state.load();
        return state;
      } catch (error) {
        // Whatever went wrong, the next run must not wait for this one.
        state.journal.close();
        state.release();
        if (error instanceof SinkError) throw new ConfigError(error.code, error.message, { file: error.file, cause: error.cause });
        throw error;
      }
    }
  }

  /** Under the lock: the records, then what a killed run left (its intents, its temp files, unreferenced copies). */
  private load(): void {
    const file = path.join(this.dir, STATE_FILE);
    const text = readPrivate(this.fs, file);
    if (text !== undefined) for (const record of parseState(text, file)) this.records.set(record.path, record);
    // Only the lock holder writes here: every temp file is a killed run's.
    sweepTemps(this.fs, this.dir);
    sweepTemps(this.fs, path.join(this.dir, BACKUP_DIR));
    const journalText = readPrivate(this.fs, this.journal.file);
    if (journalText !== undefined) {
      const byTarget = new Map<string, Intent[]>();
      for (const intent of parseJournal(journalText, this.journal.file)) byTarget.set(intent.path, [...(byTarget.get(intent.path) ?? []), intent]);
      const discard: string[] = [];
      for (const [target, intents] of byTarget) discard.push(...this.apply(target, resolveIntents(this.fs, intents, this.records.get(target), new Date().toISOString())));
      this.save();
      this.journal.remove();
      for (const file of discard) unlinkQuietly(this.fs, file);
    }
    this.sweepBackups();
  }

  /** Sets (or removes) a target's record as a resolution decided; returns the files it leaves unreferenced. */
  private apply(target: string, resolution: ReturnType<typeof resolveIntents>): string[] {
    if (resolution.record) this.records.set(target, resolution.record);
    else this.records.delete(target);
    this.dirty = true;
    return resolution.discard;
  }

  /** Copies in `backups/` that no record names: saved by a run killed before its intent was journaled. */
  private sweepBackups(): void {
    const directory = path.join(this.dir, BACKUP_DIR);
    let names: string[];
    try {
      names = this.fs.readdirSync(directory);
    } catch {
      return;
    }
    const referenced = new Set([...this.records.values()].map((record) => record.previous?.backup));
    for (const name of names) {
      const file = path.join(directory, name);
      if (!referenced.has(file)) unlinkQuietly(this.fs, file);
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

  /**
   * Journals a write that is about to touch its target, durably, with the copy `keepPrevious` made.
   * Called by the writer only when it will really change something (an unchanged file costs no fsync).
   * @throws SinkError `STATE_UNUSABLE` when it cannot be journaled (a full disk): the target must then not be touched
   */
  intend(intent: Omit<Intent, 'previous'>): void {
    const previous = this.records.get(intent.path)?.previous ?? this.pending.get(intent.path);
    const full: Intent = previous ? { ...intent, previous } : intent;
    const earlier = this.intents.get(intent.path) ?? [];
    if (earlier.some((other) => other.sha256 === full.sha256 && other.store === full.store && other.storedAt === full.storedAt)) return;
    try {
      this.journal.append(full);
    } catch (error) {
      throw new SinkError('STATE_UNUSABLE', `cannot journal the write of ${intent.file} in ${this.journal.file} (${errnoCode(error) ?? 'error'}); ${intent.file} was not touched`, { file: intent.file, cause: error });
    }
    this.intents.set(intent.path, [...earlier, full]);
  }

  /** After a write (or an unchanged file): record it. The first run's `previous` is kept across runs. */
  record(record: Omit<StateRecord, 'previous'>): void {
    const previous = this.records.get(record.path)?.previous ?? this.pending.get(record.path);
    this.pending.delete(record.path);
    this.records.set(record.path, previous ? { ...record, previous } : record);
    this.recordedNow.add(record.path);
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

  /**
   * Forgets a record (after `clean` dealt with it). Its copy is removed only once the state that no
   * longer names it is saved: a `clean` killed before that finds the record and the copy both still there.
   */
  forget(target: string): void {
    const record = this.records.get(target);
    if (!record) return;
    this.records.delete(target);
    this.dirty = true;
    if (record.previous) this.afterSave.push(record.previous.backup);
  }

  /**
   * Resolves this run's intents that got no record (a write that failed half-way, a store file whose
   * link failed: whatever it created is removed), writes the state file atomically, 0600 (removes it
   * when nothing is recorded), then the journal and the copies nothing names, and releases the lock.
   * A save that fails leaves the journal for the next run to resolve.
   */
  commit(): void {
    try {
      const discard: string[] = [];
      for (const [target, intents] of this.intents) {
        if (!this.recordedNow.has(target)) discard.push(...this.apply(target, resolveIntents(this.fs, intents, this.records.get(target), new Date().toISOString())));
      }
      for (const [target, previous] of this.pending) if (!this.intents.has(target)) discard.push(previous.backup);
      this.pending.clear();
      this.save();
      this.journal.remove();
      for (const file of [...discard, ...this.afterSave]) unlinkQuietly(this.fs, file);
    } finally {
      this.journal.close();
      this.release();
    }
  }

  private save(): void {
    if (!this.dirty) return;
    const file = path.join(this.dir, STATE_FILE);
    if (this.records.size === 0) {
      unlinkQuietly(this.fs, file);
    } else {
      const document: StateDocument = { version: 1, records: [...this.records.values()] };
      writePrivate(this.fs, file, `${JSON.stringify(document, null, 2)}\n`);
    }
    this.dirty = false;
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
    // A name of its own: no copy, even a stale one, is ever written over.
    const backup = path.join(directory, `${pathId(target)}.${randomToken()}.orig`);
    try {
      ensurePrivateDirectory(this.fs, directory, this.uid);
      writePrivate(this.fs, backup, bytes);
    } catch (error) {
      const code = error instanceof SinkError ? errnoCode(error.cause) : errnoCode(error);
      throw new SinkError('STATE_UNUSABLE', `cannot keep a copy of ${file} in ${directory} (${code ?? 'error'}); ${file} was not touched`, { file, cause: error });
    }
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
  const bad = document.records.findIndex((record) => !isRecord(record));
  if (bad !== -1) throw new ConfigError('STATE_CORRUPT', `the state file ${file} holds an entry that is not a comfy-secrets record (records[${bad}]); remove it (files it named must then be removed by hand)`);
  return document.records;
}

function isRecord(value: unknown): value is StateRecord {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    ['path', 'file', 'comfyuiDir', 'sink', 'sha256', 'mode', 'writtenAt'].every((key) => typeof record[key] === 'string') &&
    path.isAbsolute(record.path as string) &&
    path.isAbsolute(record.comfyuiDir as string) &&
    (record.store === 'disk' || record.store === 'memory') &&
    (record.storedAt === undefined || typeof record.storedAt === 'string') &&
    (record.previous === undefined || isPreviousFile(record.previous))
  );
}

const TEMP_SUFFIX = '.comfy-secrets.tmp';

/** Removes the temp files (`writePrivate`'s) a killed run left in a directory only the lock holder writes. */
function sweepTemps(fs: FileSystem, directory: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(directory);
  } catch {
    return;
  }
  for (const name of names) {
    if (name.endsWith(TEMP_SUFFIX) || name.startsWith(`${LOCK_FILE}.stale.`)) unlinkQuietly(fs, path.join(directory, name));
    else if (name.startsWith(`${LOCK_FILE}.`) && name.endsWith('.candidate')) {
      // A waiter's lock candidate: kept while its process lives.
      const pid = Number(name.slice(LOCK_FILE.length + 1).split('.')[0]);
      if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || !isAlive(pid)) unlinkQuietly(fs, path.join(directory, name));
    }
  }
}

function unlinkQuietly(fs: FileSystem, file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // already gone
  }
}

/**
 * The lock is `state.lock` holding the holder's pid. It is made whole, never empty: the pid is
 * written to a candidate file of our own, which is then hard-linked to `state.lock` (link fails when
 * the name exists, atomically). A lock whose process is gone, or that holds our own pid (a container
 * restarted with a persistent state dir reuses pid 1), is stale and broken (`breakStale`).
 */
function acquireLock(fs: FileSystem, lock: string, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  const candidate = `${lock}.${process.pid}.${randomToken()}.candidate`;
  try {
    const fd = fs.openSync(candidate, 'wx', 0o600);
    try {
      writeAll(fs, fd, Buffer.from(String(process.pid)));
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    unlinkQuietly(fs, candidate);
    // The first file this run makes in the directory: /run exists read-only in some containers.
    throw stateError(path.dirname(lock), `is not writable (${errnoCode(error) ?? 'error'})`, error);
  }
  try {
    for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
      try {
        fs.linkSync(candidate, lock);
        return;
      } catch (error) {
        if (errnoCode(error) !== 'EEXIST') throw stateError(path.dirname(lock), `is not writable (${errnoCode(error) ?? 'error'})`, error);
      }
      const seen = readPlain(fs, lock);
      if (seen === undefined) continue; // released meanwhile
      const holder = Number(seen.text.trim());
      if (!Number.isSafeInteger(holder) || holder <= 0 || holder === process.pid || !isAlive(holder)) {
        breakStale(fs, lock, seen);
        continue;
      }
      if (Date.now() > deadline) throw new SinkError('STATE_LOCKED', `another comfy-secrets run (pid ${holder}) holds ${lock}; waited ${timeoutMs / 1000} s`, { file: lock });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
    }
  } finally {
    unlinkQuietly(fs, candidate);
  }
}

interface SeenLock {
  text: string;
  ino: number;
  mtimeMs: number;
}

/**
 * Removes the stale lock `seen` — that one file, never a fresh lock another waiter made after it.
 * Reading the dead pid and then unlinking the name would remove whatever is there by then. Instead
 * the breaker hard-links `state.lock` to a tombstone named after the stale file's inode: of all the
 * waiters that saw that file, exactly one link succeeds. If the file linked is not the one seen
 * (another waiter broke it and a new lock was made meanwhile), only the tombstone name is removed.
 * Otherwise no one else can be acting on `state.lock`: the other breakers of that file failed their
 * link, the dead holder will not release it, and no new lock can be made while the name exists.
 */
function breakStale(fs: FileSystem, lock: string, seen: SeenLock): void {
  const tombstone = `${lock}.stale.${seen.ino}`;
  try {
    fs.linkSync(lock, tombstone);
  } catch {
    return; // EEXIST: another waiter is breaking it; ENOENT: it is gone already
  }
  try {
    const linked = fs.lstatSync(tombstone, { throwIfNoEntry: false });
    if (linked?.ino === seen.ino && linked.mtimeMs === seen.mtimeMs) unlinkQuietly(fs, lock);
  } catch {
    // the tombstone went with a sweep: the lock it named was not stale
  } finally {
    unlinkQuietly(fs, tombstone);
  }
}

/** Reads a file that must be a plain file (not a link); `undefined` when absent. */
export function readPrivate(fs: FileSystem, file: string): string | undefined {
  return readPlain(fs, file)?.text;
}

/** A plain file as one descriptor saw it: its text, and (for the lock) the inode and time that tell it from a newer one. */
function readPlain(fs: FileSystem, file: string): SeenLock | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw stateError(file, `cannot be read (${errnoCode(error) ?? 'error'})`, error);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw stateError(file, 'is not a regular file');
    return { text: fs.readFileSync(fd, 'utf8'), ino: stat.ino, mtimeMs: stat.mtimeMs };
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
    syncDirectory(fs, path.dirname(file));
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
