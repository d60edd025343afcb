export const REDACTED = '[redacted]';

/** Values shorter than this are not searched for: they would shred ordinary words in every log line. */
const MIN_LENGTH = 4;
/** The shortest run of a value's characters that `quotesPiece` treats as quoting it. */
const PIECE = 6;

/**
 * Knows every secret value of the run and removes it, in the forms it is likely to be printed in
 * (raw, base64, JSON-escaped, URL-encoded), from any text.
 *
 * One pass over the text, whatever the number of secrets: at each position one set lookup of the next
 * two characters rejects almost everything; where a form may start, one hash lookup per distinct form
 * length finds the longest form there. (A combined regular expression of the forms was tried each
 * alternative at each position: 100 sinks of 10 secrets took 2.7 s of redaction, and V8 refuses a
 * branch of about 32 K characters.) Matches are leftmost, then longest, so a secret that contains
 * another is removed whole.
 */
export class Redactor {
  /** Values given to `add`, so each one's forms are added once. */
  private readonly added = new Set<string>();
  /** Every form, by length. */
  private readonly byLength = new Map<number, Set<string>>();
  private formCount = 0;
  /** The first two UTF-16 units of every form, as one number. */
  private readonly heads = new Set<number>();
  /** Distinct form lengths, longest first; rebuilt after a new length is added. */
  private lengths: number[] | undefined;

  add(value: string): void {
    if (value.length < MIN_LENGTH || this.added.has(value)) return;
    this.added.add(value);
    this.addForm(value);
    this.addForm(base64(value));
    // Inside a larger base64 blob (a Basic-auth header: base64 of `user:token`) a value starts at any
    // of three byte offsets, and only the groups made of its own bytes alone are the same every time:
    // base64 of the value from its 1st, 2nd or 3rd byte on, cut to whole groups.
    for (const form of base64Inner(value)) this.addForm(form);
    // Most values (tokens, ids) are the same JSON-escaped and URL-encoded: no need to build both.
    if (!UNESCAPED.test(value)) {
      this.addForm(JSON.stringify(value).slice(1, -1));
      this.addForm(encodeURIComponent(value));
    }
  }

  private addForm(form: string): void {
    let sameLength = this.byLength.get(form.length);
    if (sameLength === undefined) {
      sameLength = new Set();
      this.byLength.set(form.length, sameLength);
      this.lengths = undefined;
    } else if (sameLength.has(form)) {
      return;
    }
    sameLength.add(form);
    this.formCount += 1;
    this.heads.add(head(form, 0));
  }

  /**
   * Whether `text` holds 6 or more consecutive characters of a known value. Redaction finds whole
   * values only, and a third-party message can quote a piece of one (V8's JSON.parse quotes the first
   * ten characters of its input), so messages a plugin's code produced are checked with this before
   * they are shown. O(values × text): for error paths, not for every log line.
   */
  quotesPiece(text: string): boolean {
    for (const value of this.added) {
      for (let i = 0; i + PIECE <= value.length; i += 1) if (text.includes(value.slice(i, i + PIECE))) return true;
    }
    return false;
  }

  /** How many forms are searched for. */
  get size(): number {
    return this.formCount;
  }

  redact(text: string): string {
    if (this.formCount === 0 || text.length < MIN_LENGTH) return text;
    const lengths = (this.lengths ??= [...this.byLength.keys()].sort((a, b) => b - a));
    let result = '';
    let copied = 0;
    for (let i = 0; i <= text.length - MIN_LENGTH; ) {
      const length = this.heads.has(head(text, i)) ? this.longestAt(text, i, lengths) : 0;
      if (length === 0) {
        i += 1;
        continue;
      }
      result += text.slice(copied, i) + REDACTED;
      i += length;
      copied = i;
    }
    return copied === 0 ? text : result + text.slice(copied);
  }

  private longestAt(text: string, at: number, lengths: readonly number[]): number {
    for (const length of lengths) {
      if (at + length <= text.length && this.byLength.get(length)!.has(text.slice(at, at + length))) return length;
    }
    return 0;
  }
}

/** Characters that neither `JSON.stringify` nor `encodeURIComponent` changes. */
const UNESCAPED = /^[A-Za-z0-9_.!~*'()-]*$/;

/** UTF-8 base64. An ASCII value's UTF-8 bytes are its Latin-1 ones, so `btoa` (no Buffer) gives the same text. */
function base64(value: string): string {
  return /^[\x00-\x7f]*$/.test(value) ? btoa(value) : Buffer.from(value).toString('base64');
}

/** The shortest inner base64 form searched for: fewer characters would match ordinary base64 by chance. */
const MIN_INNER_BASE64 = 8;

function base64Inner(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms: string[] = [];
  for (let skip = 0; skip < 3; skip += 1) {
    const whole = Math.floor((bytes.length - skip) / 3) * 3;
    if ((whole / 3) * 4 >= MIN_INNER_BASE64) forms.push(bytes.subarray(skip, skip + whole).toString('base64'));
  }
  return forms;
}

/**
 * Text a plugin's code made (an error message, a `file()` reason), as it may be shown: redacted, or
 * `withheld` when it still quotes a piece of a secret after that (`quotesPiece`).
 */
export function pluginText(text: string, redactor: Pick<Redactor, 'quotesPiece' | 'redact'> | undefined, withheld: string): string {
  if (!redactor) return text;
  const redacted = redactor.redact(text);
  return redactor.quotesPiece(redacted) ? withheld : redacted;
}

/** A stack's frames without its message, which may be a plugin's text. */
export function stackFrames(stack: string | undefined): string | undefined {
  return stack
    ?.split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
}

function head(text: string, at: number): number {
  return text.charCodeAt(at) * 0x10000 + text.charCodeAt(at + 1);
}
