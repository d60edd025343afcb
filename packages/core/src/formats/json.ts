import { SinkError } from '../errors';
import { UnwritableValueError, type Format } from './format';

export interface JsonFormatOptions {
  /** Set the entries' keys in the existing top-level object instead of replacing the file. @default false */
  readonly merge?: boolean;
  /** Where a key goes, as member names from the top (see `FormatSpec`); others are top-level members. */
  readonly paths?: Readonly<Record<string, readonly string[]>>;
  /** Escape every non-ASCII character, for readers that decode the file in the locale's encoding. @default false */
  readonly ascii?: boolean;
}

interface Member {
  /** The key as written (its JSON source), so kept members stay byte-for-byte. */
  readonly keySource: string;
  readonly key: string;
  valueSource: string;
}

const notAnObject = (): SinkError =>
  new SinkError('EXISTING_NOT_JSON_OBJECT', 'the existing file is not a JSON object, so keys cannot be merged into it; fix or remove it first');

/**
 * The top-level members of a JSON object text, each value as its source text. Other keys' values are
 * kept as written rather than re-serialised: `JSON.parse` would reorder integer-like keys and round
 * numbers beyond double precision. Only called on text `JSON.parse` has accepted.
 */
function membersOf(text: string): Member[] {
  const members: Member[] = [];
  let i = text.indexOf('{') + 1;
  const skipSpace = (): void => {
    while (/[ \t\r\n]/.test(text[i] ?? '')) i++;
  };
  const endOfString = (start: number): number => {
    let j = start + 1;
    while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    return j + 1;
  };
  for (;;) {
    skipSpace();
    if (text[i] === '}') return members;
    if (text[i] === ',') i++;
    skipSpace();
    const keyEnd = endOfString(i);
    const keySource = text.slice(i, keyEnd);
    i = keyEnd;
    skipSpace();
    i++; // the colon
    skipSpace();
    const start = i;
    let depth = 0;
    while (depth > 0 || (text[i] !== ',' && text[i] !== '}')) {
      const char = text[i];
      if (char === '"') {
        i = endOfString(i);
        continue;
      }
      if (char === '{' || char === '[') depth++;
      if (char === '}' || char === ']') depth--;
      i++;
    }
    members.push({ keySource, key: JSON.parse(keySource) as string, valueSource: text.slice(start, i).replace(/[ \t\r\n]+$/, '') });
  }
}

function existingMembers(existing: string): Member[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(existing);
  } catch {
    throw notAnObject();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw notAnObject();
  return membersOf(existing);
}

const isObjectText = (source: string): boolean => source.startsWith('{');

/** Members as object text at `depth`: kept members keep their own source, new ones are indented to match. */
function objectText(members: readonly Member[], depth: number): string {
  if (members.length === 0) return '{}';
  const indent = '  '.repeat(depth + 1);
  return `{\n${members.map((m) => `${indent}${m.keySource}: ${m.valueSource}`).join(',\n')}\n${'  '.repeat(depth)}}`;
}

/**
 * Sets `valueSource` at `path` below `members` (member names from there), creating the objects on the
 * way; the objects it passes through are re-rendered, everything else keeps its source text.
 */
function setAt(members: Member[], path: readonly string[], valueSource: string, key: string, depth: number, stringify: (value: string) => string): void {
  const [name, ...rest] = path as [string, ...string[]];
  const same = members.filter((member) => member.key === name);
  if (rest.length === 0) {
    for (const member of same) member.valueSource = valueSource;
    if (same.length === 0) members.push({ keySource: stringify(name), key: name, valueSource });
    return;
  }
  if (same.length === 0) {
    const created: Member = { keySource: stringify(name), key: name, valueSource: '{}' };
    members.push(created);
    same.push(created);
  }
  // JSON.parse keeps the last of duplicate members, and so does Python's json: the last one is set.
  const member = same.at(-1)!;
  if (!isObjectText(member.valueSource)) {
    throw new SinkError('EXISTING_NOT_JSON_OBJECT', `the existing file's member ${JSON.stringify(name)} on the way to ${key} is not a JSON object, so ${key} cannot be set in it; fix or remove it first`, { variable: key });
  }
  const inner = membersOf(member.valueSource);
  setAt(inner, rest, valueSource, key, depth + 1, stringify);
  member.valueSource = objectText(inner, depth + 1);
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const name of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, name)) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}

/** JSON.stringify, with every non-ASCII UTF-16 unit escaped (surrogate pairs as two escapes, as JSON readers expect). */
function asciiStringify(value: string): string {
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** JSON written with `JSON.stringify`: every string is exact by construction. */
export function createJsonFormat({ merge = false, paths = {}, ascii = false }: JsonFormatOptions = {}): Format {
  const pathOf = (key: string): readonly string[] => (Object.hasOwn(paths, key) ? paths[key]! : [key]);
  const parse = (text: string): Record<string, string> => {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    const values = Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    for (const key of Object.keys(paths)) {
      delete values[key];
      const value = valueAt(parsed, pathOf(key));
      if (typeof value === 'string') values[key] = value;
    }
    return values;
  };
  const stringify = ascii ? asciiStringify : JSON.stringify;

  return {
    label: `json${merge ? ' (merged)' : ''}${ascii ? ' (ASCII)' : ''}`,
    parse,
    render({ entries, existing }) {
      const members = merge && existing !== undefined ? existingMembers(existing) : [];
      for (const [key, value] of entries) setAt(members, pathOf(key), stringify(value), key, 0, stringify);
      const text = `${objectText(members, 0)}\n`;
      const read = parse(text);
      for (const [key, value] of entries) {
        if (read[key] !== value) throw new UnwritableValueError(key, 'JSON.parse does not read the rendered file back exactly (a bug in comfy-secrets\'s json writer)');
      }
      return text;
    },
  };
}
