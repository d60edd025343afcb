import fc from 'fast-check';
import { REDACTED, Redactor } from '../../src/values/redact';
import { CANARY } from '../helpers';

/** The specification, by brute force: at each position the longest form that starts there, else the character. */
function naiveRedact(values: readonly string[], text: string): string {
  const forms = values
    .filter((value) => value.length >= 4)
    .flatMap((value) => [value, Buffer.from(value).toString('base64'), JSON.stringify(value).slice(1, -1), encodeURIComponent(value), ...innerBase64(value)]);
  let result = '';
  for (let i = 0; i < text.length; ) {
    const longest = forms.filter((form) => text.startsWith(form, i)).reduce((best, form) => Math.max(best, form.length), 0);
    result += longest > 0 ? REDACTED : text[i];
    i += longest > 0 ? longest : 1;
  }
  return result;
}

/** The base64 of a value inside a larger blob, at each of the three byte alignments: its whole groups only (8 characters or more). */
function innerBase64(value: string): string[] {
  const bytes = Buffer.from(value);
  return [0, 1, 2].map((skip) => bytes.subarray(skip, skip + Math.floor((bytes.length - skip) / 3) * 3).toString('base64')).filter((form) => form.length >= 8);
}

// A small alphabet makes overlapping and nested secrets, and their encoded forms, frequent.
const piece = fc.string({ unit: fc.constantFrom('a', 'b', 'Y', 'W', '=', '%', '"', '\\', '\n', 'é', '🙂'), maxLength: 9 });

describe('Redactor', () => {
  it('removes the leftmost, then longest, form of every secret, like a search for each one', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), piece, (values, filler) => {
        const redactor = new Redactor();
        for (const value of values) redactor.add(value);
        const text = [filler, ...values, ...values.map((value) => Buffer.from(value).toString('base64')), filler].join(filler.slice(0, 2));
        expect(redactor.redact(text)).toBe(naiveRedact(values, text));
      }),
      { numRuns: 2000 },
    );
  });

  it.each([0, 1, 2, 3, 4, 5])('removes the base64 of a secret inside a larger blob (a Basic-auth header) %i bytes in', (offset) => {
    const redactor = new Redactor();
    const token = 'hf_FAKE_basic_auth_token_0042';
    redactor.add(token);
    const prefix = 'user:'.slice(0, offset).padEnd(offset, 'u');
    const blob = Buffer.from(`${prefix}${token}`).toString('base64');
    // The characters of the blob made of the token's bytes alone: whole 3-byte groups inside it.
    const first = Math.ceil(offset / 3);
    const last = Math.floor((offset + token.length) / 3);
    const inner = blob.slice(first * 4, last * 4);

    const shown = redactor.redact(`Authorization: Basic ${blob}`);

    expect(shown).toContain(REDACTED);
    for (let i = 0; i + 8 <= inner.length; i += 1) expect(shown).not.toContain(inner.slice(i, i + 8));
  });

  it('removes a secret far longer than a regular expression branch may be', () => {
    const redactor = new Redactor();
    const value = `FAKE-${'x'.repeat(70_000)}`;
    redactor.add(value);
    expect(redactor.redact(`before ${Buffer.from(value).toString('base64')} after ${value}`)).toBe(`before ${REDACTED} after ${REDACTED}`);
  });

  it('removes every one of 40,000 secrets from one text', () => {
    const redactor = new Redactor();
    const values = Array.from({ length: 40_000 }, (_, i) => `fake-value-${i}-FAKE`);
    for (const value of values) redactor.add(value);
    expect(redactor.redact(values.join(' '))).toBe(values.map(() => REDACTED).join(' '));
  });
});

function redactorOf(...values: string[]): Redactor {
  const redactor = new Redactor();
  for (const value of values) redactor.add(value);
  return redactor;
}

describe('Redactor forms and limits', () => {
  it('removes the raw value', () => {
    expect(redactorOf(CANARY).redact(`token=${CANARY}; again ${CANARY}`)).toBe(`token=${REDACTED}; again ${REDACTED}`);
  });

  it('removes the base64 form', () => {
    expect(redactorOf(CANARY).redact(`Basic ${Buffer.from(CANARY).toString('base64')}`)).toBe(`Basic ${REDACTED}`);
  });

  it('removes the JSON-escaped form', () => {
    const secret = 'hf_FAKE"quoted"\\back\nslash';
    expect(redactorOf(secret).redact(JSON.stringify({ token: secret }))).toBe(`{"token":"${REDACTED}"}`);
  });

  it('removes the URL-encoded form', () => {
    const secret = 'p@ss w/rd&FAKE=1';
    expect(redactorOf(secret).redact(`https://host/?key=${encodeURIComponent(secret)}&x=1`)).toBe(`https://host/?key=${REDACTED}&x=1`);
  });

  it('removes the longest of overlapping secrets whole', () => {
    expect(redactorOf('FAKE', 'FAKE_TOKEN_LONGER').redact('a FAKE_TOKEN_LONGER b')).toBe(`a ${REDACTED} b`);
  });

  it('ignores values shorter than 4 characters', () => {
    const redactor = redactorOf('abc', '', 'x');
    expect(redactor.size).toBe(0);
    expect(redactor.redact('abc x')).toBe('abc x');
  });

  it('redacts a value of exactly 4 characters', () => {
    expect(redactorOf('FAKE').redact('a FAKE b')).toBe(`a ${REDACTED} b`);
  });

  it('treats regular expression characters literally', () => {
    const redactor = redactorOf('a.b*c+(d)|[e]');
    expect(redactor.redact('a.b*c+(d)|[e] aXbbbc+d')).toBe(`${REDACTED} aXbbbc+d`);
  });

  it('adds a value once', () => {
    const redactor = redactorOf(CANARY, CANARY);
    expect(redactor.size).toBe(redactorOf(CANARY).size);
  });

  it('redacts values added after it was first used', () => {
    const redactor = redactorOf(CANARY);
    redactor.redact('warm up');
    redactor.add('sk-FAKE-later');
    expect(redactor.redact(`${CANARY} sk-FAKE-later`)).toBe(`${REDACTED} ${REDACTED}`);
  });

  it('leaves text alone when it knows no secret', () => {
    expect(new Redactor().redact('nothing to see')).toBe('nothing to see');
  });

  it('removes every form of any secret whole', () => {
    // \u0001 never appears in a form, so the only possible match between the delimiters is the form itself.
    const secret = fc.string({ unit: 'binary', minLength: 4 }).filter((s) => !s.includes('\u0001'));
    fc.assert(
      fc.property(secret, (value) => {
        const redactor = redactorOf(value);
        for (const form of [value, Buffer.from(value).toString('base64'), JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]) {
          expect(redactor.redact(`\u0001${form}\u0001`)).toBe(`\u0001${REDACTED}\u0001`);
        }
      }),
    );
  });

  it('leaves no occurrence of a secret in any text', () => {
    // Secrets share no character with the marker, so the marker cannot combine with text into one.
    const secret = fc.stringMatching(/^[A-Z0-9_]{4,12}$/);
    const text = (value: string) => fc.array(fc.oneof(fc.constant(value), fc.constant(value.slice(1)), fc.string({ maxLength: 5 })), { maxLength: 8 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(
        secret.chain((value) => fc.tuple(fc.constant(value), text(value))),
        ([value, input]) => {
          expect(redactorOf(value).redact(input)).not.toContain(value);
        },
      ),
    );
  });
});
