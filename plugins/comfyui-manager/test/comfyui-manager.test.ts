import { matchers, runSink, type SinkRun } from '@comfy-secrets/testing';
import sink, { majorMinor, projectVersion } from '../src';
import { configparserSectionsOfText } from '../../../test/helpers/real-readers';

expect.extend(matchers);

const pyproject = (version: string) => `[project]\nname = "comfyui-manager"\nversion = "${version}"\n`;
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
    const run = runSink(sink, { env, files: { 'custom_nodes/ComfyUI-Manager/pyproject.toml': pyproject(version), [file]: EXISTING } });

    expect(run).toHaveWritten(file, { security_level: 'weak', channel_url: CHANNEL, preview_method: 'auto' });
    expect(configparserSectionsOfText(fileOf(run, file))).toEqual({
      default: { preview_method: 'auto', security_level: 'weak', channel_url: CHANNEL },
      other: { keep: 'me' },
    });
    expect(fileOf(run, file)).toContain('# written by hand, kept by comfy-secrets');
  });

  test('3.38 without a config.ini creates user/__manager/config.ini, mode 0600', () => {
    const run = runSink(sink, { env, files: { 'custom_nodes/ComfyUI-Manager/pyproject.toml': pyproject('3.38.1') } });
    expect(run).toHaveWritten('user/__manager/config.ini', { security_level: 'weak', channel_url: CHANNEL });
    expect(run.files['user/__manager/config.ini']?.mode).toBe(0o600);
  });

  test('plan says which location and why', () => {
    const run = runSink(sink, { env, dryRun: true, files: { 'custom_nodes/ComfyUI-Manager/pyproject.toml': pyproject('3.20.0') } });
    expect(run.result.files[0]).toMatchObject({ path: 'user/default/ComfyUI-Manager/config.ini', status: 'would-write' });
    expect(run.result.files[0]?.reason).toBe('ComfyUI-Manager 3.20.0 (3.1 to 3.37) reads user/default/ComfyUI-Manager/config.ini');
  });

  test('version unknown: writes where a config.ini already exists', () => {
    const run = runSink(sink, { env, files: { 'user/default/ComfyUI-Manager/config.ini': EXISTING } });
    expect(run).toHaveWritten('user/default/ComfyUI-Manager/config.ini', { security_level: 'weak', channel_url: CHANNEL, preview_method: 'auto' });
    expect(run.result.files[0]?.reason).toContain('version unknown (custom_nodes/ComfyUI-Manager/pyproject.toml is missing)');
  });

  test('version unknown and no config.ini: the newest layout', () => {
    const run = runSink(sink, { env, files: { 'custom_nodes/ComfyUI-Manager/pyproject.toml': '[project]\ndynamic = ["version"]\n' } });
    expect(run).toHaveWritten('user/__manager/config.ini', { security_level: 'weak', channel_url: CHANNEL });
  });

  test('the lowercase comfyui-manager directory of a pip/registry install is served too', () => {
    const run = runSink(sink, { env, nodes: ['comfyui-manager'], files: { 'custom_nodes/comfyui-manager/pyproject.toml': pyproject('2.50') } });
    expect(run).toHaveWritten('custom_nodes/comfyui-manager/config.ini', { security_level: 'weak', channel_url: CHANNEL });
  });
});

describe('comfyui-manager sink: values', () => {
  const files = { 'custom_nodes/ComfyUI-Manager/pyproject.toml': pyproject('3.38.1'), 'user/__manager/config.ini': EXISTING };
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
    expect(run.result.errors[0]?.message).toBe('security_level (from COMFYUI_MANAGER_SECURITY_LEVEL) must be one of: strong, normal, normal-, weak');
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

  test('not installed: skipped', () => {
    expect(runSink(sink, { env: { COMFYUI_MANAGER_SECURITY_LEVEL: 'weak' }, nodes: [] })).toHaveBeenSkipped('not installed');
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
    ['3.38.1', [3, 38]],
    ['V3.1', [3, 1]],
    ['2', [2, 0]],
    ['nightly', undefined],
  ])('majorMinor(%s)', (version, expected) => {
    expect(majorMinor(version)).toEqual(expected);
  });
});
