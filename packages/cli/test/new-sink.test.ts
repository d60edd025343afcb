import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, runCli, tempTree } from '../../../test/helpers/cli';
import { pythonDotenvValues } from '../../../test/helpers/real-readers';

/** Runs one of the generated package's npm scripts the way npm would: sh -c, with the workspace's tools on PATH. */
function npmScript(dir: string, script: string) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  return spawnSync('sh', ['-c', manifest.scripts[script]!], {
    cwd: dir,
    env: { PATH: `${path.join(repoRoot, 'node_modules/.bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`, CI: 'true' },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

/** What `npm install` would provide, linked from the workspace: the comfy-secrets packages and jest's transform. */
function linkDependencies(dir: string): void {
  const links: Record<string, string> = {
    '@comfy-secrets/core': 'packages/core',
    '@comfy-secrets/testing': 'packages/testing',
    '@swc/jest': 'node_modules/@swc/jest',
    '@types/jest': 'node_modules/@types/jest',
    '@types/node': 'node_modules/@types/node',
  };
  for (const [name, target] of Object.entries(links)) {
    const link = path.join(dir, 'node_modules', name);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(fs.realpathSync(path.join(repoRoot, target)), link);
  }
}

describe('comfy-secrets new-sink', () => {
  let tree: ReturnType<typeof tempTree>;
  beforeEach(() => {
    tree = tempTree();
  });
  afterEach(() => tree.cleanup());

  test('the generated package builds, passes its own test and is loaded by the CLI, without edits', () => {
    const dir = path.join(tree.dir, 'pkg');
    const created = runCli(['new-sink', 'acme-node', '--dir', dir]);
    expect(created.status).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))).toMatchObject({ name: 'comfy-secrets-sink-acme-node', comfySecrets: { sink: './dist/index.js' } });
    linkDependencies(dir);

    const build = npmScript(dir, 'build');
    expect(build.status).toBe(0);
    expect(fs.existsSync(path.join(dir, 'dist/index.js'))).toBe(true);

    // Against core's and testing's built declarations (their `types`), under the package's own tsconfig.
    const typecheck = npmScript(dir, 'typecheck');
    expect(typecheck.stdout).toBe('');
    expect(typecheck.status).toBe(0);

    const test = npmScript(dir, 'test');
    expect(test.stderr).toMatch(/Tests:\s+3 passed, 3 total/);
    expect(test.status).toBe(0);

    fs.mkdirSync(path.join(tree.dir, 'ComfyUI/custom_nodes/acme-node'), { recursive: true });
    const run = runCli(['run', '--plugin', dir, '--project', tree.dir, '--comfyui-dir', path.join(tree.dir, 'ComfyUI')], { env: { ACME_NODE_API_KEY: 'FAKE_acme_key' } });
    expect(run.status).toBe(0);
    expect(pythonDotenvValues(path.join(tree.dir, 'ComfyUI/custom_nodes/acme-node/.env'))).toEqual({ ACME_NODE_API_KEY: 'FAKE_acme_key', ACME_NODE_REGION: 'eu-west-1' });
  }, 180_000);

  test('refuses a directory that is not empty, exit 2, and writes nothing', () => {
    fs.writeFileSync(path.join(tree.dir, 'keep.txt'), 'mine');
    const result = runCli(['new-sink', 'acme', '--dir', tree.dir]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('is not empty');
    expect(fs.readdirSync(tree.dir)).toEqual(['keep.txt']);
  });

  test('refuses a name that is not a directory name, exit 2', () => {
    const result = runCli(['new-sink', '../evil', '--dir', path.join(tree.dir, 'x')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('new-sink NAME must be a custom node directory name');
  });
});
