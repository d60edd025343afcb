import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Paths (relative, `/`-separated) and their contents. A path ending in `/` is an empty directory;
 * `{ content, mode }` sets a file mode; `{ symlink }` makes a symbolic link to the given target.
 */
export type Fixture = Record<string, string | { content: string; mode: number } | { symlink: string }>;

const created: string[] = [];

/**
 * A fresh temp directory holding `files`, removed after the current test (in the spirit of
 * changesets' `testdir`). Returns the directory's real path, so tests can compare paths exactly.
 */
export function testdir(files: Fixture = {}): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'runtime-env-test-')));
  created.push(dir);
  for (const [relative, entry] of Object.entries(files)) {
    const target = path.join(dir, relative);
    if (relative.endsWith('/')) {
      fs.mkdirSync(target, { recursive: true });
      continue;
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (typeof entry === 'string') fs.writeFileSync(target, entry);
    else if ('symlink' in entry) fs.symlinkSync(entry.symlink, target);
    else fs.writeFileSync(target, entry.content, { mode: entry.mode });
  }
  return dir;
}

afterEach(() => {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
