import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { checkSinks, createContainer, Runner, type Logger } from '@comfy-secrets/core';
import { repoRoot } from '../helpers/cli';
import { prng, recordFigures, reliabilityCli, reliabilityCore, runReliabilityCli, suiteSeed } from '../helpers/reliability';
import { tempDebris } from '../helpers/temp-files';
import { expectedReads, modes, readTargets, rewriteTree, valueSet, type RewriteTree } from './fixtures/rewrite-tree';

/**
 * Crash safety: a runner rewriting existing files of every format is SIGKILLed at seeded random
 * moments. After every kill each target holds one complete render (old or new, byte for byte, which
 * its reader reads), its mode is 0600, and the next run leaves no temp file behind.
 *
 * Two lanes (separate trees) run at once to keep the suite short; each kill is of a fresh process.
 */
const SEED = suiteSeed(0x5eed_c0de);
const LANES = 2;
const LOOP_KILLS_PER_LANE = 100;
const CLI_KILLS = 30;

const quiet: Logger = { error() {}, warn() {}, info() {}, debug() {} };
const figures = { seed: SEED, kills: 0, killsWithTempFileOnDisk: 0, targetsOldAfterKill: 0, targetsNewAfterKill: 0, recoveryRuns: 0 };

interface Lane {
  tree: RewriteTree;
  envs: Array<Record<string, string>>;
  envsFile: string;
  /** renders[i][t]: target t after a complete run with envs[i]. */
  renders: string[][];
}

let lanes: Lane[];
let coreBundle: string;
let scratch: string;

/** One run of the real runner (from source) in this process, as the container's next start would do. */
function runOnce(lane: Lane, env: Record<string, string>): void {
  const sinks = checkSinks([].concat(require(lane.tree.plugin)), lane.tree.plugin);
  const report = createContainer({ env, cwd: lane.tree.dir, sinks, logger: quiet }).resolve(Runner).run({ comfyuiDir: lane.tree.comfyuiDir });
  if (report.exitCode !== 0) throw new Error(`run failed: ${JSON.stringify(report.sinks.flatMap((sink) => sink.errors))}`);
}

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-crash-'));
  // The built core and its dependencies in one file: the killed child starts in a fraction of the time.
  coreBundle = path.join(scratch, 'core.js');
  buildSync({
    stdin: { contents: `require('reflect-metadata');\nmodule.exports = require(${JSON.stringify(reliabilityCore)});\n`, resolveDir: repoRoot, loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: coreBundle,
    logLevel: 'warning',
  });
  const rand = prng(SEED);
  lanes = Array.from({ length: LANES }, () => {
    const tree = rewriteTree();
    const envs = [valueSet(rand), valueSet(rand)];
    const envsFile = path.join(tree.dir, 'envs.json');
    fs.writeFileSync(envsFile, JSON.stringify(envs));
    const lane: Lane = { tree, envs, envsFile, renders: [] };
    lane.renders = envs.map((env) => {
      runOnce(lane, env);
      return tree.snapshot();
    });
    return lane;
  });
});
afterAll(() => {
  for (const lane of lanes ?? []) lane.tree.cleanup();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  recordFigures('crash', figures);
});

/** After a kill: every target is one of the complete renders, mode 0600. */
function checkAfterKill(lane: Lane, before: string[], debris = () => tempDebris(lane.tree.comfyuiDir)): void {
  lane.tree.snapshot().forEach((text, i) => {
    if (!lane.renders.some((render) => render[i] === text)) {
      throw new Error(`after kill ${figures.kills} target ${i} is no complete render (${text.length} bytes; renders are ${lane.renders.map((r) => r[i]!.length).join(' or ')} bytes)`);
    }
    if (text === before[i]) figures.targetsOldAfterKill += 1;
    else figures.targetsNewAfterKill += 1;
  });
  expect(modes(lane.tree.comfyuiDir)).toEqual([0o600, 0o600, 0o600]);
  if (debris().length > 0) figures.killsWithTempFileOnDisk += 1;
}

/** The next start: writes its render, and no temp file of the killed run survives it. */
function recover(lane: Lane, rand: () => number): void {
  const which = Math.floor(rand() * lane.envs.length);
  runOnce(lane, lane.envs[which]!);
  figures.recoveryRuns += 1;
  expect(tempDebris(lane.tree.comfyuiDir)).toEqual([]);
  expect(lane.tree.snapshot()).toEqual(lane.renders[which]);
}

/**
 * Starts a process and SIGKILLs it `delayMs` after it says it is ready (or after it starts). A CLI
 * that finishes first is a complete run, which is fine; anything else that ends it is a failure.
 */
function killAfter(args: string[], env: NodeJS.ProcessEnv, delayMs: number, waitForReady: boolean): Promise<'killed' | 'finished'> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const arm = () => (timer = setTimeout(() => child.kill('SIGKILL'), delayMs));
    if (waitForReady) child.stdout.once('data', arm);
    else arm();
    child.stdout.resume();
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve('killed');
      else if (!waitForReady && code === 0) resolve('finished');
      else reject(new Error(`runner ended with ${code ?? signal}: ${stderr}`));
    });
  });
}

test('the seeded renders are what every reader reads, and a rerun of the same values is byte-identical', () => {
  for (const lane of lanes) {
    lane.envs.forEach((env, i) => {
      runOnce(lane, env);
      expect(lane.tree.snapshot()).toEqual(lane.renders[i]);
      expect(readTargets(lane.tree.comfyuiDir)).toEqual(expectedReads(env));
    });
  }
});

test(`${LANES * LOOP_KILLS_PER_LANE} SIGKILLs of a runner rewriting every format in a loop leave only complete renders, 0600, and no debris after the next run`, async () => {
  const script = path.join(__dirname, 'fixtures/rewrite-loop.js');
  await Promise.all(
    lanes.map(async (lane, index) => {
      const rand = prng(SEED + 1 + index);
      for (let kill = 0; kill < LOOP_KILLS_PER_LANE; kill += 1) {
        const before = lane.tree.snapshot();
        const args = [script, coreBundle, lane.tree.comfyuiDir, lane.tree.plugin, lane.envsFile, String(kill)];
        // One loop iteration (three 64 KiB files, each fsynced) takes tens of milliseconds.
        await killAfter(args, { PATH: process.env.PATH }, Math.floor(rand() * 150), true);
        figures.kills += 1;
        checkAfterKill(lane, before);
        if (rand() < 0.3) recover(lane, rand);
      }
      recover(lane, rand);
    }),
  );
}, 150_000);

test(`${CLI_KILLS} SIGKILLs of the built CLI at random moments of its run leave only complete renders, 0600, and no debris after the next run`, async () => {
  const lane = lanes[0]!;
  const rand = prng(SEED + 100);
  // The CLI's defaults: its memory store (targets become links into a tmpfs directory) when there is
  // one, and its state file. Both are kept apart from the machine's, and checked for debris too.
  const storeDir = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'comfy-secrets-crash-'));
  fs.rmSync(storeDir, { recursive: true });
  const where = { PATH: process.env.PATH ?? '/usr/bin:/bin', COMFY_SECRETS_STORE_DIR: storeDir, COMFY_SECRETS_STATE_DIR: path.join(scratch, 'state') };
  const args = [reliabilityCli, 'run', '--comfyui-dir', lane.tree.comfyuiDir, '--plugin', lane.tree.plugin, '--project', lane.tree.dir];
  const debris = () => [...tempDebris(lane.tree.comfyuiDir), ...(fs.existsSync(storeDir) ? tempDebris(storeDir) : [])];
  const recoverWithCli = () => {
    const which = Math.floor(rand() * lane.envs.length);
    const result = runReliabilityCli(args.slice(1), { ...where, ...lane.envs[which] });
    expect(result.status).toBe(0);
    figures.recoveryRuns += 1;
    expect(debris()).toEqual([]);
    expect(lane.tree.snapshot()).toEqual(lane.renders[which]);
  };
  try {
    const started = Date.now();
    await killAfter(args, { ...where, ...lane.envs[1] }, 30_000, false);
    const duration = Date.now() - started;
    for (let kill = 0; kill < CLI_KILLS; kill += 1) {
      const before = lane.tree.snapshot();
      // Most of a CLI run is start-up; aim the kills at its second half, where the writes are.
      const outcome = await killAfter(args, { ...where, ...lane.envs[kill % 2] }, Math.floor(duration * (0.4 + rand() * 0.7)), false);
      if (outcome === 'killed') figures.kills += 1;
      checkAfterKill(lane, before, debris);
      if (rand() < 0.3) recoverWithCli();
    }
    recoverWithCli();
  } finally {
    fs.rmSync(storeDir, { recursive: true, force: true });
  }
}, 90_000);
