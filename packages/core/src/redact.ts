export const REDACTED = '[redacted]';

/** Values shorter than this are not searched for: they would shred ordinary words in every log line. */
const MIN_LENGTH = 4;

/**
 * Knows every secret value of the run and removes it, in the forms it is likely to be printed in
 * (raw, base64, JSON-escaped, URL-encoded), from any text. One combined pattern keeps the cost of a
 * log line independent of how many secrets there are.
 */
export class Redactor {
  private readonly values = new Set<string>();
  private pattern: RegExp | undefined;

  add(value: string): void {
    if (value.length < MIN_LENGTH || this.values.has(value)) return;
    for (const form of [value, Buffer.from(value).toString('base64'), JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]) {
      this.values.add(form);
    }
    this.pattern = undefined;
  }

  get size(): number {
    return this.values.size;
  }

  redact(text: string): string {
    if (this.values.size === 0) return text;
    this.pattern ??= new RegExp(
      // Longest first, so a secret that contains another is removed whole.
      [...this.values].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'),
      'g',
    );
    return text.replace(this.pattern, REDACTED);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}
