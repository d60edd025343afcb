import type { CliContext } from './context';

/**
 * What a command prints on stdout: one JSON document, or text. Both pass through redaction; in JSON only
 * string values are redacted, so a secret that happens to equal a key or a fragment of the layout
 * cannot break the document.
 */
export function print(context: CliContext, json: boolean | undefined, document: object, text: () => string): void {
  const { redactor } = context;
  const output = json ? `${JSON.stringify(document, (_key, value: unknown) => (typeof value === 'string' ? redactor.redact(value) : value), 2)}\n` : redactor.redact(text());
  context.stdout.write(output);
}
