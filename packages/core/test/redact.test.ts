import fc from 'fast-check';
import { REDACTED, Redactor } from '../src/redact';

/** The specification, by brute force: at each position the longest form that starts there, else the character. */
function naiveRedact(values: readonly string[], text: string): string {
  const forms = values
    .filter((value) => value.length >= 4)
    .flatMap((value) => [value, Buffer.from(value).toString('base64'), JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]);
  let result = '';
  for (let i = 0; i < text.length; ) {
    const longest = forms.filter((form) => text.startsWith(form, i)).reduce((best, form) => Math.max(best, form.length), 0);
    result += longest > 0 ? REDACTED : text[i];
    i += longest > 0 ? longest : 1;
  }
  return result;
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
