// A small line-based model of Python's configparser: no npm INI library both keeps comments and
// byte-identical lines on merge and follows configparser's exact rules (lowercased keys, `%%`, indentation).
import { SinkError } from '../errors';
import { UnwritableValueError, type Format, type RenderRequest } from './format';
import { PY_SPACE, assertHeaderLines, commentLines, hasLoneSurrogate, pyRstrip, pyStrip } from './text';

const DEFAULT_SECTION = 'DEFAULT';
const MAX_INTERPOLATION_DEPTH = 10;
const SECTION_HEADER = /^\[([^\n]+)\]/u;
const OPTION_LINE = new RegExp(`^([^\\n]*?)[${PY_SPACE}]*([=:])[${PY_SPACE}]*([^\\n]*)$`, 'u');
const LEADING_SPACE = new RegExp(`^[${PY_SPACE}]*`, 'u');

interface Line {
  readonly text: string;
  /** The line's own terminator, kept so a merge leaves CRLF files as they were. */
  readonly eol: string;
}

interface Option {
  /** As spelled in the file; configparser's key is this lowercased. */
  readonly key: string;
  readonly line: number;
  readonly continuations: number[];
  readonly parts: string[];
}

interface Block {
  readonly name: string;
  readonly header: number;
  readonly options: Option[];
}

/** configparser refused the file (it raises on the whole read, so nothing of it would be used). */
class IniSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly problem: string,
  ) {
    super(`line ${line}: ${problem}`);
  }
}

/** Python opens the file in text mode: CRLF, CR and LF all end a line. */
function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  const pattern = /([^\r\n]*)(\r\n|\r|\n|$)/gy;
  let match: RegExpExecArray | null;
  while (pattern.lastIndex < text.length && (match = pattern.exec(text))) {
    lines.push({ text: match[1] ?? '', eol: match[2] ?? '' });
  }
  return lines;
}

/**
 * configparser 3.11 `RawConfigParser._read` with the default options (`=`/`:`, `#`/`;` full-line
 * comments). `strict` (the default) refuses a section or an option that appears twice; without it a
 * repeated section goes on where the first left off and a repeated option's last value wins.
 */
function readBlocks(lines: readonly Line[], strict: boolean): Block[] {
  const blocks: Block[] = [];
  const seen = new Set<string>();
  let section: Block | undefined;
  let option: Option | undefined;
  let indentLevel = 0;
  let firstError: IniSyntaxError | undefined;
  lines.forEach(({ text }, index) => {
    const lineNumber = index + 1;
    const stripped = pyStrip(text);
    const comment = stripped.startsWith('#') || stripped.startsWith(';');
    if (comment || stripped === '') {
      if (!comment && option) option.parts.push('');
      return;
    }
    const indent = text.match(LEADING_SPACE)?.[0].length ?? 0;
    if (section && option && indent > indentLevel) {
      option.parts.push(stripped);
      option.continuations.push(index);
      return;
    }
    indentLevel = indent;
    const header = SECTION_HEADER.exec(stripped);
    if (header) {
      const name = header[1] ?? '';
      if (strict && name !== DEFAULT_SECTION && seen.has(name)) throw new IniSyntaxError(lineNumber, 'a section appears twice (ConfigParser() is strict; strict=False would accept it)');
      seen.add(name);
      section = { name, header: index, options: [] };
      blocks.push(section);
      option = undefined;
      return;
    }
    if (!section) throw new IniSyntaxError(lineNumber, 'an option comes before any [section] header');
    const parsed = OPTION_LINE.exec(stripped);
    const key = pyRstrip(parsed?.[1] ?? '');
    if (!parsed || key === '') {
      firstError ??= new IniSyntaxError(lineNumber, 'the line is neither a section, an option nor a comment');
      option = undefined;
      return;
    }
    const id = `${section.name}\0${key.toLowerCase()}`;
    if (strict && seen.has(id)) throw new IniSyntaxError(lineNumber, 'an option appears twice in its section (ConfigParser() is strict; strict=False would accept it)');
    seen.add(id);
    option = { key, line: index, continuations: [], parts: [pyStrip(parsed[3] ?? '')] };
    section.options.push(option);
  });
  if (firstError) throw firstError;
  return blocks;
}

/** BasicInterpolation's `before_get`: `%%` is `%`, `%(name)s` is another option; anything else raises. */
function interpolate(value: string, options: ReadonlyMap<string, string>, depth = 1): string {
  if (depth > MAX_INTERPOLATION_DEPTH) throw new Error('interpolation too deep');
  let out = '';
  let rest = value;
  while (rest) {
    const at = rest.indexOf('%');
    if (at < 0) return out + rest;
    out += rest.slice(0, at);
    rest = rest.slice(at);
    if (rest[1] === '%') {
      out += '%';
      rest = rest.slice(2);
      continue;
    }
    const reference = /^%\(([^)]+)\)s/.exec(rest);
    const target = reference ? options.get((reference[1] ?? '').toLowerCase()) : undefined;
    if (!reference || target === undefined) throw new Error('bad interpolation');
    rest = rest.slice(reference[0].length);
    out += target.includes('%') ? interpolate(target, options, depth + 1) : target;
  }
  return out;
}

/** What `ConfigParser()[section]` yields: the section's options over `[DEFAULT]`'s, keys as spelled in the file. */
function readSection(blocks: readonly Block[], section: string): Record<string, string> {
  if (section !== DEFAULT_SECTION && !blocks.some((block) => block.name === section)) return {};
  const spelled = new Map<string, { key: string; raw: string }>();
  for (const name of [DEFAULT_SECTION, section]) {
    for (const block of blocks.filter((b) => b.name === name)) {
      for (const option of block.options) {
        spelled.set(option.key.toLowerCase(), { key: option.key, raw: pyRstrip(option.parts.join('\n')) });
      }
    }
  }
  const raw = new Map([...spelled].map(([lower, { raw: value }]) => [lower, value]));
  const result: Record<string, string> = {};
  for (const { key, raw: value } of spelled.values()) {
    try {
      Object.defineProperty(result, key, { value: interpolate(value, raw), enumerable: true, writable: true, configurable: true });
    } catch {
      // configparser raises when this option is read; leaving it out makes a check against it fail.
    }
  }
  return result;
}

function readIni(text: string, strict: boolean): { lines: Line[]; blocks: Block[] } {
  const lines = splitLines(text);
  return { lines, blocks: readBlocks(lines, strict) };
}

/**
 * The first option of `section` or `[DEFAULT]` whose value configparser's interpolation rejects
 * (a lone `%`, or `%(name)s` naming no option). Reading that option raises, and a reader that wraps
 * its whole read in one `try` (ComfyUI-Manager's `read_config`) then falls back to all its defaults.
 */
function interpolationProblem(blocks: readonly Block[], section: string): IniSyntaxError | undefined {
  const names = section === DEFAULT_SECTION ? [DEFAULT_SECTION] : [DEFAULT_SECTION, section];
  for (const name of names) {
    const visible = new Map<string, string>();
    // The section's own options over [DEFAULT]'s, as configparser chains them.
    for (const from of new Set([DEFAULT_SECTION, name])) {
      for (const block of blocks.filter((b) => b.name === from)) {
        for (const option of block.options) visible.set(option.key.toLowerCase(), pyRstrip(option.parts.join('\n')));
      }
    }
    for (const block of blocks.filter((b) => b.name === name)) {
      for (const option of block.options) {
        try {
          interpolate(pyRstrip(option.parts.join('\n')), visible);
        } catch {
          return new IniSyntaxError(option.line + 1, "the value holds a % that configparser's interpolation rejects (a literal % is written %%), so reading it raises");
        }
      }
    }
  }
  return undefined;
}

function checkEntry(key: string, value: string): void {
  const edge = new RegExp(`^[${PY_SPACE}]|[${PY_SPACE}]$`, 'u');
  if (key === '' || edge.test(key) || /[=:\r\n]/.test(key) || /^[#;[]/.test(key) || hasLoneSurrogate(key)) {
    throw new UnwritableValueError(key, 'is not an option name configparser reads back: no = or :, no line break or edge whitespace, and no #, ; or [ at the start');
  }
  if (/[\r\n]/.test(value)) {
    throw new UnwritableValueError(key, 'holds a line break, which configparser reads as the start of a continuation line (and strips each line); ini values are written on one line');
  }
  if (edge.test(value)) throw new UnwritableValueError(key, 'starts or ends with whitespace, which configparser strips from every value');
  if (hasLoneSurrogate(value)) throw new UnwritableValueError(key, 'is not valid Unicode text (it holds a lone surrogate), so it has no UTF-8 spelling');
}

const optionText = (key: string, value: string): string => {
  const escaped = value.replace(/%/g, '%%');
  return escaped === '' ? `${key} =` : `${key} = ${escaped}`;
};

function mergeInto(existing: string, section: string, entries: RenderRequest['entries'], strict: boolean): string {
  let document;
  try {
    document = readIni(existing, strict);
    const problem = interpolationProblem(document.blocks, section);
    if (problem) throw problem;
  } catch (error) {
    if (!(error instanceof IniSyntaxError)) throw error;
    throw new SinkError('UNREADABLE_EXISTING', `the existing file is not readable by configparser (${error.message}); fix or remove it first`);
  }
  const { lines, blocks } = document;
  const eol = lines.find((line) => line.eol !== '')?.eol ?? '\n';
  const out = lines.map((line) => line.text + line.eol);
  const mine = blocks.filter((block) => block.name === section);
  const indentOf = (index: number): string => lines[index]?.text.match(LEADING_SPACE)?.[0] ?? '';

  const appended: string[] = [];
  for (const [key, value] of entries) {
    // Every occurrence a non-strict reader accepted: its last one is what it reads, and none may keep an old value.
    const options = mine.flatMap((block) => block.options).filter((o) => o.key.toLowerCase() === key.toLowerCase());
    if (options.length === 0) {
      appended.push(optionText(key, value));
      continue;
    }
    for (const option of options) {
      out[option.line] = indentOf(option.line) + optionText(key, value) + (lines[option.line]?.eol || eol);
      for (const index of option.continuations) out[index] = '';
    }
  }
  if (appended.length === 0) return out.join('');

  const last = mine.at(-1);
  if (last) {
    const lastOption = last.options.at(-1);
    const anchor = lastOption ? Math.max(lastOption.line, ...lastOption.continuations) : last.header;
    let indent = indentOf(lastOption ? lastOption.line : last.header);
    // Under a bare header, indent at least as deep as the next line, or that line (say an indented
    // `[next]`) would read as a continuation of the first appended option.
    const following = lines.findIndex((line, index) => index > anchor && !/^([#;]|$)/.test(pyStrip(line.text)));
    if (!lastOption && following >= 0 && indentOf(following).length > indent.length) indent = indentOf(following);
    // A blanked continuation line has no text left to terminate; the replaced option line already has its own.
    if (out[anchor] !== '' && !lines[anchor]?.eol) out[anchor] += eol;
    out[anchor] += appended.map((text) => indent + text + eol).join('');
    return out.join('');
  }
  let text = out.join('');
  if (text !== '' && !/[\r\n]$/.test(text)) text += eol;
  if (text !== '' && lines.at(-1)?.text.trim() !== '') text += eol;
  return text + `[${section}]${eol}` + appended.map((line) => line + eol).join('');
}

/** A section name `[name]` can carry: one line of text (discovery checks a sink's `format.section` with it). */
export function isSectionName(section: string): boolean {
  return section !== '' && !/[\r\n]/.test(section) && !hasLoneSurrogate(section);
}

export interface IniFormatOptions {
  /** `ConfigParser()` (true) or `ConfigParser(strict=False)`: whether a repeated section or option fails the read. @default true */
  strict?: boolean;
}

/**
 * Writes one section of an ini file for Python's `configparser.ConfigParser()`, merging into what is there.
 * @param section a name `isSectionName` accepts (`createFormat` checks it)
 */
export function createIniFormat(section = 'default', options: IniFormatOptions = {}): Format {
  const strict = options.strict ?? true;
  const parse = (text: string): Record<string, string> => {
    try {
      return readSection(readIni(text, strict).blocks, section);
    } catch (error) {
      if (!(error instanceof IniSyntaxError)) throw error;
      throw new SinkError('UNREADABLE_INI', `configparser cannot read the file (${error.message})`);
    }
  };

  return {
    label: `ini [${section}]${strict ? '' : ' strict=False'}`,
    parse,
    render(request) {
      assertHeaderLines(request.header);
      const lowered = new Set<string>();
      for (const [key, value] of request.entries) {
        checkEntry(key, value);
        if (lowered.has(key.toLowerCase())) throw new UnwritableValueError(key, 'is the same configparser option as another key (configparser lowercases keys)');
        lowered.add(key.toLowerCase());
      }
      const text =
        request.existing === undefined
          ? `${commentLines(request.header)}${request.header.length ? '\n' : ''}[${section}]\n${request.entries.map(([key, value]) => `${optionText(key, value)}\n`).join('')}`
          : mergeInto(request.existing, section, request.entries, strict);
      const read = parse(text);
      for (const [key, value] of request.entries) {
        if (read[key] !== value) throw new UnwritableValueError(key, 'configparser would not read the rendered file back exactly (a bug in comfy-secrets\'s ini writer)');
      }
      return text;
    },
  };
}
