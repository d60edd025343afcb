import type { TargetChoice, TargetContext, TargetRule, TreeContext } from '@comfy-secrets/core/contract';
import { atLeast, codeVersion, comfyuiVersion, defaultOption, hasSystemUserApi, namesManager, parseVersion, pinnedManager, projectVersion, show, type Version } from './versions';

/** The sink refuses a layout it cannot serve exactly; the runner reports the code and the message. */
export class ManagerLayoutError extends Error {
  constructor(
    readonly code: 'MANAGER_VERSION_UNKNOWN' | 'COMFYUI_UNKNOWN' | 'COMFYUI_TOO_OLD',
    message: string,
  ) {
    super(message);
    this.name = 'ManagerLayoutError';
  }
}

/** The installed Manager: its version (or the oldest it can be), and where that was read. */
interface Manager {
  readonly version: Version;
  /** `version` is the release; otherwise only the oldest it can be. */
  readonly exact: boolean;
  /** When not exact: a release it is known to be older than. */
  readonly before?: Version;
  readonly label: string;
  readonly pip: boolean;
}

const V = (major: number, minor: number, patch = 0): Version => [major, minor, patch];

/** The release whose `read_config` first reads each key (before it, the key is ignored). */
const READ_SINCE: Record<string, Version> = {
  security_level: V(2, 33),
  network_mode: V(3, 19),
  use_uv: V(3, 16),
  update_policy: V(3, 25),
  channel_url: V(0, 0),
  git_exe: V(0, 0),
  file_logging: V(0, 0),
  bypass_ssl: V(0, 0),
};
/** The dedicated install flags came to the 3.x line in 3.41 and to the pip package in 4.2.2. */
const ALLOW_SINCE = { v3: V(3, 41), v4: V(4, 2, 2) };
const ALLOW_KEYS = ['allow_git_url_install', 'allow_pip_install'];

/** Keys 3.1–3.4 read from the old `custom_nodes/ComfyUI-Manager/config.ini` too: prestartup_script.py (file_logging, bypass_ssl) and git_helper.py (git_exe). */
export const PRESTARTUP_KEYS = ['file_logging', 'bypass_ssl', 'git_exe'] as const;

const USER_CONFIG = 'default/ComfyUI-Manager/config.ini';
const SYSTEM_CONFIG = '__manager/config.ini';

/** How Manager v4 is installed when it is not under custom_nodes: ComfyUI lists the pip package and starts it with --enable-manager. */
export function managerPackage(context: TreeContext): string | undefined {
  const requirements = context.readText('manager_requirements.txt');
  if (requirements === undefined || !namesManager(requirements)) return undefined;
  const pinned = pinnedManager(requirements);
  return `the pip package comfyui_manager${pinned ? ` ${show(pinned)}` : ''} that ComfyUI starts with --enable-manager (its manager_requirements.txt)`;
}

function managerOf(context: TargetContext): Manager {
  if (context.nodeDir === undefined) {
    const pinned = pinnedManager(context.readText('manager_requirements.txt') ?? '');
    return pinned ? { version: pinned, exact: true, label: `ComfyUI-Manager ${show(pinned)} (pip, pinned by manager_requirements.txt)`, pip: true } : { version: V(4, 0), exact: false, label: 'ComfyUI-Manager 4.x (pip, version not pinned by manager_requirements.txt)', pip: true };
  }
  const node = `custom_nodes/${context.nodeDir.split(/[\\/]/).pop()}`;
  for (const file of ['glob/manager_core.py', 'comfyui_manager/glob/manager_core.py', '__init__.py']) {
    const text = context.readText(`${node}/${file}`);
    const version = text === undefined ? undefined : codeVersion(text);
    if (version) return { version, exact: true, label: `ComfyUI-Manager ${show(version)} (${node}/${file})`, pip: false };
  }
  const pyproject = context.readText(`${node}/pyproject.toml`);
  if (pyproject === undefined) {
    // Releases before May 2024 had no pyproject.toml; every one of them read the file next to its code.
    return { version: V(0, 0), exact: false, before: V(2, 34, 1), label: `ComfyUI-Manager before 2.34 (${node} has no pyproject.toml)`, pip: false };
  }
  const text = projectVersion(pyproject);
  const version = text === undefined ? undefined : parseVersion(text);
  if (!version || version[0] < 2) {
    throw new ManagerLayoutError('MANAGER_VERSION_UNKNOWN', `cannot tell which ComfyUI-Manager is installed: ${node}/pyproject.toml has no readable [project] version and no version list was found in its code, so where it reads config.ini is unknown`);
  }
  return { version, exact: true, label: `ComfyUI-Manager ${show(version)} (${node}/pyproject.toml)`, pip: false };
}

/** Rules for keys this Manager does not read at all. */
function unreadKeys(manager: Manager): TargetRule[] {
  const since: Record<string, Version> = { ...READ_SINCE };
  for (const key of ALLOW_KEYS) since[key] = manager.version[0] >= 4 ? ALLOW_SINCE.v4 : ALLOW_SINCE.v3;
  const rules: TargetRule[] = [];
  for (const [key, first] of Object.entries(since)) {
    if (atLeast(manager.version, first)) continue;
    const never = manager.exact || (manager.before !== undefined && atLeast(first, manager.before));
    rules.push({
      key,
      when: 'set',
      level: 'error',
      reason: never
        ? `${manager.label} does not read ${key} (${show(first)} and later do), so setting it would change nothing; unset it or update ComfyUI-Manager`
        : `cannot tell whether ${manager.label} reads ${key} (${show(first)} and later do); unset it, or install a ComfyUI-Manager whose version comfy-secrets can read`,
    });
  }
  return rules;
}

/** Rules every layout of this Manager shares, from how its read_config treats a value. */
function valueRules(manager: Manager, existing: string | undefined, file: string): TargetRule[] {
  const rules: TargetRule[] = [];
  const v = manager.version;
  // 2.33 to 3.21.1: a disable_unsecure_features left in the file decides the level instead.
  if (atLeast(v, V(2, 33)) && !atLeast(v, V(3, 21, 2)) && existing !== undefined) {
    const legacy = defaultOption(existing, 'disable_unsecure_features');
    if (legacy) {
      const level = legacy.value.toLowerCase() === 'true' ? 'strong' : 'normal';
      rules.push({
        key: 'security_level',
        when: 'set',
        values: ['strong', 'normal', 'normal-', 'weak'].filter((other) => other !== level),
        level: 'error',
        reason: `${manager.label} reads disable_unsecure_features (line ${legacy.line} of ${file}) instead of security_level, which makes the level ${level} whatever security_level says; remove that line, or set the level to ${level}`,
      });
    }
  }
  // 3.41 / 4.2.2: a low level no longer opens git-URL and pip installs; two flags do.
  const allowSince = v[0] >= 4 ? ALLOW_SINCE.v4 : ALLOW_SINCE.v3;
  if (atLeast(v, allowSince)) {
    rules.push({
      key: 'security_level',
      when: 'set',
      values: ['weak', 'normal-'],
      level: 'warn',
      reason: `since ${show(allowSince)} a low security_level no longer allows installs from a git URL or with pip: ${manager.label} reads allow_git_url_install and allow_pip_install for those (set COMFYUI_MANAGER_ALLOW_GIT_URL_INSTALL / COMFYUI_MANAGER_ALLOW_PIP_INSTALL)`,
    });
  }
  return rules;
}

/**
 * What a config.ini that comfy-secrets creates must hold so that Manager reads every other setting as it
 * would with no file: from 3.19 `read_config`'s `get_bool` ignores its default, so a file without
 * `file_logging` reads False where no file reads True; from 3.33.5 no file means `use_uv` is on when
 * its Python can import uv, which a file without `use_uv` reads as False.
 */
function freshFile(manager: Manager): Pick<TargetChoice, 'defaults' | 'rules'> {
  const v = manager.version;
  const defaults: Record<string, string> = atLeast(v, V(3, 19)) ? { file_logging: 'True' } : {};
  const rules: TargetRule[] = atLeast(v, V(3, 33, 5))
    ? [
        {
          key: 'use_uv',
          when: 'unset',
          level: 'error',
          reason: `there is no config.ini yet, and without one ${manager.label} turns use_uv on exactly when its Python can import uv, which comfy-secrets cannot see; set it to true or false so the file it creates holds your choice`,
        },
      ]
    : [];
  return { defaults, rules };
}

/**
 * Where this installation's Manager reads its settings, which keys each file gets and what its reader
 * would override. Decided from both the Manager (its version) and ComfyUI (whether `folder_paths` has
 * `get_system_user_directory`, which 3.38 and later key their location on).
 */
export function chooseConfigFiles(context: TargetContext): TargetChoice[] {
  const manager = managerOf(context);
  const v = manager.version;
  const userShown = (relative: string) => (context.userDir === `${context.comfyuiDir}/user` ? `user/${relative}` : `${context.userDir}/${relative}`);
  const nodeShown = context.nodeDir === undefined ? '' : `custom_nodes/${context.nodeDir.split(/[\\/]/).pop()}/config.ini`;
  const strict = !atLeast(v, V(3, 25, 1));
  const ini = (isStrict: boolean) => ({ type: 'ini' as const, section: 'default', strict: isStrict });

  const core = (relativeTo: 'user' | 'node', path: string, shown: string, why: string, extra: { strict?: boolean; rules?: TargetRule[] } = {}): TargetChoice => {
    const existing = context.readText(relativeTo === 'user' ? path : `${nodeShown}`, relativeTo === 'user' ? 'user' : 'comfyui');
    const fresh = existing === undefined && !context.exists(relativeTo === 'user' ? path : nodeShown, relativeTo === 'user' ? 'user' : 'comfyui') ? freshFile(manager) : {};
    return {
      path,
      relativeTo,
      reason: `${manager.label} ${why} reads ${shown}`,
      format: ini(extra.strict ?? strict),
      defaults: fresh.defaults,
      rules: [...unreadKeys(manager), ...valueRules(manager, existing, shown), ...(fresh.rules ?? []), ...(extra.rules ?? [])],
    };
  };

  if (manager.pip || v[0] >= 4 || atLeast(v, V(3, 38))) {
    const folderPaths = context.readText('folder_paths.py');
    const comfyui = comfyuiVersion(context.readText('comfyui_version.py'));
    const comfyuiLabel = `ComfyUI${comfyui ? ` ${comfyui}` : ''}`;
    if (folderPaths === undefined) {
      throw new ManagerLayoutError('COMFYUI_UNKNOWN', `${manager.label} reads user/__manager/config.ini or user/default/ComfyUI-Manager/config.ini depending on whether ComfyUI's folder_paths.py has get_system_user_directory, and there is no folder_paths.py in ${context.comfyuiDir}`);
    }
    const api = hasSystemUserApi(folderPaths);
    if (manager.pip || v[0] >= 4) {
      if (!api) throw new ManagerLayoutError('COMFYUI_TOO_OLD', `${manager.label} needs folder_paths.get_system_user_directory (ComfyUI 0.3.76 and later) to find its settings, and ${comfyuiLabel} has none; update ComfyUI`);
      return [core('user', SYSTEM_CONFIG, userShown(SYSTEM_CONFIG), `on ${comfyuiLabel} (folder_paths.get_system_user_directory("manager"))`, { strict: false })];
    }
    if (!api) {
      return [
        core('user', USER_CONFIG, userShown(USER_CONFIG), `on ${comfyuiLabel}, whose folder_paths.py has no get_system_user_directory,`, {
          rules: [
            {
              key: 'security_level',
              when: 'set',
              values: ['normal', 'normal-', 'weak'],
              level: 'error',
              reason: `${manager.label} forces security_level to strong on a ComfyUI without get_system_user_directory (${comfyuiLabel}), whatever config.ini says; update ComfyUI to 0.3.76 or later, or set the level to strong`,
            },
          ],
        }),
      ];
    }
    const legacy = context.exists(USER_CONFIG, 'user');
    if (legacy && !context.exists(SYSTEM_CONFIG, 'user')) {
      // Manager moves this file to __manager itself on its next start. A __manager/config.ini made
      // first would send it down its "first update" path instead, which sets the old file aside unread.
      return [
        core('user', USER_CONFIG, userShown(USER_CONFIG), `on ${comfyuiLabel} migrates ${userShown(USER_CONFIG)} to ${userShown(SYSTEM_CONFIG)} on its next start; until then it`, {
          // The migration reads it with ConfigParser(), which is strict.
          strict: true,
          rules: [
            {
              key: 'security_level',
              when: 'set',
              values: ['weak', 'normal-'],
              level: 'error',
              reason: `${manager.label} raises security_level weak and normal- to normal when it migrates ${userShown(USER_CONFIG)} to ${userShown(SYSTEM_CONFIG)}, which it does on its next start; start ComfyUI once without this setting so that it migrates, then set it again`,
            },
            // Its prestartup_script.py runs before the core migrates, and reads the file not there yet.
            ...(['file_logging', 'bypass_ssl', 'use_uv'] as const).map(
              (key): TargetRule => ({
                key,
                when: 'set',
                level: 'warn',
                reason: `on the start that migrates, ${manager.label}'s prestartup_script.py reads ${userShown(SYSTEM_CONFIG)} before the migration has made it, so for that one start it goes by its default for ${key}; its core reads the value at once, and every later start reads it everywhere`,
              }),
            ),
          ],
        }),
      ];
    }
    return [core('user', SYSTEM_CONFIG, userShown(SYSTEM_CONFIG), `on ${comfyuiLabel} (folder_paths has get_system_user_directory)`)];
  }
  if (atLeast(v, V(3, 5))) return [core('user', USER_CONFIG, userShown(USER_CONFIG), '(3.5 to 3.37)')];
  if (atLeast(v, V(3, 1))) {
    const prestartup = core('node', 'config.ini', nodeShown, '(3.1 to 3.4) prestartup_script.py and git_helper.py');
    return [core('user', USER_CONFIG, userShown(USER_CONFIG), '(3.1 to 3.4)'), { ...prestartup, keys: PRESTARTUP_KEYS, defaults: undefined }];
  }
  return [core('node', 'config.ini', nodeShown, '(before 3.1)')];
}
