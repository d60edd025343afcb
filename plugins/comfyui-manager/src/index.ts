import { defineSink, type TargetChoice, type TargetContext, type VariableSpec } from '@comfy-secrets/core/contract';

/**
 * ComfyUI-Manager reads no `.env`: it reads its own `config.ini` with configparser
 * (`ConfigParser(strict=False)`, section `[default]`, keys read with `default_conf.get(key)` and
 * booleans as `value.lower() == 'true'`; see `read_config()` in glob/manager_core.py, later
 * comfyui_manager/glob/manager_core.py of ltdrdata/ComfyUI-Manager and Comfy-Org/ComfyUI-Manager).
 * Where that file lives moved twice:
 *  - before 3.1: next to the code, `custom_nodes/ComfyUI-Manager/config.ini`;
 *  - 3.1 to 3.37: `update_user_directory()` puts it in `<user dir>/default/ComfyUI-Manager/`;
 *  - 3.38 and later: `get_manager_path()` uses `<user dir>/__manager/` (the system user directory,
 *    which the ComfyUI API cannot serve), and migrates the old file there once.
 */
export const LAYOUTS = [
  { from: [0, 0], path: 'custom_nodes/ComfyUI-Manager/config.ini', label: 'before 3.1' },
  { from: [3, 1], path: 'user/default/ComfyUI-Manager/config.ini', label: '3.1 to 3.37' },
  { from: [3, 38], path: 'user/__manager/config.ini', label: '3.38 and later' },
] as const;

type Layout = (typeof LAYOUTS)[number];
const NEWEST: Layout = LAYOUTS[LAYOUTS.length - 1]!;

/**
 * The `version` of pyproject.toml's `[project]` table. A precise regex rather than a TOML library:
 * the sink reads one basic string of one table, and a container start should not load a parser for
 * that. Anything it cannot read (a dynamic version, an odd spelling) counts as "version unknown",
 * which falls back to where a config.ini already is — never a guess from a half-read file.
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

/** `[major, minor]` of versions like `3.38.1`, `V3.1`, `2.51.9-beta`; undefined otherwise. */
export function majorMinor(version: string): [number, number] | undefined {
  const match = /^v?(\d+)(?:\.(\d+))?/i.exec(version.trim());
  return match ? [Number(match[1]), Number(match[2] ?? 0)] : undefined;
}

function layoutFor([major, minor]: [number, number]): Layout {
  let chosen: Layout = LAYOUTS[0];
  for (const layout of LAYOUTS) if (major > layout.from[0] || (major === layout.from[0] && minor >= layout.from[1])) chosen = layout;
  return chosen;
}

/** Picks config.ini's location from the installed Manager's version, and says why (shown by `plan`). */
export function chooseConfigFile(context: Pick<TargetContext, 'nodeDir' | 'readText' | 'exists'>): TargetChoice {
  const node = context.nodeDir.split(/[\\/]/).pop() ?? 'ComfyUI-Manager';
  const legacyPath = `custom_nodes/${node}/config.ini`;
  const pathOf = (layout: Layout) => (layout === LAYOUTS[0] ? legacyPath : layout.path);
  const pyproject = context.readText(`custom_nodes/${node}/pyproject.toml`);
  const version = pyproject === undefined ? undefined : projectVersion(pyproject);
  const parsed = version === undefined ? undefined : majorMinor(version);
  if (version !== undefined && parsed) {
    const layout = layoutFor(parsed);
    return { path: pathOf(layout), relativeTo: 'comfyui', reason: `ComfyUI-Manager ${version} (${layout.label}) reads ${pathOf(layout)}` };
  }
  const why = pyproject === undefined ? `custom_nodes/${node}/pyproject.toml is missing` : `custom_nodes/${node}/pyproject.toml has no readable [project] version`;
  for (const layout of [...LAYOUTS].reverse()) {
    if (context.exists(pathOf(layout))) return { path: pathOf(layout), relativeTo: 'comfyui', reason: `version unknown (${why}); ${pathOf(layout)} already exists` };
  }
  return { path: NEWEST.path, relativeTo: 'comfyui', reason: `version unknown (${why}) and no config.ini yet; using the newest layout` };
}

const choice = (allowed: readonly string[]): VariableSpec => ({
  secret: false,
  // The Manager lowercases these values when it reads them, so any case means the same to it.
  transform: (value) => value.toLowerCase(),
  allowed,
});

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** Written as configparser's own `str(bool)` spelling; the Manager reads `value.lower() == 'true'`. */
const boolean: VariableSpec = {
  secret: false,
  transform: (value) => {
    const lower = value.toLowerCase();
    if (TRUE.has(lower)) return 'True';
    if (FALSE.has(lower)) return 'False';
    throw new Error('must be a boolean: true, false, 1, 0, yes, no, on or off');
  },
};

const text: VariableSpec = { secret: false };

export default defineSink({
  name: 'comfyui-manager',
  nodes: ['ComfyUI-Manager', 'comfyui-manager'],
  relativeTo: 'comfyui',
  file: chooseConfigFile,
  format: { type: 'ini', section: 'default' },
  variables: {
    security_level: { ...choice(['strong', 'normal', 'normal-', 'weak']), from: ['COMFYUI_MANAGER_SECURITY_LEVEL'] },
    network_mode: { ...choice(['public', 'private', 'offline']), from: ['COMFYUI_MANAGER_NETWORK_MODE'] },
    channel_url: { ...text, from: ['COMFYUI_MANAGER_CHANNEL_URL'] },
    use_uv: { ...boolean, from: ['COMFYUI_MANAGER_USE_UV'] },
    file_logging: { ...boolean, from: ['COMFYUI_MANAGER_FILE_LOGGING'] },
    bypass_ssl: { ...boolean, from: ['COMFYUI_MANAGER_BYPASS_SSL'] },
    git_exe: { ...text, from: ['COMFYUI_MANAGER_GIT_EXE'] },
    update_policy: { ...text, from: ['COMFYUI_MANAGER_UPDATE_POLICY'] },
  },
});
