import fc from 'fast-check';
import { pathId, randomToken } from '../../src/files/ids';

/** FNV-1a, 64-bit, by the book (BigInt): the reference the 32-bit-halves version must match. */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, 'utf8')) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash.toString(16).padStart(16, '0');
}

describe('pathId', () => {
  test('gives the published FNV-1a 64 values', () => {
    expect(pathId('')).toBe('cbf29ce484222325');
    expect(pathId('a')).toBe('af63dc4c8601ec8c');
    expect(pathId('foobar')).toBe('85944171f73967e8');
  });

  test('matches the BigInt reference for any text, multi-byte included', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => pathId(text) === fnv1a64(text)), { numRuns: 2000 });
  });

  test('tells apart the targets of a thousand custom nodes', () => {
    const ids = new Set(Array.from({ length: 1000 }, (_, i) => pathId(`/workspace/ComfyUI/custom_nodes/node_${i}/.env`)));
    expect(ids.size).toBe(1000);
  });
});

test('randomToken gives 12 hex digits, different each time', () => {
  const tokens = Array.from({ length: 1000 }, randomToken);
  for (const token of tokens) expect(token).toMatch(/^[0-9a-f]{12}$/);
  expect(new Set(tokens).size).toBe(1000);
});
