// The floor under the start-up figure: Node loading only the libraries comfy-secrets is required to use
// (reflect-metadata + tsyringe, dotenv; winston when a line is logged), bundled and run from a V8 code
// cache exactly as the CLI's own loader does, reading the demo's env file and printing one line.
// Whatever comfy-secrets costs above this row is its own; this row's ratio is what no implementation
// on these libraries can go below.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

const ENTRY = `
require('reflect-metadata');
const { container } = require('tsyringe');
const { parse } = require('dotenv');
const fs = require('node:fs');
const values = parse(fs.readFileSync(process.argv[2]));
if (process.argv[3] === 'log') {
  const createLogger = require('winston/lib/winston/create-logger');
  const StreamTransport = require('winston/lib/winston/transports/stream');
  const { Writable } = require('node:stream');
  const stream = new Writable({ write(chunk, _encoding, done) { fs.writeSync(2, chunk.toString()); done(); } });
  const MESSAGE = Symbol.for('message');
  const format = { transform(info) { info[MESSAGE] = JSON.stringify({ level: info.level, message: info.message }); return info; } };
  createLogger({ level: 'info', levels: { error: 0, warn: 1, info: 2, debug: 3 }, format, transports: [new StreamTransport({ stream })] }).info('floor');
}
fs.writeSync(1, 'floor: ' + Object.keys(values).length + ' variables, ' + typeof container.resolve + '\\n');
`;

const LAUNCHER = `
const fs = require('node:fs');
const { Script } = require('node:vm');
const path = require('node:path');
const file = path.join(__dirname, 'floor.js');
const source = fs.readFileSync(file, 'latin1');
let cachedData;
try { cachedData = fs.readFileSync(file + '.cache'); } catch {}
const script = new Script('(function (exports, require, module, __filename, __dirname) { ' + source + '\\n});', { filename: file, cachedData });
const module_ = { exports: {} };
script.runInThisContext().call(module_.exports, module_.exports, require, module_, file, __dirname);
if (process.env.FLOOR_TRAIN) process.on('exit', () => fs.writeFileSync(file + '.cache', script.createCachedData()));
`;

/**
 * Builds the floor program twice under `dir`, each copy with the code cache of its own variant
 * (as the CLI's cache is trained on the run it makes); returns the two command lines.
 */
export async function buildFloor(dir, envFile, env) {
  return {
    quiet: await buildVariant(join(dir, 'quiet'), [envFile], env),
    logging: await buildVariant(join(dir, 'logging'), [envFile, 'log'], env),
  };
}

async function buildVariant(dir, args, env) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'entry.js'), ENTRY);
  writeFileSync(join(dir, 'launch.js'), LAUNCHER);
  await build({
    entryPoints: [join(dir, 'entry.js')],
    outfile: join(dir, 'floor.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    charset: 'ascii',
    logLevel: 'warning',
    // The libraries as core depends on them, the same versions the CLI bundles.
    nodePaths: [join(root, 'packages/core/node_modules')],
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const argv = [process.execPath, join(dir, 'launch.js'), ...args];
  const trained = spawnSync(argv[0], argv.slice(1), { env: { ...env, FLOOR_TRAIN: '1' }, encoding: 'utf8' });
  if (trained.status !== 0) throw new Error(`the floor program failed: ${trained.stderr}`);
  return argv;
}
