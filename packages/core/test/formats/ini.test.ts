import fc from 'fast-check';
import { ConfigError, SinkError } from '../../src/errors';
import { createFormat } from '../../src/formats';
import { UnwritableValueError } from '../../src/formats/format';
import { createIniFormat } from '../../src/formats/ini';
import { readWithConfigparser } from '../../../../test/helpers/real-readers';

const EXISTING = [
  '# top comment',
  '; another comment',
  '',
  '[DEFAULT]',
  'shared = from default',
  '',
  '[other]',
  'api_key = keep-me',
  'URL = http://x/%%20',
  '',
  '[default]',
  '# keys for the node',
  'OPENAI_API_KEY = old',
  'Model: gpt',
  'multi = first',
  '  second line',
  '',
  '  third',
  'after = 1',
  '   indented continuation of after',
  'Extra_Key=unchanged   ',
  '',
  '; trailing comment of the section',
  '',
  '[last]',
  'z = 1',
  '',
].join('\n');

const ENTRIES = [
  ['openai_api_key', 'sk-new'],
  ['MODEL', 'gpt-4o'],
  ['MULTI', 'one line now'],
  ['NEW_KEY', 'https://example.test/a%20b?x=%(y)s'],
] as const;

describe('ini merge into an existing config.ini', () => {
  const format = createIniFormat();
  const merged = format.render({ entries: ENTRIES, header: ['must not appear'], existing: EXISTING });

  test('only the declared keys change; every other byte stays', () => {
    expect(merged).toBe(
      [
        '# top comment',
        '; another comment',
        '',
        '[DEFAULT]',
        'shared = from default',
        '',
        '[other]',
        'api_key = keep-me',
        'URL = http://x/%%20',
        '',
        '[default]',
        '# keys for the node',
        'openai_api_key = sk-new',
        'MODEL = gpt-4o',
        'MULTI = one line now',
        '',
        'after = 1',
        '   indented continuation of after',
        'Extra_Key=unchanged   ',
        'NEW_KEY = https://example.test/a%%20b?x=%%(y)s',
        '',
        '; trailing comment of the section',
        '',
        '[last]',
        'z = 1',
        '',
      ].join('\n'),
    );
  });

  test('configparser reads the new values, and every other section as before', () => {
    const [before, after, other, otherBefore, last, lastBefore] = readWithConfigparser([
      { text: EXISTING, section: 'default' },
      { text: merged, section: 'default' },
      { text: merged, section: 'other' },
      { text: EXISTING, section: 'other' },
      { text: merged, section: 'last' },
      { text: EXISTING, section: 'last' },
    ]);
    expect(after?.values).toEqual({
      ...before?.values,
      openai_api_key: 'sk-new',
      model: 'gpt-4o',
      multi: 'one line now',
      new_key: 'https://example.test/a%20b?x=%(y)s',
    });
    expect(other).toEqual(otherBefore);
    expect(last).toEqual(lastBefore);
    expect(after?.sections).toEqual(before?.sections);
  });

  test('parse reads the section as configparser does, with keys spelled as in the file', () => {
    const [real] = readWithConfigparser([{ text: merged, section: 'default' }]);
    const parsed = format.parse(merged);
    expect(Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key.toLowerCase(), value]))).toEqual(real?.values);
    expect(parsed.NEW_KEY).toBe('https://example.test/a%20b?x=%(y)s');
  });

  test('merging the same entries again changes nothing', () => {
    expect(format.render({ entries: ENTRIES, header: ['must not appear'], existing: merged })).toBe(merged);
  });

  test('a missing section is appended at the end, after a blank line', () => {
    const text = createIniFormat('node').render({ entries: [['k', 'v']], header: [], existing: '[a]\nx = 1' });
    expect(text).toBe('[a]\nx = 1\n\n[node]\nk = v\n');
  });

  test('an empty section gets the keys right after its header; an indented option keeps its indent', () => {
    const existing = '[default]\n[next]\n  a = 1\n  B = 2\n';
    const text = createIniFormat('next').render({ entries: [['b', 'x'], ['c', 'y']], header: [], existing });
    expect(text).toBe('[default]\n[next]\n  a = 1\n  b = x\n  c = y\n');
    expect(createIniFormat().render({ entries: [['k', 'v']], header: [], existing })).toBe('[default]\nk = v\n[next]\n  a = 1\n  B = 2\n');
    expect(readWithConfigparser([{ text, section: 'next' }])[0]?.values).toEqual({ a: '1', b: 'x', c: 'y' });
    const indentedNext = createIniFormat().render({ entries: [['k', 'v']], header: [], existing: '[default]\n  [next]\n  a = 1\n' });
    expect(indentedNext).toBe('[default]\n  k = v\n  [next]\n  a = 1\n');
  });

  test('CRLF files keep their line ends', () => {
    const text = format.render({ entries: [['k', 'new'], ['j', '2']], header: [], existing: '[default]\r\nk = old\r\n\r\n[b]\r\ny = 1\r\n' });
    expect(text).toBe('[default]\r\nk = new\r\nj = 2\r\n\r\n[b]\r\ny = 1\r\n');
  });

  test('an existing file configparser cannot read is refused without showing its content', () => {
    for (const existing of ['[default]\nSECRETVALUE = 1\nsecretvalue = 2\n', 'orphan = SECRETVALUE\n', '[a]\n[a]\n', '[a]\nno delimiter SECRETVALUE\n']) {
      expect(() => format.render({ entries: [['k', 'v']], header: [], existing })).toThrow(SinkError);
      try {
        format.render({ entries: [['k', 'v']], header: [], existing });
      } catch (error) {
        expect((error as Error).message).not.toMatch(/SECRETVALUE/i);
      }
    }
  });
});

describe('ini new files', () => {
  test('the header is written as comments only when the file is new', () => {
    const text = createIniFormat().render({ entries: [['KEY', '50%'], ['empty', '']], header: ['made by comfy-secrets', 'Generated at: 2020-01-01T00:00:00.000Z'] });
    expect(text).toBe('# made by comfy-secrets\n# Generated at: 2020-01-01T00:00:00.000Z\n\n[default]\nKEY = 50%%\nempty =\n');
    expect(readWithConfigparser([{ text, section: 'default' }])[0]?.values).toEqual({ key: '50%', empty: '' });
  });

  test.each(['a=b', 'a:b', '#a', ';a', '[a]', ' a', 'a\nb', ''])('key %j is refused', (key) => {
    expect(() => createIniFormat().render({ entries: [[key, 'v']], header: [] })).toThrow(UnwritableValueError);
  });

  test('keys that configparser lowercases to the same option are refused', () => {
    expect(() => createIniFormat().render({ entries: [['Key', '1'], ['KEY', '2']], header: [] })).toThrow(UnwritableValueError);
  });

  test('a section name with a line break is a configuration error', () => {
    // The rule lives in formats/spec.ts's formatProblems, which createFormat applies.
    expect(() => createFormat({ type: 'ini', section: 'a\nb' })).toThrow(ConfigError);
  });
});

describe('ini values, checked with the real configparser', () => {
  const PIECES = ['%', '%%', '%(a)s', '$', '${a}', '#', ';', '=', ':', '[', ']', "'", '"', '\\', ' ', '\t', '\r', '\n', 'a', 'B', 'é', '😀', '\u00a0', '\x1c', '\x85', '\ufeff', '\0'];
  const values = fc.sample(fc.array(fc.constantFrom(...PIECES), { maxLength: 10 }).map((p) => p.join('')), { numRuns: 500, seed: 42 });
  const PY_SPACE = /^[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]|[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;
  const format = createIniFormat();
  const outcomes = values.map((value) => {
    try {
      return { value, text: format.render({ entries: [['secret', value]], header: [], existing: EXISTING }) };
    } catch (error) {
      if (!(error instanceof UnwritableValueError)) throw error;
      return { value, refused: error };
    }
  });

  test('each written value reads back exactly; the others in the file are untouched', () => {
    const written = outcomes.filter((o) => o.text !== undefined);
    const [baseline, ...reads] = readWithConfigparser([{ text: EXISTING, section: 'default' }, ...written.map((o) => ({ text: o.text ?? '', section: 'default' }))]);
    const sorted = (values: object | undefined): string => JSON.stringify(Object.entries(values ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));
    const wrong = written.filter((o, i) => sorted(reads[i]?.values) !== sorted({ ...baseline?.values, secret: o.value }));
    expect(wrong.map((o) => o.value)).toEqual([]);
  });

  test('refuses exactly line breaks, whitespace at an edge and lone surrogates', () => {
    const wrong = outcomes.filter((o) => (o.refused !== undefined) !== (/[\r\n]/.test(o.value) || PY_SPACE.test(o.value)));
    expect(wrong.map((o) => o.value)).toEqual([]);
    console.log(`ini: ${outcomes.filter((o) => o.refused).length} of ${outcomes.length} values refused`);
  });
});

describe('ini whole-file rules: strictness and interpolation', () => {
  const repeated = '[default]\nsecurity_level = strong\nshare_option = none\n[other]\nx = 1\n[default]\nsecurity_level = normal\n';

  test('strict (ConfigParser()) refuses a repeated section or option, naming the line; configparser refuses it too', () => {
    expect(() => createIniFormat('default').render({ entries: [['network_mode', 'offline']], header: [], existing: repeated })).toThrow(
      'the existing file is not readable by configparser (line 6: a section appears twice (ConfigParser() is strict; strict=False would accept it)); fix or remove it first',
    );
    expect(readWithConfigparser([{ text: repeated, section: 'default' }])[0]?.error).toBe('DuplicateSectionError');
  });

  test('strict: false merges every occurrence, and ConfigParser(strict=False) reads the value', () => {
    const text = createIniFormat('default', { strict: false }).render({ entries: [['security_level', 'weak'], ['network_mode', 'offline']], header: [], existing: repeated });
    expect(text).toBe('[default]\nsecurity_level = weak\nshare_option = none\n[other]\nx = 1\n[default]\nsecurity_level = weak\nnetwork_mode = offline\n');
    expect(readWithConfigparser([{ text, section: 'default', strict: false }])[0]?.values).toEqual({ security_level: 'weak', share_option: 'none', network_mode: 'offline' });
  });

  test.each([
    ['[default]\nchannel_url = https://x.invalid/%7Euser\n', 2],
    ['[DEFAULT]\nbase = 5%\n[default]\nk = v\n', 2],
    ['[default]\nk = %(missing)s\n', 2],
  ])('a value the interpolation rejects, in the section or [DEFAULT], fails the merge naming its line: %j', (existing, line) => {
    expect(() => createIniFormat('default').render({ entries: [['security_level', 'weak']], header: [], existing })).toThrow(`(line ${line}: the value holds a % that configparser's interpolation rejects`);
    const [read] = readWithConfigparser([{ text: existing, section: 'default' }]);
    expect(Object.values(read?.values ?? {})).toContain(null);
  });

  test('valid interpolation (%% and %(name)s) and a lone % in another section are merged', () => {
    const existing = '[default]\npct = 100%%\nhome = /h\npath = %(home)s/x\n[elsewhere]\nraw = 5%\n';
    const text = createIniFormat('default').render({ entries: [['security_level', 'weak']], header: [], existing });
    expect(readWithConfigparser([{ text, section: 'default' }])[0]?.values).toEqual({ pct: '100%', home: '/h', path: '/h/x', security_level: 'weak' });
  });
});
