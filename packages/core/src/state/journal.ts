import { constants } from 'node:fs';
import * as path from 'node:path';
import { sha256 } from './digest';
import { ConfigError, errnoCode } from '../errors';
import type { FileSystem } from '../fs';
import type { PreviousFile, StateRecord } from './record';
import { TreeDir } from '../files/tree';
import { openTreeDirOf } from '../files/writer';

/**
 * The intent journal: before a run touches a target it appends what it is about to do — the target,
 * the digest of the bytes it will leave there, where the store file goes, the saved copy of what was
 * there — and fsyncs it. `state.json` is saved once, at the end; a run killed in between (or one whose
 * `state.json` could not be saved: a full disk) leaves intents without records, and the next command
 * that opens the state resolves each one from what is really at the target (`resolveIntents`).
 *
 * Like the state, it holds paths and hashes, never a value.
 */

export const JOURNAL_FILE = 'intents.jsonl';

/** One write about to happen. */
export interface Intent {
  path: string;
  file: string;
  comfyuiDir: string;
  sink: string;
  mode: string;
  store: 'disk' | 'memory';
  storedAt?: string;
  /** sha256 of the bytes the write leaves at the target (for the memory store: in the store file). */
  sha256: string;
  /** The copy of the file that was there before, when there was one and no earlier record. */
  previous?: PreviousFile;
}

/** A journal open for appending, one fsync per intent. */
export class Journal {
  private fd: number | undefined;

  constructor(
    private readonly fs: FileSystem,
    readonly file: string,
  ) {}

  /** @throws the file system's error (the caller names the state file): nothing may be touched then. */
  append(intent: Intent): void {
    if (this.fd === undefined) {
      this.fd = this.fs.openSync(this.file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
      // The journal's own name must survive a crash too, before the first target is touched.
      syncDirectory(this.fs, path.dirname(this.file));
    }
    const line = Buffer.from(`${JSON.stringify(intent)}\n`, 'utf8');
    for (let offset = 0; offset < line.length; ) {
      const written = this.fs.writeSync(this.fd, line, offset, line.length - offset);
      if (written <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
      offset += written;
    }
    this.fs.fsyncSync(this.fd);
  }

  /** Closes and removes the journal: only once the state that replaces it is saved. */
  remove(): void {
    this.close();
    try {
      this.fs.unlinkSync(this.file);
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
  }

  close(): void {
    if (this.fd !== undefined) {
      try {
        this.fs.closeSync(this.fd);
      } catch {
        // already closed
      }
      this.fd = undefined;
    }
  }
}

/**
 * The intents of a journal's text. A last line without its newline is an append a kill cut short: it
 * was never fsynced as a whole, so its write never started, and it is ignored.
 * @throws ConfigError `STATE_CORRUPT` for any other line that is not an intent
 */
export function parseJournal(text: string, file: string): Intent[] {
  const lines = text.split('\n');
  const complete = lines.slice(0, -1);
  const intents: Intent[] = [];
  for (const line of complete) {
    let intent: unknown;
    try {
      intent = JSON.parse(line);
    } catch {
      intent = undefined;
    }
    if (!isIntent(intent)) throw new ConfigError('STATE_CORRUPT', `the journal ${file} holds a line that is not a comfy-secrets intent; remove it (files it named must then be checked by hand)`, { file });
    intents.push(intent);
  }
  return intents;
}

function isIntent(value: unknown): value is Intent {
  if (typeof value !== 'object' || value === null) return false;
  const intent = value as Record<string, unknown>;
  return (
    ['path', 'file', 'comfyuiDir', 'sink', 'mode', 'sha256'].every((key) => typeof intent[key] === 'string') &&
    (intent.store === 'disk' || intent.store === 'memory') &&
    (intent.storedAt === undefined || typeof intent.storedAt === 'string') &&
    (intent.previous === undefined || isPreviousFile(intent.previous))
  );
}

export function isPreviousFile(value: unknown): value is PreviousFile {
  if (typeof value !== 'object' || value === null) return false;
  const previous = value as Record<string, unknown>;
  return (
    typeof previous.backup === 'string' &&
    typeof previous.sha256 === 'string' &&
    typeof previous.mode === 'string' &&
    Number.isInteger(previous.uid) &&
    Number.isInteger(previous.gid) &&
    typeof previous.merged === 'boolean'
  );
}

/** What resolving one target's intents decided. */
export interface Resolution {
  /** The record the target gets (`undefined`: none). */
  record: StateRecord | undefined;
  /** Files of ours that no record points to any more: a store file never linked, a copy never needed. */
  discard: string[];
}

/**
 * Decides one target's intents (in the order they were made) against what is at the target now:
 * - it holds the bytes one of them would leave (through our link to its store file, for the memory
 *   store): the write happened, and the target gets that record (keeping the copy of what was there);
 * - else an earlier record still stands as it was;
 * - else the write never happened: a copy saved for it and a store file it wrote are ours to remove —
 *   unless the target holds something that is neither the copy nor ours, which is kept as a changed
 *   record (`clean` reports it and keeps it; `clean --force` puts the copy back).
 * Never does a killed write's content become "the file that was there before".
 */
export function resolveIntents(fs: FileSystem, intents: readonly Intent[], earlier: StateRecord | undefined, now: string): Resolution {
  const last = intents[intents.length - 1] as Intent;
  const target = last.path;
  const previous = earlier?.previous ?? intents.find((intent) => intent.previous)?.previous;
  const found = inspectTarget(fs, target, last.comfyuiDir);
  const landed = [...intents].reverse().find((intent) => (intent.store === 'memory' ? found.linkedTo === intent.storedAt : found.regular) && found.sha256 === intent.sha256);
  let record: StateRecord | undefined;
  if (landed) {
    record = { path: target, file: landed.file, comfyuiDir: landed.comfyuiDir, sink: landed.sink, sha256: landed.sha256, mode: landed.mode, store: landed.store, storedAt: landed.storedAt, writtenAt: now };
  } else if (earlier) {
    record = earlier;
  } else if (previous && found.exists && found.sha256 !== previous.sha256) {
    record = { path: target, file: last.file, comfyuiDir: last.comfyuiDir, sink: last.sink, sha256: last.sha256, mode: last.mode, store: last.store, storedAt: last.storedAt, writtenAt: now };
  }
  if (record && previous) record = { ...record, previous };
  const keep = new Set([record?.storedAt, record?.previous?.backup, earlier?.storedAt, earlier?.previous?.backup]);
  const discard = new Set<string>();
  for (const intent of intents) {
    if (intent.storedAt && !keep.has(intent.storedAt)) discard.add(intent.storedAt);
    if (intent.previous && !keep.has(intent.previous.backup)) discard.add(intent.previous.backup);
  }
  return { record, discard: [...discard] };
}

interface FoundTarget {
  exists: boolean;
  regular: boolean;
  /** For a link: the absolute path it points to. */
  linkedTo?: string;
  /** Of the file, or of the file a link points to when that is a plain file. */
  sha256?: string;
}

/**
 * What is at the target, looked at through the tree's open directories (`TreeDir`) as every act in the
 * tree is: a directory swapped for a link cannot make this hash a file outside it.
 */
function inspectTarget(fs: FileSystem, target: string, comfyuiDir: string): FoundTarget {
  let dir: TreeDir | undefined;
  try {
    dir = openTreeDirOf(fs, comfyuiDir, target, target);
  } catch {
    dir = undefined;
  }
  if (dir === undefined) return { exists: false, regular: false };
  try {
    const name = path.basename(target);
    const stat = dir.lstat(name);
    if (stat === undefined) return { exists: false, regular: false };
    if (stat.isSymbolicLink()) {
      const linkedTo = path.resolve(path.dirname(target), dir.readlink(name));
      return { exists: true, regular: false, linkedTo, sha256: storeDigest(fs, linkedTo) };
    }
    return { exists: true, regular: stat.isFile(), sha256: stat.isFile() ? digestIn(dir, name) : undefined };
  } catch {
    return { exists: true, regular: false };
  } finally {
    dir.close();
  }
}

/** sha256 of a store file, reached through its directory opened without following a link. */
function storeDigest(fs: FileSystem, file: string): string | undefined {
  let dir: TreeDir;
  try {
    dir = TreeDir.open(fs, path.dirname(file), { noFollowLast: true });
  } catch {
    return undefined;
  }
  try {
    return digestIn(dir, path.basename(file));
  } finally {
    dir.close();
  }
}

/** sha256 of a plain file in an open directory; `undefined` when it is not one or cannot be read. */
function digestIn(dir: TreeDir, name: string): string | undefined {
  let fd: number;
  try {
    fd = dir.open(name, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  const fs = dir.fileSystem;
  try {
    return fs.fstatSync(fd).isFile() ? sha256(fs.readFileSync(fd)) : undefined;
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** A directory fsync that the file system does not support is not a failure. */
const DIRECTORY_FSYNC_UNSUPPORTED = new Set(['EINVAL', 'EISDIR', 'ENOTSUP', 'EOPNOTSUPP', 'EBADF']);

/** Makes a new name (or a rename) in `directory` durable. */
export function syncDirectory(fs: FileSystem, directory: string): void {
  let fd: number;
  try {
    fd = fs.openSync(directory, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (error) {
    if (DIRECTORY_FSYNC_UNSUPPORTED.has(errnoCode(error) ?? '')) return;
    throw error;
  }
  try {
    fs.fsyncSync(fd);
  } catch (error) {
    if (!DIRECTORY_FSYNC_UNSUPPORTED.has(errnoCode(error) ?? '')) throw error;
  } finally {
    fs.closeSync(fd);
  }
}
