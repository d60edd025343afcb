import { invalidUtf8Names } from '../src/raw-env';

const environ = (...entries: Array<string | Buffer>) => Buffer.concat(entries.flatMap((entry) => [Buffer.from(entry), Buffer.from([0])]));

describe('invalidUtf8Names', () => {
  test('finds the variables whose raw value is not UTF-8', () => {
    const raw = environ('PATH=/usr/bin', Buffer.concat([Buffer.from('HF_TOKEN=hf_FAKE'), Buffer.from([0xff])]), 'LANG=C.UTF-8', Buffer.concat([Buffer.from('X='), Buffer.from([0xc3, 0x28])]));
    expect([...invalidUtf8Names(() => raw)]).toEqual(['HF_TOKEN', 'X']);
  });

  test('finds nothing in a valid environment, and nothing where /proc/self/environ cannot be read', () => {
    expect(invalidUtf8Names(() => environ('A=ünïcode ✓', 'B='))).toEqual(new Set());
    expect(
      invalidUtf8Names(() => {
        throw Object.assign(new Error('no /proc'), { code: 'ENOENT' });
      }),
    ).toEqual(new Set());
  });
});
