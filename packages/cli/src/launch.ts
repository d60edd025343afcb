// The `comfy-secrets` bin's loader: runs the bundled CLI (dist/comfy-secrets.js) from V8's code cache when
// a valid one lies next to it, so a container start skips compiling ~0.5 MB of JavaScript.
//
// The cache is written by `pnpm build` (a training run, `writeCodeCache`), never by a container start:
// the installed package stays read-only. It is used only if its header names the very build of the
// bundle it was made from and its payload has the length the header says; V8 itself rejects one from
// another Node version, other flags or a source of another length. Anything else — no cache, a stale
// or truncated one — is ignored and the bundle is compiled as plain `require` would. Nothing here
// reads the environment.
//
// Why no checksum of the payload: hashing the bundle and the cache took a tenth of a start-up. The
// cache is exactly as trustworthy as the bundle beside it, which nothing checksums either; both come
// from one build, are written by rename, and reach a machine through a package manager or image layer
// that verifies their digests.
import * as fs from 'node:fs';
import { createRequire, wrap } from 'node:module';
import * as path from 'node:path';
import { Script } from 'node:vm';

const MAGIC = 'RTENVCC2';
/** The bundle's last line: `//# comfy-secrets-build=<40 hex digits>`, written by the build. */
const BUILD_LINE = /\/\/# comfy-secrets-build=([0-9a-f]{40})\s*$/;
const ID_LENGTH = 40;
const HEADER = MAGIC.length + ID_LENGTH + 10; // magic, build id, payload length (10 decimal digits)

export const bundleFile = path.join(__dirname, 'comfy-secrets.js');
export const cacheFile = path.join(__dirname, 'comfy-secrets.js.cache');

/** Compiles and runs the bundle as a CommonJS module; returns the script (to make a cache from). */
export function launch(): { script: Script; buildId: string | undefined; cacheUsed: boolean } {
  const source = fs.readFileSync(bundleFile, 'latin1'); // the build emits ASCII only
  const buildId = BUILD_LINE.exec(source.slice(-100))?.[1];
  const cachedData = buildId === undefined ? undefined : readCache(buildId);
  const script = new Script(wrap(source), { filename: bundleFile, cachedData });
  const cacheUsed = cachedData !== undefined && !script.cachedDataRejected;
  const module = { exports: {}, filename: bundleFile, id: bundleFile, loaded: false };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, createRequire(bundleFile), module, bundleFile, __dirname);
  return { script, buildId, cacheUsed };
}

/** For the build's training run: once the CLI has run (so lazily compiled functions are in), write the cache. */
export function launchAndWriteCodeCache(): void {
  const { script, buildId } = launch();
  if (buildId === undefined) throw new Error(`${bundleFile} has no build line; build it with scripts/build.mjs`);
  process.on('exit', () => {
    const payload = script.createCachedData();
    const header = `${MAGIC}${buildId}${String(payload.length).padStart(10, '0')}`;
    const temp = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(temp, Buffer.concat([Buffer.from(header, 'latin1'), payload]));
    fs.renameSync(temp, cacheFile);
  });
}

function readCache(buildId: string): Buffer | undefined {
  let data: Buffer;
  try {
    data = fs.readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const header = data.toString('latin1', 0, HEADER);
  if (!header.startsWith(MAGIC) || header.slice(MAGIC.length, MAGIC.length + ID_LENGTH) !== buildId) return undefined; // another build's
  if (Number(header.slice(MAGIC.length + ID_LENGTH)) !== data.length - HEADER) return undefined; // truncated or padded
  return data.subarray(HEADER);
}
