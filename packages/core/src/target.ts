import type { SecretSink, TargetChoice, TargetContext } from './contract';
import { SinkError } from './errors';
import type { Redactor } from './redact';
import { TARGET_ROOTS } from './validate';

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
    const shown = redactor?.quotesPiece(redactor.redact(message)) ? `${error instanceof Error ? error.name : 'an error'} (its message quotes part of a secret, so it is not shown)` : message;
    throw new SinkError('PLUGIN_ERROR', `its file() function threw: ${shown}`, { cause: error });
  }
  const { path: target, relativeTo = sink.relativeTo ?? 'node', reason, seed } = (choice ?? {}) as Partial<TargetChoice>;
  if (typeof target !== 'string' || target === '' || !TARGET_ROOTS.includes(relativeTo)) {
    throw new SinkError('PLUGIN_ERROR', `its file() function must return { path, relativeTo?: ${TARGET_ROOTS.map((root) => `'${root}'`).join(' | ')}, reason? }`);
  }
  if (seed !== undefined && (typeof seed !== 'string' || seed === '')) throw new SinkError('PLUGIN_ERROR', "its file() function returned a 'seed' that is not a path");
  return { path: target, relativeTo, reason: typeof reason === 'string' ? reason : undefined, ...(seed === undefined ? {} : { seed }) };
}
