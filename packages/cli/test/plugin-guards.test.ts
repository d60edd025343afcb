import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, tempTree } from '../../../test/helpers/cli';

/**
 * Text a plugin's code makes reaches the user only without a piece of a secret in it, and a plugin
 * can neither end the run (process.exit) nor have a sink overwrite ComfyUI's code.
 */
const HF_TOKEN = 'hf_FAKE_Zq8wLt3VnR6pXk2Jm9Bd';

let tree: ReturnType<typeof tempTree>;
beforeEach(() => {
  tree = tempTree({ 'C/main.py': 'print("ComfyUI")\n', 'C/custom_nodes/node_a/__init__.py': '', 'C/custom_nodes/node_b/__init__.py': '' });
});
afterEach(() => tree.cleanup());

const at = (relative: string) => path.join(tree.dir, relative);

function plugin(source: string): string {
  const file = at(`plugin-${Math.random().toString(16).slice(2)}.js`);
  fs.writeFileSync(file, `'use strict';\n${source}\n`);
  return file;
}

const run = (command: string, pluginFile: string, extra: string[] = []) =>
  runCli([command, '--comfyui-dir', at('C'), '--plugin', pluginFile, '--no-config-nodes', ...extra], { env: { HF_TOKEN, COMFY_SECRETS_LOG_LEVEL: 'debug' } });

/** Every 6-character piece of the token: none may be printed. */
function piecesOf(output: string): string[] {
  const pieces: string[] = [];
  for (let i = 0; i + 6 <= HF_TOKEN.length; i += 1) if (output.includes(HF_TOKEN.slice(i, i + 6))) pieces.push(HF_TOKEN.slice(i, i + 6));
  return pieces;
}

const SINK_A = `{ name: 'node_a', nodes: ['node_a'], variables: { HF_TOKEN: {} } }`;

test("a plugin whose load fails in JSON.parse of a secret (V8 quotes ten characters of it): PLUGIN_LOAD_FAILED, exit 2, no piece of it", () => {
  const result = run('run', plugin(`JSON.parse(process.env.HF_TOKEN);\nmodule.exports = ${SINK_A};`));

  expect(result.status).toBe(2);
  expect(result.stderr).toContain('PLUGIN_LOAD_FAILED');
  expect(piecesOf(result.stdout + result.stderr)).toEqual([]);
});

test('a getter that throws a message quoting a secret once the run reads it: the sink fails, no piece of it in the report, the log or --json', () => {
  const source = `let reads = 0;
module.exports = [{ name: 'node_a', nodes: ['node_a'], variables: { HF_TOKEN: {} },
  get format() { if (++reads > 1) throw new Error('cannot parse ' + process.env.HF_TOKEN.slice(0, 14)); return 'dotenv'; } }];`;
  for (const extra of [[], ['--json']]) {
    const result = run('run', plugin(source), extra);
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/not shown/);
    expect(piecesOf(result.stdout + result.stderr)).toEqual([]);
  }
});

test("file() reasons that quote part of a secret are withheld from plan's report", () => {
  const source = `module.exports = [{ name: 'node_a', nodes: ['node_a'], variables: { HF_TOKEN: {} },
  file: () => ({ path: '.env', reason: 'found ' + process.env.HF_TOKEN.slice(2, 12) + ' in the old file' }) }];`;
  for (const extra of [[], ['--json']]) {
    const result = run('plan', plugin(source), extra);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('withheld');
    expect(piecesOf(result.stdout + result.stderr)).toEqual([]);
  }
});

test('a plugin calling process.exit(0) in file() fails its sink (PLUGIN_ERROR, exit 1); the other sink is still written', () => {
  const source = `module.exports = [${SINK_A}, { name: 'node_b', nodes: ['node_b'], variables: { HF_TOKEN: {} }, file: () => process.exit(0) }];`;

  const result = run('run', plugin(source));

  expect(result.status).toBe(1);
  expect(result.stderr).toContain("node_b failed: a plugin's code called process.exit(0)");
  expect(result.stdout).toMatch(/node_b/);
  expect(fs.readFileSync(at('C/custom_nodes/node_a/.env'), 'utf8')).toContain(HF_TOKEN);
  expect(fs.existsSync(at('C/custom_nodes/node_b/.env'))).toBe(false);
});

test('a plugin calling process.exit(0) while it loads: exit 2, not 0', () => {
  const result = run('run', plugin(`process.exit(0);\nmodule.exports = ${SINK_A};`));

  expect(result.status).toBe(2);
  expect(result.stderr).toContain("PLUGIN_LOAD_FAILED: Plugin");
  expect(result.stderr).toContain("a plugin's code called process.exit(0)");
  expect(fs.existsSync(at('C/custom_nodes/node_a/.env'))).toBe(false);
});

test.each([
  ['main.py', 'comfyui'],
  ['__init__.py', 'node'],
  ['.git/config', 'comfyui'],
])("a sink targeting %s (relativeTo '%s') is refused: UNSAFE_PATH, exit 1, the file untouched", (target, relativeTo) => {
  const source = `module.exports = [{ name: 'node_a', nodes: ['node_a'], variables: { HF_TOKEN: {} }, file: ${JSON.stringify(target)}, relativeTo: ${JSON.stringify(relativeTo)} }];`;
  const before = fs.readFileSync(at('C/main.py'), 'utf8');

  const result = run('run', plugin(source));

  expect(result.status).toBe(1);
  expect(result.stderr).toContain('UNSAFE_PATH');
  expect(fs.readFileSync(at('C/main.py'), 'utf8')).toBe(before);
  expect(fs.readFileSync(at('C/custom_nodes/node_a/__init__.py'), 'utf8')).toBe('');
  expect(fs.existsSync(at('C/.git'))).toBe(false);
});
