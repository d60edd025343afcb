// Names for the files comfy-secrets makes beside others' (temp files, store files, backups), without
// node:crypto: loading it costs a container start about a sixth of Node's own start-up, and none of
// these names is a secret or a defence. Content hashes for `clean` still use SHA-256 (state.ts).

/**
 * 12 hex digits from Math.random for a temp file's name. Every such file is created with O_EXCL, so
 * a name someone planted ahead of us makes that write fail; it never makes us write through their
 * file. Math.random is seeded from the system's entropy at every start.
 */
export function randomToken(): string {
  return Math.floor(Math.random() * 2 ** 48)
    .toString(16)
    .padStart(12, '0');
}

/**
 * 16 hex digits that keep two paths apart: FNV-1a (64-bit) of the path's UTF-8 bytes, in 32-bit
 * halves (JavaScript numbers hold 53 bits). Not a defence against someone choosing paths to collide:
 * whoever chooses the paths of ComfyUI's custom nodes already controls what runs there.
 */
export function pathId(text: string): string {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (const byte of Buffer.from(text, 'utf8')) {
    lo = (lo ^ byte) >>> 0;
    // h × 0x100000001b3 = h × 0x1b3 + (h << 40), modulo 2^64
    const low = lo * 0x1b3; // < 2^41: exact in a double
    hi = (Math.imul(hi, 0x1b3) + Math.floor(low / 2 ** 32) + (lo << 8)) >>> 0;
    lo = low >>> 0;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}
