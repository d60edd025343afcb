import * as fs from 'node:fs';

/** Where the CLI prints: a report on stdout, messages and log lines on stderr. */
export interface Output {
  write(text: string): void;
  /** Whether it is a terminal: text logs and colour there, JSON lines and plain text elsewhere. Asked only when something is printed. */
  readonly isTTY: boolean;
}

/**
 * Writes straight to a file descriptor, synchronously, as Node's own stdout and stderr do for files
 * and pipes on Linux. Touching `process.stdout` or `process.stderr` loads Node's stream modules: a
 * tenth of a start-up spent before the first byte is written (docs/performance.md).
 *
 * A reader that closed the pipe (`comfy-secrets list | head`) is its choice, not an error: the rest
 * is dropped. A descriptor a parent left non-blocking is waited on when it is full, never skipped.
 */
export function fdOutput(fd: number): Output {
  let closed = false;
  let tty: boolean | undefined;
  return {
    get isTTY() {
      // node:tty loads node:net (about 2 ms): only a character device may be a terminal, so a pipe,
      // a file or /dev/null, as under pm2, `docker logs` or a supervisor, is told by one fstat.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      tty ??= characterDevice(fd) && (require('node:tty') as typeof import('node:tty')).isatty(fd);
      return tty;
    },
    write(text: string) {
      if (closed) return;
      const bytes = Buffer.from(text, 'utf8');
      let offset = 0;
      while (offset < bytes.length) {
        try {
          offset += fs.writeSync(fd, bytes, offset);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'EPIPE') {
            closed = true;
            return;
          }
          if (code !== 'EAGAIN') throw error;
          pause(1);
        }
      }
    },
  };
}

/**
 * Whether `fd` could be a terminal. Linux's memory devices (major 1: /dev/null, where a supervisor
 * sends output it ignores, /dev/zero, /dev/full) are character devices but never terminals.
 */
function characterDevice(fd: number): boolean {
  try {
    const stat = fs.fstatSync(fd);
    return stat.isCharacterDevice() && !(process.platform === 'linux' && Math.floor(stat.rdev / 256) % 4096 === 1);
  } catch {
    return false;
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function pause(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
