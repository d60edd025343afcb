/**
 * What the installed ComfyUI-Manager and ComfyUI are, read from their files. Facts about when each
 * Manager release changed how it reads `config.ini` come from its own code
 * (`glob/manager_core.py` `read_config`/`update_user_directory`, `glob/manager_migration.py`,
 * `prestartup_script.py`, `git_helper.py`; Comfy-Org/ComfyUI-Manager and ltdrdata/ComfyUI-Manager tags).
 */

export type Version = readonly [major: number, minor: number, patch: number];

/** `3.38.1`, `V3.1`, `2.51.9-beta` → `[3, 38, 1]`, `[3, 1, 0]`, `[2, 51, 9]`; undefined otherwise. */
export function parseVersion(text: string): Version | undefined {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/i.exec(text.trim());
  return match ? [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)] : undefined;
}

/** `a` is `b` or later. */
export function atLeast(a: Version, b: Version): boolean {
  for (let index = 0; index < 3; index += 1) if (a[index] !== b[index]) return a[index]! > b[index]!;
  return true;
}

export const show = (version: Version): string => (version[2] === 0 ? `${version[0]}.${version[1]}` : version.join('.'));

/**
 * The `version` of pyproject.toml's `[project]` table. A precise regex rather than a TOML library:
 * the sink reads one basic string of one table, and a container start should not load a parser for
 * that. Anything it cannot read (a dynamic version, an odd spelling) is no version.
 */
export function projectVersion(pyproject: string): string | undefined {
  let inProject = false;
  for (const line of pyproject.split(/\r?\n/)) {
    const table = /^\s*\[\s*([^\]]*?)\s*\]\s*(?:#.*)?$/.exec(line);
    if (table) {
      inProject = table[1] === 'project';
      continue;
    }
    const version = inProject ? /^\s*version\s*=\s*(?:"([^"\\]*)"|'([^']*)')\s*(?:#.*)?$/.exec(line) : null;
    if (version) return version[1] ?? version[2];
  }
  return undefined;
}

/**
 * The version list Manager's code prints as its own: `version_code = [3, 38]` (3.x) or
 * `version = [2, 48, 1]` (2.x) at the top of `glob/manager_core.py`, `version = [2, 19]` in
 * `__init__.py` before April 2024. It is there in every release, also before pyproject.toml
 * existed (May 2024), and right where pyproject.toml said "1.0.0" for a few days.
 */
export function codeVersion(python: string): Version | undefined {
  const match = /^(?:version|version_code)\s*=\s*\[\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*(\d+)\s*)?\]/m.exec(python);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : undefined;
}

/** `comfyui_manager==4.2.2` in ComfyUI's manager_requirements.txt → `4.2.2`; a range or no pin → undefined. */
export function pinnedManager(requirements: string): Version | undefined {
  const match = /^\s*comfyui[-_]manager\s*==\s*([0-9][\w.]*)\s*(?:[;#].*)?$/im.exec(requirements);
  return match ? parseVersion(match[1]!) : undefined;
}

/** Whether ComfyUI's requirements name the Manager package at all (ComfyUI ships it as a pip package since late 2025). */
export function namesManager(requirements: string): boolean {
  return /^\s*comfyui[-_]manager\b/im.test(requirements);
}

/** `folder_paths.get_system_user_directory` exists (ComfyUI's "System User Protection", v0.3.76): Manager 3.38+ keys its location on it. */
export function hasSystemUserApi(folderPaths: string): boolean {
  return /^def get_system_user_directory\s*\(/m.test(folderPaths);
}

/** `__version__ = "0.3.76"` of comfyui_version.py, for messages. */
export function comfyuiVersion(versionFile: string | undefined): string | undefined {
  return versionFile === undefined ? undefined : /^__version__\s*=\s*["']([^"']+)["']/m.exec(versionFile)?.[1];
}

/**
 * The value of one option of `[default]`, by a line scan (no interpolation, last one wins, as
 * `strict=False` reads it): enough to see a key that changes what another key means.
 */
export function defaultOption(ini: string, key: string): { value: string; line: number } | undefined {
  let inDefault = false;
  let found: { value: string; line: number } | undefined;
  ini.split(/\r\n|\r|\n/).forEach((line, index) => {
    const header = /^\s*\[([^\]\n]+)\]/.exec(line);
    if (header) {
      inDefault = header[1] === 'default' || header[1] === 'DEFAULT';
      return;
    }
    const option = inDefault ? /^\s*([^=:\s][^=:]*?)\s*[=:]\s*(.*?)\s*$/.exec(line) : null;
    if (option && option[1]!.toLowerCase() === key && !/^[#;]/.test(option[1]!)) found = { value: option[2]!, line: index + 1 };
  });
  return found;
}
