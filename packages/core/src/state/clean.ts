import { constants, type Stats } from 'node:fs';
import * as path from 'node:path';
import { errnoCode } from '../errors';
import type { FileSystem } from '../fs';
import { sha256, type RunState, type StateRecord } from './state';
import { TreeDir } from '../files/tree';
import { openTreeDirOf, removeStaleTempFilesIn, replaceFileIn } from '../files/writer';

export type CleanAction = 'removed' | 'restored' | 'gone' | 'kept';

export interface CleanEntry {
  /** Relative to its ComfyUI root. */
  file: string;
  path: string;
  sink: string;
  store: 'disk' | 'memory';
  action: CleanAction;
  /** Why a file was kept, or what `gone` means. */
  reason?: string;
}

export interface CleanReport {
  stateDir: string;
  /** The tree cleaned; absent: every tree the state records. */
  comfyuiDir?: string;
  files: CleanEntry[];
  counts: Record<CleanAction, number>;
  /** Records of other trees, left alone. */
  otherTrees: number;
}

export interface CleanOptions {
  /** Remove files even when they changed since they were written. */
  force?: boolean;
  /** Only these targets (absolute paths), e.g. what one `exec` run wrote. */
  only?: readonly string[];
  /**
   * Only the records of this ComfyUI root (absolute): one state directory may serve several trees (its
   * default is per machine), and cleaning one must not remove another's files.
   */
  tree?: string;
}

/**
 * Undoes what the state records: a file still holding what comfy-secrets wrote is removed, or, when
 * there was a file before, that file's previous bytes (and mode, owner) are put back. A file changed
 * since it was written is kept and reported, unless `force`. Records of kept files stay, so a later
 * `clean --force` can still act on them.
 */
export function cleanRecorded(fs: FileSystem, state: RunState, options: CleanOptions = {}): CleanReport {
  const files: CleanEntry[] = [];
  const stores = new Set<string>();
  const tree = options.tree === undefined ? undefined : path.resolve(options.tree);
  let otherTrees = 0;
  for (const record of state.list()) {
    if (tree !== undefined && path.resolve(record.comfyuiDir) !== tree) {
      otherTrees += 1;
      continue;
    }
    if (options.only && !options.only.includes(record.path)) continue;
    let entry: CleanEntry;
    try {
      entry = cleanOne(fs, record, options.force === true);
    } catch (error) {
      entry = { file: record.file, path: record.path, sink: record.sink, store: record.store, action: 'kept', reason: `it could not be cleaned (${errnoCode(error) ?? 'error'})` };
    }
    files.push(entry);
    if (record.storedAt) stores.add(path.dirname(record.storedAt));
    if (entry.action !== 'kept') state.forget(record.path);
  }
  // Under the lock: a run that takes it next may create the directory again and write into it.
  for (const store of stores) removeIfEmpty(fs, store);
  state.commit();
  const counts: Record<CleanAction, number> = { removed: 0, restored: 0, gone: 0, kept: 0 };
  for (const entry of files) counts[entry.action] += 1;
  return { stateDir: state.dir, comfyuiDir: tree, files, counts, otherTrees };
}

/**
 * One record, acted on only through open directories (`TreeDir`): the target's directory reached from
 * the ComfyUI root without following a link, the store's opened without following its last component.
 * A directory swapped for a link before or during `clean` therefore cannot make it hash, remove or
 * restore anything outside the tree.
 */
function cleanOne(fs: FileSystem, record: StateRecord, force: boolean): CleanEntry {
  const entry = (action: CleanAction, reason?: string): CleanEntry => ({ file: record.file, path: record.path, sink: record.sink, store: record.store, action, reason });
  let dir: TreeDir | undefined;
  try {
    // The tree may have changed since: refuse to act through a planted link in the directories above.
    dir = openTreeDirOf(fs, record.comfyuiDir, record.path, record.file);
  } catch (error) {
    return entry('kept', `its path is no longer safe to touch (${error instanceof Error ? error.message : 'error'})`);
  }
  try {
    const here: Place = dir === undefined ? { dir: undefined, name: path.basename(record.path) } : { dir, name: path.basename(record.path) };
    const target = dir?.lstat(here.name);
    if (dir) {
      // A temp file a killed run (or a killed clean) left beside it holds a copy of a secret.
      try {
        removeStaleTempFilesIn(dir, here.name, record.file);
      } catch {
        // kept for the next run's writer to report
      }
    }
    // A clean killed after putting the previous file back, before saving the state, left the record.
    if (record.previous && target?.isFile() === true && hashIn(here as InDir) === record.previous.sha256) {
      if (record.storedAt) {
        const store = openStore(fs, record.storedAt);
        unlinkQuietly({ dir: store, name: path.basename(record.storedAt) });
        store?.close();
      }
      return entry('restored', 'its previous content was already back');
    }
    if (record.store === 'memory' && record.storedAt) return cleanMemory(fs, record, here, target, force, entry);

    if (target === undefined) return restoreOrGone(fs, record, here, entry);
    if (!target.isFile()) return entry('kept', 'it is no longer a regular file');
    if (hashIn(here as InDir) !== record.sha256 && !force) return entry('kept', 'it changed since comfy-secrets wrote it (clean --force removes it anyway)');
    return removeAndRestore(fs, record, here as InDir, entry);
  } finally {
    dir?.close();
  }
}

/** A name in an open directory; `dir` is `undefined` when the directory is gone. */
interface Place {
  readonly dir: TreeDir | undefined;
  readonly name: string;
}
type InDir = Place & { readonly dir: TreeDir };

function cleanMemory(fs: FileSystem, record: StateRecord, here: Place, target: Stats | undefined, force: boolean, entry: (action: CleanAction, reason?: string) => CleanEntry): CleanEntry {
  const storedAt = record.storedAt as string;
  let ourLink = false;
  if (target?.isSymbolicLink() === true && here.dir) {
    try {
      ourLink = path.resolve(path.dirname(record.path), here.dir.readlink(here.name)) === storedAt;
    } catch {
      // EINVAL: no longer a link since the lstat; not ours either way
    }
  }
  const store = openStore(fs, storedAt);
  try {
    const stored: Place = { dir: store, name: path.basename(storedAt) };
    const storeChanged = store?.lstat(stored.name)?.isFile() === true && hashIn(stored as InDir) !== record.sha256;
    if (storeChanged && !force) return entry('kept', 'its file in the memory store changed since comfy-secrets wrote it (clean --force removes it anyway)');
    if (target !== undefined && !ourLink) {
      // Someone replaced our link with a file of their own: that file is not ours to remove.
      if (!force || !target.isFile()) {
        unlinkQuietly(stored);
        return entry('kept', 'the link was replaced by another file since comfy-secrets wrote it (clean --force removes it anyway)');
      }
    }
    unlinkQuietly(stored);
    if (target === undefined) return restoreOrGone(fs, record, here, entry);
    return removeAndRestore(fs, record, here as InDir, entry);
  } finally {
    store?.close();
  }
}

/** The memory store's directory, its last component not followed; `undefined` when it is gone or not a directory. */
function openStore(fs: FileSystem, storedAt: string): TreeDir | undefined {
  try {
    return TreeDir.open(fs, path.dirname(storedAt), { noFollowLast: true });
  } catch {
    return undefined;
  }
}

function removeAndRestore(fs: FileSystem, record: StateRecord, here: InDir, entry: (action: CleanAction, reason?: string) => CleanEntry): CleanEntry {
  if (record.previous) {
    const restored = restore(fs, record, here);
    if (restored) return entry('restored');
    return entry('kept', 'the saved copy of its previous content is missing, so it was left as it is');
  }
  here.dir.unlink(here.name);
  return entry('removed');
}

function restoreOrGone(fs: FileSystem, record: StateRecord, here: Place, entry: (action: CleanAction, reason?: string) => CleanEntry): CleanEntry {
  if (record.previous && here.dir && restore(fs, record, here as InDir)) return entry('restored', 'it had been removed; its previous content was put back');
  return entry('gone', 'it was already removed');
}

/** Puts the previous bytes back with their mode and owner, atomically, in the open directory; false when the copy is gone. */
function restore(fs: FileSystem, record: StateRecord, here: InDir): boolean {
  const previous = record.previous;
  if (!previous) return false;
  let bytes: Buffer;
  try {
    const fd = fs.openSync(previous.backup, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      bytes = fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
  if (sha256(bytes) !== previous.sha256) return false;
  // rename over the target replaces a link (memory store) or our file without following either.
  replaceFileIn(here.dir, here.name, bytes, Number.parseInt(previous.mode, 8), { uid: previous.uid, gid: previous.gid }, record.file);
  return true;
}

function hashIn(here: InDir): string | undefined {
  const fs = here.dir.fileSystem;
  const fd = here.dir.open(here.name, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    return sha256(fs.readFileSync(fd));
  } finally {
    fs.closeSync(fd);
  }
}

function unlinkQuietly(here: Place): void {
  try {
    here.dir?.unlink(here.name);
  } catch {
    // already gone
  }
}

/** rmdir, which fails on a directory that is not empty: a file that appeared since is never lost. */
function removeIfEmpty(fs: FileSystem, directory: string): void {
  try {
    fs.rmdirSync(directory);
  } catch {
    // kept: not empty, or not ours to remove
  }
}
