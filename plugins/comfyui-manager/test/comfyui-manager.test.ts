import { matchers, runSink, type SinkRun } from '@comfy-secrets/testing';
import sink, { codeVersion, parseVersion, projectVersion } from '../src';
import { configparserSectionsOfText } from '../../../test/helpers/real-readers';

expect.extend(matchers);

const pyproject = (version: string) => `[project]\nname = "comfyui-manager"\nversion = "${version}"\n`;
/** ComfyUI 0.3.76 and later: folder_paths has get_system_user_directory. */
const NEW_COMFYUI = { 'folder_paths.py': 'def get_system_user_directory(name="system"):\n    return name\n' };
const CHANNEL = 'https://example.invalid/channel?a=1%20b&pct=100%';
const EXISTING = [
  '# written by hand, kept by comfy-secrets',
  '[default]',
  'preview_method = auto',
  'security_level = normal',
  '',
  '[other]',
  'keep = me',
  '',
].join('\n');

const fileOf = (run: SinkRun, file: string) => {
  const written = run.files[file];
  if (!written) throw new Error(`${file} was not written (status ${run.result.status})`);
  return written.text;
};

describe('comfyui-manager sink: location by version', () => {
  const env = { COMFYUI_MANAGER_SECURITY_LEVEL: 'weak', COMFYUI_MANAGER_CHANNEL_URL: CHANNEL };

  test.each([
    ['3.38.1', 'user/__manager/config.ini'],
    ['3.20', 'user/default/ComfyUI-Manager/config.ini'],
    ['3.0', 'custom_nodes/ComfyUI-Manager/config.ini'],
  ])('%s merges into %s: both keys read back by configparser, old keys, sections and comments kept', (version, file) => {
    const run = runSink(sink, { env, files: { ...NEW_COMFYUI, 'custom_nodes/ComfyUI-Manager/pyproject.toml': pyproject(version), [file]: EXISTING } });

    expect(run).toHaveWritten(file, { security_level: 'weak', channel_url: CHANNEL, preview_method: 'auto' });
    expect(configparserSectionsOfText(fileOf(run, file))).toEqual({
      default: { preview_method: 'auto', security_level: 'weak', channel_url: CHANNEL },
      other: { keep: 'me' },
    });
    expect(fileOf(run, file)).toContain('# written by hand, kept by comfy-secrets');
  });

  test('3.38 without a config.ini creates user/__manager/config.ini, mode 0600, with the file_logging a missing file means', () => {
    const run = runSink(sink, { env: { ...env, COMFYUI_MANAGER_USE_UV: 'true' }, files: { ...NEW_COMFYUI, 'custom_nodes/ComfyUI-Manager/pyproject.toml': pyproject('3.38.1') } });
    expect(run).toHaveWritten('user/__manager/config.ini', { security_level: 'weak', channel_url: CHANNEL, use_uv: 'True', file_logging: 'True' });
    expect(run.files['user/__manager/config.ini']?.mode).toBe(0o600);
  });

  test('plan says which location and why', () => {
    const run = runSink(sink, { env, dryRun: true, files: { 'custom_nodes/ComfyUI-Manager/pyproject.toml': pyproject('3.20.0') } });
    expect(run.result.files[0]).toMatchObject({ path: 'user/default/ComfyUI-Manager/config.ini', status: 'would-write' });
    expect(run.result.files[0]?.reason).toBe('ComfyUI-Manager 3.20 (custom_nodes/ComfyUI-Manager/pyproject.toml) (3.5 to 3.37) reads user/default/ComfyUI-Manager/config.ini');
  });

  test('a version in the code wins over pyproject.toml (which said 1.0.0 in one 2.34.1 commit)', () => {
    const run = runSink(sink, { env: { COMFYUI_MANAGER_SECURITY_LEVEL: 'weak' }, dryRun: true, files: { 'custom_nodes/ComfyUI-Manager/pyproject.toml': pyproject('1.0.0'), 'custom_nodes/ComfyUI-Manager/glob/manager_core.py': 'version = [2, 34, 1]\n' } });
    expect(run.result.files[0]?.reason).toBe('ComfyUI-Manager 2.34.1 (custom_nodes/ComfyUI-Manager/glob/manager_core.py) (before 3.1) reads custom_nodes/ComfyUI-Manager/config.ini');
  });

  test('an unreadable version is refused, never guessed', () => {
    const run = runSink(sink, { env, files: { 'custom_nodes/ComfyUI-Manager/pyproject.toml': '[project]\ndynamic = ["version"]\n' } });
    expect(run.result.errors[0]).toMatchObject({ code: 'MANAGER_VERSION_UNKNOWN' });
    expect(run.result.errors[0]?.message).toContain('custom_nodes/ComfyUI-Manager/pyproject.toml has no readable [project] version');
    expect(Object.keys(run.files)).toEqual(['custom_nodes/ComfyUI-Manager/pyproject.toml']);
  });

  test('the lowercase comfyui-manager directory of a pip/registry install is served too', () => {
    const run = runSink(sink, { env: { COMFYUI_MANAGER_CHANNEL_URL: CHANNEL }, nodes: ['comfyui-manager'], files: { 'custom_nodes/comfyui-manager/pyproject.toml': pyproject('2.50') } });
    expect(run).toHaveWritten('custom_nodes/comfyui-manager/config.ini', { channel_url: CHANNEL });
  });
});

describe('comfyui-manager sink: values', () => {
  const files = { ...NEW_COMFYUI, 'custom_nodes/ComfyUI-Manager/pyproject.toml': pyproject('3.38.1'), 'user/__manager/config.ini': EXISTING };
  const FILE = 'user/__manager/config.ini';

  test('booleans are written as configparser spells them', () => {
    const run = runSink(sink, { env: { COMFYUI_MANAGER_USE_UV: 'yes', COMFYUI_MANAGER_BYPASS_SSL: '0', COMFYUI_MANAGER_FILE_LOGGING: 'TRUE' }, files });
    expect(run).toHaveWritten(FILE, { preview_method: 'auto', security_level: 'normal', use_uv: 'True', file_logging: 'True', bypass_ssl: 'False' });
  });

  test('enum values are matched without case, as the Manager reads them', () => {
    const run = runSink(sink, { env: { COMFYUI_MANAGER_NETWORK_MODE: 'Offline' }, files });
    expect(run.files[FILE]?.values.network_mode).toBe('offline');
  });

  test('an invalid security level fails naming the variable and the allowed values, and leaves the file untouched', () => {
    const run = runSink(sink, { env: { COMFYUI_MANAGER_SECURITY_LEVEL: 'lax', COMFYUI_MANAGER_NETWORK_MODE: 'private' }, files });
    expect(run).toHaveFailedWith('security_level', 'INVALID_VALUE');
    expect(run.result.errors[0]?.message).toBe('COMFYUI_MANAGER_SECURITY_LEVEL (security_level) must be one of: strong, normal, normal-, weak');
    expect(run.files[FILE]?.text).toBe(EXISTING);
  });

  test('an invalid boolean fails naming the variable', () => {
    const run = runSink(sink, { env: { COMFYUI_MANAGER_USE_UV: 'maybe' }, files });
    expect(run).toHaveFailedWith('use_uv');
    expect(run.result.errors[0]?.message).toContain('COMFYUI_MANAGER_USE_UV');
  });

  test('no variable set: skipped, not failed, and nothing written', () => {
    const run = runSink(sink, { files: { 'custom_nodes/ComfyUI-Manager/pyproject.toml': pyproject('3.38.1') } });
    expect(run).toHaveBeenSkipped('nothing to configure');
    expect(Object.keys(run.files)).toEqual(['custom_nodes/ComfyUI-Manager/pyproject.toml']);
  });

  test('not installed and nothing set: skipped', () => {
    expect(runSink(sink, { nodes: [] })).toHaveBeenSkipped('not installed');
  });

  test('not installed but a variable set: failed, naming it', () => {
    const run = runSink(sink, { env: { COMFYUI_MANAGER_SECURITY_LEVEL: 'weak' }, nodes: [] });
    expect(run.result.errors[0]).toMatchObject({ code: 'NOT_INSTALLED' });
    expect(run.result.errors[0]?.message).toMatch(/^COMFYUI_MANAGER_SECURITY_LEVEL \(security_level\) is set/);
  });
});

describe('projectVersion', () => {
  test('reads the version of the [project] table only', () => {
    expect(projectVersion('[tool.x]\nversion = "9.9"\n[project]\nname = "m"\nversion = "3.38.1" # pinned\n')).toBe('3.38.1');
  });

  test('single-quoted literal strings too', () => {
    expect(projectVersion("[project]\nversion = '3.1'\n")).toBe('3.1');
  });

  test('a dynamic or missing version is unknown', () => {
    expect(projectVersion('[project]\ndynamic = ["version"]\n[tool.setuptools]\nversion = "1"\n')).toBeUndefined();
  });

  test.each([
    ['3.38.1', [3, 38, 1]],
    ['V3.1', [3, 1, 0]],
    ['2', [2, 0, 0]],
    ['nightly', undefined],
  ])('parseVersion(%s)', (version, expected) => {
    expect(parseVersion(version)).toEqual(expected);
  });

  test.each([
    ['version_code = [3, 38]\nversion_str = "x"\n', [3, 38, 0]],
    ['import os\nversion = [2, 48, 1]\n', [2, 48, 1]],
    ['# version = [9, 9]\n', undefined],
  ])('codeVersion of %j', (python, expected) => {
    expect(codeVersion(python)).toEqual(expected);
  });
});
