import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { repoRoot } from '../helpers/cli';
import { recordFigures, reliabilityCore, suiteSeed } from '../helpers/reliability';

/**
 * Breaking a stale lock is atomic: 8 runners start at once over a `state.lock` left by a dead process,
 * round after round, and at no moment do two of them hold the lock (each owns a marker file while it
 * holds it). Reading the dead pid and then unlinking the name let a slow waiter delete the fresh lock
 * another waiter had just made, and both went on.
 */
const SEED = suiteSeed(0x10c4_57a1);
const RUNNERS = 8;
const ROUNDS = 50;
/** Above Linux's largest pid_max (2^22): no process can have it. */
const DEAD_PID = 4_194_304 + (SEED % 1000) + 1;
const figures = { seed: SEED, rounds: 0, runners: 0, overlaps: 0 };

let scratch: string;
let coreBundle: string;
beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-stale-lock-'));
  coreBundle = path.join(scratch, 'core.js');
  buildSync({
    stdin: { contents: `require('reflect-metadata');\nmodule.exports = require(${JSON.stringify(reliabilityCore)});\n`, resolveDir: repoRoot, loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: coreBundle,
    logLevel: 'warning',
  });
});
afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
  recordFigures('stale-lock', figures);
});

interface Holder {
  ready: Promise<void>;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function startHolder(stateDir: string, startFile: string): Holder {
  const child = spawn(process.execPath, [path.join(__dirname, 'fixtures/lock-holder.js'), coreBundle, stateDir, startFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (stdout.includes('ready\n')) onReady();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => (onReady(), resolve({ code, stdout, stderr }))));
  return { ready, done };
}

test(`${RUNNERS} runners over a stale lock, ${ROUNDS} rounds: never two holders at once, nothing left behind`, async () => {
  for (let round = 0; round < ROUNDS; round += 1) {
    const dir = path.join(scratch, `round-${round}`);
    const stateDir = path.join(dir, 'state');
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(stateDir, 'state.lock'), String(DEAD_PID), { mode: 0o600 });
    const startFile = path.join(dir, 'go');
    const holders = Array.from({ length: RUNNERS }, () => startHolder(stateDir, startFile));
    await Promise.all(holders.map((holder) => holder.ready));
    fs.writeFileSync(startFile, '');
    const results = await Promise.all(holders.map((holder) => holder.done));
    figures.rounds += 1;
    figures.runners += RUNNERS;
    figures.overlaps += results.filter((result) => result.stdout.includes('OVERLAP')).length;

    expect(results.map((result) => ({ code: result.code, out: result.stdout.replace('ready\n', ''), err: result.stderr }))).toEqual(results.map(() => ({ code: 0, out: '', err: '' })));
    expect(fs.readdirSync(stateDir)).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
