import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { sha256 } from '../../src/state/state';

// State files written by earlier versions (node:crypto) must still verify: same digests, same hex.
const reference = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

describe('sha256 (the digests state records and clean compares)', () => {
  test('gives the published SHA-256 values', () => {
    expect(sha256('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  test('matches node:crypto for any bytes, across block boundaries', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => sha256(Buffer.from(bytes)) === reference(Buffer.from(bytes))), { numRuns: 2000 });
  });

  test('hashes a string as its UTF-8 bytes, as node:crypto does', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => sha256(text) === reference(text)), { numRuns: 1000 });
  });

  test('hashes a Buffer that is a view into a larger pool', () => {
    const pool = Buffer.from('xxfake-secret-file-contentxx');
    const view = pool.subarray(2, pool.length - 2);
    expect(sha256(view)).toBe(reference('fake-secret-file-content'));
  });

  test('hashes a file of several megabytes', () => {
    const big = Buffer.alloc(5 * 1024 * 1024 + 3, 'fake-');
    expect(sha256(big)).toBe(reference(big));
  });
});
