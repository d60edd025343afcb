import * as path from 'node:path';
import type { FileSystem } from '../fs';
import { lstatQuietly } from '../fs';
import { readTreeFile } from './writer';

/** An index larger than this is not read: the check is a courtesy, and a container start is not the place for it. */
const MAX_INDEX_BYTES = 32 * 1024 * 1024;

/**
 * Whether `relativePath` (below `nodeDir`, `/`-separated) is a file the node's git checkout tracks.
 * Costs one `lstat` when the node has no `.git` (an archive install, most registry installs). With a
 * `.git` directory it reads `.git/index` and looks for the path as an entry name: in index versions 2
 * and 3 each name is stored whole, NUL-ended, after flag bytes whose low 12 bits are its length.
 * Version 4 compresses names against the previous entry, and a `.git` file (a worktree or submodule)
 * points elsewhere; both answer `false`, as does anything unreadable, so a false negative is possible
 * and a false positive is not. Runs no git.
 */
export function isTrackedByCheckout(fs: FileSystem, nodeDir: string, relativePath: string): boolean {
  const gitDir = path.join(nodeDir, '.git');
  if (lstatQuietly(fs, gitDir)?.isDirectory() !== true) return false;
  const indexPath = path.join(gitDir, 'index');
  const stat = lstatQuietly(fs, indexPath);
  if (stat?.isFile() !== true || stat.size > MAX_INDEX_BYTES) return false;
  let bytes: Buffer;
  try {
    // Through the node directory's descriptors, as the writer reads: no link on the way is followed.
    const read = readTreeFile(fs, nodeDir, indexPath, indexPath);
    if (read === undefined) return false;
    bytes = read.bytes;
  } catch {
    return false;
  }
  if (bytes.length < 12 || bytes.toString('latin1', 0, 4) !== 'DIRC') return false;
  const version = bytes.readUInt32BE(4);
  if (version !== 2 && version !== 3) return false;
  const name = Buffer.from(`${relativePath.split(path.sep).join('/')}\0`, 'utf8');
  const length = name.length - 1;
  for (let at = bytes.indexOf(name, 12); at >= 0; at = bytes.indexOf(name, at + 1)) {
    const expected = Math.min(length, 0xfff);
    // Version 3 puts two more flag bytes between the flags and the name when the extended bit is set.
    const flags = at >= 2 ? bytes.readUInt16BE(at - 2) : -1;
    const extended = at >= 4 ? bytes.readUInt16BE(at - 4) : -1;
    if (flags >= 0 && (flags & 0x4000) === 0 && (flags & 0xfff) === expected) return true;
    if (version === 3 && extended >= 0 && (extended & 0x4000) !== 0 && (extended & 0xfff) === expected) return true;
  }
  return false;
}
