import * as fs from 'node:fs';
import * as path from 'node:path';
import { SinkError } from '../../../src/errors';
import type { FileSystem } from '../../../src/fs';
import { writeFileSafely } from '../../../src/files/writer';
import { tempFiles } from '../../../../../test/helpers/temp-files';
import { errno, intercept, isTemp, makeTree, request, type Tree } from './helpers';

const OLD = 'OLD=1\n# bytes that must survive: \u00e9\u0000\n';

let tree: Tree;
let target: string;
beforeEach(() => {
  tree = makeTree();
  target = path.join(tree.nodeDir, '.env');
  fs.writeFileSync(target, OLD, { mode: 0o600 });
});
afterEach(() => tree.cleanup());

/** Each step of the write, failing the way a full disk or a read-only mount would. */
const failAt: Record<string, (code: string) => FileSystem> = {
  open: (code) => intercept('openSync', (args, real) => {
    if (isTemp(args)) throw errno(code, 'open');
    return real(...args);
  }),
  // Half the bytes land, then the disk is full: the partial temp file must not replace the target.
  write: (code) => {
    let calls = 0;
    return intercept('writeSync', (args, real) => {
      if (calls++ > 0) throw errno(code, 'write');
      const [fd, buffer, offset, length] = args as [number, Buffer, number, number];
      return real(fd, buffer, offset, Math.ceil(length / 2));
    });
  },
  // The first fsync is the temp file's; the directory's comes only after the rename.
  fsync: (code) => {
    let calls = 0;
    return intercept('fsyncSync', (args, real) => {
      if (calls++ === 0) throw errno(code, 'fsync');
      return real(...args);
    });
  },
  rename: (code) => intercept('renameSync', () => {
    throw errno(code, 'rename');
  }),
};

const cases = Object.keys(failAt).flatMap((step) => ['EACCES', 'ENOSPC'].map((code) => [step, code] as const));

describe.each(cases)('%s failing with %s', (step, code) => {
  let error: unknown;
  beforeEach(() => {
    const failing = failAt[step]!(code);
    error = undefined;
    try {
      writeFileSafely(failing, request(tree, 'NEW=2\n'));
    } catch (thrown) {
      error = thrown;
    }
  });

  test('throws WRITE_FAILED naming the errno and the relative path, with the cause', () => {
    expect(error).toBeInstanceOf(SinkError);
    const sinkError = error as SinkError;
    expect(sinkError.code).toBe('WRITE_FAILED');
    expect(sinkError.message).toContain(code);
    expect(sinkError.message).toContain(path.join('custom_nodes', 'node', '.env'));
    expect((sinkError.cause as NodeJS.ErrnoException).code).toBe(code);
  });

  test('leaves the previous file byte for byte', () => {
    expect(fs.readFileSync(target)).toEqual(Buffer.from(OLD, 'utf8'));
  });

  test('leaves no temp file behind', () => {
    expect(tempFiles(tree.nodeDir)).toEqual([]);
  });
});

test('a directory fsync the file system does not support is not a failure', () => {
  let calls = 0;
  const noDirectorySync = intercept('fsyncSync', (args, real) => {
    if (calls++ === 1) throw errno('EINVAL', 'fsync');
    return real(...args);
  });

  expect(writeFileSafely(noDirectorySync, request(tree, 'NEW=2\n')).status).toBe('written');
  expect(calls).toBe(2);
});
