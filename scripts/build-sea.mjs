// Builds the single executable (Node's single executable applications): this Node binary with the CLI
// and the shipped sinks injected, for images that have no Node. `pnpm build:sea`; the file is
// packages/cli/dist-sea/comfy-secrets-<platform>-<arch> (linux-x64 is the one tested), or --out FILE.
//
// Steps, as Node's documentation gives them: esbuild bundles packages/cli/src/sea.ts into one CommonJS
// file (inside the executable `require` loads only builtins, so nothing may stay external); `node
// --experimental-sea-config` turns it into a blob, with V8's code cache of it; postject (from npm)
// injects the blob into a copy of the running node binary. The result runs with no Node installed: it
// needs only the C library, libstdc++ and libgcc_s, as node itself does.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = resolve(values.out ?? join(root, 'packages/cli/dist-sea', `comfy-secrets-${process.platform}-${process.arch}`));
const cli = JSON.parse(readFileSync(join(root, 'packages/cli/package.json'), 'utf8'));

const work = mkdtempSync(join(tmpdir(), 'comfy-secrets-sea-'));
try {
  const bundle = join(work, 'comfy-secrets-sea.js');
  await build({
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    bundle: true,
    logLevel: 'warning',
    tsconfig: join(root, 'tsconfig.json'),
    entryPoints: [join(root, 'packages/cli/src/sea.ts')],
    outfile: bundle,
    // As scripts/build.mjs does for the bin: the version, and winston's no-op debug helper.
    define: { __VERSION__: JSON.stringify(cli.version), 'process.env.NODE_ENV': '"production"' },
  });

  const blob = join(work, 'sea-prep.blob');
  const config = join(work, 'sea-config.json');
  writeFileSync(config, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }));
  quietly(process.execPath, ['--experimental-sea-config', config]);

  // Written beside the target and renamed, so a half-built file never has the final name.
  mkdirSync(dirname(out), { recursive: true });
  const temp = `${out}.${process.pid}.tmp`;
  copyFileSync(process.execPath, temp);
  chmodSync(temp, 0o755);
  // The fuse is the fixed string Node's binary looks for to know a blob was injected (Node's SEA docs).
  // postject's CLI rather than its API: its ELF library warns about every note section of this binary
  // on stderr, which is shown only if the injection fails.
  const postject = join(dirname(require.resolve('postject/package.json')), 'dist/cli.js');
  quietly(process.execPath, [postject, temp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2']);

  const check = spawnSync(temp, ['--version'], { encoding: 'utf8', env: {} });
  if (check.status !== 0 || check.stdout.trim() !== cli.version) {
    rmSync(temp, { force: true });
    throw new Error(`the built executable does not run: exit ${check.status}, ${check.stderr}`);
  }
  renameSync(temp, out);
  console.log(`build-sea: ${out} (${(readFileSync(out).length / 2 ** 20).toFixed(1)} MiB, Node ${process.version})`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Runs a build step, showing its output only when it fails. */
function quietly(file, args) {
  const result = spawnSync(file, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${[file, ...args].join(' ')} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
}
