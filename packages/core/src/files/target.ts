import type { SecretSink, TargetChoice, TargetContext, TargetRule } from '../contract';
import { SinkError } from '../errors';
import { pluginText, type Redactor } from '../values/redact';
import { formatProblems } from '../formats/spec';
import { TARGET_ROOTS } from '../sinks/validate';

const SHAPE = `its file() function must return { path, relativeTo?: ${TARGET_ROOTS.map((root) => `'${root}'`).join(' | ')}, reason?, keys?, format?, defaults?, rules?, seed? } or a non-empty array of them`;

/**
 * The files a sink writes for one node: its static `file` (`.env` in the node directory by default),
 * or what its `file()` function chooses. The choice is checked here because a plugin's function can
 * return anything, and every caller (the runner, audit) must read it the same way.
 * @throws SinkError `PLUGIN_ERROR` when `file()` throws or returns something that is not a choice
 */
export function chooseTargets(sink: SecretSink, context: TargetContext, redactor?: Pick<Redactor, 'quotesPiece' | 'redact'>): TargetChoice[] {
  if (typeof sink.file !== 'function') return [{ path: sink.file ?? '.env', relativeTo: sink.relativeTo ?? 'node' }];
  let choice: unknown;
  try {
    choice = sink.file(context);
  } catch (error) {
    // The function may have parsed a file holding a secret, and the parser's message quote a piece of
    // it: whole values are redacted later, but a piece left after that withholds the message.
    const message = error instanceof Error ? error.message : String(error);
    const withheld = `${error instanceof Error ? error.name : 'an error'} (its message quotes part of a secret, so it is not shown)`;
    const shown = pluginText(message, redactor, withheld);
    // An error with a stable code is the sink refusing a layout on purpose, in words meant for the operator.
    const code = (error as { code?: unknown } | null)?.code;
    if (shown !== withheld && error instanceof Error && typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code)) throw new SinkError(code, shown, { cause: error });
    throw new SinkError('PLUGIN_ERROR', `its file() function threw: ${shown}`, { cause: error });
  }
  const choices: unknown[] = Array.isArray(choice) ? choice : [choice];
  if (choices.length === 0) throw new SinkError('PLUGIN_ERROR', SHAPE);
  return choices.map((one) => checkChoice(sink, one, context, redactor));
}

/** The first file of {@link chooseTargets}: for callers that look at one file per node. */
export function chooseTarget(sink: SecretSink, context: TargetContext, redactor?: Pick<Redactor, 'quotesPiece' | 'redact'>): TargetChoice {
  return chooseTargets(sink, context, redactor)[0]!;
}

function checkChoice(sink: SecretSink, choice: unknown, context: TargetContext, redactor: Pick<Redactor, 'quotesPiece' | 'redact'> | undefined): TargetChoice {
  const { path: target, relativeTo = sink.relativeTo ?? 'node', reason, keys, format, defaults, rules, seed } = (choice ?? {}) as Partial<TargetChoice>;
  const ok =
    typeof target === 'string' &&
    target !== '' &&
    TARGET_ROOTS.includes(relativeTo) &&
    (seed === undefined || (typeof seed === 'string' && seed !== '')) &&
    (keys === undefined || (Array.isArray(keys) && keys.every((key) => typeof key === 'string' && Object.hasOwn(sink.variables, key)))) &&
    (format === undefined || formatProblems(format).length === 0) &&
    (defaults === undefined || (typeof defaults === 'object' && defaults !== null && Object.entries(defaults).every(([key, value]) => typeof value === 'string' && Object.hasOwn(sink.variables, key)))) &&
    (rules === undefined || (Array.isArray(rules) && rules.every(isRule)));
  if (!ok) throw new SinkError('PLUGIN_ERROR', SHAPE);
  if (relativeTo === 'node' && context.nodeDir === undefined) {
    throw new SinkError('PLUGIN_ERROR', "its node is installed outside custom_nodes, so its file() function must choose a path relative to 'comfyui' or 'user'");
  }
  // The reason is printed by `plan` and `run`: a function that read a file may have put part of it there.
  return { path: target, relativeTo, reason: typeof reason === 'string' ? pluginText(reason, redactor, '(withheld: it quotes part of a secret)') : undefined, keys, format, defaults, rules, ...(seed === undefined ? {} : { seed }) };
}

function isRule(rule: unknown): rule is TargetRule {
  const r = (rule ?? {}) as Partial<TargetRule>;
  return (
    typeof r.key === 'string' &&
    (r.when === 'set' || r.when === 'unset') &&
    (r.values === undefined || (Array.isArray(r.values) && r.values.every((value) => typeof value === 'string'))) &&
    (r.level === 'error' || r.level === 'warn') &&
    typeof r.reason === 'string'
  );
}
