import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tempTree } from '../helpers/cli';
import { cliEnv, prng, randomText, recordFigures, runReliabilityCli, suiteSeed, writePlugin } from '../helpers/reliability';
import { walk } from '../helpers/temp-files';

/**
 * Leak canaries: a distinct random-looking value in every source (env, --env-file, NAME_FILE,
 * --secrets-dir, NAME_ENCODED, a config_nodes.json reference), every command in text and --json at
 * debug level, failing paths included. No canary — raw, base64, JSON-escaped, URL-encoded, or any
 * 8-character piece of one — may appear in stdout, stderr, the state directory or any file other
 * than the targets it was meant for.
 */
const SEED = suiteSeed(0x1ea4_5eed);
const rand = prng(SEED);
/** Random text with characters that make the encoded forms differ from the raw one. */
const canary = () => {
  const t = randomText(rand, 30);
  return `${t.slice(0, 8)}/${t.slice(8, 14)}+${t.slice(14, 20)}"${t.slice(20, 25)} %${t.slice(25)}=`;
};
const CANARIES = {
  env: canary(),
  envFile: canary(),
  file: canary(),
  secretsDir: canary(),
  encoded: canary(),
  configNodes: canary(),
  conflictA: canary(),
  conflictB: canary(),
  transform: canary(),
  unwritable: canary(),
  audit: canary(),
};
const figures = { seed: SEED, canaries: Object.keys(CANARIES).length, commandRuns: 0, textsScanned: 0, formsChecked: 0, fragmentChecks: 0 };

const SINKS = `[
  { name: 'leak_ok', nodes: ['leak_node'], variables: {
      LEAK_ENV_TOKEN: {}, LEAK_FILEENV_TOKEN: {}, LEAK_PATH_TOKEN: {}, LEAK_DIR_TOKEN: {}, LEAK_B64_TOKEN: {} } },
  { name: 'leak_enum', nodes: ['leak_enum_node'], variables: { MODE: { from: ['LEAK_ENV_TOKEN'], allowed: ['fast', 'safe'] } } },
  { name: 'leak_conflict', nodes: ['leak_conflict_node'], variables: { LEAK_CONFLICT: {} } },
  { name: 'leak_transform', nodes: ['leak_transform_node'], variables: {
      LEAK_T: { from: ['LEAK_TRANSFORM'], transform: (value) => { throw new Error('cannot use ' + value + ' here'); } } } },
  { name: 'leak_unwritable', nodes: ['leak_unwritable_node'], format: { type: 'dotenv', readers: ['python-dotenv'] }, variables: { LEAK_U: { from: ['LEAK_UNWRITABLE'] } } },
  { name: 'leak_missing', nodes: ['leak_missing_node'], variables: { LEAK_NOPE: { required: true } } },
]`;

let tree: ReturnType<typeof tempTree>;
let comfyuiDir: string;
let storeDir: string;
let env: Record<string, string>;
let runArgs: string[];
const inputs: string[] = [];
const scanned: Array<{ what: string; text: string }> = [];

beforeAll(() => {
  const nodes = ['leak_node', 'leak_enum_node', 'leak_conflict_node', 'leak_transform_node', 'leak_unwritable_node', 'leak_missing_node', 'cn_node'];
  tree = tempTree(Object.fromEntries(nodes.map((node) => [`ComfyUI/custom_nodes/${node}/__init__.py`, ''])));
  comfyuiDir = path.join(tree.dir, 'ComfyUI');
  storeDir = path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), `comfy-secrets-leaks-${process.pid}`);
  const input = (name: string, text: string) => {
    const file = path.join(tree.dir, 'inputs', name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    inputs.push(file);
    return file;
  };
  const envFile = input('platform.env', `LEAK_FILEENV_TOKEN='${CANARIES.envFile}'\n`);
  const valueFile = input('path-token.txt', `${CANARIES.file}\n`);
  input('secrets/LEAK_DIR_TOKEN', CANARIES.secretsDir);
  const configNodes = input('config_nodes.json', JSON.stringify({ custom_nodes: [{ name: 'cn_node', env: { CN_KEY: '${LEAK_CN_VALUE}', CN_MODE: 'prod' } }] }));
  input('Dockerfile', `FROM python:3.12\nENV LEAK_ENV_TOKEN=${JSON.stringify(CANARIES.audit)}\nARG HF_TOKEN\n`);
  const plugin = writePlugin(path.join(tree.dir, 'plugin'), 'leak-sinks', SINKS);
  env = cliEnv({
    COMFY_SECRETS_LOG_LEVEL: 'debug',
    COMFY_SECRETS_STATE_DIR: path.join(tree.dir, 'state'),
    COMFY_SECRETS_STORE_DIR: storeDir,
    LEAK_ENV_TOKEN: CANARIES.env,
    LEAK_PATH_TOKEN_FILE: valueFile,
    LEAK_B64_TOKEN_ENCODED: Buffer.from(CANARIES.encoded).toString('base64'),
    // A name nothing would guess is secret: only resolution can teach redaction this one.
    LEAK_CN_VALUE: CANARIES.configNodes,
    LEAK_CONFLICT: CANARIES.conflictA,
    LEAK_CONFLICT_ENCODED: Buffer.from(CANARIES.conflictB).toString('base64'),
    LEAK_TRANSFORM: CANARIES.transform,
    LEAK_UNWRITABLE: `${CANARIES.unwritable}\${HOME}`,
  }, path.join(tree.dir, 'home'));
  runArgs = ['--comfyui-dir', comfyuiDir, '--plugin', plugin, '--project', tree.dir, '--env-file', envFile, '--secrets-dir', path.join(tree.dir, 'inputs/secrets'), '--config-nodes', configNodes];
});
afterAll(() => {
  tree.cleanup();
  fs.rmSync(storeDir, { recursive: true, force: true });
  recordFigures('leaks', figures);
});

/** Every form of every canary that must not appear, with the names to report. */
function forbidden(): Array<{ name: string; form: string; text: string }> {
  return Object.entries(CANARIES).flatMap(([name, value]) => [
    { name, form: 'raw', text: value },
    { name, form: 'base64', text: Buffer.from(value).toString('base64') },
    { name, form: 'JSON-escaped', text: JSON.stringify(value).slice(1, -1) },
    { name, form: 'URL-encoded', text: encodeURIComponent(value) },
    ...Array.from({ length: value.length - 7 }, (_, i) => ({ name, form: `fragment@${i}`, text: value.slice(i, i + 8) })),
  ]);
}

function leaksIn(what: string, text: string): string[] {
  scanned.push({ what, text });
  figures.textsScanned += 1;
  const found: string[] = [];
  for (const { name, form, text: needle } of forbidden()) {
    if (form.startsWith('fragment')) figures.fragmentChecks += 1;
    else figures.formsChecked += 1;
    if (text.includes(needle)) found.push(`${what}: canary ${name} (${form})`);
  }
  return found;
}

function cli(args: string[]) {
  figures.commandRuns += 1;
  return runReliabilityCli(args, env);
}

const RUN_LIKE = ['run', 'plan', 'check'] as const;

describe.each(['text', 'json'] as const)('%s output at debug level', (mode) => {
  const json = mode === 'json' ? ['--json'] : [];

  test.each(RUN_LIKE)('%s, with failing sinks, prints no canary', (command) => {
    const result = cli([command, ...runArgs, ...json, '--log-level', 'debug']);
    expect(result.status).toBe(1);
    // The failing paths did run: each one's error is reported (by code and key).
    for (const code of ['INVALID_VALUE', 'CONFLICTING_SOURCES', 'UNWRITABLE_VALUE', 'MISSING_REQUIRED']) expect(result.stdout + result.stderr).toContain(code);
    expect([...leaksIn(`${command} stdout`, result.stdout), ...leaksIn(`${command} stderr`, result.stderr)]).toEqual([]);
  });

  test('list prints no canary', () => {
    const result = cli(['list', '--plugin', runArgs[3]!, '--project', tree.dir, '--config-nodes', runArgs[runArgs.length - 1]!, ...json, '--log-level', 'debug']);
    expect(result.status).toBe(0);
    expect([...leaksIn('list stdout', result.stdout), ...leaksIn('list stderr', result.stderr)]).toEqual([]);
  });

  test('exec, whose run fails, prints no canary', () => {
    const result = cli(['exec', ...runArgs, ...json, '--log-level', 'debug', '--', '/bin/true']);
    expect(result.status).not.toBeNull();
    expect([...leaksIn('exec stdout', result.stdout), ...leaksIn('exec stderr', result.stderr)]).toEqual([]);
  });

  test('clean prints no canary', () => {
    const result = cli(['clean', '--comfyui-dir', comfyuiDir, ...json]);
    expect([0, 1]).toContain(result.status);
    expect([...leaksIn('clean stdout', result.stdout), ...leaksIn('clean stderr', result.stderr)]).toEqual([]);
  });

  test('audit, which finds a secret baked into a Dockerfile, prints no canary', () => {
    const result = cli(['audit', '--plugin', runArgs[3]!, '--project', tree.dir, '--dockerfile', path.join(tree.dir, 'inputs/Dockerfile'), '--rootfs', tree.dir, '--comfyui-dir', '/ComfyUI', ...json, '--log-level', 'debug']);
    expect(result.status).toBe(1);
    expect(result.stdout + result.stderr).toContain('LEAK_ENV_TOKEN');
    expect([...leaksIn('audit stdout', result.stdout), ...leaksIn('audit stderr', result.stderr)]).toEqual([]);
  });

  test('a plugin bug whose error quotes a value (internal error, stack logged at debug) prints no canary', () => {
    // The plugin reads the environment itself and throws at run time with a value in the message:
    // only redaction of the debug log line (which carries the stack) stands between it and stderr.
    // (It throws only once variables are being resolved, so it passes validation at load.)
    const buggy = writePlugin(path.join(tree.dir, 'plugin'), 'buggy', `{ name: 'buggy', nodes: ['leak_node'], file: 'buggy.env', variables: new Proxy({ LEAK_ENV_TOKEN: {} }, {
      ownKeys(target) { if (new Error().stack.includes('resolveVariables')) throw new Error('buggy plugin saw ' + process.env.LEAK_ENV_TOKEN); return Reflect.ownKeys(target); } }) }`);
    const result = cli(['run', '--comfyui-dir', comfyuiDir, '--plugin', buggy, '--project', tree.dir, ...json, '--log-level', 'debug']);
    expect(result.status).toBe(70);
    expect([...leaksIn('plugin bug stdout', result.stdout), ...leaksIn('plugin bug stderr', result.stderr)]).toEqual([]);
  });

  test('a configuration error (a plugin that is not there) prints no canary', () => {
    const result = cli(['run', ...runArgs, '--plugin', path.join(tree.dir, 'nowhere'), ...json, '--log-level', 'debug']);
    expect(result.status).toBe(2);
    expect([...leaksIn('config error stdout', result.stdout), ...leaksIn('config error stderr', result.stderr)]).toEqual([]);
  });
});

test('the intended target holds the canaries, read back (the canaries did reach the run)', () => {
  cli(['run', ...runArgs]);
  const text = fs.readFileSync(path.join(comfyuiDir, 'custom_nodes/leak_node/.env'), 'utf8');
  for (const name of ['env', 'envFile', 'file', 'secretsDir', 'encoded'] as const) expect(text).toContain(CANARIES[name].slice(0, 8));
  expect(fs.readFileSync(path.join(comfyuiDir, 'custom_nodes/cn_node/.env'), 'utf8')).toContain(CANARIES.configNodes.slice(0, 8));
});

test('no file but the intended targets and the inputs holds a canary: state, store, temp, home', () => {
  const targets = new Set(['leak_node', 'cn_node'].map((node) => fs.realpathSync(path.join(comfyuiDir, 'custom_nodes', node, '.env'))));
  const found: string[] = [];
  for (const root of [tree.dir, storeDir]) {
    if (!fs.existsSync(root)) continue;
    for (const relative of walk(root)) {
      const file = path.join(root, relative);
      if (inputs.includes(file) || fs.lstatSync(file).isSymbolicLink() || targets.has(fs.realpathSync(file))) continue;
      found.push(...leaksIn(file, fs.readFileSync(file, 'latin1') + fs.readFileSync(file, 'utf8')));
    }
  }
  expect(found).toEqual([]);
  expect(figures.textsScanned).toBeGreaterThan(30);
});
