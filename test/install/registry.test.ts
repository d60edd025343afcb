/**
 * The packages as a user gets them: every publishable package is published with `pnpm publish -r` to a
 * real registry (verdaccio on 127.0.0.1, its storage in a temp dir, no uplink), then installed with npm
 * in an empty directory outside the workspace. Only the `@comfy-secrets` scope is sent to verdaccio; the
 * rest (tsyringe, winston, jest, …) comes from the usual registry, as it would for a user.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../helpers/cli';
import { configparserSections, pythonDotenvValues } from '../helpers/real-readers';

const SCOPE = '@comfy-secrets';
const PUBLISHED = ['core', 'cli', 'testing', 'sink-comfyui-manager', 'sink-config-nodes', 'sink-emprops-custom-nodes'].map((name) => `${SCOPE}/${name}`);
const STEP_TIMEOUT = 240_000;

interface Registry {
  url: string;
  npmrc: string;
  process: ChildProcess;
}

let work: string;
let registry: Registry | undefined;

/** Verdaccio takes no port 0: a port the kernel just handed out, free again once the probe closes. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function startRegistry(dir: string): Promise<Registry> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  fs.mkdirSync(dir, { recursive: true });
  const config = path.join(dir, 'config.yaml');
  // No uplinks: nothing asked of this registry is fetched from anywhere else. Publishing needs a user
  // (npm refuses to publish without a token), made below through the registry's own htpasswd plugin.
  fs.writeFileSync(
    config,
    [
      `storage: ${JSON.stringify(path.join(dir, 'storage'))}`,
      'auth:',
      '  htpasswd:',
      `    file: ${JSON.stringify(path.join(dir, 'htpasswd'))}`,
      '    max_users: 1',
      'uplinks: {}',
      'packages:',
      "  '**':",
      '    access: $all',
      '    publish: $authenticated',
      'web:',
      '  enable: false',
      `listen: 127.0.0.1:${port}`,
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const log = fs.openSync(path.join(dir, 'verdaccio.log'), 'a');
  // Its own process group, so afterAll can end it and anything it started in one kill.
  const child = spawn(process.execPath, [path.join(repoRoot, 'node_modules/verdaccio/bin/verdaccio'), '--config', config], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
  });
  fs.closeSync(log);
  const started: Registry = { url, npmrc: path.join(dir, 'npmrc'), process: child };
  registry = started;

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited ${child.exitCode}:\n${fs.readFileSync(path.join(dir, 'verdaccio.log'), 'utf8')}`);
    const up = await fetch(`${url}-/ping`).then((response) => response.ok, () => false);
    if (up) break;
    if (Date.now() > deadline) throw new Error(`verdaccio did not answer on ${url} within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  const response = await fetch(`${url}-/user/org.couchdb.user:publisher`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'publisher', password: 'throwaway-test-password' }),
  });
  const { token } = (await response.json()) as { token?: string };
  if (!response.ok || !token) throw new Error(`verdaccio did not create the test user (HTTP ${response.status})`);
  // A user config of its own: the scope and the token for this registry only, nothing of the machine's ~/.npmrc.
  const host = url.replace(/^http:/, '');
  fs.writeFileSync(started.npmrc, `${SCOPE}:registry=${url}\n${host}:_authToken=${token}\nfund=false\naudit=false\nupdate-notifier=false\n`);
  return started;
}

async function stopRegistry(): Promise<void> {
  const child = registry?.process;
  registry = undefined;
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  kill('SIGTERM');
  const timer = setTimeout(() => kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * A child with a clean environment: PATH without the workspace's node_modules/.bin (which `pnpm test`
 * puts first), the registry's user config, the machine's npm cache.
 */
function sh(command: string, args: readonly string[], cwd: string, env: Record<string, string> = {}) {
  const pathDirs = (process.env.PATH ?? '/usr/bin:/bin').split(':').filter((dir) => dir && !path.resolve(dir).startsWith(repoRoot));
  const result = spawnSync(command, args, {
    cwd,
    env: {
      PATH: pathDirs.join(':'),
      HOME: process.env.HOME ?? os.homedir(),
      NPM_CONFIG_USERCONFIG: registry?.npmrc ?? '/dev/null',
      CI: 'true',
      ...env,
    },
    encoding: 'utf8',
    timeout: STEP_TIMEOUT,
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `$ ${command} ${args.join(' ')} (in ${cwd}) → ${result.status ?? result.signal}\n${result.stdout}\n${result.stderr}`;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, output };
}

function expectOk(result: ReturnType<typeof sh>): void {
  // The whole output in the failure message: an install that fails is only debuggable from it.
  if (result.status !== 0) throw new Error(result.output);
}

/** Where npm took each installed package from: package-lock.json's `resolved`, by install path. */
function lockedFrom(dir: string): Record<string, string | undefined> {
  const lock = JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string }> };
  return Object.fromEntries(Object.entries(lock.packages).map(([at, entry]) => [at, entry.resolved]));
}

/** The demo's own ComfyUI tree (not what `pnpm demo` wrote into it), plus the node the example sink serves. */
function copyDemoTree(to: string): string {
  const from = path.join(repoRoot, 'examples/demo/ComfyUI');
  const own = (file: string) => !fs.lstatSync(file).isSymbolicLink() && !path.basename(file).startsWith('.') && file !== path.join(from, 'user');
  fs.cpSync(from, to, { recursive: true, filter: own });
  fs.mkdirSync(path.join(to, 'custom_nodes/eden_comfy_pipelines'));
  return to;
}

const FAKE = {
  CLOUD_PROVIDER: 'aws',
  AWS_ACCESS_KEY_ID: 'AKIAFAKEREGISTRYTEST',
  // Shaped like a key (40 characters of the base64 alphabet): its base64 form reads one way only.
  AWS_SECRET_ACCESS_KEY_ENCODED: Buffer.from('fake/secret+from/the+registry/test/00001').toString('base64'),
  AWS_DEFAULT_REGION: 'eu-west-1',
  HF_TOKEN: 'hf_FAKE_registry_token',
  OPENAI_API_KEY: "sk-FAKE-registry-#hash 'quoted'",
  COMFYUI_MANAGER_SECURITY_LEVEL: 'normal',
  COMFYUI_MANAGER_NETWORK_MODE: 'offline',
  // A fresh tree has no config.ini: Manager 3.33.5+ would choose uv by itself, so the sink wants it said.
  COMFYUI_MANAGER_USE_UV: 'true',
};

let project: string;
let exampleTarball: string;

beforeAll(async () => {
  for (const name of PUBLISHED) {
    const dir = name.startsWith(`${SCOPE}/sink-`) ? `plugins/${name.slice(SCOPE.length + 6)}` : `packages/${name.slice(SCOPE.length + 1)}`;
    if (!fs.existsSync(path.join(repoRoot, dir, 'dist'))) throw new Error(`${dir} is not built: run \`pnpm build\` (pnpm test does)`);
  }
  // Outside the workspace, so nothing resolves through the workspace's node_modules.
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-registry-'));
  const reg = await startRegistry(path.join(work, 'registry'));

  // Every package that is not private; pnpm replaces the workspace: ranges as it publishes. The
  // registry flag and npm_config_registry both name verdaccio, so nothing can go anywhere else.
  expectOk(sh('pnpm', ['-r', 'publish', '--registry', reg.url, '--no-git-checks'], repoRoot, { npm_config_registry: reg.url }));

  // The example third-party sink is private (a walkthrough, not ours to publish): installed from its tarball.
  const packs = path.join(work, 'packs');
  fs.mkdirSync(packs);
  expectOk(sh('pnpm', ['pack', '--pack-destination', packs], path.join(repoRoot, 'examples/custom-sink')));
  exampleTarball = path.join(packs, fs.readdirSync(packs).find((file) => file.endsWith('.tgz')) ?? 'missing.tgz');

  project = path.join(work, 'image');
  fs.mkdirSync(project);
  expectOk(sh('npm', ['init', '-y'], project));
  expectOk(sh('npm', ['install', `${SCOPE}/cli`, `${SCOPE}/sink-emprops-custom-nodes`, `${SCOPE}/sink-comfyui-manager`, exampleTarball], project));
}, 2 * STEP_TIMEOUT);

afterAll(async () => {
  await stopRegistry();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('installed from a registry, outside the workspace', () => {
  test('every package is on the registry with its declarations and no sources', () => {
    for (const name of PUBLISHED) {
      const view = sh('npm', ['view', name, 'name', 'version', 'types', 'dist.tarball', '--json'], project);
      expectOk(view);
      const manifest = JSON.parse(view.stdout) as { name: string; version: string; types?: string; 'dist.tarball': string };
      expect(manifest.name).toBe(name);
      expect(manifest['dist.tarball'].startsWith(registry!.url)).toBe(true);
      if (name !== `${SCOPE}/cli`) expect(manifest.types).toBe('./dist/index.d.ts');
    }
    const core = path.join(project, 'node_modules', SCOPE, 'core');
    expect(fs.existsSync(path.join(core, 'dist/contract.d.ts'))).toBe(true);
    expect(fs.existsSync(path.join(core, 'src'))).toBe(false);
    expect(fs.existsSync(path.join(core, 'LICENSE'))).toBe(true);
    // Only the scope came from verdaccio; everything else from the usual registry, as for a user.
    const resolved = lockedFrom(project);
    expect(resolved[`node_modules/${SCOPE}/cli`]?.startsWith(registry!.url)).toBe(true);
    expect(resolved[`node_modules/${SCOPE}/core`]?.startsWith(registry!.url)).toBe(true);
    expect(resolved['node_modules/tsyringe']?.startsWith(registry!.url)).toBe(false);
    // Published ranges, not pnpm's workspace: protocol.
    const sink = JSON.parse(fs.readFileSync(path.join(project, 'node_modules', SCOPE, 'sink-emprops-custom-nodes/package.json'), 'utf8')) as { peerDependencies: Record<string, string> };
    expect(sink.peerDependencies[`${SCOPE}/core`]).toMatch(/^\^\d+\.\d+\.\d+$/);
  }, STEP_TIMEOUT);

  test('npx comfy-secrets list finds the shipped sinks and the third-party one among the project dependencies', () => {
    const list = sh('npx', ['comfy-secrets', 'list', '--json'], project);
    expectOk(list);
    const names = (JSON.parse(list.stdout) as { sinks: Array<{ name: string }> }).sinks.map((sink) => sink.name).sort();
    expect(names).toEqual(['comfyui-manager', 'eden_comfy_pipelines', 'emprops_custom_nodes']);
  }, STEP_TIMEOUT);

  test('npx comfy-secrets run writes a copy of the demo tree, read back by python-dotenv and configparser', () => {
    const comfyui = copyDemoTree(path.join(work, 'ComfyUI'));
    const run = sh('npx', ['comfy-secrets', 'run', '--comfyui-dir', comfyui, '--state-dir', path.join(work, 'state'), '--json'], project, { ...FAKE, COMFY_SECRETS_STORE: 'disk' });
    expectOk(run);
    const report = JSON.parse(run.stdout) as { exitCode: number; sinks: Array<{ name: string; status: string }> };
    expect(report.sinks.map((sink) => [sink.name, sink.status]).sort()).toEqual([
      ['comfyui-manager', 'written'],
      ['eden_comfy_pipelines', 'written'],
      ['emprops_custom_nodes', 'written'],
    ]);

    const emprops = pythonDotenvValues(path.join(comfyui, 'custom_nodes/emprops_comfy_nodes/.env'));
    expect(emprops).toMatchObject({
      CLOUD_PROVIDER: 'aws',
      AWS_ACCESS_KEY_ID: FAKE.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: 'fake/secret+from/the+registry/test/00001',
      AWS_DEFAULT_REGION: FAKE.AWS_DEFAULT_REGION,
      HF_TOKEN: FAKE.HF_TOKEN,
    });
    // The emprops node never reads it: only eden_comfy_pipelines gets it.
    expect(emprops).not.toHaveProperty('OPENAI_API_KEY');
    expect(pythonDotenvValues(path.join(comfyui, 'custom_nodes/eden_comfy_pipelines/.env'))).toEqual({ OPENAI_API_KEY: FAKE.OPENAI_API_KEY });
    expect(configparserSections(path.join(comfyui, 'user/__manager/config.ini')).default).toMatchObject({ security_level: 'normal', network_mode: 'offline', use_uv: 'True', file_logging: 'True' });
    // The report names variables, never values.
    for (const value of [FAKE.AWS_ACCESS_KEY_ID, FAKE.HF_TOKEN, FAKE.OPENAI_API_KEY, 'fake-secret-from-the-registry-test']) {
      expect(run.stdout.includes(value) || run.stderr.includes(value)).toBe(false);
    }
  }, STEP_TIMEOUT);

  test('a sink made by npx comfy-secrets new-sink installs, passes its test, type-checks and builds against the registry, and runs', () => {
    const author = path.join(work, 'author');
    fs.mkdirSync(author);
    const dir = path.join(author, 'comfy-secrets-sink-x');
    expectOk(sh('npx', ['comfy-secrets', 'new-sink', 'x', '--dir', dir], project));

    expectOk(sh('npm', ['install'], dir));
    expect(lockedFrom(dir)[`node_modules/${SCOPE}/testing`]?.startsWith(registry!.url)).toBe(true);
    const installed = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', SCOPE, 'core/package.json'), 'utf8')) as { types: string };
    expect(installed.types).toBe('./dist/index.d.ts');

    const test = sh('npm', ['test'], dir);
    expectOk(test);
    expect(test.stderr).toMatch(/Tests:\s+3 passed, 3 total/);
    const typecheck = sh('npx', ['tsc', '--noEmit'], dir);
    expectOk(typecheck);
    expect(typecheck.stdout).toBe('');
    expectOk(sh('npm', ['run', 'build'], dir));

    const comfyui = path.join(work, 'ComfyUI-x');
    fs.mkdirSync(path.join(comfyui, 'custom_nodes/x'), { recursive: true });
    const run = sh('npx', ['comfy-secrets', 'run', '--plugin', dir, '--only', 'x', '--comfyui-dir', comfyui, '--state-dir', path.join(work, 'state-x')], project, { X_API_KEY: 'FAKE_x_key', COMFY_SECRETS_STORE: 'disk' });
    expectOk(run);
    expect(pythonDotenvValues(path.join(comfyui, 'custom_nodes/x/.env'))).toEqual({ X_API_KEY: 'FAKE_x_key', X_REGION: 'eu-west-1' });
  }, 2 * STEP_TIMEOUT);
});
