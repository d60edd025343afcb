import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { documents, fencedBlocks, repoRoot, type FencedBlock } from './markdown';

// Every command the user documents show, run as shown: each ```sh block of README.md and docs/*.md
// runs under `bash -e -o pipefail` in a fresh copy of the checkout (node_modules linked to the built
// workspace's, so `comfy-secrets`, `pnpm exec comfy-secrets` and `pnpm demo` work as after setup),
// with its own HOME, TMPDIR and state directory. Only a block whose preceding line is
// `<!-- not run: REASON -->` is left out, and the reason is printed with the list of such blocks.

const blocks: FencedBlock[] = documents().flatMap((doc) => fencedBlocks(doc, fs.readFileSync(path.join(repoRoot, doc), 'utf8')));
const runnable = blocks.filter((block) => block.lang === 'sh' && block.notRun === undefined);
const notRun = blocks.filter((block) => block.notRun !== undefined);

/** Not copied: git, the single executable, test output, and the package links (linked instead). */
const skipped = new Set(['.git', 'node_modules', 'dist-sea', 'last-run']);

function nodeModulesDirs(dir: string, rel = ''): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === '.git') continue;
    const child = path.join(rel, entry.name);
    if (entry.name === 'node_modules') found.push(child);
    else if (!skipped.has(entry.name)) found.push(...nodeModulesDirs(dir, child));
  }
  return found;
}

function sandbox(): { root: string; work: string; env: Record<string, string> } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-docs-'));
  const work = path.join(root, 'checkout');
  fs.cpSync(repoRoot, work, { recursive: true, filter: (src) => !skipped.has(path.basename(src)) });
  // The built packages stay the workspace's: each node_modules is a link to the real one, so the
  // links pnpm made inside it (relative, e.g. ../../packages/cli) resolve in the real workspace.
  for (const rel of nodeModulesDirs(repoRoot)) fs.symlinkSync(path.join(repoRoot, rel), path.join(work, rel));
  for (const dir of ['home', 'tmp', 'state']) fs.mkdirSync(path.join(root, dir));
  return {
    root,
    work,
    env: {
      PATH: `${path.join(work, 'node_modules/.bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: path.join(root, 'home'),
      TMPDIR: path.join(root, 'tmp'),
      LANG: 'C.UTF-8',
      COMFY_SECRETS_STATE_DIR: path.join(root, 'state'),
      COMFY_SECRETS_STORE: 'disk',
    },
  };
}

test('every fenced block names its language (commands are sh; output and synopses text or console)', () => {
  expect(blocks.filter((block) => block.lang === '').map((block) => `${block.file}:${block.line}`)).toEqual([]);
});

test('the blocks left out say why', () => {
  for (const block of notRun) expect(block.notRun!.length).toBeGreaterThan(20);
  // Printed so that a reader of the test log sees what is not run here.
  console.log(`not run here:\n${notRun.map((b) => `  ${b.file}:${b.line}: ${b.notRun}`).join('\n')}`);
});

test('there are commands to run', () => {
  expect(runnable.length).toBeGreaterThan(5);
});

describe.each(runnable.map((block) => [`${block.file}:${block.line}`, block] as const))('%s', (_label, block) => {
  test('runs as shown and exits 0', () => {
    const box = sandbox();
    try {
      const result = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', block.body], { cwd: box.work, env: box.env, encoding: 'utf8', timeout: 170_000 });
      const output = `$ ${block.body}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
      expect({ status: result.status, signal: result.signal, output }).toEqual({ status: 0, signal: null, output });
    } finally {
      fs.rmSync(box.root, { recursive: true, force: true });
    }
  }, 180_000);
});
