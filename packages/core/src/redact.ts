export const REDACTED = '[redacted]';

/** Values shorter than this are not searched for: they would shred ordinary words in every log line. */
const MIN_LENGTH = 4;

/**
 * V8 refuses an alternation with a branch of about 32 K characters or more ("Regular expression too
 * large"), so a large secret (a 24 KiB certificate bundle's base64 form) would make every log line
 * throw. Forms longer than this are removed by plain search instead.
 */
const MAX_PATTERN_BRANCH = 16 * 1024;

/**
 * Knows every secret value of the run and removes it, in the forms it is likely to be printed in
 * (raw, base64, JSON-escaped, URL-encoded), from any text. One combined pattern keeps the cost of a
 * log line independent of how many secrets there are.
 */
export class Redactor {
  private readonly values = new Set<string>();
  private pattern: RegExp | undefined;
  /** Forms too long for the combined pattern, longest first; removed one by one before it runs. */
  private long: string[] | undefined;

  add(value: string): void {
    if (value.length < MIN_LENGTH || this.values.has(value)) return;
    for (const form of [value, Buffer.from(value).toString('base64'), JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]) {
      this.values.add(form);
    }
    this.pattern = undefined;
    this.long = undefined;
  }

  get size(): number {
    return this.values.size;
  }

  redact(text: string): string {
    if (this.values.size === 0) return text;
    if (this.pattern === undefined || this.long === undefined) {
      // Longest first, so a secret that contains another is removed whole.
      const sorted = [...this.values].sort((a, b) => b.length - a.length);
      this.long = sorted.filter((form) => form.length > MAX_PATTERN_BRANCH);
      const short = sorted.filter((form) => form.length <= MAX_PATTERN_BRANCH);
      this.pattern = short.length > 0 ? new RegExp(short.map(escapeRegExp).join('|'), 'g') : /(?!)/g;
    }
    let result = text;
    for (const form of this.long) result = result.split(form).join(REDACTED);
    return result.replace(this.pattern, REDACTED);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}
