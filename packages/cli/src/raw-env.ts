import { isUtf8 } from '@comfy-secrets/core';

/**
 * Names of environment variables whose raw value is not valid UTF-8. Node decodes the environment
 * lossily (a bad byte becomes U+FFFD), so `process.env` cannot tell; the kernel's copy of the
 * process's initial environment can (`/proc/self/environ`, Linux). Elsewhere nothing is found.
 */
export function invalidUtf8Names(readEnviron: () => Buffer): Set<string> {
  const names = new Set<string>();
  let raw: Buffer;
  try {
    raw = readEnviron();
  } catch {
    return names;
  }
  // The usual case costs one decode of the whole block.
  if (isUtf8(raw)) return names;
  let start = 0;
  while (start < raw.length) {
    let end = raw.indexOf(0, start);
    if (end < 0) end = raw.length;
    const entry = raw.subarray(start, end);
    if (!isUtf8(entry)) {
      const equals = entry.indexOf(0x3d);
      // Node's name for the variable: a name that is not UTF-8 itself is decoded the same lossy way.
      names.add(entry.subarray(0, equals < 0 ? entry.length : equals).toString('utf8'));
    }
    start = end + 1;
  }
  return names;
}
