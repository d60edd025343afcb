import { defineSink, type TargetChoice, type TargetContext } from '@comfy-secrets/core/contract';

const nodeName = (context: TargetContext): string => (context.nodeDir ?? '').split(/[\\/]/).pop() || 'ComfyUI-Lora-Manager';

/** `use_portable_settings: true` in `<node>/settings.json`, read as the node's `_should_use_portable_settings` does. */
function isPortable(text: string | undefined): boolean {
  if (text === undefined) return false;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && (parsed as { use_portable_settings?: unknown }).use_portable_settings === true;
  } catch {
    return false;
  }
}

/**
 * ComfyUI-LoRA-Manager (willmiao/ComfyUI-Lora-Manager, `py/utils/settings_paths.py`) keeps
 * `settings.json` in platformdirs' `user_config_dir("ComfyUI-LoRA-Manager")` — `$XDG_CONFIG_HOME`
 * (else `~/.config`) `/ComfyUI-LoRA-Manager/` on Linux — unless portable mode is on: then in the node
 * directory. At start it moves a `<node>/settings.json` it finds into the user directory when that has
 * none; writing the user directory's file first would strand it, so the keys are merged into that old
 * file's content instead. The file is read with `json.load` (UTF-8) and rewritten by the app. The node
 * also takes `CIVITAI_API_KEY` from its own environment at start, and strips the key before use in
 * the downloader, so a key with whitespace at an end is refused.
 * `LORA_MANAGER_PORTABLE=1` in ComfyUI's environment is not seen here: set `use_portable_settings`.
 */
export function chooseSettingsFile(context: TargetContext): TargetChoice {
  const legacy = `custom_nodes/${nodeName(context)}/settings.json`;
  const text = context.readText(legacy);
  if (isPortable(text)) return { path: 'settings.json', relativeTo: 'node', reason: `${legacy} turns portable mode on` };
  return {
    path: 'ComfyUI-LoRA-Manager/settings.json',
    relativeTo: 'xdg-config',
    reason: 'user_config_dir (portable mode is off)',
    ...(text === undefined ? {} : { seed: legacy }),
  };
}

const noEdgeSpace = (value: string): string => {
  if (value.trim() !== value) throw new Error('starts or ends with whitespace, which LoRA Manager strips');
  return value;
};

export default defineSink({
  name: 'ComfyUI-Lora-Manager',
  nodes: ['ComfyUI-Lora-Manager', 'comfyui-lora-manager'],
  file: chooseSettingsFile,
  format: { type: 'json', merge: true },
  variables: {
    civitai_api_key: { from: ['CIVITAI_API_KEY', 'CIVITAI_TOKEN', 'CIVITAI_API_TOKEN'], transform: noEdgeSpace },
  },
});
