import { sha256 as sha256Digest } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/**
 * SHA-256 in hex. @noble/hashes (audited, pure JavaScript) rather than node:crypto: loading
 * node:crypto costs a container's first start a fifth of Node's own start-up, for digests of a few
 * files of a few kilobytes.
 */
export function sha256(bytes: Buffer | string): string {
  return bytesToHex(sha256Digest(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes));
}
