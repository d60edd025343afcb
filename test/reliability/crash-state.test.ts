import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../helpers/cli';
import { prng, randomText, recordFigures, reliabilityCli, startCli, suiteSeed } from '../helpers/reliability';

/**
 * Crash-safe state: the built CLI's `run` (and sometimes its `clean`) is SIGKILLed at seeded random
 * moments, on the demo tree and on a 300-node config_nodes.json tree, with the disk and with the memory
 * store, over files that were there before (a baked-in `.env`, the user's `config.ini`). After the
 * kills, one complete `run` and one `clean` must leave the tree byte for byte as it was before the
 * first run (content, mode, no extra file), and no secret anywhere: not in the tree, the state
 * directory or the store directory.
 */
const SEED = suiteSeed(0x57a7_ec4a);
const KILLS_PER_LANE = 52;
const MAX_ROUNDS = 30;
/** Killed starts in a row before the complete run: each finds what the ones before left. */
const KILLS_PER_ROUND = 4;
const figures = { seed: SEED, kills: 0, killsDuringClean: 0, killsWithJournalOnDisk: 0, killsWithBackupOnDisk: 0, rounds: 0, lanes: 0 };

interface Lane {
  name: string;
  comfyuiDir: string;
  stateDir: string;
  storeDir: string;
  env: Record<string, string>;
  runArgs: string[];
  cleanArgs: string[];
  canaries: string[];
}

let scratch: string;
const lanes: Lane[] = [];

function write(file: string, text: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  fs.chmodSync(file, mode);
}

/** The demo tree (examples/demo/ComfyUI) with a baked-in `.env` and the user's own `config.ini`. */
function demoLane(rand: () => number, store: 'disk' | 'memory'): Lane {
  const dir = fs.mkdtempSync(path.join(scratch, `demo-${store}-`));
  const comfyuiDir = path.join(dir, 'ComfyUI');
  fs.cpSync(path.join(repoRoot, 'examples/demo/ComfyUI'), comfyuiDir, { recursive: true });
  write(path.join(comfyuiDir, 'custom_nodes/emprops_comfy_nodes/.env'), 'HF_TOKEN=hf_FAKE_baked_into_the_image\nMY_SETTING=kept\n');
  write(path.join(comfyuiDir, 'user/__manager/config.ini'), '[default]\n; the user\'s own\nsecurity_level = weak\ngit_exe = /opt/git\n', 0o664);
  const canary = (prefix: string) => `${prefix}${randomText(rand, 24)}`;
  // Shaped like an AWS secret key (40 characters, one '/'), handed over in emp-job-queue's _SLASH_ form.
  const awsSecret = `FAKEaws/${randomText(rand, 32)}`;
  const secrets = { AWS_ACCESS_KEY_ID: canary('AKIAFAKE'), HF_TOKEN: canary('hf_FAKE'), CIVITAI_TOKEN: canary('civitaiFAKE'), OPENAI_API_KEY: canary('sk-FAKE') };
  const env = { ...secrets, AWS_SECRET_ACCESS_KEY_ENCODED: awsSecret.replace('/', '_SLASH_'), CLOUD_PROVIDER: 'aws', AWS_DEFAULT_REGION: 'us-east-1', CLOUD_STORAGE_CONTAINER: 'demo-bucket', COMFYUI_MANAGER_SECURITY_LEVEL: 'normal' };
  return lane(`demo/${store}`, dir, comfyuiDir, store, env, [...Object.values(secrets), awsSecret], ['--no-config-nodes']);
}

/** 300 installed nodes declared in a config_nodes.json, one secret each; every seventh has a `.env` already. */
function configNodesLane(rand: () => number, store: 'disk' | 'memory'): Lane {
  const dir = fs.mkdtempSync(path.join(scratch, `config-nodes-${store}-`));
  const comfyuiDir = path.join(dir, 'ComfyUI');
  const env: Record<string, string> = {};
  const nodes = Array.from({ length: 300 }, (_, i) => {
    const name = `cn_node_${String(i).padStart(3, '0')}`;
    write(path.join(comfyuiDir, 'custom_nodes', name, '__init__.py'), '');
    if (i % 7 === 0) write(path.join(comfyuiDir, 'custom_nodes', name, '.env'), `USER_OWN_${i}=baked\n`, 0o640);
    env[`CN_SECRET_${i}`] = `cnFAKE${randomText(rand, 24)}`;
    return { name, env: { API_KEY: `\${CN_SECRET_${i}}`, MODE: 'prod' } };
  });
  const configNodes = path.join(dir, 'config_nodes.json');
  fs.writeFileSync(configNodes, JSON.stringify({ custom_nodes: nodes }));
  return lane(`config-nodes/${store}`, dir, comfyuiDir, store, env, Object.values(env), ['--config-nodes', configNodes]);
}

function lane(name: string, dir: string, comfyuiDir: string, store: 'disk' | 'memory', secrets: Record<string, string>, canaries: string[], extra: string[]): Lane {
  const storeDir = path.join(fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'comfy-secrets-crash-state-')), 'store');
  const stateDir = path.join(dir, 'state');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', COMFY_SECRETS_STATE_DIR: stateDir, COMFY_SECRETS_STORE_DIR: storeDir, COMFY_SECRETS_STORE: store, ...secrets };
  return { name, comfyuiDir, stateDir, storeDir, env, runArgs: ['run', '--comfyui-dir', comfyuiDir, '--project', repoRoot, ...extra], cleanArgs: ['clean', '--comfyui-dir', comfyuiDir], canaries };
}

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-crash-state-'));
  const rand = prng(SEED);
  lanes.push(demoLane(rand, 'disk'), demoLane(rand, 'memory'), configNodesLane(rand, 'disk'), configNodesLane(rand, 'memory'));
});
afterAll(() => {
  for (const { storeDir } of lanes) fs.rmSync(path.dirname(storeDir), { recursive: true, force: true, maxRetries: 5 });
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 5 });
  recordFigures('crash-state', figures);
});

/** Every directory, file and link under `dir`: kind, mode and bytes. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of fs.readdirSync(dir, { recursive: true }).map(String).sort()) {
    const file = path.join(dir, name);
    const stat = fs.lstatSync(file);
    const mode = (stat.mode & 0o7777).toString(8);
    if (stat.isSymbolicLink()) out.set(name, `link -> ${fs.readlinkSync(file)}`);
    else if (stat.isDirectory()) out.set(name, `dir ${mode}`);
    else out.set(name, `file ${mode} ${stat.uid}:${stat.gid} ${fs.readFileSync(file).toString('base64')}`);
  }
  return out;
}

/** The files under `dir` (if it exists) that hold a canary, raw or base64 (at any of the three alignments). */
function secretsLeftIn(dir: string, canaries: readonly string[]): string[] {
  if (!fs.existsSync(dir)) return [];
  const forms = canaries.flatMap((canary) => [canary, ...[0, 1, 2].map((pad) => Buffer.from(`${'x'.repeat(pad)}${canary}`).toString('base64').slice(Math.ceil((pad * 4) / 3) + 1, -4))]);
  const found: string[] = [];
  for (const name of fs.readdirSync(dir, { recursive: true }).map(String)) {
    const file = path.join(dir, name);
    if (!fs.lstatSync(file).isFile()) continue;
    const text = fs.readFileSync(file, 'latin1');
    if (forms.some((form) => text.includes(form))) found.push(file);
  }
  return found;
}

/** Starts the CLI and SIGKILLs it after `delayMs`; 'finished' when it ended first (exit 0 or 1 only). */
function killAfter(args: string[], env: Record<string, string>, delayMs: number): Promise<'killed' | 'finished'> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [reliabilityCli, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve('killed');
      // A killed run's state (stale lock, journal) must not make the next one fail.
      else if (code === 0) resolve('finished');
      else reject(new Error(`${args[0]} ended with ${code ?? signal}: ${stderr}`));
    });
  });
}

function afterKill(lane: Lane): void {
  figures.kills += 1;
  if (fs.existsSync(path.join(lane.stateDir, 'intents.jsonl'))) figures.killsWithJournalOnDisk += 1;
  if (fs.existsSync(path.join(lane.stateDir, 'backups')) && fs.readdirSync(path.join(lane.stateDir, 'backups')).length > 0) figures.killsWithBackupOnDisk += 1;
}

test(`SIGKILLs of run and clean (${KILLS_PER_LANE} per lane: demo and 300-node config_nodes.json trees, disk and memory store), then run + clean: the tree byte-identical to before, no secret left on disk`, async () => {
  await Promise.all(
    lanes.map(async (lane, index) => {
      const rand = prng(SEED + 1 + index);
      const before = snapshot(lane.comfyuiDir);
      const started = Date.now();
      const first = await startCli(lane.runArgs, lane.env);
      const measured = Date.now() - started;
      expect([lane.name, first.status, first.stderr]).toEqual([lane.name, 0, expect.any(String)]);
      expect((await startCli(lane.cleanArgs, lane.env)).status).toBe(0);
      expect(snapshot(lane.comfyuiDir)).toEqual(before);

      let kills = 0;
      // How long a complete run takes now (the machine's load changes): kills are aimed within it.
      let duration = measured;
      const aim = () => Math.floor(duration * (0.25 + rand() * 0.75));
      for (let round = 0; kills < KILLS_PER_LANE && round < MAX_ROUNDS; round += 1) {
        // Killed starts in a row; one that finished before its kill is not counted, and tried again.
        for (let killed = 0, tries = 0; killed < KILLS_PER_ROUND && tries < 3 * KILLS_PER_ROUND; tries += 1) {
          if ((await killAfter(lane.runArgs, lane.env, aim())) === 'killed') {
            killed += 1;
            kills += 1;
            afterKill(lane);
          }
        }
        if (rand() < 0.4) {
          expect((await startCli(lane.runArgs, lane.env)).status).toBe(0);
          if ((await killAfter(lane.cleanArgs, lane.env, Math.floor(aim() * 0.8))) === 'killed') {
            kills += 1;
            figures.killsDuringClean += 1;
            afterKill(lane);
          }
        }
        const runStarted = Date.now();
        const run = await startCli(lane.runArgs, lane.env);
        duration = (duration + (Date.now() - runStarted)) / 2;
        expect([lane.name, round, run.status, run.stderr.includes('error')]).toEqual([lane.name, round, 0, false]);
        const clean = await startCli(lane.cleanArgs, lane.env);
        expect([lane.name, round, clean.status, clean.stdout.includes('kept')]).toEqual([lane.name, round, 0, false]);

        const after = snapshot(lane.comfyuiDir);
        const differences = [...new Set([...before.keys(), ...after.keys()])].filter((name) => before.get(name) !== after.get(name));
        expect([lane.name, round, differences]).toEqual([lane.name, round, []]);
        expect([lane.name, round, [lane.comfyuiDir, lane.stateDir, lane.storeDir].flatMap((dir) => secretsLeftIn(dir, lane.canaries))]).toEqual([lane.name, round, []]);
        figures.rounds += 1;
      }
      expect(kills).toBeGreaterThanOrEqual(KILLS_PER_LANE);
      figures.lanes += 1;
    }),
  );
}, 600_000);
