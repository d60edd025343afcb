import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { realFileSystem, type FileSystem } from '../../../src/fs';
import { isTempFile } from '../../../../../test/helpers/temp-files';

/** A throwaway ComfyUI tree with one custom node; `cleanup` removes it. */
export interface Tree {
  readonly comfyuiDir: string;
  readonly nodeDir: string;
  /** A directory beside the tree, standing for "anywhere outside it". */
  readonly outside: string;
  cleanup(): void;
}

export function makeTree(): Tree {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-writer-'));
  const comfyuiDir = path.join(base, 'ComfyUI');
  const nodeDir = path.join(comfyuiDir, 'custom_nodes', 'node');
  const outside = path.join(base, 'outside');
  fs.mkdirSync(nodeDir, { recursive: true });
  fs.mkdirSync(outside);
  return { comfyuiDir, nodeDir, outside, cleanup: () => fs.rmSync(base, { recursive: true, force: true }) };
}

/** The request fields every test repeats: write `.env` in the tree's node directory. */
export function request(tree: Tree, content = 'KEY=value\n') {
  return { root: tree.nodeDir, comfyuiDir: tree.comfyuiDir, path: '.env', content };
}

export function errno(code: string, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected failure, ${syscall}`), { code, syscall });
}

type Call = (...args: unknown[]) => unknown;

/**
 * The real file system, except that `method` runs `replacement` instead; `replacement` gets the
 * arguments and the real call, to fail only some calls (e.g. the temp file's) and pass the rest on.
 */
export function intercept(method: keyof FileSystem, replacement: (args: unknown[], real: Call) => unknown): FileSystem {
  const real = realFileSystem[method] as Call;
  return { ...realFileSystem, [method]: (...args: unknown[]) => replacement(args, real) };
}

/** Whether an `openSync`/`renameSync` argument list is about one of the writer's temp files. */
export function isTemp(args: unknown[]): boolean {
  return typeof args[0] === 'string' && isTempFile(args[0]);
}
