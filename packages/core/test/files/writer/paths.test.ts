import * as fs from 'node:fs';
import * as path from 'node:path';
import { SinkError } from '../../../src/errors';
import { realFileSystem } from '../../../src/fs';
import { readTarget, resolveTarget, writeFileSafely } from '../../../src/files/writer';
import { makeTree, request, type Tree } from './helpers';

let tree: Tree;
beforeEach(() => {
  tree = makeTree();
});
afterEach(() => tree.cleanup());

function caught(run: () => unknown): SinkError {
  try {
    run();
  } catch (error) {
    if (error instanceof SinkError) return error;
    throw error;
  }
  throw new Error('expected a SinkError');
}

test('refuses a target that is a symlink pointing outside the tree', () => {
  const victim = path.join(tree.outside, 'victim');
  fs.writeFileSync(victim, 'untouched');
  fs.symlinkSync(victim, path.join(tree.nodeDir, '.env'));

  const error = caught(() => writeFileSafely(realFileSystem, request(tree, 'SECRET=x\n')));

  expect(error.code).toBe('UNSAFE_PATH');
  expect(fs.readFileSync(victim, 'utf8')).toBe('untouched');
});

test('refuses a target below a symlinked directory', () => {
  fs.symlinkSync(tree.outside, path.join(tree.nodeDir, 'config'));

  const error = caught(() => writeFileSafely(realFileSystem, { ...request(tree), path: 'config/.env' }));

  expect(error.code).toBe('UNSAFE_PATH');
  expect(fs.readdirSync(tree.outside)).toEqual([]);
});

test('refuses a node directory that is itself a symlink', () => {
  const linkedNode = path.join(tree.comfyuiDir, 'custom_nodes', 'linked');
  fs.symlinkSync(tree.outside, linkedNode);

  const error = caught(() => writeFileSafely(realFileSystem, { ...request(tree), root: linkedNode }));

  expect(error.code).toBe('UNSAFE_PATH');
});

test('refuses a path whose .. leaves the node directory', () => {
  const error = caught(() => resolveTarget(realFileSystem, { ...request(tree), path: '../other/.env' }));

  expect(error.code).toBe('UNSAFE_PATH');
});

test('accepts a .. that stays inside the node directory', () => {
  expect(resolveTarget(realFileSystem, { ...request(tree), path: 'config/../.env' })).toBe(path.join(tree.nodeDir, '.env'));
});

test('refuses an absolute path', () => {
  const error = caught(() => resolveTarget(realFileSystem, { ...request(tree), path: path.join(tree.outside, '.env') }));

  expect(error.code).toBe('UNSAFE_PATH');
});

test('refuses a target that is a directory', () => {
  fs.mkdirSync(path.join(tree.nodeDir, '.env'));

  expect(caught(() => writeFileSafely(realFileSystem, request(tree))).code).toBe('NOT_A_FILE');
});

test('names the path relative to the ComfyUI directory and never the content', () => {
  fs.symlinkSync(path.join(tree.outside, 'victim'), path.join(tree.nodeDir, '.env'));

  const error = caught(() => writeFileSafely(realFileSystem, request(tree, 'TOKEN=hunter2\n')));

  expect(error.message).toContain(path.join('custom_nodes', 'node', '.env'));
  expect(error.message).not.toContain(tree.comfyuiDir);
  expect(error.message).not.toContain('hunter2');
  expect(error.file).toBe(path.join('custom_nodes', 'node', '.env'));
});

test('writes through a link that points into allowedLinkDir, keeping the link', () => {
  const stored = path.join(tree.outside, 'node.env');
  const link = path.join(tree.nodeDir, '.env');
  fs.symlinkSync(stored, link);

  const result = writeFileSafely(realFileSystem, { ...request(tree, 'A=1\n'), allowedLinkDir: tree.outside });

  expect(result.path).toBe(stored);
  expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
  expect(fs.readFileSync(stored, 'utf8')).toBe('A=1\n');
});

test('refuses a link that points outside allowedLinkDir even when one is given', () => {
  fs.symlinkSync(path.join(tree.outside, 'node.env'), path.join(tree.nodeDir, '.env'));
  const store = path.join(tree.outside, 'store');
  fs.mkdirSync(store);

  expect(caught(() => writeFileSafely(realFileSystem, { ...request(tree), allowedLinkDir: store })).code).toBe('UNSAFE_PATH');
});

test('creates missing directories below the node directory with mode 0755', () => {
  const umask = process.umask(0o077);
  try {
    writeFileSafely(realFileSystem, { ...request(tree), path: 'config/keys/.env' });
  } finally {
    process.umask(umask);
  }

  expect(fs.statSync(path.join(tree.nodeDir, 'config')).mode & 0o777).toBe(0o755);
  expect(fs.statSync(path.join(tree.nodeDir, 'config', 'keys')).mode & 0o777).toBe(0o755);
  expect(fs.existsSync(path.join(tree.nodeDir, 'config', 'keys', '.env'))).toBe(true);
});

test('readTarget refuses to read a symlink', () => {
  const victim = path.join(tree.outside, 'victim');
  fs.writeFileSync(victim, 'private');
  fs.symlinkSync(victim, path.join(tree.nodeDir, '.env'));

  expect(caught(() => readTarget(realFileSystem, request(tree))).code).toBe('UNSAFE_PATH');
});

test('readTarget refuses a hard-linked file, which could be another file entirely', () => {
  const victim = path.join(tree.outside, 'victim');
  fs.writeFileSync(victim, 'private');
  fs.linkSync(victim, path.join(tree.nodeDir, '.env'));

  expect(caught(() => readTarget(realFileSystem, request(tree))).code).toBe('UNSAFE_PATH');
});

test('readTarget returns undefined when there is no file', () => {
  expect(readTarget(realFileSystem, request(tree))).toBeUndefined();
});

test('readTarget returns undefined when its directory does not exist yet', () => {
  expect(readTarget(realFileSystem, { ...request(tree), path: 'config/.env' })).toBeUndefined();
});
