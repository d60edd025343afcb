/**
 * Models of the programs that read a dotenv file: given the file's text, the variables each one ends
 * up with. A model may know less than its reader (then it leaves a key out, and the writer refuses),
 * but never claims a value the reader would not produce.
 */
import { parse as parseWithNodeDotenv } from 'dotenv';
import type { DotenvReader } from '../contract';
import { PY_INLINE_SPACE, PY_SPACE, pyRstrip } from './text';

export type ReadVariables = (text: string) => Map<string, string>;

/** python-dotenv's `${NAME}` / `${NAME:-default}` pattern (dotenv/variables.py), applied in every quoting style. */
export const PYTHON_DOTENV_VARIABLE = /\$\{[^}:]*(?::-[^}]*)?\}/;

const sticky = (source: string): RegExp => new RegExp(source, 'uy');
const py = {
  multilineWhitespace: sticky(`[${PY_SPACE}]*`),
  export: sticky(`(?:export[${PY_INLINE_SPACE}]+)?`),
  singleQuotedKey: sticky(`'([^']+)'`),
  unquotedKey: sticky(`([^=#${PY_SPACE}]+)`),
  whitespace: sticky(`[${PY_INLINE_SPACE}]*`),
  equalSign: sticky(`(=[${PY_INLINE_SPACE}]*)`),
  singleQuotedValue: sticky(`'((?:\\\\'|[^'])*)'`),
  doubleQuotedValue: sticky(`"((?:\\\\"|[^"])*)"`),
  unquotedValue: sticky(`([^\\r\\n]*)`),
  comment: sticky(`(?:[${PY_INLINE_SPACE}]*#[^\\r\\n]*)?`),
  endOfLine: sticky(`[${PY_INLINE_SPACE}]*(?:\\r\\n|\\n|\\r|$)`),
  restOfLine: sticky(`[^\\r\\n]*(?:\\r|\\n|\\r\\n)?`),
  inlineComment: new RegExp(`[${PY_SPACE}]+#[^]*`, 'u'),
  /**
   * `NAME=value` and its line end, where the name is an identifier and the value plain characters: the
   * rules above read such a line as exactly that name and value, so it is read in one match (most lines
   * comfy-secrets writes). Anything else takes the rules one by one.
   */
  plainLine: /([A-Za-z_][A-Za-z0-9_]*)=([\w@%+=:,./-]*)\n/y,
};
const PY_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

class NoMatch extends Error {}

/**
 * A port of python-dotenv 0.21's parser.py `Reader`: regex matches anchored at a cursor. It runs on
 * every file render checks, so it allocates no match arrays where the match itself is not needed.
 */
class PyReader {
  position = 0;
  constructor(readonly text: string) {}

  peek(): string {
    return this.text.charAt(this.position);
  }

  /** Moves past what `regex` matches here. */
  skip(regex: RegExp): void {
    regex.lastIndex = this.position;
    if (!regex.test(this.text)) throw new NoMatch();
    this.position = regex.lastIndex;
  }

  /** Moves past what `regex` matches here and returns its first group. */
  first(regex: RegExp): string {
    regex.lastIndex = this.position;
    const match = regex.exec(this.text);
    if (!match) throw new NoMatch();
    this.position = regex.lastIndex;
    return match[1] ?? '';
  }
}

function pyValue(reader: PyReader): string {
  const char = reader.peek();
  if (char === "'") return reader.first(py.singleQuotedValue).replace(/\\[\\']/g, (escape) => escape.slice(1));
  if (char === '"') return reader.first(py.doubleQuotedValue).replace(/\\[\\'"abfnrtv]/g, (escape) => PY_ESCAPES[escape.slice(1)] ?? escape);
  if (char === '' || char === '\n' || char === '\r') return '';
  const value = reader.first(py.unquotedValue);
  return pyRstrip(value.includes('#') ? value.replace(py.inlineComment, '') : value);
}

/**
 * python-dotenv 0.21 `dotenv_values(path)`: the file is opened in text mode, so CR and CRLF arrive as
 * LF. A value that still holds a `${…}` after parsing depends on the environment at read time, so the
 * model leaves it out rather than guess.
 */
export const readPythonDotenv: ReadVariables = (text) => {
  const reader = new PyReader(text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text);
  const values = new Map<string, string | undefined>();
  while (reader.position < reader.text.length) {
    py.plainLine.lastIndex = reader.position;
    const plain = py.plainLine.exec(reader.text);
    if (plain) {
      values.set(plain[1] as string, plain[2] as string);
      reader.position = py.plainLine.lastIndex;
      continue;
    }
    try {
      reader.skip(py.multilineWhitespace);
      if (reader.position >= reader.text.length) break;
      reader.skip(py.export);
      const char = reader.peek();
      const key = char === '#' ? undefined : reader.first(char === "'" ? py.singleQuotedKey : py.unquotedKey);
      reader.skip(py.whitespace);
      let value: string | undefined;
      if (reader.peek() === '=') {
        reader.skip(py.equalSign);
        value = pyValue(reader);
      }
      reader.skip(py.comment);
      reader.skip(py.endOfLine);
      if (key !== undefined) values.set(key, value);
    } catch (error) {
      if (!(error instanceof NoMatch)) throw error;
      reader.skip(py.restOfLine);
    }
  }
  const result = new Map<string, string>();
  for (const [key, value] of values) {
    if (value !== undefined && !(value.includes('${') && PYTHON_DOTENV_VARIABLE.test(value))) result.set(key, value);
  }
  return result;
};

/** npm dotenv's own `parse` (default mode), the reader itself rather than a model of it. */
export const readNodeDotenv: ReadVariables = (text) => new Map(Object.entries(parseWithNodeDotenv(text)));

/** After `$` inside double quotes, these leave the `$` literal in bash (no name, no special parameter, no `$[`/`$(`/`${`). */
const BASH_LITERAL_AFTER_DOLLAR = new Set(['"', ' ', '\t', '\n', '%', '/', '.', ',', ':', '=', '+', '^', '~', ']', '}', "'"]);
/** Characters bash takes literally outside quotes in an assignment value (no expansion, no word end, no tilde). */
const BASH_PLAIN = /^[\w@%+=:,./-]$|^[^\0-\x7f]$/u;

/**
 * `set -a; . ./file; set +a` in bash, for the subset comfy-secrets writes: `# comments`, blank lines and
 * `NAME=word` where the word is plain characters, '…' and "…" with backslash escapes. Anything else
 * (an expansion, a command) stops the model there, so the keys after it count as unread.
 */
export const readBash: ReadVariables = (text) => {
  const values = new Map<string, string>();
  const chars = Array.from(text);
  let i = 0;
  const name = /^[A-Za-z_][A-Za-z0-9_]*$/;
  for (;;) {
    while (chars[i] === ' ' || chars[i] === '\t' || chars[i] === '\n') i++;
    if (i >= chars.length) return values;
    if (chars[i] === '#') {
      while (i < chars.length && chars[i] !== '\n') i++;
      continue;
    }
    const equals = chars.indexOf('=', i);
    const key = equals < 0 ? '' : chars.slice(i, equals).join('');
    if (!name.test(key)) return values;
    i = equals + 1;
    let value = '';
    for (;;) {
      const char = chars[i];
      if (char === undefined || char === '\n') break;
      if (char === "'") {
        const end = chars.indexOf("'", i + 1);
        if (end < 0) return values;
        value += chars.slice(i + 1, end).join('');
        i = end + 1;
      } else if (char === '"') {
        i++;
        for (;;) {
          const inner = chars[i];
          const next = chars[i + 1];
          if (inner === undefined) return values;
          if (inner === '"') break;
          if (inner === '`') return values;
          if (inner === '\\' && next !== undefined && '$`"\\\n'.includes(next)) {
            if (next !== '\n') value += next;
            i += 2;
            continue;
          }
          if (inner === '$' && (next === undefined || !BASH_LITERAL_AFTER_DOLLAR.has(next))) return values;
          value += inner;
          i++;
        }
        i++;
      } else if (BASH_PLAIN.test(char)) {
        value += char;
        i++;
      } else {
        return values;
      }
    }
    values.set(key, value);
  }
};

/** bufio.Scanner's default token limit: docker refuses the whole file when one line (with its LF) is longer. */
const DOCKER_MAX_LINE_BYTES = 64 * 1024 - 1;

/**
 * `docker run --env-file` (docker/cli pkg/kvfile): one line per variable, a trailing CR dropped, leading
 * whitespace trimmed, `#` lines skipped, then `KEY=VALUE` split at the first `=` with the value kept
 * verbatim ("quotes are considered part of the key or value"). A bad key or an over-long line fails
 * the whole file, which the model reports as no variables at all.
 */
export const readDocker: ReadVariables = (text) => {
  const values = new Map<string, string>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const [index, raw] of lines.entries()) {
    if (Buffer.byteLength(raw) > DOCKER_MAX_LINE_BYTES) return new Map();
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (index === 0) line = line.replace(/^\uFEFF/, '');
    line = line.replace(/^[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const equals = line.indexOf('=');
    const key = (equals < 0 ? line : line.slice(0, equals)).replace(/^[ \t]+/, '');
    if (key === '' || /[ \t]/.test(key)) return new Map();
    // Without `=` docker takes the value from its own environment, not from the file.
    if (equals >= 0) values.set(key, line.slice(equals + 1));
  }
  return values;
};

export const READ_VARIABLES: Readonly<Record<DotenvReader, ReadVariables>> = {
  'python-dotenv': readPythonDotenv,
  'node-dotenv': readNodeDotenv,
  bash: readBash,
  docker: readDocker,
};
