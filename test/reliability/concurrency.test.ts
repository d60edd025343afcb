import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliEnv, prng, recordFigures, startCli, suiteSeed } from '../helpers/reliability';
import { tempDebris } from '../helpers/temp-files';
import { expectedReads, modes, readTargets, rewriteTree, valueSet, type RewriteTree } from './fixtures/rewrite-tree';

/**
 * Concurrency: several runners started at once on the same tree, each with its own values, end with
 * every file equal to one complete render of one of them — nothing mixed, nothing corrupt, no temp
 * files left — whatever order their writes land in.
 */
const SEED = suiteSeed(0xc0c0_2024);
const ROUNDS = 4;
const figures = { seed: SEED, rounds: 0, runnersStarted: 0 };

let tree: RewriteTree;
let storeDir: string;
let where: Record<string, string>;
let args: string[];

beforeAll(() => {
  tree = rewriteTree();
  // The CLI's memory store, when the machine has one, kept apart from the machine's own.
  storeDir = path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), `comfy-secrets-concurrency-${process.pid}`);
  where = { COMFY_SECRETS_STORE_DIR: storeDir, COMFY_SECRETS_STATE_DIR: path.join(tree.dir, 'state') };
  args = ['run', '--comfyui-dir', tree.comfyuiDir, '--plugin', tree.plugin, '--project', tree.dir];
});
afterAll(() => {
  tree.cleanup();
  fs.rmSync(storeDir, { recursive: true, force: true });
  recordFigures('concurrency', figures);
});

describe.each([2, 4])('%i runners at once', (count) => {
  test(`${ROUNDS} rounds end with every file one complete render, 0600, and no temp files`, async () => {
    const rand = prng(SEED + count);
    for (let round = 0; round < ROUNDS; round += 1) {
      const envs = Array.from({ length: count }, () => valueSet(rand));

      const results = await Promise.all(envs.map((env) => startCli(args, cliEnv({ ...where, ...env }))));
      figures.runnersStarted += count;
      figures.rounds += 1;

      for (const result of results) expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({ status: 0, stderr: '' });
      // Whichever runner won a file, its reader reads exactly that runner's values (64 KiB each): a
      // torn or interleaved file cannot.
      const reads = readTargets(tree.comfyuiDir);
      reads.forEach((read, target) => expect(envs.map((env) => expectedReads(env)[target])).toContainEqual(read));
      expect(modes(tree.comfyuiDir)).toEqual([0o600, 0o600, 0o600]);
      expect(tempDebris(tree.comfyuiDir)).toEqual([]);
      if (fs.existsSync(storeDir)) expect(tempDebris(storeDir)).toEqual([]);
    }
  }, 90_000);
});
