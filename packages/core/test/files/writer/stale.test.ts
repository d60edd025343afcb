import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { realFileSystem } from '../../../src/fs';
import { createTempSweep, writeFileSafely } from '../../../src/files/writer';
import { tempFiles } from '../../../../../test/helpers/temp-files';
import { intercept, makeTree, request, type Tree } from './helpers';

let tree: Tree;
let child: ChildProcess | undefined;
beforeEach(() => {
  tree = makeTree();
});
afterEach(() => {
  child?.kill();
  child = undefined;
  tree.cleanup();
});

function plantTemp(pid: number, name = '.env'): string {
  const file = path.join(tree.nodeDir, `.${name}.${pid}.0a1b2c.comfy-secrets.tmp`);
  fs.writeFileSync(file, 'SECRET=left-behind\n', { mode: 0o600 });
  return path.basename(file);
}

/** A pid that just exited (spawnSync reaps it), as a killed runner's would be. */
function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid;
  if (pid === undefined) throw new Error('could not spawn a child');
  return pid;
}

test('removes a temp file left by a process that is gone', () => {
  plantTemp(deadPid());

  writeFileSafely(realFileSystem, request(tree));

  expect(tempFiles(tree.nodeDir)).toEqual([]);
});

test('removes a temp file carrying our own pid, from an earlier attempt', () => {
  plantTemp(process.pid);

  writeFileSafely(realFileSystem, request(tree));

  expect(tempFiles(tree.nodeDir)).toEqual([]);
});

test('keeps the temp file of a live process, which may be writing right now', () => {
  child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  const name = plantTemp(child.pid!);

  writeFileSafely(realFileSystem, request(tree));

  expect(tempFiles(tree.nodeDir)).toEqual([name]);
});

test("keeps a dead process's temp file for another target", () => {
  const name = plantTemp(deadPid(), 'config.ini');

  writeFileSafely(realFileSystem, request(tree));

  expect(tempFiles(tree.nodeDir)).toEqual([name]);
});

test('removes a dead process\'s temp file when the target already holds the content (nothing to write)', () => {
  writeFileSafely(realFileSystem, request(tree));
  plantTemp(deadPid());

  const result = writeFileSafely(realFileSystem, request(tree));

  expect(result.status).toBe('unchanged');
  expect(tempFiles(tree.nodeDir)).toEqual([]);
});

test('an unchanged dry run leaves a dead process\'s temp file alone (it touches nothing)', () => {
  writeFileSafely(realFileSystem, request(tree));
  const name = plantTemp(deadPid());

  writeFileSafely(realFileSystem, { ...request(tree), dryRun: true });

  expect(tempFiles(tree.nodeDir)).toEqual([name]);
});

describe('with a per-run sweep record', () => {
  test("removes a dead process's temp files of every target written in the directory", () => {
    plantTemp(deadPid());
    plantTemp(deadPid(), 'config.ini');
    const sweep = createTempSweep();

    writeFileSafely(realFileSystem, { ...request(tree), sweep });
    writeFileSafely(realFileSystem, { ...request(tree), path: 'config.ini', sweep });

    expect(tempFiles(tree.nodeDir)).toEqual([]);
  });

  test('keeps the temp file of a live process', () => {
    child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    const name = plantTemp(child.pid!);
    const sweep = createTempSweep();

    writeFileSafely(realFileSystem, { ...request(tree), sweep });

    expect(tempFiles(tree.nodeDir)).toEqual([name]);
  });

  test('lists a directory once per run, however many files are written in it', () => {
    const listed: unknown[] = [];
    const fs = intercept('readdirSync', (args, real) => {
      listed.push(args[0]);
      return real(...args);
    });
    const sweep = createTempSweep();

    for (const name of ['a.env', 'b.env', 'c.env']) writeFileSafely(fs, { ...request(tree), path: name, sweep });

    // Through the node directory's open descriptor, once.
    expect(listed).toEqual([expect.stringMatching(/^\/proc\/self\/fd\/\d+$/)]);
  });
});
