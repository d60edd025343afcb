import * as fs from 'node:fs';
import * as path from 'node:path';
import { realFileSystem } from '../../../src/fs';
import { writeFileSafely } from '../../../src/files/writer';
import { tempFiles } from '../../../../../test/helpers/temp-files';
import { makeTree, request, type Tree } from './helpers';

let tree: Tree;
let target: string;
let umask: number | undefined;
beforeEach(() => {
  tree = makeTree();
  target = path.join(tree.nodeDir, '.env');
});
afterEach(() => {
  if (umask !== undefined) process.umask(umask);
  umask = undefined;
  tree.cleanup();
});

const modeOf = (file: string) => fs.statSync(file).mode & 0o7777;
const anHourAgo = () => new Date(Date.now() - 3_600_000);

test('writes a new file with mode 0600 even under umask 0', () => {
  umask = process.umask(0);

  expect(writeFileSafely(realFileSystem, request(tree)).status).toBe('written');
  expect(fs.readFileSync(target, 'utf8')).toBe('KEY=value\n');
  expect(modeOf(target)).toBe(0o600);
});

test('replaces a world-readable file with one of mode 0600 even under umask 0', () => {
  fs.writeFileSync(target, 'OLD=1\n', { mode: 0o644 });
  umask = process.umask(0);

  writeFileSafely(realFileSystem, request(tree));

  expect(modeOf(target)).toBe(0o600);
});

test('applies the requested mode exactly, whatever the umask', () => {
  umask = process.umask(0o077);

  writeFileSafely(realFileSystem, { ...request(tree), mode: 0o640 });

  expect(modeOf(target)).toBe(0o640);
});

test('returns the previous content', () => {
  fs.writeFileSync(target, 'OLD=1\n');

  expect(writeFileSafely(realFileSystem, request(tree)).previous).toBe('OLD=1\n');
});

test('leaves an unchanged file alone, keeping its mtime', () => {
  fs.writeFileSync(target, 'KEY=value\n', { mode: 0o600 });
  fs.utimesSync(target, anHourAgo(), anHourAgo());
  const before = fs.statSync(target).mtimeMs;

  expect(writeFileSafely(realFileSystem, request(tree)).status).toBe('unchanged');
  expect(fs.statSync(target).mtimeMs).toBe(before);
});

test('treats a file that differs only in its Generated at line as unchanged', () => {
  fs.writeFileSync(target, '# managed by comfy-secrets\n# Generated at: 2020-01-01T00:00:00.000Z\nKEY=value\n', { mode: 0o600 });
  const content = '# managed by comfy-secrets\n# Generated at: 2030-01-01T00:00:00.000Z\nKEY=value\n';

  expect(writeFileSafely(realFileSystem, request(tree, content)).status).toBe('unchanged');
  expect(fs.readFileSync(target, 'utf8')).toContain('2020-01-01');
});

test('fixes only the mode when the content is unchanged, keeping the mtime', () => {
  fs.writeFileSync(target, 'KEY=value\n', { mode: 0o644 });
  fs.chmodSync(target, 0o644);
  fs.utimesSync(target, anHourAgo(), anHourAgo());
  const before = fs.statSync(target).mtimeMs;

  expect(writeFileSafely(realFileSystem, request(tree)).status).toBe('written');
  expect(modeOf(target)).toBe(0o600);
  expect(fs.statSync(target).mtimeMs).toBe(before);
});

const asRoot = process.getuid?.() === 0 ? test : test.skip;

asRoot('applies the owner to the written file', () => {
  writeFileSafely(realFileSystem, { ...request(tree), owner: { uid: 1234, gid: 1234 } });

  const stat = fs.statSync(target);
  expect([stat.uid, stat.gid]).toEqual([1234, 1234]);
  expect(stat.mode & 0o7777).toBe(0o600);
});

asRoot('fixes the owner of an unchanged file', () => {
  fs.writeFileSync(target, 'KEY=value\n', { mode: 0o600 });

  expect(writeFileSafely(realFileSystem, { ...request(tree), owner: { uid: 1234, gid: 1234 } }).status).toBe('written');
  expect(fs.statSync(target).uid).toBe(1234);
});

test('a dry run reports would-write and creates nothing', () => {
  const result = writeFileSafely(realFileSystem, { ...request(tree), path: 'config/.env', dryRun: true });

  expect(result).toEqual({ status: 'would-write', path: path.join(tree.nodeDir, 'config', '.env'), previous: undefined });
  expect(fs.readdirSync(tree.nodeDir)).toEqual([]);
});

test('a dry run leaves an outdated file and stale temp files as they are', () => {
  fs.writeFileSync(target, 'OLD=1\n', { mode: 0o644 });
  fs.chmodSync(target, 0o644);
  const stale = path.join(tree.nodeDir, `.env.${process.pid}.abc123.comfy-secrets.tmp`);
  fs.writeFileSync(stale, 'x');

  expect(writeFileSafely(realFileSystem, { ...request(tree), dryRun: true }).status).toBe('would-write');
  expect(fs.readFileSync(target, 'utf8')).toBe('OLD=1\n');
  expect(modeOf(target)).toBe(0o644);
  expect(tempFiles(tree.nodeDir)).toHaveLength(1);
});

test('a dry run reports an up-to-date file as unchanged', () => {
  fs.writeFileSync(target, 'KEY=value\n', { mode: 0o600 });

  expect(writeFileSafely(realFileSystem, { ...request(tree), dryRun: true }).status).toBe('unchanged');
});
