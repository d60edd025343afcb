import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, tempTree } from '../../../test/helpers/cli';

const EMPROPS = 'C/custom_nodes/emprops_comfy_nodes';
const MANAGER_INI = 'C/custom_nodes/ComfyUI-Manager/config.ini';
const HF_TOKEN = 'hf_FAKE_state_cycles_token_0001';
const USER_INI = '[default]\n# my own settings\nsecurity_level = weak\ngit_exe = /opt/git\n';
const BAKED_ENV = 'HF_TOKEN=hf_FAKE_baked_into_the_image\nMY_OWN=setting\n';

let tree: ReturnType<typeof tempTree>;
let shm: string;
beforeEach(() => {
  tree = tempTree({ [`${EMPROPS}/__init__.py`]: '', [`${EMPROPS}/.env`]: BAKED_ENV, [MANAGER_INI]: USER_INI,
    // A Manager of a known version: 2.55 reads custom_nodes/ComfyUI-Manager/config.ini, security_level included.
    'C/custom_nodes/ComfyUI-Manager/pyproject.toml': '[project]\nname = "comfyui-manager"\nversion = "2.55.5"\n', 'state/': '' });
  shm = fs.mkdtempSync(path.join('/dev/shm', 'comfy-secrets-cycles-'));
});
afterEach(() => {
  tree.cleanup();
  fs.rmSync(shm, { recursive: true, force: true });
});

const at = (relative: string) => path.join(tree.dir, relative);
const env = (store: string) => ({ HF_TOKEN, COMFYUI_MANAGER_SECURITY_LEVEL: 'normal', COMFY_SECRETS_STATE_DIR: at('state'), COMFY_SECRETS_STORE_DIR: path.join(shm, 's'), COMFY_SECRETS_STORE: store });

/** The tree below C as path → mode and bytes. */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(at('C'), { recursive: true }).map(String).sort()) {
    const stat = fs.lstatSync(path.join(at('C'), name));
    if (!stat.isDirectory()) out[name] = `${stat.isSymbolicLink() ? 'link' : (stat.mode & 0o7777).toString(8)} ${stat.isSymbolicLink() ? fs.readlinkSync(path.join(at('C'), name)) : fs.readFileSync(path.join(at('C'), name), 'utf8')}`;
  }
  return out;
}

test.each(['disk', 'memory'])('run; clean; run; clean with two files that were there before puts both back each time (%s store)', (store) => {
  const before = snapshot();
  for (let cycle = 0; cycle < 2; cycle += 1) {
    const run = runCli(['run', '--comfyui-dir', at('C')], { env: env(store) });
    expect([run.status, run.stderr]).toEqual([0, expect.any(String)]);
    expect(fs.readFileSync(at(`${EMPROPS}/.env`), 'utf8')).toContain(HF_TOKEN);
    expect(fs.readFileSync(at(MANAGER_INI), 'utf8')).not.toBe(USER_INI);

    const clean = runCli(['clean', '--comfyui-dir', at('C')], { env: env(store) });
    expect([clean.status, clean.stdout]).toEqual([0, expect.stringContaining('2 restored')]);
    expect(snapshot()).toEqual(before);
  }
  expect(fs.readdirSync(at('state')).filter((name) => name !== 'backups')).toEqual([]);
  expect(fs.existsSync(at('state/backups')) ? fs.readdirSync(at('state/backups')) : []).toEqual([]);
});

test.each([
  ['a null record', '{ "version": 1, "records": [null] }\n'],
  ['a record without a path', '{ "version": 1, "records": [{ "file": "x" }] }\n'],
  ['a record whose path is not absolute', '{ "version": 1, "records": [{ "path": "x", "file": "x", "comfyuiDir": "/c", "sink": "s", "sha256": "0", "mode": "0600", "store": "disk", "writtenAt": "t" }] }\n'],
])('a state file with %s is STATE_CORRUPT (exit 2), not an internal error', (_what, text) => {
  fs.writeFileSync(at('state/state.json'), text, { mode: 0o600 });

  for (const command of [['run', '--comfyui-dir', at('C')], ['clean', '--comfyui-dir', at('C')]]) {
    const result = runCli(command, { env: env('disk') });
    expect([result.status, result.stderr]).toEqual([2, expect.stringContaining('STATE_CORRUPT')]);
  }
  expect(fs.readFileSync(at(`${EMPROPS}/.env`), 'utf8')).toBe(BAKED_ENV);
});

test('one state directory, two trees: clean cleans the tree it is given and leaves the other one\'s files; --all-trees cleans both', () => {
  fs.cpSync(at('C'), at('D'), { recursive: true });
  for (const tree of ['C', 'D']) expect(runCli(['run', '--comfyui-dir', at(tree)], { env: env('disk') }).status).toBe(0);

  const first = runCli(['clean', '--comfyui-dir', at('C')], { env: env('disk') });

  expect([first.status, first.stdout]).toEqual([0, expect.stringContaining('2 file(s) of other trees left alone')]);
  expect(fs.readFileSync(at(`${EMPROPS}/.env`), 'utf8')).toBe(BAKED_ENV);
  expect(fs.readFileSync(at('D/custom_nodes/emprops_comfy_nodes/.env'), 'utf8')).toContain(HF_TOKEN);
  // No tree named: the default one (/workspace/ComfyUI here), not every tree.
  expect(runCli(['clean'], { env: env('disk') }).stdout).toContain('nothing recorded for /workspace/ComfyUI');
  expect(fs.readFileSync(at('D/custom_nodes/emprops_comfy_nodes/.env'), 'utf8')).toContain(HF_TOKEN);

  expect(runCli(['clean', '--all-trees'], { env: env('disk') }).status).toBe(0);
  expect(fs.readFileSync(at('D/custom_nodes/emprops_comfy_nodes/.env'), 'utf8')).toBe(BAKED_ENV);
  expect(fs.readFileSync(at('D/custom_nodes/ComfyUI-Manager/config.ini'), 'utf8')).toBe(USER_INI);
});
