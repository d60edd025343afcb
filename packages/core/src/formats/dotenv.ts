import type { DotenvReader } from '../contract';
import { READ_VARIABLES, PYTHON_DOTENV_VARIABLE, type ReadVariables } from './dotenv-readers';
import { UnwritableValueError, type Format, type RenderRequest } from './format';
import { PY_SPACE, assertHeaderLines, commentLines, hasLoneSurrogate } from './text';

/** Every reader, in the order a file's primary reader is picked from a sink's list. */
export const DOTENV_READERS: readonly DotenvReader[] = ['python-dotenv', 'node-dotenv', 'bash', 'docker'];

/**
 * Ways to write a value after `KEY=`, most readable first. None is right for every reader; each is
 * tried against the reader models, so an entry here only has to be useful to some reader set.
 */
const SPELLINGS: ReadonlyArray<(value: string) => string> = [
  (value) => value,
  (value) => `'${value}'`,
  // python-dotenv's double-quote escapes; bash and npm dotenv agree when nothing else needs escaping.
  (value) => `"${value.replace(/[\\"]/g, '\\$&').replace(/\r/g, '\\r')}"`,
  (value) => `'${value.replace(/[\\']/g, '\\$&')}'`,
  // npm dotenv has no escapes but \n and \r in double quotes; a raw CR would arrive as LF.
  (value) => `"${value.replace(/\r/g, '\\r')}"`,
  (value) => `"${value.replace(/[\\"$`]/g, '\\$&')}"`,
  (value) => `\`${value}\``,
];

const BASH_SPECIAL = new Set(
  'RANDOM SRANDOM SECONDS LINENO EPOCHSECONDS EPOCHREALTIME BASHPID BASH_ARGV0 BASH_ARGC BASH_ARGV BASH_COMMAND BASH_SUBSHELL BASH_LINENO BASH_SOURCE BASH_REMATCH BASH_ALIASES BASH_CMDS BASH_VERSINFO BASHOPTS SHELLOPTS HISTCMD FUNCNAME GROUPS DIRSTACK PIPESTATUS UID EUID PPID'.split(' '),
);

const PYTHON_DOTENV_KEY = new RegExp(`^[^'=#${PY_SPACE}][^=#${PY_SPACE}]*$`, 'u');

const KEY_RULES: Readonly<Record<DotenvReader, { valid: (key: string) => boolean; reason: string }>> = {
  'python-dotenv': {
    valid: (key) => PYTHON_DOTENV_KEY.test(key),
    reason: 'is not a key python-dotenv reads back: it ends a key at =, # or whitespace and reads a leading quote as quoting',
  },
  'node-dotenv': { valid: (key) => /^[\w.-]+$/.test(key), reason: 'is not a key npm dotenv reads: only letters, digits, _, . and - are allowed' },
  bash: {
    valid: (key) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) && !BASH_SPECIAL.has(key),
    reason: 'is not a variable bash assigns as written: it must be a shell identifier and not one of bash\'s own special variables',
  },
  docker: { valid: (key) => /^[^\s=#][^\s=]*$/u.test(key), reason: 'is not a key docker --env-file reads: no whitespace or =, and no # at the start' },
};

/** Why one reader alone cannot carry a value. Never quotes the value. */
const ALONE_REASONS: Readonly<Record<DotenvReader, (value: string) => string>> = {
  'python-dotenv': (value) =>
    PYTHON_DOTENV_VARIABLE.test(value)
      ? 'python-dotenv expands ${…} in every quoting style and has no escape for it'
      : 'python-dotenv has no spelling that reads back as this value',
  'node-dotenv': (value) =>
    /[\r\n]/.test(value)
      ? 'npm dotenv keeps a line break only inside double quotes, which cannot hold this value: it never unescapes \\" or \\\\ and turns every \\n and \\r into a control character'
      : 'npm dotenv has no escapes (and turns \\n and \\r into control characters in double quotes), so a value that must be quoted (a #, whitespace or a quote at an edge) cannot hold every quote character or backslash sequence it holds',
  bash: () => 'bash has no spelling that reads back as this value',
  docker: (value) => {
    if (value.includes('\n')) return 'docker --env-file reads one line per variable and cannot carry a line break';
    if (value.endsWith('\r')) return 'docker --env-file drops a carriage return at the end of a line';
    return 'docker --env-file refuses a line longer than 64 KiB (its line scanner limit), and with it the whole file';
  },
};

const VERBATIM = 'docker keeps the value verbatim, quotes included, so it has to be plain text for';
const PAIR_REASONS: Readonly<Record<string, string>> = {
  'python-dotenv|node-dotenv':
    'inside quotes python-dotenv unescapes \\\\, \\\' and \\" and npm dotenv keeps them, and a carriage return needs the \\r escape, so no quoting of this value is read alike by both',
  'python-dotenv|bash':
    'bash expands $ and ` in double quotes where python-dotenv keeps an escaping backslash, single quotes cannot hold \' (and python-dotenv unescapes \\\\ in them), and a carriage return survives python-dotenv only as \\r, which bash keeps as two characters',
  'python-dotenv|docker': `${VERBATIM} python-dotenv too: no line break, no whitespace at an edge, no " #", no leading quote, no \${…}`,
  'node-dotenv|bash': 'bash needs quotes or backslashes for this value and npm dotenv reads backslashes raw, so no spelling is read alike by both',
  'node-dotenv|docker': `${VERBATIM} npm dotenv too: no line break, no #, no whitespace at an edge, not wrapped in quotes`,
  'bash|docker': `${VERBATIM} bash too: letters, digits, _ @ % + = : , . / - and non-ASCII characters only`,
};

/**
 * Writes `.env` files that every declared reader decodes to exactly the given values, or refuses.
 * @param readers a non-empty list of {@link DOTENV_READERS} (`createFormat` checks it)
 */
export function createDotenvFormat(readers: readonly DotenvReader[] = ['python-dotenv']): Format {
  const declared = DOTENV_READERS.filter((reader) => readers.includes(reader));
  // parse() models one reader; python-dotenv's rules are the strictest on values, and render checks all.
  const primary = READ_VARIABLES[declared[0] ?? 'python-dotenv'];

  return {
    label: `dotenv (${declared.join(', ')})`,
    render: (request) => renderDotenv(request, declared),
    parse: (text) => Object.fromEntries(primary(text)),
  };
}

function renderDotenv(request: RenderRequest, readers: readonly DotenvReader[]): string {
  assertHeaderLines(request.header);
  const seen = new Set<string>();
  for (const [key] of request.entries) {
    if (seen.has(key)) throw new UnwritableValueError(key, 'is listed twice');
    seen.add(key);
  }

  // First try: each value's first spelling that every reader reads right on its own line, then the
  // whole file checked once below. Nearly every file passes, and costs one parse per reader instead
  // of one per reader per variable.
  const quick = quickRender(request, readers);
  if (quick !== undefined && readsExactly(quick, request.entries, readers) === undefined) return quick;

  // Written from the last entry up, so each line is chosen knowing exactly what follows it: a quoted
  // value can run on into later lines in python-dotenv and npm dotenv.
  let rest = '';
  const after = new Map<string, string>();
  for (const [key, value] of [...request.entries].reverse()) {
    assertWritable(key, value, readers);
    const expected = new Map(after).set(key, value);
    const line = SPELLINGS.map((spell) => `${key}=${spell(value)}\n`).find((candidate) => readers.every((reader) => readsAs(READ_VARIABLES[reader], candidate + rest, expected)));
    if (line === undefined) throw new UnwritableValueError(key, explain(key, value, readers, rest, after));
    rest = line + rest;
    after.set(key, value);
  }

  const text = commentLines(request.header) + rest;
  const wrong = readsExactly(text, request.entries, readers);
  if (wrong !== undefined) {
    throw new UnwritableValueError(wrong.key, `${wrong.reader} does not read the rendered file back exactly (a bug in comfy-secrets's dotenv writer)`);
  }
  return text;
}

/**
 * Letters, digits and `_ @ % + = : , . / -` only: written bare, every reader reads such a value as it
 * is (tokens, URLs, paths, numbers: most values). Not a rule the file relies on, only a guess that
 * skips trying the spellings; the whole-file check after `quickRender` decides.
 */
const PLAIN_VALUE = /^[\w@%+=:,./-]+$/;

/** Each line with its value's first spelling that every reader reads alone; `undefined` when a value has none. */
function quickRender(request: RenderRequest, readers: readonly DotenvReader[]): string | undefined {
  let text = commentLines(request.header);
  for (const [key, value] of request.entries) {
    if (unwritable(key, value, readers) !== undefined) return undefined; // the full search refuses it, in its order
    if (PLAIN_VALUE.test(value)) {
      text += `${key}=${value}\n`;
      continue;
    }
    const expected = new Map([[key, value]]);
    let line: string | undefined;
    for (const spell of SPELLINGS) {
      const candidate = `${key}=${spell(value)}\n`;
      if (readers.every((reader) => readsAs(READ_VARIABLES[reader], candidate, expected))) {
        line = candidate;
        break;
      }
    }
    if (line === undefined) return undefined;
    text += line;
  }
  return text;
}

/**
 * The first reader (and key) that does not read `text` back as exactly `entries`, or `undefined`.
 * The keys are distinct (`renderDotenv` checks that first), so a reader must find exactly as many.
 */
function readsExactly(text: string, entries: RenderRequest['entries'], readers: readonly DotenvReader[]): { reader: DotenvReader; key: string } | undefined {
  for (const reader of readers) {
    const read = READ_VARIABLES[reader](text);
    for (const [key, value] of entries) if (read.get(key) !== value) return { reader, key };
    if (read.size !== entries.length) return { reader, key: '(file)' };
  }
  return undefined;
}

function assertWritable(key: string, value: string, readers: readonly DotenvReader[]): void {
  const reason = unwritable(key, value, readers);
  if (reason !== undefined) throw new UnwritableValueError(key, reason);
}

/** Why no reader can be given this key or value at all, whatever the spelling. */
function unwritable(key: string, value: string, readers: readonly DotenvReader[]): string | undefined {
  if (key === '' || key.includes('\0')) return 'is not a usable variable name';
  for (const reader of readers) {
    if (!KEY_RULES[reader].valid(key)) return KEY_RULES[reader].reason;
  }
  if (value.includes('\0')) return 'holds a NUL character, which no environment variable can carry';
  if (hasLoneSurrogate(value)) return 'is not valid Unicode text (it holds a lone surrogate), so it has no UTF-8 spelling';
  return undefined;
}

function readsAs(read: ReadVariables, text: string, expected: ReadonlyMap<string, string>): boolean {
  const got = read(text);
  if (got.size !== expected.size) return false;
  for (const [key, value] of expected) if (got.get(key) !== value) return false;
  return true;
}

function carries(readers: readonly DotenvReader[], key: string, value: string, rest: string, after: ReadonlyMap<string, string>): boolean {
  const expected = new Map(after).set(key, value);
  return SPELLINGS.some((spell) => readers.every((reader) => readsAs(READ_VARIABLES[reader], `${key}=${spell(value)}\n${rest}`, expected)));
}

/** The most specific reason: one reader alone, then the lines that follow, then two readers that disagree. */
function explain(key: string, value: string, readers: readonly DotenvReader[], rest: string, after: ReadonlyMap<string, string>): string {
  const alone = new Map<string, string>();
  for (const reader of readers) {
    if (!carries([reader], key, value, '', alone)) return ALONE_REASONS[reader](value);
  }
  for (const reader of readers) {
    if (!carries([reader], key, value, rest, after)) {
      return reader === 'python-dotenv' && value.endsWith('\\')
        ? 'python-dotenv misreads a quoted value that ends in a backslash when a later line holds the same quote character'
        : `${reader} would misread it next to the lines that follow it`;
    }
  }
  for (const [i, first] of readers.entries()) {
    for (const second of readers.slice(i + 1)) {
      if (!carries([first, second], key, value, '', alone)) return PAIR_REASONS[`${first}|${second}`] ?? `no spelling is read alike by ${first} and ${second}`;
    }
  }
  return `no spelling is read alike by all of ${readers.join(', ')}`;
}
