import type { DotenvReader } from '../../src/contract';
import { ConfigError } from '../../src/errors';
import { createFormat } from '../../src/formats';
import { createDotenvFormat } from '../../src/formats/dotenv';
import { UnwritableValueError } from '../../src/formats/format';
import { problems, READER_SETS, renderEach, type Entries } from '../helpers/dotenv-check';

/** An obviously fake key; the marker is split so no scanner mistakes this file for a leaked one. */
const PEM_MARK = ['-----BEGIN', 'PRIVATE KEY-----'].join(' FAKE ');
const PEM_END = ['-----END', 'PRIVATE KEY-----'].join(' FAKE ');
const PEM = [PEM_MARK, 'FAKEKEYFORTESTSFAKEKEYFORTESTSFAKEKEYFORTESTS0123456789+/', 'FAKEKEYFORTESTS==', PEM_END, ''].join('\n');
const BIG = 'x'.repeat(32 * 1024) + ' =#"\'$\\' + 'y'.repeat(32 * 1024);

const CASES: ReadonlyArray<readonly [string, string]> = [
  ['PEM private key', PEM],
  ['JSON blob', '{"type": "service_account", "key": "a\\"b", "list": [1, 2]}'],
  ['Windows path', 'C:\\Users\\x'],
  ['two backslashes', 'a\\\\b'],
  ['trailing backslash', 'abc\\'],
  ['both quote kinds', `it's "quoted"`],
  ['leading single quote', "'abc"],
  ['leading double quote', '"abc'],
  ['wrapped in quotes', '"abc"'],
  ['braced variable', '${SECRET_TOKEN_XYZ}'],
  ['braced variable with default', 'pre${SECRET_TOKEN_XYZ:-fallback}post'],
  ['bare variable', '$SECRET_TOKEN_XYZ'],
  ['unclosed brace', '${abc'],
  ['colon in braces', '${a:b}'],
  ['hash at the start', '#hash'],
  ['hash after a space', 'a #b'],
  ['hash without a space', 'a#b'],
  ['64 KiB', BIG],
  ['edge spaces', '  a  '],
  ['edge tabs', '\ta\t'],
  ['only spaces', '   '],
  ['equals signs', 'a=b=='],
  ['export prefix', 'export X'],
  ['unicode', 'héllo wörld 😀 日本'],
  ['carriage return', 'a\rb'],
  ['CRLF', 'a\r\nb'],
  ['literal backslash-n', 'a\\nb'],
  ['backtick', 'a`b'],
  ['empty', ''],
];

describe.each(READER_SETS.map((readers) => [readers.join('+'), readers] as const))('hard values for %s', (_name, readers) => {
  test('each is read back exactly by the real readers, or refused without showing it', () => {
    const outcomes = renderEach(readers, CASES.map(([, value]) => [['SECRET', value]] as Entries));
    expect(problems(readers, outcomes)).toEqual([]);
    for (const outcome of outcomes) expect(outcome.refused?.message ?? '').not.toContain('SECRET_TOKEN_XYZ');
  });

  test('all of them in one file read back the same way', () => {
    const format = createDotenvFormat(readers);
    const entries = CASES.map(([, value], index) => [`K${index}`, value] as const).filter(([key, value]) => {
      try {
        format.render({ entries: [[key, value]], header: [] });
        return true;
      } catch {
        return false;
      }
    });
    expect(problems(readers, renderEach(readers, [entries]))).toEqual([]);
  });
});

describe('python-dotenv alone', () => {
  const format = createDotenvFormat();
  const render = (value: string): string => format.render({ entries: [['K', value]], header: [] });

  test('refuses only what it would expand, with a reason that names no part of the value', () => {
    const refused = CASES.filter(([, value]) => {
      try {
        render(value);
        return false;
      } catch (error) {
        expect(error).toBeInstanceOf(UnwritableValueError);
        expect((error as UnwritableValueError).reason).toBe('python-dotenv expands ${…} in every quoting style and has no escape for it');
        return true;
      }
    });
    expect(refused.map(([name]) => name)).toEqual(['braced variable', 'braced variable with default']);
  });

  test('writes a PEM key as a multi-line quoted value', () => {
    expect(render(PEM)).toBe(`K='${PEM}'\n`);
  });

  test('a value ending in a backslash cannot be quoted above a later line with the same quote', () => {
    const entries = [['A', 'x\n\\'], ['B', '"']] as const;
    expect(() => format.render({ entries, header: [] })).toThrow('python-dotenv misreads a quoted value that ends in a backslash');
    expect(problems(['python-dotenv'], renderEach(['python-dotenv'], [[['A', 'x\n\\'], ['B', 'plain']]]))).toEqual([]);
  });

  test('parse reads as python-dotenv does', () => {
    expect(format.parse('# c\nexport A = "x\\ny" # note\nB=\'q\\\'s\'\nC=v #c\nD\n')).toEqual({ A: 'x\ny', B: "q's", C: 'v' });
  });
});

describe('docker', () => {
  test('cannot carry a line break, a final CR, or a line over 64 KiB', () => {
    const format = createDotenvFormat(['docker']);
    const reason = (value: string): string | undefined => {
      try {
        format.render({ entries: [['K', value]], header: [] });
        return undefined;
      } catch (error) {
        return (error as UnwritableValueError).reason;
      }
    };
    expect(reason('a\nb')).toMatch(/line break/);
    expect(reason('a\r')).toMatch(/carriage return/);
    // `K=` plus the value plus LF must fit docker's 65536-byte line buffer.
    expect(reason('y'.repeat(64 * 1024 - 2))).toMatch(/64 KiB/);
    expect(reason('y'.repeat(64 * 1024 - 3))).toBeUndefined();
    expect(reason(' "quoted" #kept ')).toBeUndefined();
  });
});

describe('keys, header and layout', () => {
  const refusesKey = (readers: readonly DotenvReader[], key: string): boolean => {
    try {
      createDotenvFormat(readers).render({ entries: [[key, 'v']], header: [] });
      return false;
    } catch (error) {
      expect(error).toBeInstanceOf(UnwritableValueError);
      return true;
    }
  };

  test.each([
    ['python-dotenv', 'A=B', true],
    ['python-dotenv', 'A B', true],
    ['python-dotenv', '#A', true],
    ['python-dotenv', "'A", true],
    ['python-dotenv', 'a.b-c', false],
    ['node-dotenv', 'a.b-c', false],
    ['node-dotenv', 'Ä', true],
    ['bash', 'a.b', true],
    ['bash', '1A', true],
    ['bash', 'RANDOM', true],
    ['bash', '_A1', false],
    ['docker', 'A\tB', true],
    ['docker', 'a.b-c', false],
    ['python-dotenv', '', true],
  ] as const)('%s: key %j refused: %s', (reader, key, refused) => {
    expect(refusesKey([reader], key)).toBe(refused);
  });

  test('header lines become comments and the file ends with a newline', () => {
    const text = createDotenvFormat(['python-dotenv', 'node-dotenv', 'bash', 'docker']).render({ entries: [['A', '1']], header: ['made by comfy-secrets', ''] });
    expect(text).toBe('# made by comfy-secrets\n#\nA=1\n');
  });

  test('a header line with a line break is a configuration error', () => {
    expect(() => createDotenvFormat().render({ entries: [], header: ['a\nB=1'] })).toThrow(ConfigError);
  });

  test('an unknown or empty reader list is a configuration error', () => {
    // The rule lives in formats/spec.ts's formatProblems, which createFormat applies.
    expect(() => createFormat({ type: 'dotenv', readers: [] })).toThrow(ConfigError);
    expect(() => createFormat({ type: 'dotenv', readers: ['zsh' as DotenvReader] })).toThrow(ConfigError);
  });
});
