import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, tempTree } from '../../../test/helpers/cli';
import { configparserSections, pythonDotenvValues } from '../../../test/helpers/real-readers';

const CHANNEL = 'https://example.invalid/channel?q=100%25&pct=5%';
const EXISTING = '; my settings\n[default]\npreview_method = auto\ngit_exe = /usr/bin/git\n\n[extra]\nkeep = yes\n';
/** ComfyUI 0.3.76 and later, where Manager 3.38+ reads user/__manager. */
const NEW_COMFYUI = { 'ComfyUI/folder_paths.py': 'def get_system_user_directory(name="system"):\n    return name\n', 'ComfyUI/comfyui_version.py': '__version__ = "0.3.76"\n' };

let tree: ReturnType<typeof tempTree>;
afterEach(() => tree.cleanup());

describe('comfy-secrets run: the ComfyUI-Manager sink', () => {
  test.each([
    ['3.38.1', 'user/__manager/config.ini'],
    ['3.20.0', 'user/default/ComfyUI-Manager/config.ini'],
    ['3.0', 'custom_nodes/ComfyUI-Manager/config.ini'],
  ])('Manager %s: sets both keys in %s and keeps the old keys and sections', (version, file) => {
    tree = tempTree({ ...NEW_COMFYUI, 'ComfyUI/custom_nodes/ComfyUI-Manager/pyproject.toml': `[project]\nname = "comfyui-manager"\nversion = "${version}"\n`, [`ComfyUI/${file}`]: EXISTING });
    const result = runCli(['run', '--comfyui-dir', path.join(tree.dir, 'ComfyUI'), '--only', 'comfyui-manager'], {
      env: { COMFYUI_MANAGER_SECURITY_LEVEL: 'weak', COMFYUI_MANAGER_CHANNEL_URL: CHANNEL },
    });

    expect(result.status).toBe(0);
    const target = path.join(tree.dir, 'ComfyUI', file);
    expect(configparserSections(target)).toEqual({
      default: { preview_method: 'auto', git_exe: '/usr/bin/git', security_level: 'weak', channel_url: CHANNEL },
      extra: { keep: 'yes' },
    });
    expect(fs.readFileSync(target, 'utf8')).toMatch(/^; my settings\n/);
  });

  test('plan says which location and why', () => {
    tree = tempTree({ ...NEW_COMFYUI, 'ComfyUI/custom_nodes/ComfyUI-Manager/pyproject.toml': '[project]\nversion = "3.38.1"\n' });
    const result = runCli(['plan', '--comfyui-dir', path.join(tree.dir, 'ComfyUI'), '--only', 'comfyui-manager'], { env: { COMFYUI_MANAGER_NETWORK_MODE: 'offline', COMFYUI_MANAGER_USE_UV: 'false' } });
    expect(result.stdout).toContain('location: ComfyUI-Manager 3.38.1 (custom_nodes/ComfyUI-Manager/pyproject.toml) on ComfyUI 0.3.76 (folder_paths has get_system_user_directory) reads user/__manager/config.ini');
    expect(result.stdout).toContain('COMFYUI_MANAGER_NETWORK_MODE (network_mode)');
  });

  test('an invalid value exits 1 naming the variable and the allowed values, and leaves config.ini untouched', () => {
    tree = tempTree({ 'ComfyUI/custom_nodes/ComfyUI-Manager/pyproject.toml': '[project]\nversion = "3.38.1"\n', 'ComfyUI/user/__manager/config.ini': EXISTING });
    const result = runCli(['run', '--comfyui-dir', path.join(tree.dir, 'ComfyUI'), '--only', 'comfyui-manager'], { env: { COMFYUI_MANAGER_NETWORK_MODE: 'intranet' } });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('COMFYUI_MANAGER_NETWORK_MODE (network_mode) must be one of: public, private, offline');
    expect(fs.readFileSync(path.join(tree.dir, 'ComfyUI/user/__manager/config.ini'), 'utf8')).toBe(EXISTING);
  });
});

describe('comfy-secrets run: config_nodes.json', () => {
  // The origin format: the design doc's fields, env values as ${VAR} references and literals.
  const origin = {
    custom_nodes: [
      { name: 'emprops_comfy_nodes', url: 'https://example.invalid/emprops.git', commit: 'main', env: { AWS_ACCESS_KEY_ID: '${AWS_ACCESS_KEY_ID}' } },
      { name: 'acme_pipelines', url: 'https://example.invalid/acme.git', install_settings: { requirements: true }, env: { OPENAI_API_KEY: '${OPENAI_API_KEY}', MODE: 'prod', URL: 'https://${HOST}:${PORT}/v1' } },
      { name: 'ComfyUI-Impact-Pack', url: 'https://example.invalid/impact.git' },
    ],
  };
  const comfyui = () => path.join(tree.dir, 'ComfyUI');
  const setUp = (document: unknown = origin) => {
    tree = tempTree({ 'config_nodes.json': JSON.stringify(document, null, 2), 'ComfyUI/custom_nodes/acme_pipelines/__init__.py': '', 'ComfyUI/custom_nodes/emprops_comfy_nodes/__init__.py': '' });
  };
  const env = { OPENAI_API_KEY: 'sk-FAKE-config-nodes-0001', HOST: 'api.example.invalid', PORT: '8443' };

  test('$WORKSPACE_PATH/config_nodes.json runs unchanged: ${VAR} substituted, literals kept', () => {
    setUp();
    const result = runCli(['run', '--comfyui-dir', comfyui()], { env: { ...env, WORKSPACE_PATH: tree.dir } });
    expect(result.status).toBe(0);
    expect(pythonDotenvValues(path.join(comfyui(), 'custom_nodes/acme_pipelines/.env'))).toEqual({
      OPENAI_API_KEY: env.OPENAI_API_KEY,
      MODE: 'prod',
      URL: 'https://api.example.invalid:8443/v1',
    });
    expect(result.stdout + result.stderr).not.toContain(env.OPENAI_API_KEY);
  });

  test('--config-nodes FILE names the file explicitly', () => {
    setUp();
    const result = runCli(['run', '--comfyui-dir', comfyui(), '--config-nodes', path.join(tree.dir, 'config_nodes.json'), '--json'], { env });
    expect(JSON.parse(result.stdout).sinks.map((sink: { name: string; status: string }) => `${sink.name} ${sink.status}`)).toContain('config-nodes:acme_pipelines written');
  });

  test('an unset reference leaves the key out with a warning; --strict makes it an error', () => {
    setUp();
    const { PORT, ...partial } = env;
    const lenient = runCli(['run', '--comfyui-dir', comfyui(), '--config-nodes', path.join(tree.dir, 'config_nodes.json')], { env: partial });
    expect(lenient.status).toBe(0);
    expect(lenient.stderr).toContain('config-nodes:acme_pipelines: URL left out because PORT is not set');
    expect(pythonDotenvValues(path.join(comfyui(), 'custom_nodes/acme_pipelines/.env'))).not.toHaveProperty('URL');

    const strict = runCli(['check', '--strict', '--comfyui-dir', comfyui(), '--config-nodes', path.join(tree.dir, 'config_nodes.json'), '--only', 'config-nodes:acme_pipelines'], { env: partial });
    expect(strict.status).toBe(1);
    expect(strict.stdout).toContain('URL is left out because PORT is not set');
  });

  test('list says a declaration is shadowed by the code sink for the same node', () => {
    setUp();
    const result = runCli(['list', '--config-nodes', path.join(tree.dir, 'config_nodes.json')]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('shadowed: config-nodes:emprops_comfy_nodes (config_nodes.json) — custom_nodes/emprops_comfy_nodes is served by the code sink emprops_custom_nodes');
    expect(result.stdout).toContain('config-nodes:acme_pipelines');
  });

  test('a run warns, by name, about keys a declaration sets that the code sink serving its node does not write', () => {
    setUp({ custom_nodes: [{ name: 'emprops_comfy_nodes', env: { AWS_ACCESS_KEY_ID: '${AWS_ACCESS_KEY_ID}', EMPROPS_EXTRA_TOKEN: '${EXTRA}' } }] });
    const secret = 'fake-extra-token-0001';
    const result = runCli(['run', '--comfyui-dir', comfyui(), '--config-nodes', path.join(tree.dir, 'config_nodes.json')], { env: { AWS_ACCESS_KEY_ID: 'FAKEKEYID000000000001', EXTRA: secret } });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain("config_nodes.json's entry for custom_nodes/emprops_comfy_nodes is served by the code sink emprops_custom_nodes, which does not write EMPROPS_EXTRA_TOKEN: it is not written");
    expect(pythonDotenvValues(path.join(comfyui(), 'custom_nodes/emprops_comfy_nodes/.env'))).not.toHaveProperty('EMPROPS_EXTRA_TOKEN');
    expect(result.stdout + result.stderr).not.toContain(secret);
    const list = runCli(['list', '--config-nodes', path.join(tree.dir, 'config_nodes.json')]);
    expect(list.stdout).toContain('is served by the code sink emprops_custom_nodes, which does not write EMPROPS_EXTRA_TOKEN');
  });

  test('a name with a path separator is a configuration error naming file and entry, exit 2, nothing written', () => {
    setUp({ custom_nodes: [{ name: '../../etc', env: { X: '${X}' } }] });
    const file = path.join(tree.dir, 'config_nodes.json');
    const result = runCli(['run', '--comfyui-dir', comfyui(), '--config-nodes', file], { env });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`CONFIG_NODES_INVALID: ${file}: custom_nodes[0] "name" must be the node's directory name`);
  });

  test('a missing --config-nodes file is a configuration error, exit 2', () => {
    setUp();
    const result = runCli(['plan', '--comfyui-dir', comfyui(), '--config-nodes', path.join(tree.dir, 'nope.json')], { env });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('CONFIG_NODES_UNREADABLE');
  });
});

describe('--user-directory and COMFY_SECRETS_USER_DIRECTORY', () => {
  const files = { ...NEW_COMFYUI, 'ComfyUI/custom_nodes/ComfyUI-Manager/pyproject.toml': '[project]\nversion = "3.41"\n', 'data/user/__manager/config.ini': EXISTING };

  test.each([
    ['--user-directory', (dir: string) => ({ args: ['--user-directory', dir], env: {} })],
    ['COMFY_SECRETS_USER_DIRECTORY', (dir: string) => ({ args: [], env: { COMFY_SECRETS_USER_DIRECTORY: dir } })],
  ])('%s moves Manager\'s config.ini with ComfyUI\'s user directory', (_name, given) => {
    tree = tempTree(files);
    const { args, env } = given(path.join(tree.dir, 'data/user'));
    const result = runCli(['run', '--comfyui-dir', path.join(tree.dir, 'ComfyUI'), '--only', 'comfyui-manager', ...args], { env: { ...env, COMFYUI_MANAGER_NETWORK_MODE: 'offline' } });
    expect(result.status).toBe(0);
    expect(configparserSections(path.join(tree.dir, 'data/user/__manager/config.ini')).default).toMatchObject({ network_mode: 'offline', git_exe: '/usr/bin/git' });
    expect(fs.existsSync(path.join(tree.dir, 'ComfyUI/user'))).toBe(false);
  });

  test('a user directory that does not exist is a configuration error, exit 2', () => {
    tree = tempTree(files);
    const result = runCli(['run', '--comfyui-dir', path.join(tree.dir, 'ComfyUI'), '--user-directory', path.join(tree.dir, 'nope')], { env: { COMFYUI_MANAGER_NETWORK_MODE: 'offline' } });
    expect(result.status).toBe(2);
    expect(result.stderr + result.stdout).toContain('--user-directory names');
  });
});

test('list names the variable a user sets, with the ini option beside it', () => {
  tree = tempTree({});
  const result = runCli(['list']);
  expect(result.stdout).toContain('COMFYUI_MANAGER_SECURITY_LEVEL (security_level)');
  expect(result.stdout).toContain('COMFYUI_MANAGER_ALLOW_GIT_URL_INSTALL (allow_git_url_install)');
});
