import * as fs from 'node:fs';
import * as path from 'node:path';

/** The writer's (and the memory store's) temp-file names: `.<basename>.<pid>.<hex>.comfy-secrets.tmp`. */
export const TEMP_FILE = /^\..+\.\d+\.[0-9a-f]+\.comfy-secrets\.tmp$/;

/** Whether a path (or a bare name) names one of the writer's temp files. */
export function isTempFile(file: string): boolean {
  return TEMP_FILE.test(path.basename(file));
}

/** Names in `directory` (not below it) that are the writer's temp files. */
export function tempFiles(directory: string): string[] {
  return fs.readdirSync(directory).filter(isTempFile);
}

/** Every file below `dir` (links not followed), relative paths. */
export function walk(dir: string): string[] {
  const found: string[] = [];
  const visit = (relative: string) => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = path.join(relative, entry.name);
      if (entry.isDirectory()) visit(child);
      else found.push(child);
    }
  };
  visit('');
  return found;
}

/** Temp files the writer left anywhere below `dir`, relative paths. */
export function tempDebris(dir: string): string[] {
  return walk(dir).filter(isTempFile);
}
