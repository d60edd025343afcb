import type { FormatSpec } from '../contract';
import { ConfigError } from '../errors';
import { formatProblems } from './spec';
import { createDotenvFormat } from './dotenv';
import type { Format } from './format';
import { createIniFormat } from './ini';
import { createJsonFormat } from './json';
import { createLinesFormat } from './lines';
import { createTextFormat } from './plain';
import { createYamlFormat } from './yaml';

export { createDotenvFormat } from './dotenv';
export { createIniFormat, type IniFormatOptions } from './ini';
export { createJsonFormat, type JsonFormatOptions } from './json';
export { createLinesFormat } from './lines';
export { createTextFormat } from './plain';
export { createYamlFormat, type YamlFormatOptions } from './yaml';
export { UnwritableValueError, type Format, type RenderRequest } from './format';
export { formatProblems } from './spec';

/**
 * The format a sink declares; no declaration means a `.env` for python-dotenv.
 * @throws ConfigError `BAD_FORMAT` for a spec discovery would refuse (a caller may not have come through it)
 */
export function createFormat(spec: FormatSpec | undefined): Format {
  const problems = formatProblems(spec);
  if (problems.length > 0) throw new ConfigError('BAD_FORMAT', problems.join('; '));
  const normalised = typeof spec === 'string' ? { type: spec } : (spec ?? { type: 'dotenv' as const });
  switch (normalised.type) {
    case 'dotenv':
      return createDotenvFormat('readers' in normalised ? normalised.readers : undefined);
    case 'ini':
      return createIniFormat('section' in normalised ? normalised.section : undefined, {
        strict: 'strict' in normalised ? normalised.strict : undefined,
        interpolation: 'interpolation' in normalised ? normalised.interpolation : undefined,
      });
    case 'json':
      return createJsonFormat('merge' in normalised || 'paths' in normalised || 'ascii' in normalised ? normalised : {});
    case 'yaml':
      return createYamlFormat('paths' in normalised || 'initial' in normalised ? normalised : {});
    case 'text':
      return createTextFormat();
    case 'lines':
      return createLinesFormat(normalised.reader);
  }
}

/**
 * Whether the format merges into the file already there (ini, yaml, lines, json with `merge`); the
 * others replace it whole, so their callers need not read it first, and `clean` restores rather than
 * removes it.
 */
export function mergesExisting(spec: FormatSpec | undefined): boolean {
  if (spec === 'ini' || spec === 'yaml') return true;
  return typeof spec === 'object' && (spec.type === 'ini' || spec.type === 'yaml' || spec.type === 'lines' || (spec.type === 'json' && spec.merge === true));
}
