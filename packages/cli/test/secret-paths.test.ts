import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, tempTree } from '../../../test/helpers/cli';

// Names redaction cannot guess are secret: only resolution can teach it these values.
const CANARY = 'FAKE-canary-service-credential-7f3a9c';
const ENCODED = Buffer.from(CANARY).toString('base64');

/** Every 6-character piece of the canary: V8 quotes ten characters of a string JSON.parse refuses. */
function fragmentsIn(text: string): string[] {
  return Array.from({ length: CANARY.length - 5 }, (_, i) => CANARY.slice(i, i + 6)).filter((piece) => text.includes(piece));
}

let tree: ReturnType<typeof tempTree>;
let plugin: string;
beforeEach(() => {
  tree = tempTree({ 'ComfyUI/custom_nodes/svc_node/__init__.py': '', 'ComfyUI/custom_nodes/svc_node/creds.txt': CANARY });
  plugin = path.join(tree.dir, 'plugin', 'svc-sinks.js');
  fs.mkdirSync(path.dirname(plugin), { recursive: true });
  fs.writeFileSync(
    plugin,
    `'use strict';
module.exports = [
  { name: 'svc_decoded', nodes: ['svc_node'], file: 'decoded.env', variables: {
      SVC_DECODED: { decode: 'base64', transform: (value) => { throw new Error('cannot use ' + value + ' here'); } } } },
  { name: 'svc_json', nodes: ['svc_node'], file: 'json.env', variables: {
      SVC_JSON: { transform: (value) => JSON.stringify(JSON.parse(value)) } } },
  { name: 'svc_file', nodes: ['svc_node'], variables: { SVC_TOKEN: {} },
    file: (context) => ({ path: JSON.parse(context.readText('custom_nodes/svc_node/creds.txt') ?? '{}').path }) },
];
`,
  );
});
afterEach(() => tree.cleanup());

const run = (json: string[], env: Record<string, string>) =>
  runCli(['check', '--comfyui-dir', path.join(tree.dir, 'ComfyUI'), '--plugin', plugin, '--project', tree.dir, '--no-config-nodes', '--log-level', 'debug', ...json], { env });

describe.each([[[]], [['--json']]])('check %j: a transform that throws', (json) => {
  test('does not print a base64-decoded secret its message quotes', () => {
    const result = run(json, { SVC_DECODED: ENCODED });
    expect(result.status).toBe(1);
    expect(result.stdout + result.stderr).toContain('INVALID_VALUE');
    expect(fragmentsIn(result.stdout + result.stderr)).toEqual([]);
  });

  test('does not print the piece of a secret a third-party error message quotes (JSON.parse)', () => {
    const result = run(json, { SVC_JSON: CANARY });
    expect(result.status).toBe(1);
    expect(result.stdout + result.stderr).toContain('INVALID_VALUE');
    expect(fragmentsIn(result.stdout + result.stderr)).toEqual([]);
  });

  test("does not print the piece of a secret that a sink's file() function quotes in its error", () => {
    const result = run(json, { SVC_TOKEN: CANARY });
    expect(result.status).toBe(1);
    expect(result.stdout + result.stderr).toContain('PLUGIN_ERROR');
    expect(fragmentsIn(result.stdout + result.stderr)).toEqual([]);
  });
});
