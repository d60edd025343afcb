const alphabet = /^[A-Za-z0-9+/]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Strict standard base64 → UTF-8 text. Returns why it is not valid instead of a value, so callers can
 * name the variable without ever echoing its content.
 */
export function decodeBase64Strict(encoded: string): { value: string } | { problem: string } {
  const body = encoded.replace(/={1,2}$/, '');
  if (!alphabet.test(body)) {
    const at = [...body].findIndex((c) => !/[A-Za-z0-9+/]/.test(c));
    return { problem: `has a character outside the base64 alphabet at position ${at + 1} (whitespace and URL-safe '-' '_' are not accepted)` };
  }
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
