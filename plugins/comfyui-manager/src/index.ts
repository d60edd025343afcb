import { defineSink, type VariableSpec } from '@comfy-secrets/core/contract';
import { chooseConfigFiles, managerPackage } from './layout';

export { chooseConfigFiles, ManagerLayoutError, PRESTARTUP_KEYS } from './layout';
export { atLeast, codeVersion, parseVersion, projectVersion, type Version } from './versions';

/**
 * ComfyUI-Manager reads no `.env`: it reads its own `config.ini` with configparser, section
 * `[default]`, booleans as `value.lower() == 'true'`. Which file, with which parser options, and what
 * Manager does with it at start (its migration to `user/__manager`, its defaults) depends on the
 * Manager release and on the ComfyUI it runs in: `./layout.ts` decides, docs/sinks.md "ComfyUI-Manager" has
 * the table. Manager v4 is a pip package ComfyUI starts itself (`--enable-manager`): no directory
 * under custom_nodes, so `installedElsewhere` finds it through ComfyUI's manager_requirements.txt.
 */

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
  installedElsewhere: managerPackage,
  // Someone who set COMFYUI_MANAGER_* expects a Manager to read it: no Manager is an error, not a skip.
  whenNotInstalled: 'fail-when-set',
  relativeTo: 'comfyui',
  file: chooseConfigFiles,
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
    allow_git_url_install: { ...boolean, from: ['COMFYUI_MANAGER_ALLOW_GIT_URL_INSTALL'] },
    allow_pip_install: { ...boolean, from: ['COMFYUI_MANAGER_ALLOW_PIP_INSTALL'] },
  },
});
