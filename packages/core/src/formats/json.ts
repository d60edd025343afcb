import { SinkError } from '../errors';
import { UnwritableValueError, type Format } from './format';

export interface JsonFormatOptions {
  /** Set the entries' keys in the existing top-level object instead of replacing the file. @default false */
  readonly merge?: boolean;
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

/** JSON written with `JSON.stringify`: every string is exact by construction. */
export function createJsonFormat({ merge = false }: JsonFormatOptions = {}): Format {
  const parse = (text: string): Record<string, string> => {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  };

  return {
    label: merge ? 'json (merged)' : 'json',
    parse,
    render({ entries, existing }) {
      const members = merge && existing !== undefined ? existingMembers(existing) : [];
      for (const [key, value] of entries) {
        const valueSource = JSON.stringify(value);
        const same = members.filter((member) => member.key === key);
        for (const member of same) member.valueSource = valueSource;
        if (same.length === 0) members.push({ keySource: JSON.stringify(key), key, valueSource });
      }
      const text = members.length === 0 ? '{}\n' : `{\n${members.map((m) => `  ${m.keySource}: ${m.valueSource}`).join(',\n')}\n}\n`;
      const read = parse(text);
      for (const [key, value] of entries) {
        if (read[key] !== value) throw new UnwritableValueError(key, 'JSON.parse does not read the rendered file back exactly (a bug in comfy-secrets\'s json writer)');
      }
      return text;
    },
  };
}
