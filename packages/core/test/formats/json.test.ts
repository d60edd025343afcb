import fc from 'fast-check';
import { SinkError } from '../../src/errors';
import { createJsonFormat } from '../../src/formats/json';

describe('json', () => {
  test('any string round-trips through JSON.parse, lone surrogates and NUL included', () => {
    const format = createJsonFormat();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' })), { maxLength: 5 }), (pairs) => {
        const entries = [...new Map(pairs)];
        const parsed = JSON.parse(format.render({ entries, header: ['dropped'] })) as Record<string, unknown>;
        expect(Object.entries(parsed)).toEqual(entries);
      }),
      { numRuns: 300 },
    );
  });

  test('is JSON.stringify with a 2-space indent and a final newline, header left out', () => {
    const entries = [['B', 'x"y'], ['A', 'é😀']] as const;
    expect(createJsonFormat().render({ entries, header: ['h'] })).toBe(`${JSON.stringify(Object.fromEntries(entries), null, 2)}\n`);
    expect(createJsonFormat().render({ entries: [], header: [] })).toBe('{}\n');
  });

  test('keys keep the given order, integer-like ones included', () => {
    expect(createJsonFormat().render({ entries: [['b', '1'], ['2', '2'], ['__proto__', '3']], header: [] })).toBe('{\n  "b": "1",\n  "2": "2",\n  "__proto__": "3"\n}\n');
  });

  test('without merge an existing file is replaced', () => {
    expect(createJsonFormat().render({ entries: [['a', '1']], header: [], existing: '{"z": 1}' })).toBe('{\n  "a": "1"\n}\n');
  });

  test('merge sets only the entries, other members stay as written and in order', () => {
    const existing = '{\n  "b": 1,\n  "2": {"x": [1, "]}"]},\n  "big": 12345678901234567890,\n  "a": "old",\n  "esc\\u0061ped": true\n}\n';
    const text = createJsonFormat({ merge: true }).render({ entries: [['a', 'new'], ['c', 'added']], header: [], existing });
    expect(text).toBe('{\n  "b": 1,\n  "2": {"x": [1, "]}"]},\n  "big": 12345678901234567890,\n  "a": "new",\n  "esc\\u0061ped": true,\n  "c": "added"\n}\n');
    expect(createJsonFormat({ merge: true }).parse(text)).toEqual({ a: 'new', c: 'added' });
  });

  test('merge into nothing or an empty object', () => {
    const format = createJsonFormat({ merge: true });
    expect(format.render({ entries: [['a', '1']], header: [] })).toBe('{\n  "a": "1"\n}\n');
    expect(format.render({ entries: [['a', '1']], header: [], existing: ' {} ' })).toBe('{\n  "a": "1"\n}\n');
  });

  test.each(['[1]', 'null', '"SECRETVALUE"', '{"a": SECRETVALUE}', ''])('merge refuses existing %j without showing it', (existing) => {
    const render = (): string => createJsonFormat({ merge: true }).render({ entries: [['a', '1']], header: [], existing });
    expect(render).toThrow(SinkError);
    expect(render).toThrow(/not a JSON object/);
    expect(render).not.toThrow(/SECRETVALUE/);
  });

  test('parse returns the top-level strings only', () => {
    expect(createJsonFormat().parse('{"a": "x", "n": 1, "o": {"s": "y"}}')).toEqual({ a: 'x' });
  });
});
