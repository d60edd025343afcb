// The rules a `format` spec must follow, checked by validation (for a whole sink) and by createFormat
// (for a caller that did not come through discovery). Here with the formats, not in validation, so that
// formats need not import the sink stage that imports them.
import { DOTENV_READERS } from './dotenv';
import { isSectionName } from './ini';

const readers: readonly string[] = DOTENV_READERS;

/** The problems of a `format` spec: the rules its format relies on, checked before anything is rendered. */
export function formatProblems(format: unknown): string[] {
  if (format === undefined || format === 'dotenv' || format === 'ini' || format === 'json' || format === 'yaml' || format === 'text') return [];
  if (typeof format !== 'object' || format === null) return [`'format' must be 'dotenv', 'ini', 'json', 'yaml', 'text' or an object with a 'type'`];
  const spec = format as Record<string, unknown>;
  if (spec.type === 'dotenv') {
    return spec.readers === undefined || (isStringArray(spec.readers) && spec.readers.length > 0 && spec.readers.every((r) => readers.includes(r)))
      ? []
      : [`'format.readers' must list readers among ${readers.join(', ')}`];
  }
  if (spec.type === 'ini') {
    const problems: string[] = [];
    if (spec.strict !== undefined && typeof spec.strict !== 'boolean') problems.push(`'format.strict' must be a boolean`);
    if (spec.interpolation !== undefined && spec.interpolation !== 'basic' && spec.interpolation !== 'none') problems.push(`'format.interpolation' must be 'basic' or 'none'`);
    if (spec.section === undefined) return problems;
    if (typeof spec.section !== 'string') return [...problems, `'format.section' must be a string`];
    return isSectionName(spec.section) ? problems : [...problems, `'format.section' must be a section name of one line (not empty, no line break)`];
  }
  if (spec.type === 'json') {
    const problems: string[] = [];
    if (spec.merge !== undefined && typeof spec.merge !== 'boolean') problems.push(`'format.merge' must be a boolean`);
    if (spec.ascii !== undefined && typeof spec.ascii !== 'boolean') problems.push(`'format.ascii' must be a boolean`);
    if (spec.paths !== undefined && !isPaths(spec.paths, (part) => typeof part === 'string')) problems.push(`'format.paths' must map keys to non-empty arrays of member names`);
    return problems;
  }
  if (spec.type === 'yaml') {
    const problems: string[] = [];
    if (spec.paths !== undefined && !isPaths(spec.paths, (part) => typeof part === 'string' || (Number.isSafeInteger(part) && (part as number) >= 0))) {
      problems.push(`'format.paths' must map keys to non-empty arrays of mapping keys and sequence indexes`);
    }
    if (spec.initial !== undefined && (typeof spec.initial !== 'object' || spec.initial === null || Array.isArray(spec.initial))) problems.push(`'format.initial' must be an object`);
    return problems;
  }
  if (spec.type === 'text') return [];
  if (spec.type === 'lines') {
    const reader = spec.reader as Record<string, unknown> | undefined;
    if (typeof reader !== 'object' || reader === null) return [`'format.reader' must describe the reader: { strip?: boolean, removes?: string }`];
    const problems: string[] = [];
    if (reader.strip !== undefined && typeof reader.strip !== 'boolean') problems.push(`'format.reader.strip' must be a boolean`);
    if (reader.removes !== undefined && typeof reader.removes !== 'string') problems.push(`'format.reader.removes' must be a string of characters`);
    return problems;
  }
  return [`'format.type' must be 'dotenv', 'ini', 'json', 'yaml', 'text' or 'lines'`];
}

function isPaths(value: unknown, isPart: (part: unknown) => boolean): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((path) => Array.isArray(path) && path.length > 0 && path.every(isPart));
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
