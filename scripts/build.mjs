// Builds every workspace package with esbuild (one pass, about a second), and the libraries' type
// declarations with TypeScript (one program over every package, a few seconds). Type checking is `pnpm typecheck`.
// Libraries keep their dependencies external; the CLI is one bundled file so a container start loads
// one module instead of resolving hundreds (see docs/performance.md).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import ts from 'typescript';

const root = new URL('..', import.meta.url).pathname;
const common = { platform: 'node', target: 'node20', format: 'cjs', bundle: true, logLevel: 'warning', tsconfig: join(root, 'tsconfig.json') };

const libraries = [
  ...['core', 'testing'].map((name) => join('packages', name)),
  ...['plugins', 'examples'].flatMap((group) =>
    existsSync(join(root, group)) ? readdirSync(join(root, group)).map((name) => join(group, name)) : [],
  ),
].filter((dir) => existsSync(join(root, dir, 'src', 'index.ts')));

/**
 * A sink's only runtime import is `defineSink` (an identity function) from `@comfy-secrets/core/contract`.
 * Inlining those few lines spares every container start a package-exports resolution per plugin
 * (about 7 ms each, measured); the contract file has no imports of its own.
 */
const contractFile = join(root, 'packages/core/src/contract.ts');
const inlineContract = {
  name: 'inline-contract',
  setup(plugin) {
    plugin.onResolve({ filter: /^@comfy-secrets\/core\/contract$/ }, () => ({ path: contractFile }));
  },
};

/**
 * Libraries keep their dependencies external, but for @noble/hashes: it ships ES modules only, which
 * Node's require() loads but jest's module system does not, so a sink author's jest run through
 * @comfy-secrets/testing would fail to load core. Its few kilobytes are bundled into core instead (so it
 * is only a devDependency of core: nothing installs it at run time).
 */
const dependenciesExternal = {
  name: 'dependencies-external',
  setup(plugin) {
    plugin.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@noble/hashes/') ? undefined : { path: args.path, external: true }));
  },
};

const cli = JSON.parse(readFileSync(join(root, 'packages/cli/package.json'), 'utf8'));
const bundleFile = join(root, 'packages/cli/dist/comfy-secrets.js');

await Promise.all([
  ...libraries.map((dir) => {
    const entryPoints = { index: join(root, dir, 'src/index.ts') };
    if (existsSync(join(root, dir, 'src/contract.ts'))) entryPoints.contract = join(root, dir, 'src/contract.ts');
    // `@comfy-secrets/*` is external too: tsconfig paths would otherwise bundle core's source into every plugin (and
    // into the testing kit, which must share the one runner and error classes the CLI loads).
    return build({ ...common, entryPoints, outdir: join(root, dir, 'dist'), plugins: [inlineContract, dependenciesExternal] });
  }),
  build({
    ...common,
    entryPoints: [join(root, 'packages/cli/src/entry.ts')],
    outfile: bundleFile,
    // The yaml format's library is required only when a yaml sink renders (core/formats/yaml.ts): kept out
    // of the bundle, a start without one neither parses nor deserialises its ~200 KB.
    external: ['yaml'],
    write: false,
    // NODE_ENV: winston's debug helper (@dabh/diagnostics) then bundles its no-op build instead of
    // one that loads a colour library at start-up. Nothing of ours reads NODE_ENV.
    define: { __VERSION__: JSON.stringify(cli.version), 'process.env.NODE_ENV': '"production"' },
  }).then(({ outputFiles }) => writeBundle(outputFiles[0].text)),
  build({ ...common, entryPoints: [join(root, 'packages/cli/src/launch.ts')], outfile: join(root, 'packages/cli/dist/launch.js') }),
]);

trainCodeCache();
emitDeclarations();

/**
 * The bin's loader reads the bundle as Latin-1, a plain copy, so the bundle must be ASCII. esbuild
 * escapes strings and identifiers but keeps the comments it keeps as written; an escape is harmless
 * there. The last line names this build, so the loader knows a code cache made from another one
 * without hashing half a megabyte at every start.
 */
function writeBundle(text) {
  const ascii = text.replace(/[^\x00-\x7f]/gu, (char) => [...char].map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''));
  const id = createHash('sha1').update(ascii).digest('hex');
  mkdirSync(dirname(bundleFile), { recursive: true });
  writeFileSync(bundleFile, `${ascii}//# comfy-secrets-build=${id}\n`);
}

/**
 * Each library's `types` are `dist/*.d.ts`, so a sink author's tsc (any moduleResolution) reads
 * declarations, not our sources under our compiler options. One program over every library's sources
 * (the workspace tsconfig, whose paths map `@comfy-secrets/*` to sources) emits them; each file goes to
 * its package's dist/ beside the JavaScript. A declaration that reaches into another package by a
 * relative path would break once published, so the build fails on one.
 */
function emitDeclarations() {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => fail([d]) });
  const sources = libraries.flatMap((dir) => listSources(join(root, dir, 'src')));
  const options = { ...config.options, noEmit: false, declaration: true, emitDeclarationOnly: true, declarationMap: false, outDir: undefined, rootDir: root };
  const program = ts.createProgram(sources, options);
  const problems = [];
  const written = [];
  const { diagnostics } = program.emit(undefined, (file, text) => {
    // <package>/src/<path>.d.ts → <package>/dist/<path>.d.ts
    const rel = relative(root, file).split(sep);
    const at = rel.indexOf('src');
    const out = join(root, ...rel.slice(0, at), 'dist', ...rel.slice(at + 1));
    for (const { fileName: specifier } of ts.preProcessFile(text, true, true).importedFiles) {
      if (specifier.startsWith('.') && !join(dirname(out), specifier).startsWith(join(root, ...rel.slice(0, at), 'dist'))) problems.push(`${relative(root, out)}: imports ${specifier}, outside its package`);
    }
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, text);
    written.push(out);
  }, undefined, true);
  if (diagnostics.length > 0) fail(diagnostics);
  if (problems.length > 0) throw new Error(`build: declarations that would break once published:\n${problems.join('\n')}`);
  for (const dir of libraries) if (!existsSync(join(root, dir, 'dist/index.d.ts'))) throw new Error(`build: no ${dir}/dist/index.d.ts`);

  function fail(list) {
    throw new Error(`build: declarations:\n${ts.formatDiagnostics(list, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' })}`);
  }
}

function listSources(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

/**
 * The bin loads the bundle from V8's code cache (packages/cli/src/launch.ts). The cache is made here,
 * after `run` has written a copy of the demo tree (a container's first start), so the functions a run
 * compiles lazily are in it too. A failed training run only costs speed: the bin compiles the bundle
 * as usual.
 */
function trainCodeCache() {
  const cacheFile = join(root, 'packages/cli/dist/comfy-secrets.js.cache');
  rmSync(cacheFile, { force: true });
  const launcher = join(root, 'packages/cli/dist/launch.js');
  const code = `require(${JSON.stringify(launcher)}).launchAndWriteCodeCache()`;
  const demo = join(root, 'examples/demo');
  const work = mkdtempSync(join(tmpdir(), 'comfy-secrets-train-'));
  const store = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/comfy-secrets-train-') : undefined;
  try {
    // The demo's own files, not what `pnpm demo` wrote there (dotfiles, user/, links into its store):
    // a file found already there would make the training run warn, and cache winston for every start.
    const demoTree = join(demo, 'ComfyUI');
    const own = (file) => !lstatSync(file).isSymbolicLink() && !basename(file).startsWith('.') && file !== join(demoTree, 'user');
    cpSync(demoTree, join(work, 'ComfyUI'), { recursive: true, filter: own });
    // -f, the form the README advises and the bench times (Node 20 reads a file named by --env-file
    // after a script's name, nodejs/node#54232; not after -e and --, but the training run should match).
    const args = ['run', '--comfyui-dir', join(work, 'ComfyUI'), '-f', join(demo, '.env.demo'), '--override', '--state-dir', join(work, 'state')];
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(store ? { COMFY_SECRETS_STORE_DIR: store } : { COMFY_SECRETS_STORE: 'disk' }) };
    // `--` then a stand-in for the script path, so the CLI finds its arguments at argv[2] as under the bin.
    const result = spawnSync(process.execPath, ['-e', code, '--', launcher, ...args], { cwd: root, env, encoding: 'utf8' });
    if (!existsSync(cacheFile)) console.warn(`build: no code cache (the training run exited ${result.status}); the CLI works, it starts slower\n${result.stderr ?? ''}`);
  } finally {
    for (const dir of [work, store]) if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
