import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Paths (relative, `/`-separated) and their contents. A path ending in `/` is an empty directory;
 * `{ content, mode }` sets a file mode; `{ symlink }` makes a symbolic link to the given target.
 */
export type Fixture = Record<string, string | { content: string; mode: number } | { symlink: string }>;

/** Lays `files` out below `dir`, making parent directories as needed. */
export function writeFixture(dir: string, files: Fixture): void {
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
}
