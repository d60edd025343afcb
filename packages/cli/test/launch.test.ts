import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../../../test/helpers/cli';

const dist = path.join(repoRoot, 'packages/cli/dist');
const version = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'packages/cli/package.json'), 'utf8')) as { version: string }).version;
let dir: string;

// A copy of the built loader, bundle and code cache, so a test can damage its cache alone.
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-launch-'));
  for (const file of ['launch.js', 'comfy-secrets.js', 'comfy-secrets.js.cache']) fs.copyFileSync(path.join(dist, file), path.join(dir, file));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs `comfy-secrets --version` through the copied loader; reports whether the code cache was used. */
function launchVersion(): { status: number | null; stdout: string; cacheUsed: string | undefined } {
  const code = `const r = require(${JSON.stringify(path.join(dir, 'launch.js'))}).launch(); process.on('exit', () => process.stderr.write('cacheUsed=' + r.cacheUsed));`;
  const result = spawnSync(process.execPath, ['-e', code, '--', 'comfy-secrets', '--version'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, cacheUsed: /cacheUsed=(\w+)/.exec(result.stderr)?.[1] };
}

describe('the bin loader and its code cache', () => {
  it('uses the code cache the build made', () => {
    expect(launchVersion()).toEqual({ status: 0, stdout: `${version}\n`, cacheUsed: 'true' });
  });

  it('ignores a truncated cache and runs the bundle as usual', () => {
    const file = path.join(dir, 'comfy-secrets.js.cache');
    fs.truncateSync(file, fs.statSync(file).size - 100);
    expect(launchVersion()).toEqual({ status: 0, stdout: `${version}\n`, cacheUsed: 'false' });
  });

  it('ignores a cache made from another build of the bundle, even one of the same length', () => {
    const file = path.join(dir, 'comfy-secrets.js');
    const source = fs.readFileSync(file, 'latin1');
    const otherBuild = source.replace(/comfy-secrets-build=([0-9a-f]{40})/, (_line, id: string) => `comfy-secrets-build=${id.startsWith('0') ? '1' : '0'}${id.slice(1)}`);
    expect(otherBuild.length).toBe(source.length);
    fs.writeFileSync(file, otherBuild, 'latin1');
    expect(launchVersion()).toEqual({ status: 0, stdout: `${version}\n`, cacheUsed: 'false' });
  });

  it('ignores the cache of a bundle with no build line (edited or built by other means)', () => {
    fs.appendFileSync(path.join(dir, 'comfy-secrets.js'), '\n// edited\n');
    expect(launchVersion()).toEqual({ status: 0, stdout: `${version}\n`, cacheUsed: 'false' });
  });

  it('is given an ASCII bundle, which it reads as Latin-1', () => {
    expect(fs.readFileSync(path.join(dir, 'comfy-secrets.js')).some((byte) => byte > 0x7f)).toBe(false);
  });

  it('runs without a cache', () => {
    fs.rmSync(path.join(dir, 'comfy-secrets.js.cache'));
    expect(launchVersion()).toEqual({ status: 0, stdout: `${version}\n`, cacheUsed: 'false' });
  });
});
