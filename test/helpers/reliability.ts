import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliPath, repoRoot, type CliResult } from './cli';

/**
 * Shared by the reliability suite (test/reliability). The CLI under test is the built one; the
 * `RELIABILITY_CLI` / `RELIABILITY_CORE` variables point the suite at another build (a deliberately
 * broken copy, to check that the suite notices), and default to what `pnpm build` made.
 */
export const reliabilityCli = process.env.RELIABILITY_CLI ?? cliPath;
export const reliabilityCore = process.env.RELIABILITY_CORE ?? path.join(repoRoot, 'packages/core/dist/index.js');

/** mulberry32: a tiny seeded PRNG, so every random kill time and value is reproducible from the seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run: `RELIABILITY_SEED` replays a failure, otherwise fixed so CI is repeatable. */
export function suiteSeed(fallback: number): number {
  const given = Number(process.env.RELIABILITY_SEED);
  return Number.isSafeInteger(given) ? given : fallback;
}

const ALPHANUMERIC = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** Random-looking text: no ordinary word or path can contain an 8-character piece of it by chance. */
export function randomText(rand: () => number, length: number, alphabet = ALPHANUMERIC): string {
  let text = '';
  for (let i = 0; i < length; i += 1) text += alphabet[Math.floor(rand() * alphabet.length)];
  return text;
}

/** Writes a `--plugin` module file exporting the sinks given as JavaScript source, returns its path. */
export function writePlugin(dir: string, name: string, sinksSource: string): string {
  const file = path.join(dir, `${name}.js`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, `'use strict';\nmodule.exports = ${sinksSource};\n`);
  return file;
}

/** An environment for the CLI child: only what is given, plus PATH, and state kept inside `home`. */
export function cliEnv(env: Record<string, string>, home?: string): Record<string, string> {
  const state: Record<string, string> = home === undefined ? {} : { HOME: home, XDG_STATE_HOME: path.join(home, '.state'), XDG_CONFIG_HOME: path.join(home, '.config'), TMPDIR: path.join(home, '.tmp') };
  if (home !== undefined) fs.mkdirSync(path.join(home, '.tmp'), { recursive: true });
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', ...state, ...env };
}

/** The built CLI, run to completion. */
export function runReliabilityCli(args: readonly string[], env: Record<string, string>, options: { cwd?: string; timeout?: number } = {}): CliResult {
  const result = spawnSync(process.execPath, [reliabilityCli, ...args], {
    cwd: options.cwd ?? repoRoot,
    env,
    encoding: 'utf8',
    timeout: options.timeout ?? 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The built CLI, started without waiting: for runners that must overlap. */
export function startCli(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [reliabilityCli, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Figures of the last run (kills survived, values tried…), quoted by the Guarantees table of docs/security.md. */
export function recordFigures(suite: string, figures: Record<string, number | string>): void {
  const dir = path.join(repoRoot, 'test/reliability/last-run');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${suite}.json`), `${JSON.stringify({ ...figures, at: new Date().toISOString() }, null, 2)}\n`);
}
