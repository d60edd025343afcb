import { constants } from 'node:fs';
import { errnoCode } from '../errors';
import type { FileSystem } from '../fs';

/** The largest file comfy-secrets reads as one value: a `NAME_FILE` or a `--secrets-dir` entry (docs/cli.md "Sources and their precedence"). */
export const MAX_SOURCE_FILE_BYTES = 1024 * 1024;
/** The largest `--env-file`: thousands of variables (the 1,000-sink benchmark's is 0.96 MB) fit with room to spare. */
export const MAX_ENV_FILE_BYTES = 16 * 1024 * 1024;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Why a source file was not read: a short reason that names no content. */
export class SourceFileProblem extends Error {
  constructor(
    readonly reason: 'not-regular' | 'too-big' | 'invalid-utf8' | 'unreadable',
    message: string,
    readonly line?: number,
    /** The variable defined on that line, when the line starts with `NAME=`. */
    readonly variable?: string,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Reads a whole source file as strict UTF-8. Only a regular file is read: a FIFO, a device such as
 * `/dev/zero` or a directory would hang the container start or read forever. Opened non-blocking (a
 * FIFO's open then returns at once) and checked with `fstat` on the open descriptor; a symlink is
 * followed (Docker and Kubernetes secrets are links), what it leads to must be a regular file.
 * @throws SourceFileProblem
 */
export function readSourceFile(fs: FileSystem, file: string, maxBytes = MAX_SOURCE_FILE_BYTES): string {
  let fd: number;
  try {
    fd = fs.openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new SourceFileProblem('unreadable', errnoCode(error) ?? 'error', undefined, undefined, { cause: error });
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new SourceFileProblem('not-regular', `is not a regular file (${kind(stat)})`);
    if (stat.size > maxBytes) throw new SourceFileProblem('too-big', `is larger than ${maxBytes} bytes`);
    // Read to the cap plus one byte, not to the size fstat gave: a file may grow while it is read.
    const buffer = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(stat.size + 1, 4096)));
    let length = 0;
    for (;;) {
      if (length === buffer.length) break;
      let read: number;
      try {
        read = fs.readSync(fd, buffer, length, buffer.length - length, null);
      } catch (error) {
        throw new SourceFileProblem('unreadable', errnoCode(error) ?? 'error', undefined, undefined, { cause: error });
      }
      if (read === 0) break;
      length += read;
    }
    if (length > maxBytes) throw new SourceFileProblem('too-big', `is larger than ${maxBytes} bytes`);
    const bytes = buffer.subarray(0, length);
    try {
      return strictUtf8.decode(bytes);
    } catch {
      const { line, name } = invalidLine(bytes);
      throw new SourceFileProblem('invalid-utf8', `is not valid UTF-8 text (line ${line}${name ? `, ${name}` : ''})`, line, name);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether `bytes` are valid UTF-8. */
export function isUtf8(bytes: Uint8Array): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** The 1-based line holding the first byte that is not valid UTF-8, and the name it sets when it reads `NAME=`. */
function invalidLine(bytes: Buffer): { line: number; name?: string } {
  let start = 0;
  let line = 1;
  while (start < bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const text = bytes.subarray(start, end);
    if (!isUtf8(text)) return { line, name: /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=/.exec(text.toString('latin1'))?.[1] };
    start = end + 1;
    line += 1;
  }
  return { line };
}

function kind(stat: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a file';
}
