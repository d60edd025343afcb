const utf8 = new TextDecoder('utf-8', { fatal: true });

/** What a variable's `NAME_ENCODED` may carry (contract `VariableSpec.encodings`). */
export type Encoding = 'base64' | 'slash';
export const ENCODINGS: readonly Encoding[] = ['base64', 'slash'];

export type Decoded = { value: string } | { problem: string };

/**
 * Strict standard base64 → UTF-8 text. Returns why it is not valid instead of a value, so callers can
 * name the variable without ever echoing its content.
 */
export function decodeBase64Strict(encoded: string): Decoded {
  let position = 0;
  for (const c of encoded) {
    position += 1;
    if (/[A-Za-z0-9+/=]/.test(c)) continue;
    // Named only when it is one of the two usual mistakes; any other character is a piece of the value.
    const hint = /\s/.test(c) ? ` (${whitespace(c)}: whitespace is not accepted)` : c === '-' || c === '_' ? ` ('${c}': URL-safe base64 is not accepted)` : '';
    return { problem: `has a character outside the base64 alphabet at position ${position}${hint}` };
  }
  const body = encoded.replace(/={1,2}$/, '');
  const misplaced = body.indexOf('=');
  if (misplaced >= 0) return { problem: `has '=' padding before the end, at position ${misplaced + 1}` };
  if (encoded.length % 4 !== 0) return { problem: `has length ${encoded.length}, which is not a multiple of 4 (missing or extra '=' padding)` };
  const bytes = Buffer.from(encoded, 'base64');
  // Node silently ignores non-zero trailing bits; canonical input re-encodes to itself.
  if (bytes.toString('base64') !== encoded) return { problem: 'is not canonical base64 (non-zero padding bits)' };
  try {
    return { value: utf8.decode(bytes) };
  } catch {
    return { problem: 'does not decode to UTF-8 text' };
  }
}

/**
 * The `_SLASH_` convention of emprops and emp-job-queue: `/` is written `_SLASH_`, everything else
 * as is. A value written that way holds no `/` of its own.
 */
export function decodeSlash(encoded: string): Decoded {
  if (encoded.includes('/')) return { problem: "holds a '/', which the _SLASH_ form writes as _SLASH_" };
  return { value: encoded.replaceAll('_SLASH_', '/') };
}

/** The `_SLASH_` form of a value, or `undefined` when the form cannot carry it back exactly. */
export function encodeSlash(value: string): string | undefined {
  const encoded = value.replaceAll('/', '_SLASH_');
  return encoded.replaceAll('_SLASH_', '/') === value ? encoded : undefined;
}

const decoders: Record<Encoding, (encoded: string) => Decoded> = { base64: decodeBase64Strict, slash: decodeSlash };

const describeEncoding: Record<Encoding, string> = { base64: 'base64', slash: 'the _SLASH_ form' };

export interface Readings {
  /** The distinct values the encodings read, with the encodings that read each. */
  values: Array<{ value: string; encodings: Encoding[] }>;
  /** Why each encoding that read nothing failed. */
  problems: string[];
}

/**
 * Every distinct reading of an `_ENCODED` value under the given encodings. When several differ and
 * `shape` is given, those it does not match are dropped — `shape` only chooses between readings.
 */
export function readEncoded(encoded: string, encodings: readonly Encoding[], shape?: RegExp): Readings {
  const values: Readings['values'] = [];
  const problems: string[] = [];
  for (const encoding of encodings) {
    const decoded = decoders[encoding](encoded);
    if ('problem' in decoded) {
      problems.push(encodings.length > 1 ? `as ${describeEncoding[encoding]} ${decoded.problem}` : decoded.problem);
      continue;
    }
    const same = values.find((reading) => reading.value === decoded.value);
    if (same) same.encodings.push(encoding);
    else values.push({ value: decoded.value, encodings: [encoding] });
  }
  if (values.length > 1 && shape) {
    const fitting = values.filter((reading) => matches(shape, reading.value));
    if (fitting.length > 0) return { values: fitting, problems };
  }
  return { values, problems };
}

export function describeEncodings(encodings: readonly Encoding[]): string {
  return encodings.map((encoding) => describeEncoding[encoding]).join(' or ');
}

function whitespace(c: string): string {
  if (c === '\n' || c === '\r') return 'a line break';
  if (c === '\t') return 'a tab';
  return c === ' ' ? 'a space' : 'whitespace';
}

function matches(shape: RegExp, value: string): boolean {
  shape.lastIndex = 0;
  return shape.test(value);
}
