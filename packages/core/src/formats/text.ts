import { ConfigError } from '../errors';

/**
 * Python's whitespace (`str.isspace()`, and `\s` in its `re`). It is not JavaScript's `\s`: Python adds
 * U+001C–U+001F and U+0085 and leaves out U+FEFF, and the Python readers strip and split on this set.
 */
export const PY_INLINE_SPACE = '\\t\\v\\f \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
export const PY_SPACE = `\\r\\n${PY_INLINE_SPACE}`;

const pyEdgeSpace = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'gu');
const pyTrailingSpace = new RegExp(`[${PY_SPACE}]+$`, 'u');
const pySpace = new RegExp(`^[${PY_SPACE}]$`);

/** Python's `str.strip()`. */
export function pyStrip(text: string): string {
  return text.replace(pyEdgeSpace, '');
}

/** Python's `str.rstrip()`. */
export function pyRstrip(text: string): string {
  // The regular expression would try every position; most text ends in no space at all.
  return pySpace.test(text.charAt(text.length - 1)) ? text.replace(pyTrailingSpace, '') : text;
}

/** A lone UTF-16 surrogate has no UTF-8 encoding: written to a file it would become U+FFFD. */
export function hasLoneSurrogate(text: string): boolean {
  // Most text holds no surrogate at all, which the plain (non-unicode) scan finds fastest.
  return /[\uD800-\uDFFF]/.test(text) && /[\uD800-\uDFFF]/u.test(text);
}

/**
 * Header lines become comments; a line break inside one would end the comment and start a line that
 * readers parse as content. U+2028/U+2029 count because JavaScript readers (npm dotenv) end lines there.
 * Discovery refuses a sink's header by this rule (`sinkProblems`).
 */
export function isHeaderLine(line: string): boolean {
  return !/[\r\n\u2028\u2029\0]/.test(line);
}

/** For callers of `Format.render` that did not come through discovery. */
export function assertHeaderLines(header: readonly string[]): void {
  header.forEach((line, index) => {
    if (!isHeaderLine(line)) {
      throw new ConfigError('BAD_HEADER', `header line ${index + 1} contains a line break or NUL; header lines must be single lines`);
    }
  });
}

/** `# line` comments, one per header line, each ending in `eol`. */
export function commentLines(header: readonly string[], eol = '\n'): string {
  return header.map((line) => (line === '' ? `#${eol}` : `# ${line}${eol}`)).join('');
}
