import type { SecretSink, TargetChoice, TargetContext } from './contract';
import { SinkError } from './errors';

/**
 * The file a sink writes for one node: its static `file` (`.env` in the node directory by default), or
 * what its `file()` function chooses. The choice is checked here because a plugin's function can
 * return anything, and every caller (the runner, audit) must read it the same way.
 * @throws SinkError `PLUGIN_ERROR` when `file()` throws or returns something that is not a choice
 */
export function chooseTarget(sink: SecretSink, context: TargetContext): TargetChoice {
  if (typeof sink.file !== 'function') return { path: sink.file ?? '.env', relativeTo: sink.relativeTo ?? 'node' };
  let choice: unknown;
  try {
    choice = sink.file(context);
  } catch (error) {
    throw new SinkError('PLUGIN_ERROR', `its file() function threw: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const { path: target, relativeTo = sink.relativeTo ?? 'node', reason } = (choice ?? {}) as Partial<TargetChoice>;
  if (typeof target !== 'string' || target === '' || (relativeTo !== 'node' && relativeTo !== 'comfyui')) {
    throw new SinkError('PLUGIN_ERROR', "its file() function must return { path, relativeTo?: 'node' | 'comfyui', reason? }");
  }
  return { path: target, relativeTo, reason: typeof reason === 'string' ? reason : undefined };
}
