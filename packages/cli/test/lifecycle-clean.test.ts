import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliPath, runCli, tempTree } from '../../../test/helpers/cli';
import { configparserSections, pythonDotenvValues } from '../../../test/helpers/real-readers';

const EMPROPS = 'C/custom_nodes/emprops_comfy_nodes';
const MANAGER_INI = 'C/custom_nodes/ComfyUI-Manager/config.ini';
const HF_TOKEN = 'hf_FAKE_clean_lifecycle_token_0002';
const USER_INI = '[default]\n# my own settings\nsecurity_level = weak\ngit_exe = /opt/git\n\n[extra]\nkeep = me\n';

let tree: ReturnType<typeof tempTree>;
let store: string;
beforeEach(() => {
  tree = tempTree({ [`${EMPROPS}/__init__.py`]: '', [MANAGER_INI]: USER_INI, 'state/': '' });
  store = fs.mkdtempSync(path.join('/dev/shm', 'comfy-secrets-test-'));
});
afterEach(() => {
  tree.cleanup();
  fs.rmSync(store, { recursive: true, force: true });
});

const at = (relative: string) => path.join(tree.dir, relative);
const env = (extra: Record<string, string> = {}) => ({ HF_TOKEN, COMFY_SECRETS_STATE_DIR: at('state'), COMFY_SECRETS_STORE_DIR: path.join(store, 's'), COMFY_SECRETS_STORE: 'auto', ...extra });
const run = (args: string[] = [], extra?: Record<string, string>) => runCli(['run', '--comfyui-dir', at('C'), ...args], { env: env(extra) });
const clean = (args: string[] = []) => runCli(['clean', ...args], { env: env() });

describe('state', () => {
  test('the state file is 0600 in a 0700 directory and holds paths and hashes, no value', () => {
    run();

    const file = at('state/state.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(at('state')).mode & 0o777).toBe(0o700);
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(HF_TOKEN);
    expect(text).not.toContain(Buffer.from(HF_TOKEN).toString('base64'));
    expect(JSON.parse(text).records[0]).toMatchObject({ sink: 'emprops_custom_nodes', file: 'custom_nodes/emprops_comfy_nodes/.env', mode: '0600', store: 'memory', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  test('a run that changed nothing leaves the state file as it was, and clean still removes what the first run wrote', () => {
    run();
    const first = fs.statSync(at('state/state.json'));
    const text = fs.readFileSync(at('state/state.json'), 'utf8');

    expect(run().stdout).toMatch(/unchanged .*emprops_comfy_nodes\/\.env/);
    const second = fs.statSync(at('state/state.json'));
    expect([second.ino, second.mtimeMs]).toEqual([first.ino, first.mtimeMs]);
    expect(fs.readFileSync(at('state/state.json'), 'utf8')).toBe(text);

    expect(clean().status).toBe(0);
    expect(fs.existsSync(at(`${EMPROPS}/.env`))).toBe(false);
    expect(fs.readFileSync(at(MANAGER_INI), 'utf8')).toBe(USER_INI);
  });

  test('a run that changed a value records the new bytes', () => {
    run(['--store', 'disk']);
    const before = JSON.parse(fs.readFileSync(at('state/state.json'), 'utf8')).records[0].sha256;

    run(['--store', 'disk'], { HF_TOKEN: 'hf_FAKE_clean_lifecycle_token_0003' });

    expect(JSON.parse(fs.readFileSync(at('state/state.json'), 'utf8')).records[0].sha256).not.toBe(before);
    expect(clean().status).toBe(0);
  });
});

describe('comfy-secrets clean', () => {
  test('removes a file that still holds what comfy-secrets wrote', () => {
    run(['--store', 'disk']);

    const result = clean();

    expect(result.status).toBe(0);
    expect(fs.existsSync(at(`${EMPROPS}/.env`))).toBe(false);
  });

  test('keeps and reports a file changed since it was written, and exits 1', () => {
    run(['--store', 'disk']);
    fs.appendFileSync(at(`${EMPROPS}/.env`), 'MINE=1\n');

    const result = clean();

    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/kept .*emprops_comfy_nodes\/\.env — it changed since comfy-secrets wrote it/);
    expect(fs.readFileSync(at(`${EMPROPS}/.env`), 'utf8')).toContain('MINE=1');
  });

  test('--force removes a changed file too', () => {
    run(['--store', 'disk']);
    fs.appendFileSync(at(`${EMPROPS}/.env`), 'MINE=1\n');
    clean();

    const result = clean(['--force']);

    expect(result.status).toBe(0);
    expect(fs.existsSync(at(`${EMPROPS}/.env`))).toBe(false);
  });

  test("restores a merged config.ini to the user's own content, byte for byte", () => {
    const written = run([], { COMFYUI_MANAGER_BYPASS_SSL: 'true' });
    expect(written.status).toBe(0);
    expect(configparserSections(at(MANAGER_INI)).default).toMatchObject({ bypass_ssl: 'True', security_level: 'weak' });

    const result = clean();

    expect(result.status).toBe(0);
    expect(result.stdout).toContain('restored');
    expect(fs.readFileSync(at(MANAGER_INI), 'utf8')).toBe(USER_INI);
  });

  test('a second run keeps the first run\'s copy of the user\'s file, so clean still restores the original', () => {
    run([], { COMFYUI_MANAGER_BYPASS_SSL: 'true' });
    run([], { COMFYUI_MANAGER_BYPASS_SSL: 'false' });

    clean();

    expect(fs.readFileSync(at(MANAGER_INI), 'utf8')).toBe(USER_INI);
  });
});

describe('memory store', () => {
  test('the target is a link into a 0700 tmpfs directory, to a 0600 file that python-dotenv reads through the link', () => {
    run();

    const target = at(`${EMPROPS}/.env`);
    expect(fs.lstatSync(target).isSymbolicLink()).toBe(true);
    const real = fs.realpathSync(target);
    expect(path.dirname(real)).toBe(path.join(store, 's'));
    expect(fs.statSync(real).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(real)).mode & 0o777).toBe(0o700);
    expect(pythonDotenvValues(target)).toEqual({ HF_TOKEN });
  });

  test('configparser reads a config.ini through its link (--store memory)', () => {
    run(['--store', 'memory'], { COMFYUI_MANAGER_BYPASS_SSL: 'true' });

    expect(fs.lstatSync(at(MANAGER_INI)).isSymbolicLink()).toBe(true);
    expect(configparserSections(at(MANAGER_INI))).toEqual({ default: { security_level: 'weak', git_exe: '/opt/git', bypass_ssl: 'True' }, extra: { keep: 'me' } });
  });

  test('a file without a secret stays on disk by default (ComfyUI-Manager rewrites its config.ini)', () => {
    run([], { COMFYUI_MANAGER_BYPASS_SSL: 'true' });

    expect(fs.lstatSync(at(MANAGER_INI)).isFile()).toBe(true);
  });

  test('a second run rewrites the store file through its own link', () => {
    run();
    const second = run(['--json'], { HF_TOKEN: `${HF_TOKEN}_rotated` });

    expect(second.status).toBe(0);
    expect(pythonDotenvValues(at(`${EMPROPS}/.env`))).toEqual({ HF_TOKEN: `${HF_TOKEN}_rotated` });
  });

  test('clean removes the link and the store file', () => {
    run();

    clean();

    expect(fs.existsSync(at(`${EMPROPS}/.env`))).toBe(false);
    expect(fs.existsSync(path.join(store, 's')) ? fs.readdirSync(path.join(store, 's')) : []).toEqual([]);
  });

  // Only root can hand files to another user.
  const asRoot = process.getuid?.() === 0 ? test : test.skip;
  asRoot('under umask 077, a directory made for a link lets the --owner reach its file', () => {
    fs.writeFileSync(at('sub-sink.js'), "module.exports = { name: 'sub', nodes: ['sub_node'], file: 'sub/.env', variables: { SUB_TOKEN: {} } };\n");
    fs.mkdirSync(at('C/custom_nodes/sub_node'));
    // The reader (uid 1000) must reach the tree and the store through the tests' own temp directories.
    fs.chmodSync(tree.dir, 0o755);
    fs.chmodSync(store, 0o755);
    const args = ['run', '--comfyui-dir', at('C'), '--store', 'memory', '--owner', '1000:1000', '--plugin', at('sub-sink.js'), '--only', 'sub'];

    const result = spawnSync('sh', ['-c', 'umask 077 && exec "$0" "$@"', process.execPath, cliPath, ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env({ SUB_TOKEN: 'fake-sub-token-0001' }) }, encoding: 'utf8' });
    const read = spawnSync('cat', [at('C/custom_nodes/sub_node/sub/.env')], { uid: 1000, gid: 1000, encoding: 'utf8' });

    expect(result.status).toBe(0);
    expect([read.status, read.stdout, read.stderr]).toEqual([0, 'SUB_TOKEN=fake-sub-token-0001\n', '']);
    expect(fs.statSync(at('C/custom_nodes/sub_node/sub')).mode & 0o777).toBe(0o755);
  });

  test('--store-dir off a tmpfs is refused with exit 2', () => {
    const result = runCli(['run', '--comfyui-dir', at('C'), '--store', 'memory', '--store-dir', at('not-tmpfs')], { env: { HF_TOKEN, COMFY_SECRETS_STATE_DIR: at('state') } });

    expect(result.status).toBe(2);
    expect(result.stderr).toContain('STORE_NOT_IN_MEMORY');
  });
});

describe('a target that existed before comfy-secrets ran', () => {
  test('is reported as possibly baked into the image', () => {
    fs.writeFileSync(at(`${EMPROPS}/.env`), 'HF_TOKEN=hf_FAKE_baked_in\n');

    const result = run(['--store', 'disk']);

    expect(result.status).toBe(0);
    expect(result.stderr).toContain('custom_nodes/emprops_comfy_nodes/.env existed before comfy-secrets ran — is a secret file baked into the image?');
  });

  test('fails its sink under --strict and is left untouched', () => {
    // A one-variable sink, so --strict has no missing optional variable to fail on first.
    fs.writeFileSync(at('one-sink.js'), "module.exports = { name: 'one', nodes: ['one_node'], variables: { ONE_TOKEN: {} } };\n");
    fs.mkdirSync(at('C/custom_nodes/one_node'));
    fs.writeFileSync(at('C/custom_nodes/one_node/.env'), 'ONE_TOKEN=hf_FAKE_baked_in\n');

    const result = run(['--strict', '--plugin', at('one-sink.js'), '--only', 'one'], { ONE_TOKEN: 'hf_FAKE_one_token_0003' });

    expect(result.status).toBe(1);
    expect(result.stdout + result.stderr).toContain('PREEXISTING_TARGET');
    expect(fs.readFileSync(at('C/custom_nodes/one_node/.env'), 'utf8')).toBe('ONE_TOKEN=hf_FAKE_baked_in\n');
  });

  test('under --strict, leaves no copy of the file it refused in the state directory', () => {
    fs.writeFileSync(at('one-sink.js'), "module.exports = { name: 'one', nodes: ['one_node'], variables: { ONE_TOKEN: {} } };\n");
    fs.mkdirSync(at('C/custom_nodes/one_node'));
    fs.writeFileSync(at('C/custom_nodes/one_node/.env'), 'ONE_TOKEN=hf_FAKE_baked_in\n');

    const result = run(['--strict', '--plugin', at('one-sink.js'), '--only', 'one'], { ONE_TOKEN: 'hf_FAKE_one_token_0003' });

    expect(result.status).toBe(1);
    expect(fs.existsSync(at('state/backups')) ? fs.readdirSync(at('state/backups')) : []).toEqual([]);
  });

  test('is not reported when an earlier, uncleaned run wrote it', () => {
    run(['--store', 'disk']);

    const second = run(['--store', 'disk']);

    expect(second.stderr).not.toContain('existed before');
  });

  test('is not reported, even under --strict, when it is our own link whose state and store were wiped (a recreated container)', () => {
    fs.writeFileSync(at('one-sink.js'), "module.exports = { name: 'one', nodes: ['one_node'], variables: { ONE_TOKEN: {} } };\n");
    fs.mkdirSync(at('C/custom_nodes/one_node'));
    const strict = ['--strict', '--store', 'memory', '--plugin', at('one-sink.js'), '--only', 'one'];
    expect(run(strict, { ONE_TOKEN: 'fake-one-token-0004' }).status).toBe(0);
    // /run and /dev/shm are new; the ComfyUI tree with its link persisted.
    fs.rmSync(at('state'), { recursive: true });
    fs.rmSync(path.join(store, 's'), { recursive: true });

    const again = run(strict, { ONE_TOKEN: 'fake-one-token-0004' });

    expect(again.stdout + again.stderr).not.toMatch(/existed before|PREEXISTING_TARGET/);
    expect(again.status).toBe(0);
    expect(pythonDotenvValues(at('C/custom_nodes/one_node/.env'))).toEqual({ ONE_TOKEN: 'fake-one-token-0004' });
    expect(fs.existsSync(at('state/backups'))).toBe(false);
    expect(clean().status).toBe(0);
    expect(fs.existsSync(at('C/custom_nodes/one_node/.env'))).toBe(false);
  });

  test('is put back by clean after the run replaced it', () => {
    fs.writeFileSync(at(`${EMPROPS}/.env`), 'HF_TOKEN=hf_FAKE_baked_in\n');
    run();

    clean();

    expect(fs.readFileSync(at(`${EMPROPS}/.env`), 'utf8')).toBe('HF_TOKEN=hf_FAKE_baked_in\n');
  });
});
