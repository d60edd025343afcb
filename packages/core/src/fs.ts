import * as nodeFs from 'node:fs';

/**
 * The file-system calls comfy-secrets makes, injected so tests can make any of them fail (EACCES,
 * ENOSPC…) even when running as root, which ignores permissions. Synchronous on purpose: the CLI does
 * one thing at a time on the critical path of a container start, and sync calls are the cheapest.
 */
export type FileSystem = Pick<
  typeof nodeFs,
  | 'closeSync'
  | 'existsSync'
  | 'fchmodSync'
  | 'fchownSync'
  | 'fstatSync'
  | 'fsyncSync'
  | 'linkSync'
  | 'lstatSync'
  | 'mkdirSync'
  | 'openSync'
  | 'readFileSync'
  | 'readSync'
  | 'readdirSync'
  | 'readlinkSync'
  | 'realpathSync'
  | 'renameSync'
  | 'rmdirSync'
  | 'statSync'
  | 'statfsSync'
  | 'symlinkSync'
  | 'unlinkSync'
  | 'writeSync'
>;

export const realFileSystem: FileSystem = nodeFs;

/** What is at `path` now, not following a link; `undefined` when nothing is, or it cannot be looked at (the write then says why). */
export function lstatQuietly(fs: FileSystem, path: string): nodeFs.Stats | undefined {
  try {
    return fs.lstatSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
