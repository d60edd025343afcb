import { colourOn, painter, type Paint } from './colour';
import type { CliContext } from './context';

/**
 * Colours a text the command printed, after redaction: it may only wrap parts of `redacted` in
 * colour codes, never add or change characters, so a secret redaction withheld stays withheld.
 */
export type Colourer = (redacted: string, paint: Paint) => string;

/**
 * What a command prints on stdout: one JSON document, or text. Both pass through redaction; in JSON only
 * string values are redacted, so a secret that happens to equal a key or a fragment of the layout
 * cannot break the document. JSON is never coloured; text is when `colour` is given and stdout is a
 * terminal (or FORCE_COLOR says so).
 */
export function print(context: CliContext, json: boolean | undefined, document: object, text: () => string, colour?: Colourer): void {
  const { redactor } = context;
  if (json) {
    context.stdout.write(`${JSON.stringify(document, (_key, value: unknown) => (typeof value === 'string' ? redactor.redact(value) : value), 2)}\n`);
    return;
  }
  const redacted = redactor.redact(text());
  const paint = colour && painter(colourOn(context.colour, context.stdout));
  context.stdout.write(paint ? colour(redacted, paint) : redacted);
}
