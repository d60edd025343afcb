/**
 * `pnpm test:container`: the example Dockerfile built from this checkout and run in a real engine
 * (podman, set up by scripts/setup-podman.sh). The image's ComfyUI is the stand-in of
 * examples/container/comfyui: its main.py loads the emprops node (load_dotenv(.env, override=False))
 * and reads Manager's config.ini with configparser, then prints one report line with the SHA-256 of
 * every value it read, never a value. Every container runs with --network none; the build uses
 * --network host only for its package installs (npm registry, Debian).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repoRoot = path.resolve(__dirname, '../..');
const id = `${process.pid}-${randomBytes(3).toString('hex')}`;
const IMAGE = `localhost/comfy-secrets-test:${id}`;
const PM2_IMAGE = `localhost/comfy-secrets-test:pm2-${id}`;
const containers: string[] = [];
const images: string[] = [IMAGE, PM2_IMAGE];

// Canaries, fresh per run: obviously fake, and holding the characters platforms and dotenv files get wrong.
const token = randomBytes(6).toString('hex');
const canary = {
  AWS_ACCESS_KEY_ID: `FAKECANARYKEY${token.toUpperCase()}`,
  // Shaped like a real key (40 characters of the base64 alphabet), so its base64 form reads one way only.
  AWS_SECRET_ACCESS_KEY: `FAKE/canary+${token}/secret+key/0000`,
  HF_TOKEN: `hf_FAKECANARY_${token}`,
  CIVITAI_TOKEN: `civitai-FAKECANARY-${token}`,
  OPENAI_API_KEY: `sk-FAKECANARY-${token}-#hash $dollar`,
};
const secretEnv = {
  CLOUD_PROVIDER: 'aws',
  AWS_ACCESS_KEY_ID: canary.AWS_ACCESS_KEY_ID,
  // Given base64-encoded, as SALAD users do: the .env gets the decoded value, which the process did not have.
  AWS_SECRET_ACCESS_KEY_ENCODED: Buffer.from(canary.AWS_SECRET_ACCESS_KEY).toString('base64'),
  HF_TOKEN: canary.HF_TOKEN,
  CIVITAI_TOKEN: canary.CIVITAI_TOKEN,
  OPENAI_API_KEY: canary.OPENAI_API_KEY,
  COMFYUI_MANAGER_NETWORK_MODE: 'offline',
  // A fresh ComfyUI-Manager 3.38 tree needs it said (the Manager's own default depends on whether uv imports).
  COMFYUI_MANAGER_USE_UV: 'true',
};

/** The fake secrets the checkout itself holds (the build context): none may reach the final image either. */
function checkoutSecrets(): string[] {
  const demo = fs.readFileSync(path.join(repoRoot, 'examples/demo/.env.demo'), 'utf8');
  const values = ['AWS_ACCESS_KEY_ID', 'HF_TOKEN', 'CIVITAI_TOKEN'].map((name) => new RegExp(`^${name}=(.+)$`, 'm').exec(demo)?.[1]);
  return [...values.filter((value): value is string => value !== undefined), 'fake/aws+secret/for/the/demo+only/000001'];
}

/**
 * Byte strings that betray a value: the value itself and its base64 at each of the three alignments
 * (the middle of the encoding, which depends on the value's bytes only).
 */
function needles(values: readonly string[]): Array<{ label: string; bytes: Buffer }> {
  return values.flatMap((value, index) => {
    const raw = Buffer.from(value);
    const encoded = [0, 1, 2].map((shift) => Buffer.concat([Buffer.alloc(shift), raw]).toString('base64').slice(4, -4));
    return [{ label: `value #${index}`, bytes: raw }, ...encoded.map((text, shift) => ({ label: `base64 (alignment ${shift}) of value #${index}`, bytes: Buffer.from(text) }))];
  });
}
const runtimeNeedles = needles(Object.values(canary));

function found(data: Buffer | string, search = runtimeNeedles): string[] {
  const buffer = typeof data === 'string' ? Buffer.from(data) : data;
  return search.filter(({ bytes }) => buffer.includes(bytes)).map(({ label }) => label);
}

function podman(args: readonly string[], timeout = 120_000): SpawnSyncReturns<string> {
  const result = spawnSync('podman', args, { encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return result;
}

function ok(args: readonly string[], timeout?: number): string {
  const result = podman(args, timeout);
  if (result.status !== 0) throw new Error(`podman ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

function envArgs(env: Record<string, string>): string[] {
  return Object.entries(env).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
}

/** Starts a detached container, always with --network none. */
function start(name: string, image: string, extra: readonly string[] = [], env: Record<string, string> = secretEnv): void {
  containers.push(name);
  ok(['run', '-d', '--name', name, '--network', 'none', ...extra, ...envArgs(env), image]);
}

function logs(name: string): string {
  const result = podman(['logs', name]);
  return result.stdout + result.stderr;
}

interface StandInReport {
  listen: string;
  uid: number;
  existed: Record<string, boolean>;
  env: Record<string, string>;
  dotenv: Record<string, string>;
  manager: Record<string, string>;
}

/** Waits for the stand-in's report line in the container's log. */
async function report(name: string, timeoutMs = 60_000): Promise<StandInReport> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const line = logs(name).split('\n').find((text) => text.includes('COMFYUI-STAND-IN '));
    if (line) return JSON.parse(line.slice(line.indexOf('COMFYUI-STAND-IN ') + 'COMFYUI-STAND-IN '.length)) as StandInReport;
    const state = podman(['inspect', '-f', '{{.State.Status}}', name]).stdout.trim();
    if (state !== 'running' || Date.now() > until) throw new Error(`${name} (${state}) printed no report:\n${logs(name)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');
/** What the emprops .env holds: the names the node reads (OPENAI_API_KEY is not one of them). */
const expectedEmprops = {
  CLOUD_PROVIDER: sha256('aws'),
  AWS_ACCESS_KEY_ID: sha256(canary.AWS_ACCESS_KEY_ID),
  AWS_SECRET_ACCESS_KEY: sha256(canary.AWS_SECRET_ACCESS_KEY),
  AWS_SECRET_ACCESS_KEY_ENCODED: sha256(canary.AWS_SECRET_ACCESS_KEY.replaceAll('/', '_SLASH_')),
  HF_TOKEN: sha256(canary.HF_TOKEN),
  CIVITAI_TOKEN: sha256(canary.CIVITAI_TOKEN),
};
/** What the stand-in finds in os.environ after load_dotenv, of the names it reports: the file's, and OPENAI_API_KEY from -e. */
const { AWS_SECRET_ACCESS_KEY_ENCODED: _slashed, ...expectedFromFile } = expectedEmprops;
const expectedEnviron = { ...expectedFromFile, OPENAI_API_KEY: sha256(canary.OPENAI_API_KEY) };

/** `podman save` as a docker archive, unpacked: every layer is a plain tar. */
function savedLayers(image: string, work: string): string[] {
  const archive = path.join(work, 'image.tar');
  ok(['save', '-q', '--format', 'docker-archive', '-o', archive, image], 300_000);
  const unpacked = path.join(work, 'unpacked');
  fs.mkdirSync(unpacked);
  const untar = spawnSync('tar', ['-x', '-f', archive, '-C', unpacked]);
  if (untar.status !== 0) throw new Error(`tar: ${untar.stderr}`);
  fs.rmSync(archive);
  const manifest = JSON.parse(fs.readFileSync(path.join(unpacked, 'manifest.json'), 'utf8')) as Array<{ Layers: string[] }>;
  return manifest[0]!.Layers.map((layer) => path.join(unpacked, layer));
}

function tarList(file: string): string {
  const list = spawnSync('tar', ['-t', '-v', '-f', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (list.status !== 0) throw new Error(`tar -t ${file}: ${list.stderr}`);
  return list.stdout;
}

let work: string;

beforeAll(() => {
  const engine = spawnSync('podman', ['--version'], { encoding: 'utf8' });
  if (engine.error || engine.status !== 0) throw new Error('podman is not installed: run `bash scripts/setup-podman.sh` as root first (Debian 12)');
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-container-'));
  const build = (tag: string, target: string[]) =>
    ok(['build', '-q', '--pull=never', '--network', 'host', '--build-arg', 'PIP_NO_INDEX=1', '-f', path.join(repoRoot, 'examples/container/Dockerfile'), ...target, '-t', tag, repoRoot], 900_000);
  build(IMAGE, []);
  build(PM2_IMAGE, ['--target', 'pm2']);
}, 1_000_000);

afterAll(() => {
  for (const name of containers) podman(['rm', '-f', '-t', '0', name]);
  for (const image of images) podman(['rmi', '-f', image]);
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the example image, built from the checkout', () => {
  test('1. no layer of the saved image holds a secret value or its base64 (the canaries, nor the checkout’s own fake secrets)', () => {
    const dir = fs.mkdtempSync(path.join(work, 'save-'));
    const search = [...runtimeNeedles, ...needles(checkoutSecrets())];
    const layers = savedLayers(IMAGE, dir);
    expect(layers.length).toBeGreaterThan(1);
    const hits = layers.flatMap((layer) => found(fs.readFileSync(layer), search).map((what) => `${path.basename(layer)}: ${what}`));
    expect(hits).toEqual([]);
    // The scan saw the image's files: the single executable and the stand-in's main.py are in its layers.
    const listing = layers.map(tarList).join('\n');
    expect(listing).toMatch(/usr\/local\/bin\/comfy-secrets\n/);
    expect(listing).toMatch(/workspace\/ComfyUI\/main\.py\n/);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  test('has no Node: comfy-secrets is the single file', () => {
    const result = podman(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', IMAGE, '-c', 'command -v node || echo "no node"; comfy-secrets --version']);
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual(['no node', JSON.parse(fs.readFileSync(path.join(repoRoot, 'packages/cli/package.json'), 'utf8')).version]);
  });
});

describe('a container of it, secrets given with -e (memory store)', () => {
  const name = `comfy-secrets-test-${id}-main`;
  let read: StandInReport;
  beforeAll(async () => {
    start(name, IMAGE, [], { ...secretEnv, COMFY_SECRETS_STORE: 'memory' });
    read = await report(name);
  }, 120_000);

  test('2. the stand-in reads every value exactly: the files existed before it started, load_dotenv and configparser give the values', () => {
    expect(read.existed).toEqual({ 'emprops .env': true, 'manager config.ini': true });
    expect(read.env).toEqual(expectedEnviron);
    expect(read.dotenv).toEqual(expectedEmprops);
    expect(read.manager).toMatchObject({ network_mode: sha256('offline'), use_uv: sha256('True') });
    expect(read.listen).toBe('0.0.0.0,::');
  });

  test('3. podman logs holds the run report and no secret', () => {
    // The search finds them where they are: the container's configuration holds every -e value.
    const config = ok(['inspect', '-f', '{{json .Config.Env}}', name]);
    expect(found(config).filter((label) => label.startsWith('value'))).toHaveLength(Object.keys(canary).length - 1);
    expect(found(config)).toContain('base64 (alignment 0) of value #1');
    const text = logs(name);
    expect(text).toMatch(/written\s+emprops_custom_nodes\s+custom_nodes\/emprops_comfy_nodes\/\.env/);
    expect(found(text)).toEqual([]);
  });

  test('4. podman commit of the running container holds no secret on its writable layer: the .env there is a link to the memory store', () => {
    expect(podman(['inspect', '-f', '{{.State.Status}}', name]).stdout.trim()).toBe('running');
    const committed = `localhost/comfy-secrets-test:commit-${id}`;
    images.push(committed);
    ok(['commit', '-q', name, committed]);
    const dir = fs.mkdtempSync(path.join(work, 'commit-'));
    const layers = savedLayers(committed, dir);
    const writable = layers[layers.length - 1]!;
    expect(found(fs.readFileSync(writable))).toEqual([]);
    expect(tarList(writable)).toMatch(/^l.* workspace\/ComfyUI\/custom_nodes\/emprops_comfy_nodes\/\.env -> \/dev\/shm\//m);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  test('5. podman stop ends it with 143 (128 + SIGTERM, ComfyUI’s own end passed on) and the files are gone', () => {
    ok(['stop', '-t', '20', name], 60_000);
    expect(podman(['inspect', '-f', '{{.State.ExitCode}}', name]).stdout.trim()).toBe('143');
    const exported = path.join(work, 'export.tar');
    ok(['export', '-o', exported, name], 300_000);
    const listing = tarList(exported);
    expect(listing).toContain('workspace/ComfyUI/main.py');
    expect(listing).not.toMatch(/emprops_comfy_nodes\/\.env/);
    expect(listing).not.toMatch(/__manager\/config\.ini/);
    expect(found(fs.readFileSync(exported))).toEqual([]);
    fs.rmSync(exported);
  }, 300_000);
});

test('6. a missing required variable ends the container with exit 1 before ComfyUI starts, the log naming the variable', () => {
  const name = `comfy-secrets-test-${id}-missing`;
  const { AWS_SECRET_ACCESS_KEY_ENCODED: _left, ...withoutSecretKey } = secretEnv;
  start(name, IMAGE, [], withoutSecretKey);
  expect(ok(['wait', name], 60_000).trim()).toBe('1');
  const text = logs(name);
  expect(text).toContain('AWS_SECRET_ACCESS_KEY');
  expect(text).not.toContain('COMFYUI-STAND-IN');
  expect(found(text)).toEqual([]);
}, 120_000);

test('7. ComfyUI running as a non-root user (--user 1000:1000) reads its files', async () => {
  const name = `comfy-secrets-test-${id}-user`;
  start(name, IMAGE, ['--user', '1000:1000']);
  const read = await report(name);
  expect(read.uid).toBe(1000);
  expect(read.existed).toEqual({ 'emprops .env': true, 'manager config.ini': true });
  expect(read.dotenv).toEqual(expectedEmprops);
  expect(read.manager).toMatchObject({ network_mode: sha256('offline'), use_uv: sha256('True') });
  expect(found(logs(name))).toEqual([]);
}, 120_000);

test('9. comfy-secrets as root, ComfyUI dropped to the node directories\' owner (setpriv): it reads its files, and cannot list the store', async () => {
  const name = `comfy-secrets-test-${id}-setpriv`;
  containers.push(name);
  ok(['run', '-d', '--name', name, '--network', 'none', ...envArgs(secretEnv), IMAGE, 'setpriv', '--reuid=1000', '--regid=1000', '--init-groups', 'python', 'main.py', '--listen', '--port', '8188']);
  const read = await report(name);
  expect(read.uid).toBe(1000);
  expect(read.existed).toEqual({ 'emprops .env': true, 'manager config.ini': true });
  expect(read.dotenv).toEqual(expectedEmprops);
  expect(read.manager).toMatchObject({ network_mode: sha256('offline'), use_uv: sha256('True') });
  // Root's store: traversable by the owner of its files (0711), whose files are 0600 and theirs.
  const target = '/workspace/ComfyUI/custom_nodes/emprops_comfy_nodes/.env';
  const stored = ok(['exec', name, 'readlink', target]).trim();
  expect(ok(['exec', name, 'stat', '-c', '%u %a', path.posix.dirname(stored), stored]).trim().split('\n')).toEqual(['0 711', '1000 600']);
  const listing = podman(['exec', '--user', '1000:1000', name, 'ls', path.posix.dirname(stored)]);
  expect(listing.status).not.toBe(0);
  expect(listing.stderr).toContain('Permission denied');
  expect(found(logs(name))).toEqual([]);
}, 120_000);

test('8. under pm2-runtime (ecosystem.config.js): the files exist before ComfyUI starts, the report is in pm2’s logs, no secret is', async () => {
  const name = `comfy-secrets-test-${id}-pm2`;
  start(name, PM2_IMAGE);
  const read = await report(name);
  expect(read.existed).toEqual({ 'emprops .env': true, 'manager config.ini': true });
  expect(read.dotenv).toEqual(expectedEmprops);
  const pm2Logs = ok(['exec', name, 'pm2', 'logs', 'comfy-secrets-creator', '--nostream', '--lines', '200']);
  expect(pm2Logs).toMatch(/2 written, (\d+ skipped, )?0 failed/);
  const files = ok(['exec', name, 'sh', '-c', 'cat /root/.pm2/logs/*.log']);
  expect(files).toContain('COMFYUI-STAND-IN');
  expect(found(pm2Logs + files + logs(name))).toEqual([]);
}, 120_000);
