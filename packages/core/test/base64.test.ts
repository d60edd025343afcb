import fc from 'fast-check';
import { decodeBase64Strict } from '../src/base64';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('decodeBase64Strict', () => {
  it('decodes standard base64 to UTF-8 text', () => {
    expect(decodeBase64Strict(b64('hf_FAKE_TOKEN_for_tests ünïcode ✓'))).toEqual({ value: 'hf_FAKE_TOKEN_for_tests ünïcode ✓' });
  });

  it('decodes the empty string to the empty string', () => {
    expect(decodeBase64Strict('')).toEqual({ value: '' });
  });

  it('names the position of a character outside the alphabet', () => {
    expect(decodeBase64Strict('aGZf*kFL')).toEqual({ problem: expect.stringContaining('at position 5') });
  });

  it('refuses padding in the middle', () => {
    expect(decodeBase64Strict('aGk=aGk=')).toHaveProperty('problem');
  });

  it('refuses a trailing newline', () => {
    expect(decodeBase64Strict(`${b64('hf_FAKE')}\n`)).toHaveProperty('problem');
  });

  it('refuses three padding characters', () => {
    expect(decodeBase64Strict('YQ===')).toHaveProperty('problem');
  });

  it('says a length that is not a multiple of 4 is a padding problem', () => {
    expect(decodeBase64Strict('YWI')).toEqual({ problem: expect.stringContaining('not a multiple of 4') });
  });

  it('refuses non-zero padding bits that Node would silently drop', () => {
    expect(Buffer.from('YR==', 'base64').toString()).toBe('a');
    expect(decodeBase64Strict('YR==')).toEqual({ problem: 'is not canonical base64 (non-zero padding bits)' });
  });

  it('refuses bytes that are not UTF-8 text', () => {
    expect(decodeBase64Strict(Buffer.from([0xc3, 0x28]).toString('base64'))).toEqual({ problem: 'does not decode to UTF-8 text' });
  });

  it('round-trips any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(decodeBase64Strict(b64(text))).toEqual({ value: text });
      }),
    );
  });

  it('accepts only input that is the canonical encoding of what it decodes to', () => {
    const base64ish = fc.string({ unit: fc.constantFrom(...'AQgw+/=aZ09 -_\n'.split('')), maxLength: 16 });
    fc.assert(
      fc.property(base64ish, (input) => {
        const result = decodeBase64Strict(input);
        if ('value' in result) expect(b64(result.value)).toBe(input);
      }),
    );
  });
});
