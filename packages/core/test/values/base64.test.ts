import fc from 'fast-check';
import { decodeBase64Strict, decodeSlash, encodeSlash, readEncoded } from '../../src/values/base64';

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

  it('names the position of the bad character, not of the padding before it', () => {
    expect(decodeBase64Strict('ZmFrZQ==\n')).toEqual({ problem: 'has a character outside the base64 alphabet at position 9 (a line break: whitespace is not accepted)' });
  });

  it('gives the whitespace or URL-safe hint only for those characters', () => {
    expect(decodeBase64Strict('aGZf*kFL')).toEqual({ problem: 'has a character outside the base64 alphabet at position 5' });
    expect(decodeBase64Strict('aGZf-kFL')).toEqual({ problem: "has a character outside the base64 alphabet at position 5 ('-': URL-safe base64 is not accepted)" });
    expect(decodeBase64Strict('aGZf kFL')).toEqual({ problem: 'has a character outside the base64 alphabet at position 5 (a space: whitespace is not accepted)' });
  });

  it('counts positions in characters, not UTF-16 units', () => {
    expect(decodeBase64Strict('😀x*')).toEqual({ problem: 'has a character outside the base64 alphabet at position 1' });
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

describe('the _SLASH_ form', () => {
  it('undoes _SLASH_ and refuses a value that holds a / of its own', () => {
    expect(decodeSlash('FAKE_SLASH_key_SLASH_x')).toEqual({ value: 'FAKE/key/x' });
    expect(decodeSlash('FAKE/key')).toHaveProperty('problem');
  });

  it('encodes only what it reads back exactly', () => {
    expect(encodeSlash('a/b')).toBe('a_SLASH_b');
    expect(encodeSlash('a_SLASH_b')).toBeUndefined();
    fc.assert(fc.property(fc.string(), (text) => {
      const encoded = encodeSlash(text);
      if (encoded !== undefined) expect(decodeSlash(encoded)).toEqual({ value: text });
    }));
  });
});

describe('readEncoded', () => {
  it('gives one reading when only one encoding can read the value', () => {
    expect(readEncoded('a_SLASH_b', ['base64', 'slash']).values).toEqual([{ value: 'a/b', encodings: ['slash'] }]);
    // base64 holding a '/' cannot be a _SLASH_ form.
    expect(readEncoded('Pz8/', ['base64', 'slash']).values).toEqual([{ value: '???', encodings: ['base64'] }]);
    // 'YS9i' is base64 of 'a/b' and its own _SLASH_ form: two readings.
    expect(readEncoded('YS9i', ['base64', 'slash']).values.map((r) => r.value)).toEqual(['a/b', 'YS9i']);
  });

  it('lets the shape choose between readings, and keeps both when it cannot', () => {
    const key = 'FAKEawsSECRETkeyFORtestsONLYnoSLASH00002';
    expect(readEncoded(b64(key), ['base64', 'slash'], /^[A-Za-z0-9+/]{40}$/).values).toEqual([{ value: key, encodings: ['base64'] }]);
    expect(readEncoded(b64('hi there'), ['base64', 'slash'], /^[A-Za-z0-9+/]{40}$/).values).toHaveLength(2);
  });

  it('says why each encoding failed when none reads the value', () => {
    expect(readEncoded('a/b!', ['base64', 'slash'])).toEqual({ values: [], problems: [expect.stringMatching(/^as base64 has a character/), expect.stringMatching(/^as the _SLASH_ form holds a '\/'/)] });
  });
});
