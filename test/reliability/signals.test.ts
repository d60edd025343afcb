import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot as repoRootPath, tempTree } from '../helpers/cli';
import { cliEnv, prng, recordFigures, reliabilityCli, suiteSeed, writePlugin } from '../helpers/reliability';

/**
 * Signals: `comfy-secrets exec` under SIGTERM, SIGINT and SIGHUP storms. The command gets each kind of
 * signal, the wrapper never exits before it (and exits with its code), and the files are cleaned.
 */
const SEED = suiteSeed(0x5167_a1a5);
const STORM = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
const figures = { seed: SEED, storms: 0, signalsSent: 0 };

// The command: records every signal it gets, and exits (code 7) a while after the first one, as a
// server finishing its requests would. Until then it keeps running whatever it is sent.
const COMMAND = `
const fs = require('node:fs');
const log = process.argv[2];
let first;
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => {
  fs.appendFileSync(log, signal + '\\n');
  if (first === undefined) first = setTimeout(() => { fs.appendFileSync(log, 'exiting\\n'); process.exit(7); }, 600);
});
fs.appendFileSync(log, 'ready\\n');
setInterval(() => {}, 1000);
`;

let tree: ReturnType<typeof tempTree>;
beforeEach(() => {
  tree = tempTree({ 'ComfyUI/custom_nodes/sig_node/__init__.py': '', 'command.js': COMMAND });
});
afterEach(() => tree.cleanup());
afterAll(() => recordFigures('signals', figures));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  for (const started = Date.now(); !check(); await sleep(10)) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
  }
}

test.each([1, 2, 3])('storm %i: the command gets every kind of signal, the wrapper outlives it, exits with its code and cleans up', async (storm) => {
  const rand = prng(SEED + storm);
  const comfyuiDir = path.join(tree.dir, 'ComfyUI');
  const log = path.join(tree.dir, 'signals.log');
  const target = path.join(comfyuiDir, 'custom_nodes/sig_node/.env');
  const plugin = writePlugin(tree.dir, 'sinks', `[{ name: 'sig', nodes: ['sig_node'], variables: { SIG_TOKEN: {} } }]`);
  const env = cliEnv({ SIG_TOKEN: 'hf_FAKE_signal_token', COMFY_SECRETS_STATE_DIR: path.join(tree.dir, 'state'), COMFY_SECRETS_STORE_DIR: path.join(tree.dir, 'store') });
  const args = [reliabilityCli, 'exec', '--store', 'disk', '--comfyui-dir', comfyuiDir, '--plugin', plugin, '--project', tree.dir, '--', process.execPath, path.join(tree.dir, 'command.js'), log];
  const wrapper = spawn(process.execPath, args, { cwd: repoRootPath, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  wrapper.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  wrapper.stdout.resume();
  const exited = new Promise<{ code: number | null; commandHadExited: boolean }>((resolve) =>
    wrapper.on('exit', (code) => resolve({ code, commandHadExited: fs.readFileSync(log, 'utf8').includes('exiting') })),
  );

  await waitFor(() => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('ready'), 'the command to start');
  expect(fs.readFileSync(target, 'utf8')).toContain('hf_FAKE_signal_token');

  // Every kind once, then a seeded random storm, a few milliseconds apart.
  const sent = [...STORM, ...Array.from({ length: 27 }, () => STORM[Math.floor(rand() * STORM.length)]!)];
  for (const signal of sent) {
    if (wrapper.exitCode !== null) break;
    wrapper.kill(signal);
    figures.signalsSent += 1;
    await sleep(2 + Math.floor(rand() * 8));
  }
  const { code, commandHadExited } = await exited;
  figures.storms += 1;

  expect({ code, stderr: code === 7 ? '' : stderr }).toEqual({ code: 7, stderr: '' });
  expect(commandHadExited).toBe(true);
  const received = new Set(fs.readFileSync(log, 'utf8').split('\n'));
  for (const signal of STORM) expect(received).toContain(signal);
  expect(fs.existsSync(target)).toBe(false);
}, 30_000);
