import type { LinesReader } from '../contract';
import { UnwritableValueError, type Format, type RenderRequest } from './format';
import { PY_SPACE, assertHeaderLines, commentLines, hasLoneSurrogate, pyStrip } from './text';

const EDGE_SPACE = new RegExp(`^[${PY_SPACE}]|[${PY_SPACE}]$`, 'u');

/** Python's text mode (universal newlines): CRLF, CR and LF each end a line, and nothing else does. */
function splitLines(text: string): Array<{ text: string; eol: string }> {
  const lines: Array<{ text: string; eol: string }> = [];
  const pattern = /([^\r\n]*)(\r\n|\r|\n|$)/gy;
  let match: RegExpExecArray | null;
  while (pattern.lastIndex < text.length && (match = pattern.exec(text))) lines.push({ text: match[1] ?? '', eol: match[2] ?? '' });
  return lines;
}

/** What the declared reader makes of the value part of a line (everything after the first `=`). */
function readValue(raw: string, reader: LinesReader): string {
  let value = reader.strip === true ? pyStrip(raw) : raw;
  for (const char of reader.removes ?? '') value = value.split(char).join('');
  return value;
}

/** The reader's lookup: the first line that starts with `key=`. */
function lookUp(lines: ReadonlyArray<{ text: string }>, key: string, reader: LinesReader): string | undefined {
  const line = lines.find((candidate) => candidate.text.startsWith(`${key}=`));
  return line === undefined ? undefined : readValue(line.text.slice(key.length + 1), reader);
}

function checkEntry(key: string, value: string, reader: LinesReader): void {
  if (key === '' || /[=\r\n]/.test(key) || key.startsWith('#') || hasLoneSurrogate(key)) {
    throw new UnwritableValueError(key, 'is not a name the reader can look up: no =, no line break, not empty and not starting with #');
  }
  if (/[\r\n]/.test(value)) throw new UnwritableValueError(key, 'holds a line break; the reader reads one line per value');
  if (reader.strip === true && EDGE_SPACE.test(value)) throw new UnwritableValueError(key, 'starts or ends with whitespace, which the reader strips');
  const removed = [...(reader.removes ?? '')].filter((char) => value.includes(char));
  if (removed.length > 0) {
    const shown = removed.map((char) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`).join(', ');
    throw new UnwritableValueError(key, `holds a character the reader deletes from every value (${shown})`);
  }
  if (hasLoneSurrogate(value)) throw new UnwritableValueError(key, 'is not valid Unicode text (it holds a lone surrogate), so it has no UTF-8 spelling');
}

function merge(existing: string, entries: RenderRequest['entries']): string {
  const lines = splitLines(existing);
  const eol = lines.find((line) => line.eol !== '')?.eol ?? '\n';
  const out = lines.map((line) => line.text + line.eol);
  const appended: string[] = [];
  for (const [key, value] of entries) {
    // Only the first match counts for the reader; later ones are left as they are.
    const index = lines.findIndex((line) => line.text.startsWith(`${key}=`));
    if (index >= 0) out[index] = `${key}=${value}${lines[index]!.eol || eol}`;
    else appended.push(`${key}=${value}${eol}`);
  }
  let text = out.join('');
  if (appended.length > 0 && text !== '' && !/[\r\n]$/.test(text)) text += eol;
  return text + appended.join('');
}

/**
 * `name=value` lines for a node's own hand-written reader (ComfyUI_LayerStyle_Advance's `api_key.ini`):
 * a merge replaces the first line the reader would find for each key and keeps every other line.
 */
export function createLinesFormat(reader: LinesReader): Format {
  const parse = (text: string): Record<string, string> => {
    const lines = splitLines(text);
    const values: Record<string, string> = {};
    for (const { text: line } of lines) {
      const at = line.indexOf('=');
      const key = line.slice(0, at);
      if (at <= 0 || key.startsWith('#') || Object.hasOwn(values, key)) continue;
      Object.defineProperty(values, key, { value: lookUp(lines, key, reader), enumerable: true, writable: true, configurable: true });
    }
    return values;
  };
  return {
    label: 'lines (name=value)',
    parse,
    render({ entries, header, existing }) {
      assertHeaderLines(header);
      for (const [key, value] of entries) checkEntry(key, value, reader);
      const text = existing === undefined ? `${commentLines(header)}${entries.map(([key, value]) => `${key}=${value}\n`).join('')}` : merge(existing, entries);
      const lines = splitLines(text);
      for (const [key, value] of entries) {
        if (lookUp(lines, key, reader) !== value) throw new UnwritableValueError(key, "the reader would not read the rendered file back exactly (a bug in comfy-secrets's lines writer)");
      }
      return text;
    },
  };
}
