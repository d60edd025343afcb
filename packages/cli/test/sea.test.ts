/**
 * The single executable (scripts/build-sea.mjs), built fresh into a temp dir and run where no Node can
 * be found: PATH is an empty directory and the environment holds nothing else of this machine's.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, tempTree } from '../../../test/helpers/cli';
import { configparserSections, pythonDotenvValues } from '../../../test/helpers/real-readers';

const canary = {
  HF_TOKEN: 'hf_FAKECANARY_sea_token_0001',
  AWS_ACCESS_KEY_ID: 'FAKECANARYSEAACCESS02',
  // Shaped like a real key (40 characters of the base64 alphabet), so its base64 form reads one way only.
  AWS_SECRET_ACCESS_KEY: 'FAKE/canary+sea/secret+0003/for/tests/0A',
  OPENAI_API_KEY: 'sk-FAKECANARY-sea-openai-0004',
};
const encoded = Buffer.from(canary.AWS_SECRET_ACCESS_KEY).toString('base64');
const platform = {
  CLOUD_PROVIDER: 'aws',
  AWS_ACCESS_KEY_ID: canary.AWS_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY_ENCODED: encoded,
  HF_TOKEN: canary.HF_TOKEN,
  OPENAI_API_KEY: canary.OPENAI_API_KEY,
  COMFYUI_MANAGER_NETWORK_MODE: 'offline',
  // A fresh Manager 3.33.5+ file needs it: with no file Manager decides use_uv from what its Python can import.
  COMFYUI_MANAGER_USE_UV: 'false',
};

function expectNoCanary(text: string): void {
  for (const value of [...Object.values(canary), encoded]) expect(text).not.toContain(value);
}

let work: ReturnType<typeof tempTree>;
let binary: string;
/** What the test gives as PATH: a directory with nothing in it, so no `node` is reachable. */
let emptyPath: string;

beforeAll(() => {
  work = tempTree();
  binary = path.join(work.dir, 'bin', 'comfy-secrets');
  emptyPath = path.join(work.dir, 'empty-path');
  fs.mkdirSync(emptyPath);
  const built = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/build-sea.mjs'), '--out', binary], { encoding: 'utf8', timeout: 180_000 });
  if (built.status !== 0) throw new Error(`build-sea failed: ${built.stdout}${built.stderr}`);
}, 200_000);
afterAll(() => work.cleanup());

/** A fresh copy of the demo tree's own files (not what `pnpm demo` wrote there), with eden_comfy_pipelines installed too. */
function demoTree(): { dir: string; cleanup: () => void } {
  const tree = tempTree();
  const source = path.join(repoRoot, 'examples/demo/ComfyUI');
  fs.cpSync(source, tree.dir, { recursive: true, filter: (file) => !path.basename(file).startsWith('.') && file !== path.join(source, 'user') && !fs.lstatSync(file).isSymbolicLink() });
  fs.mkdirSync(path.join(tree.dir, 'custom_nodes/eden_comfy_pipelines'));
  return tree;
}

/** examples/custom-sink as a user would lay out a third-party sink: its package.json and built module only. */
function thirdPartySink(into: string): string {
  const dir = path.join(into, 'eden-sink');
  fs.mkdirSync(path.join(dir, 'dist'), { recursive: true });
  fs.copyFileSync(path.join(repoRoot, 'examples/custom-sink/package.json'), path.join(dir, 'package.json'));
  fs.copyFileSync(path.join(repoRoot, 'examples/custom-sink/dist/index.js'), path.join(dir, 'dist/index.js'));
  return dir;
}

function runSea(file: string, args: readonly string[], cwd: string) {
  const result = spawnSync(file, args, {
    cwd,
    env: { PATH: emptyPath, ...platform, COMFY_SECRETS_STATE_DIR: path.join(cwd, 'state'), COMFY_SECRETS_STORE: 'disk' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, output: result.stdout + result.stderr, stdout: result.stdout };
}

describe('the single executable', () => {
  test('is one file that is no script: it runs with no node on PATH and prints its version', () => {
    expect(fs.readFileSync(binary).subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    const result = runSea(binary, ['--version'], work.dir);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(repoRoot, 'packages/cli/package.json'), 'utf8')).version);
  });

  test('carries the shipped sinks: run on a copy of the demo tree writes exact values that python-dotenv and configparser read back, and prints none', () => {
    const tree = demoTree();
    try {
      const result = runSea(binary, ['run', '--comfyui-dir', tree.dir, '--json'], work.dir);
      expect(result.status).toBe(0);
      const sinks = JSON.parse(result.stdout).sinks as Array<{ name: string; status: string }>;
      expect(sinks.filter((sink) => sink.status !== 'skipped').map((sink) => `${sink.name} ${sink.status}`)).toEqual(['comfyui-manager written', 'emprops_custom_nodes written']);
      // The node catalog is built in too; none of its nodes is in the demo tree.
      expect(sinks.map((sink) => sink.name)).toEqual(expect.arrayContaining(['comfy-cli', 'ComfyUI-fal-API', 'ComfyUI-Easy-Use', 'AlekPet-DeepTranslatorNode']));
      expect(pythonDotenvValues(path.join(tree.dir, 'custom_nodes/emprops_comfy_nodes/.env'))).toEqual({
        CLOUD_PROVIDER: 'aws',
        AWS_ACCESS_KEY_ID: canary.AWS_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: canary.AWS_SECRET_ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY_ENCODED: canary.AWS_SECRET_ACCESS_KEY.replaceAll('/', '_SLASH_'),
        HF_TOKEN: canary.HF_TOKEN,
      });
      expect(configparserSections(path.join(tree.dir, 'user/__manager/config.ini')).default).toEqual({ network_mode: 'offline', use_uv: 'False', file_logging: 'True' });
      // No sink for eden_comfy_pipelines is built in: it is only written when its plugin is loaded.
      expect(fs.existsSync(path.join(tree.dir, 'custom_nodes/eden_comfy_pipelines/.env'))).toBe(false);
      expectNoCanary(result.output);
    } finally {
      tree.cleanup();
    }
  });

  test('loads a third-party sink package from --plugin DIR (disk packages through createRequire)', () => {
    const tree = demoTree();
    try {
      const plugin = thirdPartySink(tree.dir);
      const result = runSea(binary, ['run', '--comfyui-dir', tree.dir, '--plugin', plugin], work.dir);
      expect(result.status).toBe(0);
      expect(pythonDotenvValues(path.join(tree.dir, 'custom_nodes/eden_comfy_pipelines/.env'))).toEqual({ OPENAI_API_KEY: canary.OPENAI_API_KEY });
      expect(pythonDotenvValues(path.join(tree.dir, 'custom_nodes/emprops_comfy_nodes/.env')).HF_TOKEN).toBe(canary.HF_TOKEN);
      expectNoCanary(result.output);
    } finally {
      tree.cleanup();
    }
  });

  test('loads every package in the plugins/ directory beside it, with no flag', () => {
    const tree = demoTree();
    const beside = tempTree();
    try {
      const copy = path.join(beside.dir, 'comfy-secrets');
      fs.copyFileSync(binary, copy);
      fs.chmodSync(copy, 0o755);
      fs.mkdirSync(path.join(beside.dir, 'plugins'));
      thirdPartySink(path.join(beside.dir, 'plugins'));
      const listed = runSea(copy, ['list', '--json'], work.dir);
      expect(listed.status).toBe(0);
      expect(JSON.parse(listed.stdout).sinks.map((sink: { name: string; plugin: string }) => `${sink.name} ${sink.plugin}`)).toEqual(
        expect.arrayContaining([
          'comfyui-manager @comfy-secrets/sink-comfyui-manager',
          `eden_comfy_pipelines ${path.join(beside.dir, 'plugins/eden-sink')}`,
          'emprops_custom_nodes @comfy-secrets/sink-emprops-custom-nodes',
        ]),
      );
      const result = runSea(copy, ['run', '--comfyui-dir', tree.dir], work.dir);
      expect(result.status).toBe(0);
      expect(pythonDotenvValues(path.join(tree.dir, 'custom_nodes/eden_comfy_pipelines/.env'))).toEqual({ OPENAI_API_KEY: canary.OPENAI_API_KEY });
      expectNoCanary(result.output + listed.output);
    } finally {
      tree.cleanup();
      beside.cleanup();
    }
  });

  test('reads -f env files as the bin does (the demo\'s .env.demo, its base64 secret decoded)', () => {
    const tree = demoTree();
    try {
      const result = runSea(binary, ['run', '--comfyui-dir', tree.dir, '-f', path.join(repoRoot, 'examples/demo/.env.demo'), '--override'], work.dir);
      expect(result.status).toBe(0);
      const read = pythonDotenvValues(path.join(tree.dir, 'custom_nodes/emprops_comfy_nodes/.env'));
      expect(read.HF_TOKEN).toBe('hf_FAKE_demo_token_not_real');
      expect(read.AWS_SECRET_ACCESS_KEY).toBe('fake/aws+secret/for/the/demo+only/000001');
      // The emprops node never reads it (eden_comfy_pipelines' sink writes it when installed).
      expect(read.OPENAI_API_KEY).toBeUndefined();
      expect(result.output).not.toContain('fake/aws+secret/for/the/demo+only/000001');
    } finally {
      tree.cleanup();
    }
  });

  test('a plugin with the name of a built-in sink is refused as a duplicate, exit 2', () => {
    const plugin = path.join(work.dir, 'dup.js');
    fs.writeFileSync(plugin, "module.exports = { name: 'emprops_custom_nodes', nodes: ['x'], file: '.env', format: { type: 'dotenv' }, variables: { A: {} } };\n");
    const result = runSea(binary, ['list', '--plugin', plugin], work.dir);
    expect(result.status).toBe(2);
    expect(result.output).toContain("Two sinks are named 'emprops_custom_nodes'");
  });
});
