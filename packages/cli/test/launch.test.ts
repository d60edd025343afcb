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
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtime-env-launch-'));
  for (const file of ['launch.js', 'runtime-env.js', 'runtime-env.js.cache']) fs.copyFileSync(path.join(dist, file), path.join(dir, file));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs `runtime-env --version` through the copied loader; reports whether the code cache was used. */
function launchVersion(): { status: number | null; stdout: string; cacheUsed: string | undefined } {
  const code = `const r = require(${JSON.stringify(path.join(dir, 'launch.js'))}).launch(); process.on('exit', () => process.stderr.write('cacheUsed=' + r.cacheUsed));`;
  const result = spawnSync(process.execPath, ['-e', code, '--', 'runtime-env', '--version'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, cacheUsed: /cacheUsed=(\w+)/.exec(result.stderr)?.[1] };
}

describe('the bin loader and its code cache', () => {
  it('uses the code cache the build made', () => {
    expect(launchVersion()).toEqual({ status: 0, stdout: `${version}\n`, cacheUsed: 'true' });
  });

  it('ignores a damaged cache and runs the bundle as usual', () => {
    const file = path.join(dir, 'runtime-env.js.cache');
    const data = fs.readFileSync(file);
    data.writeUInt8(data.readUInt8(data.length - 100) ^ 0xff, data.length - 100);
    fs.writeFileSync(file, data);
    expect(launchVersion()).toEqual({ status: 0, stdout: `${version}\n`, cacheUsed: 'false' });
  });

  it('ignores a cache made from another build of the bundle', () => {
    fs.appendFileSync(path.join(dir, 'runtime-env.js'), '\n// another build\n');
    expect(launchVersion()).toEqual({ status: 0, stdout: `${version}\n`, cacheUsed: 'false' });
  });

  it('runs without a cache', () => {
    fs.rmSync(path.join(dir, 'runtime-env.js.cache'));
    expect(launchVersion()).toEqual({ status: 0, stdout: `${version}\n`, cacheUsed: 'false' });
  });
});
