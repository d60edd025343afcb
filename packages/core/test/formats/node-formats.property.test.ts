import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fc from 'fast-check';
import { createFormat, UnwritableValueError, type Format } from '../../src';
import { readAsNodes, type NodeReadRequest } from '../../../../test/helpers/node-readers';

/**
 * The formats the shipped sinks added (yaml, text, lines, ini without interpolation, json paths and
 * ASCII), each against its real reader: every generated value is read back exactly or refused by
 * UnwritableValueError naming the key. All files of a property are read in one Python process.
 */
const RUNS = 300;
const SPECIAL = ['yes', 'No', 'on', 'null', '~', '', '0x1F', '0o17', '012', '1_000', '1:20', '.inf', '2001-01-01', '- a', ': b', '? c', '*ref', '&a x', '!tag', '|', '>', "'", '"', '#', '%', '%%', '@x', '`x', '{a: 1}', '[1, 2]', '\\', '\ufeffbom', '\u2028', '\u0085', '\u007f', '\t', ' ', '\r\n', '\u00a0'];

const values = (): string[] => [
  ...SPECIAL,
  ...fc.sample(fc.string({ unit: 'binary', maxLength: 40 }), RUNS),
  ...fc.sample(fc.string({ unit: fc.constantFrom(...'ab #:%$\'"\\\n\r\t\u00a0\u2028\u0085\u201c\u2019=[];{}-'), maxLength: 20 }), RUNS),
];

interface Outcome {
  written: number;
  refused: number;
}

/** Renders every value with `format`, reads each rendered file with `request`, checks exact-or-refused. */
function check(format: Format, key: string, existing: string | undefined, request: (file: string) => NodeReadRequest, pick: (read: unknown) => unknown, extra?: (read: unknown) => void): Outcome {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-format-prop-'));
  try {
    const written: Array<{ value: string; request: NodeReadRequest }> = [];
    let refused = 0;
    values().forEach((value, index) => {
      let text: string;
      try {
        text = format.render({ entries: [[key, value]], header: [], existing });
      } catch (error) {
        expect(error).toBeInstanceOf(UnwritableValueError);
        expect((error as UnwritableValueError).key).toBe(key);
        refused += 1;
        return;
      }
      const file = path.join(dir, String(index));
      fs.writeFileSync(file, text, 'utf8');
      written.push({ value, request: request(file) });
    });
    readAsNodes(written.map((entry) => entry.request)).forEach((result, i) => {
      const { value } = written[i]!;
      expect({ value, read: 'error' in result ? result.error : pick(result.value) }).toEqual({ value, read: value });
      if (extra && !('error' in result)) extra(result.value);
    });
    return { written: written.length, refused };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const EXISTING_YAML = ['# kept comment', 'WEB_VERSION: v2', 'flags: [yes, off, 012, 0x1F]', 'when: 2001-01-01', 'anchor: &a {x: 1}', 'alias: *a', 'STABILITY_API_KEY:', '  - name: Default', '    key: old', 'STABILITY_API_DEFAULT: 0', ''].join('\n');

test('yaml: PyYAML FullLoader reads every value exactly or it is refused, and the rest of the document is unchanged', () => {
  const format = createFormat({ type: 'yaml', paths: { STABILITY: ['STABILITY_API_KEY', 0, 'key'] } });
  const outcome = check(
    format,
    'STABILITY',
    EXISTING_YAML,
    (file) => ({ reader: 'pyyaml', file }),
    (read) => (read as { STABILITY_API_KEY: Array<{ key: string }> }).STABILITY_API_KEY[0]!.key,
    (read) => {
      const doc = read as Record<string, unknown>;
      expect(doc.WEB_VERSION).toBe('v2');
      expect(doc.flags).toEqual([true, false, 10, 31]);
      expect(doc.when).toBe('2001-01-01');
      expect(doc.alias).toEqual({ x: 1 });
      expect(doc.STABILITY_API_DEFAULT).toBe(0);
    },
  );
  expect(outcome.written).toBeGreaterThan(RUNS);
});

test('yaml: a new file, top-level keys', () => {
  const outcome = check(createFormat('yaml'), 'BIZYAIR_API_KEY', undefined, (file) => ({ reader: 'pyyaml', file }), (read) => (read as Record<string, unknown>).BIZYAIR_API_KEY);
  expect(outcome.written).toBeGreaterThan(RUNS);
});

test('yaml: the merge keeps comments and order', () => {
  const text = createFormat({ type: 'yaml' }).render({ entries: [['BIZYAIR_API_KEY', 'bz_FAKE']], header: [], existing: EXISTING_YAML });
  expect(text.startsWith('# kept comment\nWEB_VERSION: v2\n')).toBe(true);
  expect(text.endsWith('BIZYAIR_API_KEY: "bz_FAKE"\n')).toBe(true);
});

test('text: huggingface_hub reads the token file exactly, or the value is refused', () => {
  const outcome = check(createFormat('text'), 'token', undefined, (file) => ({ reader: 'hf-token', file }), (read) => read);
  expect(outcome.refused).toBeGreaterThan(0);
  expect(outcome.written).toBeGreaterThan(RUNS);
});

const LAYERSTYLE_READER = { strip: true, removes: '"\'\u201c\u201d\u2018\u2019' };

test("lines: LayerStyle's parser reads every value exactly, or it is refused", () => {
  const format = createFormat({ type: 'lines', reader: LAYERSTYLE_READER });
  const existing = '# LayerStyle api_key\ngoogle_api_key=\nzhipu_api_key=keep\r\ngoogle_api_key=second\n';
  const outcome = check(
    format,
    'google_api_key',
    existing,
    (file) => ({ reader: 'layerstyle', file, names: ['google_api_key', 'zhipu_api_key'] }),
    (read) => (read as Record<string, string>).google_api_key,
    (read) => expect((read as Record<string, string>).zhipu_api_key).toBe('keep'),
  );
  expect(outcome.refused).toBeGreaterThan(0);
  expect(outcome.written).toBeGreaterThan(RUNS);
});

test('ini without interpolation: RawConfigParser-style reading keeps % as written', () => {
  const outcome = check(
    createFormat({ type: 'ini', section: 'API', interpolation: 'none' }),
    'fal_key',
    undefined,
    (file) => ({ reader: 'configparser', file, section: 'API', interpolation: 'none' }),
    (read) => (read as Record<string, unknown>).fal_key,
  );
  expect(outcome.written).toBeGreaterThan(RUNS);
  expect(createFormat({ type: 'ini', section: 'API', interpolation: 'none' }).render({ entries: [['k', '100%']], header: [] })).toContain('k = 100%\n');
});

test('ini [DEFAULT] with interpolation (comfy-cli): % is written %% and read back exactly', () => {
  const outcome = check(
    createFormat({ type: 'ini', section: 'DEFAULT' }),
    'hf_api_token',
    '[DEFAULT]\ndefault_workspace = /workspace/ComfyUI\n',
    (file) => ({ reader: 'configparser', file, section: 'DEFAULT' }),
    (read) => (read as Record<string, unknown>).hf_api_token,
    (read) => expect((read as Record<string, unknown>).default_workspace).toBe('/workspace/ComfyUI'),
  );
  expect(outcome.written).toBeGreaterThan(RUNS);
});

test('json with paths and ascii: json.load reads the nested value exactly even as Latin-1, and the rest is kept', () => {
  const existing = JSON.stringify({ a: { services: { S: { api_key: 'your_api_key', free_api: false } }, keep: [1, 2] }, z: 1 }, null, 4);
  const outcome = check(
    createFormat({ type: 'json', merge: true, ascii: true, paths: { KEY: ['a', 'services', 'S', 'api_key'] } }),
    'KEY',
    existing,
    (file) => ({ reader: 'json', file, encoding: 'latin-1' }),
    (read) => (read as { a: { services: { S: { api_key: string } } } }).a.services.S.api_key,
    (read) => expect(read).toMatchObject({ a: { services: { S: { free_api: false } }, keep: [1, 2] }, z: 1 }),
  );
  expect(outcome.written).toBeGreaterThan(RUNS);
});

test('json paths: a member on the way that is not an object refuses the key', () => {
  const format = createFormat({ type: 'json', merge: true, paths: { KEY: ['a', 'b'] } });
  expect(() => format.render({ entries: [['KEY', 'v']], header: [], existing: '{"a": "text"}' })).toThrow(/member "a" on the way to KEY is not a JSON object/);
});
