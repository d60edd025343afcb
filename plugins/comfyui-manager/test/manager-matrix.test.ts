/**
 * Every layout ComfyUI-Manager has had, run end to end: the sink on a fake tree, then a model of that
 * release's start (test/helpers/manager_startup.py: its migration, its defaults, its read_config with
 * the real configparser), compared with the same start on the same tree without the sink. The
 * requirement: Manager reads every key we set with our value, and every other setting exactly as it
 * would have without us — or the sink refuses, naming the variable and the key.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkSinks, createContainer, Redactor, realFileSystem, Runner, type Logger, type SinkReport } from '@comfy-secrets/core';
import sink from '../src';
import { PYTHON } from '../../../test/helpers/real-readers';

const STARTUP = path.join(__dirname, '../../../test/helpers/manager_startup.py');
const [loaded] = checkSinks([sink], 'comfyui-manager');

type Files = Record<string, string>;
interface Start {
  settings: Record<string, string | boolean>;
  prestartup: Record<string, string | boolean>;
  notices: string[];
  config: string;
}

const folderPaths = (api: boolean) => `def get_user_directory():\n    return user_directory\n${api ? 'def get_system_user_directory(name="system"):\n    return name\n' : ''}`;
/** A ComfyUI tree: folder_paths.py with or without get_system_user_directory (0.3.76 added it). */
const comfyui = (api: boolean): Files => ({ 'folder_paths.py': folderPaths(api), 'comfyui_version.py': `__version__ = "${api ? '0.3.76' : '0.3.64'}"\n` });
const pyproject = (version: string): Files => ({ 'custom_nodes/ComfyUI-Manager/pyproject.toml': `[project]\nname = "comfyui-manager"\nversion = "${version}"\n` });
/** Releases before pyproject.toml kept their version in __init__.py (2.2x) as a list. */
const oldManager = (list: string): Files => ({ 'custom_nodes/ComfyUI-Manager/__init__.py': `version = [${list}]\n` });
const pipManager = (pin: string): Files => ({ 'manager_requirements.txt': `comfyui_manager==${pin}\n` });

const LEGACY = 'user/default/ComfyUI-Manager/config.ini';
const SYSTEM = 'user/__manager/config.ini';
const USER_SETTINGS = ['[default]', 'share_option = none', 'channel_url = https://example.invalid/my-channel', 'downgrade_blacklist = torch, numpy', 'use_uv = True', 'security_level = normal', ''].join('\n');

const BOOLEAN = new Set(['use_uv', 'file_logging', 'bypass_ssl', 'allow_git_url_install', 'allow_pip_install']);
const VARIABLE: Record<string, string> = Object.fromEntries(Object.entries(sink.variables).map(([key, spec]) => [spec.from![0]!, key]));

let base: string;
beforeEach(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-manager-')));
});
afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

function tree(name: string, files: Files): string {
  const root = path.join(base, name, 'ComfyUI');
  fs.mkdirSync(path.join(root, 'custom_nodes'), { recursive: true });
  for (const [relative, text] of Object.entries(files)) {
    const file = path.join(root, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return root;
}

function run(root: string, env: Record<string, string>, userDir?: string): { report: SinkReport; warnings: string[] } {
  const warnings: string[] = [];
  const quiet = () => undefined;
  const logger: Logger = { error: quiet, info: quiet, debug: quiet, warn: (message) => warnings.push(message) };
  const container = createContainer({ env, cwd: root, fs: realFileSystem, sinks: [loaded!], logger, redactor: new Redactor() });
  const report = container.resolve(Runner).run({ comfyuiDir: root, userDir: userDir && path.resolve(root, userDir) });
  return { report: report.sinks[0]!, warnings };
}

function start(root: string, manager: { version: string; pip?: boolean; api: boolean; uv?: boolean }, userDir = 'user'): Start {
  const input = JSON.stringify({ comfyui: root, user: path.resolve(root, userDir), version: manager.version, pip: manager.pip ?? false, api: manager.api, uv: manager.uv ?? true });
  const result = spawnSync(PYTHON, [STARTUP], { input, encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  if (result.status !== 0) throw new Error(`manager_startup.py failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Start;
}

/** What Manager makes of a value we set for `key`. */
const asRead = (key: string, value: string) => (BOOLEAN.has(key) ? ['true', '1', 'yes', 'on'].includes(value.toLowerCase()) : key === 'channel_url' || key === 'git_exe' ? value : value.toLowerCase());

interface Cell {
  files: Files;
  env: Record<string, string>;
  manager: { version: string; pip?: boolean; api: boolean; uv?: boolean };
  userDir?: string;
  /** Manager migrates the legacy file on this start: its prestartup, which runs first, reads ours from the next start. */
  migrates?: boolean;
}

/**
 * Runs the cell with and without the sink and checks the requirement on the first start and on a
 * restart. Returns both starts for checks of their own.
 */
function exactCell(cell: Cell): { with: Start; without: Start; report: SinkReport; warnings: string[] } {
  const plain = tree('without', cell.files);
  const ours = tree('with', cell.files);
  const { report, warnings } = run(ours, cell.env, cell.userDir);
  expect(report.errors).toEqual([]);
  expect(report.status).toBe('written');
  const without = start(plain, cell.manager, cell.userDir);
  const withUs = start(ours, cell.manager, cell.userDir);
  const set = new Map(Object.entries(cell.env).map(([name, value]) => [VARIABLE[name]!, value]));
  for (const [key, value] of Object.entries(without.settings)) {
    expect([key, withUs.settings[key]]).toEqual([key, set.has(key) ? asRead(key, set.get(key)!) : value]);
  }
  expect(Object.keys(withUs.settings).sort()).toEqual(Object.keys(without.settings).sort());
  const expectedPrestartup = Object.fromEntries(Object.entries(without.prestartup).map(([key, value]) => [key, set.has(key) ? asRead(key, set.get(key)!) : value]));
  expect(withUs.prestartup).toEqual(cell.migrates ? without.prestartup : expectedPrestartup);
  expect(withUs.config).toBe(without.config);
  // A second start reads the same: nothing we wrote is undone by what Manager did on the first.
  const again = start(ours, cell.manager, cell.userDir);
  expect(again.settings).toEqual(withUs.settings);
  if (cell.migrates) {
    // Manager's own second start: the user's legacy values reach its prestartup only now, and ours with them.
    const plainAgain = start(plain, cell.manager, cell.userDir);
    expect(again.prestartup).toEqual(Object.fromEntries(Object.entries(plainAgain.prestartup).map(([key, value]) => [key, set.has(key) ? asRead(key, set.get(key)!) : value])));
  } else {
    expect(again.prestartup).toEqual(withUs.prestartup);
  }
  return { with: withUs, without, report, warnings };
}

function refusedCell(cell: Omit<Cell, 'manager'>): SinkReport {
  const root = tree('with', cell.files);
  const before = snapshot(root);
  const { report } = run(root, cell.env, cell.userDir);
  expect(report.status).toBe('failed');
  expect(snapshot(root)).toEqual(before);
  return report;
}

function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else out[path.relative(root, file)] = fs.readFileSync(file, 'utf8');
    }
  };
  walk(path.dirname(root));
  return out;
}

describe('Manager 2.2x, before pyproject.toml: custom_nodes/ComfyUI-Manager/config.ini', () => {
  const files = { ...comfyui(false), ...oldManager('2, 24, 1') };

  test('keys it reads are exact, fresh and merged', () => {
    const env = { COMFYUI_MANAGER_CHANNEL_URL: 'https://example.invalid/ch?x=100%', COMFYUI_MANAGER_GIT_EXE: '/usr/bin/git', COMFYUI_MANAGER_BYPASS_SSL: 'true' };
    const fresh = exactCell({ files, env, manager: { version: '2.24.1', api: false } });
    expect(fresh.report.files.map((file) => file.path)).toEqual(['custom_nodes/ComfyUI-Manager/config.ini']);
    expect(fresh.report.files[0]?.reason).toBe('ComfyUI-Manager 2.24.1 (custom_nodes/ComfyUI-Manager/__init__.py) (before 3.1) reads custom_nodes/ComfyUI-Manager/config.ini');
    exactCell({ files: { ...files, 'custom_nodes/ComfyUI-Manager/config.ini': '[default]\nshare_option = none\n' }, env, manager: { version: '2.24.1', api: false } });
  });

  test('security_level, which 2.24 does not read, is refused naming the variable', () => {
    const report = refusedCell({ files, env: { COMFYUI_MANAGER_SECURITY_LEVEL: 'weak' } });
    expect(report.errors[0]).toMatchObject({ code: 'READER_CONFLICT', variable: 'security_level' });
    expect(report.errors[0]?.message).toMatch(/^COMFYUI_MANAGER_SECURITY_LEVEL \(security_level\): ComfyUI-Manager 2\.24\.1 .* does not read security_level \(2\.33 and later do\)/);
  });

  test('no pyproject.toml and no version in the code: keys every old release reads are written, others refused', () => {
    const bare = { ...comfyui(false), 'custom_nodes/ComfyUI-Manager/__init__.py': '# no version list\n' };
    const ok = exactCell({ files: bare, env: { COMFYUI_MANAGER_GIT_EXE: '/usr/bin/git' }, manager: { version: '2.20', api: false } });
    expect(ok.report.files[0]?.path).toBe('custom_nodes/ComfyUI-Manager/config.ini');
    const report = refusedCell({ files: bare, env: { COMFYUI_MANAGER_SECURITY_LEVEL: 'strong' } });
    expect(report.errors[0]?.message).toContain('cannot tell whether ComfyUI-Manager before 2.34');
    expect(refusedCell({ files: bare, env: { COMFYUI_MANAGER_NETWORK_MODE: 'offline' } }).errors[0]?.message).toContain('does not read network_mode (3.19 and later do)');
  });
});

describe('Manager 2.5x: custom_nodes/…/config.ini, strict ConfigParser(), disable_unsecure_features', () => {
  const files = { ...comfyui(false), ...pyproject('2.51.9') };

  test('security_level merged into the existing file is read', () => {
    exactCell({ files: { ...files, 'custom_nodes/ComfyUI-Manager/config.ini': USER_SETTINGS }, env: { COMFYUI_MANAGER_SECURITY_LEVEL: 'weak' }, manager: { version: '2.51.9', api: false } });
  });

  test('a disable_unsecure_features in the file would override security_level: refused, naming both', () => {
    const report = refusedCell({ files: { ...files, 'custom_nodes/ComfyUI-Manager/config.ini': '[default]\ndisable_unsecure_features = True\n' }, env: { COMFYUI_MANAGER_SECURITY_LEVEL: 'weak' } });
    expect(report.errors[0]?.message).toContain('COMFYUI_MANAGER_SECURITY_LEVEL (security_level): ComfyUI-Manager 2.51.9');
    expect(report.errors[0]?.message).toContain('reads disable_unsecure_features (line 2 of custom_nodes/ComfyUI-Manager/config.ini) instead of security_level, which makes the level strong');
  });

  test('…and a level equal to what it yields is written', () => {
    exactCell({ files: { ...files, 'custom_nodes/ComfyUI-Manager/config.ini': '[default]\ndisable_unsecure_features = True\n' }, env: { COMFYUI_MANAGER_SECURITY_LEVEL: 'strong' }, manager: { version: '2.51.9', api: false } });
  });

  test('a repeated option, which its strict ConfigParser() refuses, is refused naming file and line', () => {
    const report = refusedCell({ files: { ...files, 'custom_nodes/ComfyUI-Manager/config.ini': '[default]\nshare_option = none\nshare_option = all\n' }, env: { COMFYUI_MANAGER_GIT_EXE: '/usr/bin/git' } });
    expect(report.errors[0]?.message).toBe(
      'custom_nodes/ComfyUI-Manager/config.ini: the existing file is not readable by configparser (line 3: an option appears twice in its section (ConfigParser() is strict; strict=False would accept it)); fix or remove it first',
    );
  });
});

describe('Manager 3.1 to 3.4: the core reads user/default/…, prestartup and git_helper the old file', () => {
  const files = { ...comfyui(false), ...pyproject('3.3') };

  test('file_logging, bypass_ssl and git_exe reach both files; the rest only the core file', () => {
    const env = { COMFYUI_MANAGER_SECURITY_LEVEL: 'weak', COMFYUI_MANAGER_FILE_LOGGING: 'false', COMFYUI_MANAGER_BYPASS_SSL: 'true', COMFYUI_MANAGER_GIT_EXE: '/opt/git' };
    const cell = exactCell({ files, env, manager: { version: '3.3', api: false } });
    expect(cell.report.files.map((file) => file.path)).toEqual([LEGACY, 'custom_nodes/ComfyUI-Manager/config.ini']);
    expect(cell.with.prestartup).toEqual({ file_logging: false, bypass_ssl: true, git_exe: '/opt/git' });
    const old = fs.readFileSync(path.join(base, 'with/ComfyUI/custom_nodes/ComfyUI-Manager/config.ini'), 'utf8');
    expect(old).not.toContain('security_level');
  });

  test('only core keys set: the old file is left alone', () => {
    const cell = exactCell({ files, env: { COMFYUI_MANAGER_SECURITY_LEVEL: 'strong' }, manager: { version: '3.3', api: false } });
    expect(cell.report.files.map((file) => file.path)).toEqual([LEGACY]);
  });
});

describe('Manager 3.31: user/default/…, ConfigParser(strict=False)', () => {
  const files = { ...comfyui(false), ...pyproject('3.31.12') };

  test('repeated sections and options, which strict=False accepts, are merged: every occurrence gets the value', () => {
    const existing = '[default]\nsecurity_level = strong\nshare_option = none\n[default]\nsecurity_level = normal\nuse_uv = True\nfile_logging = True\n';
    const cell = exactCell({ files: { ...files, [LEGACY]: existing }, env: { COMFYUI_MANAGER_SECURITY_LEVEL: 'weak' }, manager: { version: '3.31.12', api: false } });
    expect(cell.with.settings).toMatchObject({ security_level: 'weak', share_option: 'none' });
    expect(cell.report.files[0]?.format).toBe('ini [default] strict=False');
  });

  test("a lone % in a key we don't set would make read_config fall back to every default: refused, naming file and line", () => {
    const existing = '[default]\nsecurity_level = strong\nchannel_url = https://example.invalid/%7Euser/ch\n';
    const report = refusedCell({ files: { ...files, [LEGACY]: existing }, env: { COMFYUI_MANAGER_NETWORK_MODE: 'offline' } });
    expect(report.errors[0]).toMatchObject({ code: 'UNREADABLE_EXISTING', file: LEGACY });
    expect(report.errors[0]?.message).toContain(`${LEGACY}: the existing file is not readable by configparser (line 3: the value holds a %`);
  });
});

describe('Manager 3.37: user/default/…, fresh install defaults', () => {
  const files = { ...comfyui(true), ...pyproject('3.37') };

  test('fresh: file_logging is written True (a file without it reads False), use_uv must be chosen', () => {
    const report = refusedCell({ files, env: { COMFYUI_MANAGER_SECURITY_LEVEL: 'weak' } });
    expect(report.errors[0]?.message).toMatch(/^COMFYUI_MANAGER_USE_UV \(use_uv\): there is no config\.ini yet/);
    for (const uv of [true, false]) {
      const cell = exactCell({ files, env: { COMFYUI_MANAGER_SECURITY_LEVEL: 'weak', COMFYUI_MANAGER_USE_UV: String(uv) }, manager: { version: '3.37', api: true, uv } });
      expect(cell.with.settings.file_logging).toBe(true);
      fs.rmSync(path.join(base, 'with'), { recursive: true });
      fs.rmSync(path.join(base, 'without'), { recursive: true });
    }
  });

  test('migrated tree (an existing file): merged, every other setting kept', () => {
    const cell = exactCell({ files: { ...files, [LEGACY]: USER_SETTINGS }, env: { COMFYUI_MANAGER_SECURITY_LEVEL: 'weak' }, manager: { version: '3.37', api: true } });
    expect(cell.with.settings).toMatchObject({ share_option: 'none', downgrade_blacklist: 'torch, numpy', use_uv: true });
  });
});

describe('Manager 3.38 and later on a ComfyUI with get_system_user_directory', () => {
  const files = { ...comfyui(true), ...pyproject('3.41') };

  test('fresh: user/__manager/config.ini', () => {
    const cell = exactCell({ files, env: { COMFYUI_MANAGER_NETWORK_MODE: 'offline', COMFYUI_MANAGER_USE_UV: 'true' }, manager: { version: '3.41', api: true } });
    expect(cell.report.files.map((file) => file.path)).toEqual([SYSTEM]);
    expect(cell.report.files[0]?.reason).toBe('ComfyUI-Manager 3.41 (custom_nodes/ComfyUI-Manager/pyproject.toml) on ComfyUI 0.3.76 (folder_paths has get_system_user_directory) reads user/__manager/config.ini');
  });

  test('legacy user/default/… and no __manager yet: written there, and Manager migrates it with every setting', () => {
    const cell = exactCell({ files: { ...files, [LEGACY]: USER_SETTINGS }, env: { COMFYUI_MANAGER_NETWORK_MODE: 'offline', COMFYUI_MANAGER_SECURITY_LEVEL: 'strong', COMFYUI_MANAGER_GIT_EXE: '/opt/100%/git', COMFYUI_MANAGER_FILE_LOGGING: 'false' }, manager: { version: '3.41', api: true }, migrates: true });
    expect(cell.report.files.map((file) => file.path)).toEqual([LEGACY]);
    expect(cell.report.warnings).toEqual([expect.stringMatching(/^COMFYUI_MANAGER_FILE_LOGGING \(file_logging\): on the start that migrates, .*prestartup_script\.py reads user\/__manager\/config\.ini before the migration has made it/)]);
    expect(cell.with.prestartup.file_logging).toBe(true);
    expect(cell.with.settings.git_exe).toBe('/opt/100%/git');
    expect(cell.with.notices).toContain('migrated');
    expect(cell.with.config).toBe(SYSTEM);
    expect(cell.with.settings).toMatchObject({ share_option: 'none', channel_url: 'https://example.invalid/my-channel', downgrade_blacklist: 'torch, numpy', use_uv: true, network_mode: 'offline', security_level: 'strong' });
  });

  test('…a weak level there would be raised to normal by that migration: refused, naming both', () => {
    const report = refusedCell({ files: { ...files, [LEGACY]: USER_SETTINGS }, env: { COMFYUI_MANAGER_SECURITY_LEVEL: 'weak' } });
    expect(report.errors[0]?.message).toMatch(/^COMFYUI_MANAGER_SECURITY_LEVEL \(security_level\): ComfyUI-Manager 3\.41 .* raises security_level weak and normal- to normal when it migrates/);
  });

  test('…and a repeated option, which the migration\'s strict ConfigParser() refuses, is refused', () => {
    const report = refusedCell({ files: { ...files, [LEGACY]: `${USER_SETTINGS}share_option = all\n` }, env: { COMFYUI_MANAGER_NETWORK_MODE: 'offline' } });
    expect(report.errors[0]?.message).toContain('line 7: an option appears twice in its section (ConfigParser() is strict');
  });

  test('both files (migrated before): __manager is written, the legacy file is left to Manager', () => {
    exactCell({ files: { ...files, [LEGACY]: USER_SETTINGS, [SYSTEM]: USER_SETTINGS.replace('share_option = none', 'share_option = workflow') }, env: { COMFYUI_MANAGER_SECURITY_LEVEL: 'weak' }, manager: { version: '3.41', api: true } });
  });

  test('3.41: a low level warns that git-URL and pip installs now need their own flags, which are written', () => {
    const cell = exactCell({ files: { ...files, [SYSTEM]: USER_SETTINGS }, env: { COMFYUI_MANAGER_SECURITY_LEVEL: 'weak', COMFYUI_MANAGER_ALLOW_GIT_URL_INSTALL: 'true' }, manager: { version: '3.41', api: true } });
    expect(cell.report.warnings?.[0]).toMatch(/^COMFYUI_MANAGER_SECURITY_LEVEL \(security_level\): since 3\.41 a low security_level no longer allows installs from a git URL or with pip/);
    expect(cell.warnings[0]).toContain('COMFYUI_MANAGER_SECURITY_LEVEL (security_level)');
    expect(cell.with.settings.allow_git_url_install).toBe(true);
  });

  test('3.39 does not read allow_git_url_install: refused, naming the variable', () => {
    const report = refusedCell({ files: { ...comfyui(true), ...pyproject('3.39.2'), [SYSTEM]: USER_SETTINGS }, env: { COMFYUI_MANAGER_ALLOW_PIP_INSTALL: 'true' } });
    expect(report.errors[0]?.message).toMatch(/^COMFYUI_MANAGER_ALLOW_PIP_INSTALL \(allow_pip_install\): ComfyUI-Manager 3\.39\.2 .* does not read allow_pip_install \(3\.41 and later do\)/);
  });

  test('--user-directory elsewhere: the same layout under it', () => {
    const cell = exactCell({ files: { ...files, '../data/user/default/ComfyUI-Manager/config.ini': USER_SETTINGS }, env: { COMFYUI_MANAGER_NETWORK_MODE: 'private' }, manager: { version: '3.41', api: true }, userDir: '../data/user', migrates: true });
    expect(cell.report.files.map((file) => file.path)).toEqual([path.join('..', 'data/user/default/ComfyUI-Manager/config.ini')]);
    expect(cell.with.config).toBe(path.join('..', 'data/user/__manager/config.ini'));
    expect(fs.existsSync(path.join(base, 'with/ComfyUI/user'))).toBe(false);
  });
});

describe('Manager 3.38 and later on an older ComfyUI (no get_system_user_directory)', () => {
  const files = { ...comfyui(false), ...pyproject('3.39.2') };

  test('user/default/…; nothing goes to __manager (which would raise its "suspicious path" alert)', () => {
    const cell = exactCell({ files: { ...files, [LEGACY]: USER_SETTINGS }, env: { COMFYUI_MANAGER_SECURITY_LEVEL: 'strong', COMFYUI_MANAGER_NETWORK_MODE: 'offline' }, manager: { version: '3.39.2', api: false } });
    expect(cell.report.files.map((file) => file.path)).toEqual([LEGACY]);
    expect(cell.with.notices).toEqual([]);
    expect(fs.existsSync(path.join(base, 'with/ComfyUI', SYSTEM))).toBe(false);
  });

  test('it forces security_level to strong there: any other level is refused, naming both', () => {
    const report = refusedCell({ files: { ...files, [LEGACY]: USER_SETTINGS }, env: { COMFYUI_MANAGER_SECURITY_LEVEL: 'weak' } });
    expect(report.errors[0]?.message).toMatch(/^COMFYUI_MANAGER_SECURITY_LEVEL \(security_level\): ComfyUI-Manager 3\.39\.2 .* forces security_level to strong on a ComfyUI without get_system_user_directory \(ComfyUI 0\.3\.64\)/);
  });

  test('no folder_paths.py: cannot tell, refused', () => {
    const report = refusedCell({ files: pyproject('3.39.2'), env: { COMFYUI_MANAGER_NETWORK_MODE: 'offline' } });
    expect(report.errors[0]?.code).toBe('COMFYUI_UNKNOWN');
  });
});

describe('Manager v4, the pip package ComfyUI starts with --enable-manager', () => {
  test('found through manager_requirements.txt: user/__manager/config.ini, allow_* exposed', () => {
    const env = { COMFYUI_MANAGER_SECURITY_LEVEL: 'normal-', COMFYUI_MANAGER_ALLOW_PIP_INSTALL: 'yes', COMFYUI_MANAGER_USE_UV: 'false' };
    const cell = exactCell({ files: { ...comfyui(true), ...pipManager('4.2.2') }, env, manager: { version: '4.2.2', pip: true, api: true } });
    expect(cell.report.files.map((file) => file.path)).toEqual([SYSTEM]);
    expect(cell.report.files[0]?.reason).toContain('ComfyUI-Manager 4.2.2 (pip, pinned by manager_requirements.txt)');
    expect(cell.with.settings).toMatchObject({ security_level: 'normal-', allow_pip_install: true, use_uv: false, file_logging: true });
  });

  test('4.1 does not read allow_pip_install yet', () => {
    const report = refusedCell({ files: { ...comfyui(true), ...pipManager('4.1') }, env: { COMFYUI_MANAGER_ALLOW_PIP_INSTALL: 'yes' } });
    expect(report.errors[0]?.message).toContain('does not read allow_pip_install (4.2.2 and later do)');
  });

  test('no Manager anywhere and COMFYUI_MANAGER_* set: fails, naming the variable', () => {
    const report = refusedCell({ files: comfyui(true), env: { COMFYUI_MANAGER_SECURITY_LEVEL: 'weak' } });
    expect(report.errors[0]).toMatchObject({ code: 'NOT_INSTALLED' });
    expect(report.errors[0]?.message).toBe(
      'COMFYUI_MANAGER_SECURITY_LEVEL (security_level) is set, but the node comfyui-manager serves is not installed (looked for custom_nodes/ComfyUI-Manager, custom_nodes/comfyui-manager, nor anywhere else it can run from), so nothing would read it',
    );
  });

  test('no Manager and nothing set: skipped', () => {
    const { report } = run(tree('with', comfyui(true)), {});
    expect(report.status).toBe('skipped');
  });
});
