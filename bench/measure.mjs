// Measuring child processes through bench/rusage.py: wall time from fork to exit (what a container
// start waits for), the child's own CPU time (user + system: steadier than wall time when other work
// shares the machine) and its peak RSS, all from the kernel's wait4. Without /usr/bin/python3, only
// wall time, taken around spawnSync.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PYTHON = '/usr/bin/python3';
const RUSAGE = new URL('./rusage.py', import.meta.url).pathname;
export const hasRusage = existsSync(PYTHON);
const scratch = mkdtempSync(join(tmpdir(), 'comfy-secrets-bench-rusage-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/** @returns {{ ms: number, cpuMs: number | null, rssMiB: number | null, status: number | null, stdout: string, stderr: string }} */
export function runOnce(argv, { env, cwd, capture = false } = {}) {
  const out = join(scratch, 'rusage.json');
  const stdio = capture ? 'pipe' : 'ignore';
  const [file, args] = hasRusage ? [PYTHON, [RUSAGE, out, ...argv]] : [argv[0], argv.slice(1)];
  const start = process.hrtime.bigint();
  const result = spawnSync(file, args, { env, cwd, stdio: ['ignore', stdio, stdio], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const spawnMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.error) throw result.error;
  const base = { stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
  if (!hasRusage) return { ...base, ms: spawnMs, cpuMs: null, rssMiB: null, status: result.status };
  const usage = JSON.parse(readFileSync(out, 'utf8'));
  return { ...base, ms: usage.wallMs, cpuMs: usage.cpuMs, rssMiB: usage.rssKiB / 1024, status: usage.status };
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
