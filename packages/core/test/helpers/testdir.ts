import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFixture, type Fixture } from '../../../../test/helpers/fixture';

export type { Fixture };

const created: string[] = [];

/**
 * A fresh temp directory holding `files`, removed after the current test (in the spirit of
 * changesets' `testdir`). Returns the directory's real path, so tests can compare paths exactly.
 * (test/helpers/cli.ts's `tempTree` lays files out the same way but lives until its `cleanup`, for
 * trees that outlast one test, and keeps the unresolved path.)
 */
export function testdir(files: Fixture = {}): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-test-')));
  created.push(dir);
  writeFixture(dir, files);
  return dir;
}

afterEach(() => {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
