// YAML through the `yaml` package's Document API: it keeps the comments, key order and scalar styles
// of the document a node keeps rewriting, which a load-and-dump round trip (js-yaml, or PyYAML's own
// yaml.dump) would lose. It is loaded only when a yaml sink renders: most container starts have none.
import { isDeepStrictEqual } from 'node:util';
import type * as Yaml from 'yaml';
import { SinkError } from '../errors';
import { UnwritableValueError, type Format } from './format';
import { assertHeaderLines, commentLines, hasLoneSurrogate } from './text';

export interface YamlFormatOptions {
  readonly paths?: Readonly<Record<string, readonly (string | number)[]>>;
  readonly initial?: Readonly<Record<string, unknown>>;
}

let loaded: typeof Yaml | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const yamlLibrary = (): typeof Yaml => (loaded ??= require('yaml') as typeof Yaml);

/** PyYAML reads YAML 1.1: `yes`, `on`, `0o17`, `1:20` resolve as 1.1 says, in what is kept as in what is checked. */
const PARSE = { version: '1.1', prettyErrors: false } as const;
/** One line per value, in JSON's escapes, which YAML's double-quoted style reads the same in 1.1 and 1.2. */
const STRINGIFY = { lineWidth: 0, doubleQuotedAsJSON: true } as const;

/**
 * Characters JSON.stringify leaves as they are and PyYAML does not read as themselves inside a
 * double-quoted scalar: NEL, LS and PS are line breaks to it (folded to a space), and C1 controls,
 * DEL, U+FFFE and U+FFFF are outside its printable set (a ReaderError).
 */
const UNREADABLE = /[\u007f-\u009f\u2028\u2029\ufffe\uffff]/;

function checkValue(key: string, value: string): void {
  if (UNREADABLE.test(value)) throw new UnwritableValueError(key, 'holds a character PyYAML does not read back inside a quoted string (DEL, a C1 control, U+2028, U+2029, U+FFFE or U+FFFF)');
  if (hasLoneSurrogate(value)) throw new UnwritableValueError(key, 'is not valid Unicode text (it holds a lone surrogate), so it has no UTF-8 spelling');
}

const describePath = (path: readonly (string | number)[]): string => path.map((part) => (typeof part === 'number' ? `[${part}]` : JSON.stringify(part))).join(' → ');

/** Sets `value` at `path` in plain data (the expected result of the document's read-back). */
function setPlain(root: Record<string, unknown>, path: readonly (string | number)[], value: unknown): void {
  let node: Record<string | number, unknown> = root;
  for (const part of path.slice(0, -1)) {
    node[part] ??= {};
    node = node[part] as Record<string | number, unknown>;
  }
  node[path.at(-1)!] = value;
}

/**
 * A YAML mapping merged in place: the entries are set at their paths (top-level keys by default) as
 * double-quoted strings, and everything else in the document keeps its value, comments and order.
 * The result is read back: the entries must be exact and every other value unchanged, or the file is
 * not written.
 */
export function createYamlFormat({ paths = {}, initial = {} }: YamlFormatOptions = {}): Format {
  const pathOf = (key: string): readonly (string | number)[] => (Object.hasOwn(paths, key) ? paths[key]! : [key]);
  const parseDocument = (text: string): Yaml.Document.Parsed => {
    const document = yamlLibrary().parseDocument(text, PARSE);
    if (document.errors.length > 0 || document.warnings.length > 0) {
      throw new SinkError('UNREADABLE_EXISTING', `the existing file is not YAML this writer can keep exactly (${(document.errors[0] ?? document.warnings[0])!.code}); fix or remove it first`);
    }
    return document;
  };
  const parse = (text: string): Record<string, string> => {
    const data: unknown = yamlLibrary().parse(text, PARSE);
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries(typeof data === 'object' && data !== null ? data : {})) if (typeof value === 'string') values[key] = value;
    for (const key of Object.keys(paths)) {
      delete values[key];
      let value: unknown = data;
      for (const part of pathOf(key)) value = typeof value === 'object' && value !== null ? (value as Record<string | number, unknown>)[part] : undefined;
      if (typeof value === 'string') values[key] = value;
    }
    return values;
  };

  return {
    label: 'yaml (merged)',
    parse,
    render({ entries, header, existing }) {
      assertHeaderLines(header);
      for (const [key, value] of entries) checkValue(key, value);
      const yaml = yamlLibrary();
      const document = parseDocument(existing ?? '');
      if (document.contents === null) document.contents = document.createNode({}) as unknown as typeof document.contents;
      if (!yaml.isMap(document.contents)) throw new SinkError('EXISTING_NOT_YAML_MAPPING', 'the existing file is not a YAML mapping, so keys cannot be merged into it; fix or remove it first');
      for (const [name, value] of Object.entries(initial)) {
        if (!document.has(name)) document.set(name, document.createNode(value));
      }
      const expected = (document.toJS() ?? {}) as Record<string, unknown>;
      for (const [key, value] of entries) {
        const path = pathOf(key);
        let node: unknown = document.contents;
        for (const [index, part] of path.slice(0, -1).entries()) {
          let next: unknown = yaml.isCollection(node) ? node.get(part, true) : undefined;
          if (next === undefined && typeof part === 'string' && yaml.isMap(node)) {
            next = document.createNode({});
            node.set(part, next);
          }
          if (!yaml.isCollection(next) || (typeof path[index + 1] === 'number') !== yaml.isSeq(next)) {
            throw new SinkError('EXISTING_SHAPE', `the existing file has no ${typeof path[index + 1] === 'number' ? 'sequence' : 'mapping'} at ${describePath(path.slice(0, index + 1))}, so ${key} cannot be set there; fix or remove it first`, { variable: key });
          }
          node = next;
        }
        const last = path.at(-1)!;
        if (!yaml.isCollection(node) || (typeof last === 'number' && !node.has(last))) {
          throw new SinkError('EXISTING_SHAPE', `the existing file has nothing at ${describePath(path)} to set ${key} in; fix or remove it first`, { variable: key });
        }
        const scalar = new yaml.Scalar(value);
        scalar.type = 'QUOTE_DOUBLE';
        node.set(last, scalar);
        setPlain(expected, path, value);
      }

      const body = document.toString(STRINGIFY);
      const text = existing === undefined ? `${commentLines(header)}${body}` : body;
      const read = parseDocument(text);
      const values = parse(text);
      for (const [key, value] of entries) {
        if (values[key] !== value) throw new UnwritableValueError(key, "the yaml writer's file does not read back exactly (a bug in comfy-secrets's yaml writer)");
      }
      if (!isDeepStrictEqual(read.toJS(), expected)) {
        throw new SinkError('UNREADABLE_EXISTING', 'rewriting the existing file would change values other than the keys set; fix or remove it first');
      }
      return text;
    },
  };
}
