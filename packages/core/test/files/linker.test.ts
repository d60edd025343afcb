import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Linker } from '../../src/files/linker';

let base: string;
beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-linker-'));
});
afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

test('makes every link asked for on its thread, and settle gives each outcome in the order asked', () => {
  fs.writeFileSync(path.join(base, 'a-file'), 'x');
  fs.writeFileSync(path.join(base, 'taken'), 'x');
  const linker = Linker.start();
  expect(linker).toBeDefined();

  linker!.link('/dev/shm/store/1-.env', path.join(base, 'made'));
  linker!.link('/dev/shm/store/2-.env', path.join(base, 'taken'));
  linker!.link('/dev/shm/store/3-.env', path.join(base, 'a-file', 'below'));
  linker!.link('/dev/shm/store/4-.env', path.join(base, 'missing-dir', 'x'));

  expect(linker!.settle().map(({ target, code }) => [path.basename(target), code])).toEqual([
    ['made', undefined],
    ['taken', 'EEXIST'],
    ['below', 'ENOTDIR'],
    ['x', 'ENOENT'],
  ]);
  expect(fs.readlinkSync(path.join(base, 'made'))).toBe('/dev/shm/store/1-.env');
  // symlink() never replaces what is there
  expect(fs.readFileSync(path.join(base, 'taken'), 'utf8')).toBe('x');
});
