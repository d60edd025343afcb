// Measuring child processes: wall time from just before spawn to exit (what a container start waits
// for), and peak RSS as the kernel reports it through GNU time, when it is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';
export const hasGnuTime = existsSync(GNU_TIME);
const scratch = mkdtempSync(join(tmpdir(), 'runtime-env-bench-time-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/**
 * Runs `argv` once. With `rss`, it runs under GNU time (a fork+exec more, a constant few hundred
 * microseconds, the same for every command) to read the child's peak RSS; start-up pairs are timed
 * without it.
 * @returns {{ ms: number, rssMiB: number | null, status: number | null, stdout: string, stderr: string }}
 */
export function runOnce(argv, { env, cwd, rss = false, capture = false } = {}) {
  const out = join(scratch, 'time.txt');
  const [file, args] = rss && hasGnuTime ? [GNU_TIME, ['-f', '%M', '-o', out, ...argv]] : [argv[0], argv.slice(1)];
  const stdio = capture ? 'pipe' : 'ignore';
  const start = process.hrtime.bigint();
  const result = spawnSync(file, args, { env, cwd, stdio: ['ignore', stdio, stdio], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.error) throw result.error;
  let rssMiB = null;
  if (rss && hasGnuTime) {
    const kib = Number(readFileSync(out, 'utf8').trim().split('\n').pop());
    rssMiB = Number.isFinite(kib) ? kib / 1024 : null;
  }
  return { ms, rssMiB, status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Fisher–Yates, so no command always runs first in a round (the first one pays for cold caches). */
export function shuffled(items) {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}
