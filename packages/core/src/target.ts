import type { SecretSink, TargetChoice, TargetContext } from './contract';
import { SinkError } from './errors';
import { pluginText, type Redactor } from './redact';

/**
 * The file a sink writes for one node: its static `file` (`.env` in the node directory by default), or
 * what its `file()` function chooses. The choice is checked here because a plugin's function can
 * return anything, and every caller (the runner, audit) must read it the same way.
 * @throws SinkError `PLUGIN_ERROR` when `file()` throws or returns something that is not a choice
 */
export function chooseTarget(sink: SecretSink, context: TargetContext, redactor?: Pick<Redactor, 'quotesPiece' | 'redact'>): TargetChoice {
  if (typeof sink.file !== 'function') return { path: sink.file ?? '.env', relativeTo: sink.relativeTo ?? 'node' };
  let choice: unknown;
  try {
    choice = sink.file(context);
  } catch (error) {
    // The function may have parsed a file holding a secret, and the parser's message quote a piece of
    // it: whole values are redacted later, but a piece left after that withholds the message.
    const message = error instanceof Error ? error.message : String(error);
    const shown = pluginText(message, redactor, `${error instanceof Error ? error.name : 'an error'} (its message quotes part of a secret, so it is not shown)`);
    throw new SinkError('PLUGIN_ERROR', `its file() function threw: ${shown}`, { cause: error });
  }
  const { path: target, relativeTo = sink.relativeTo ?? 'node', reason } = (choice ?? {}) as Partial<TargetChoice>;
  if (typeof target !== 'string' || target === '' || (relativeTo !== 'node' && relativeTo !== 'comfyui')) {
    throw new SinkError('PLUGIN_ERROR', "its file() function must return { path, relativeTo?: 'node' | 'comfyui', reason? }");
  }
  // The reason is printed by `plan` and `run`: a function that read a file may have put part of it there.
  return { path: target, relativeTo, reason: typeof reason === 'string' ? pluginText(reason, redactor, '(withheld: it quotes part of a secret)') : undefined };
}
