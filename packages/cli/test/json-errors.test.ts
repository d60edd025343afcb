import * as path from 'node:path';
import { runCli, tempTree } from '../../../test/helpers/cli';

// An error is printed as JSON on stdout only when comfy-secrets itself was asked for --json: after
// `exec --`, stdout and every word belong to COMMAND.
let tree: ReturnType<typeof tempTree>;
beforeEach(() => {
  tree = tempTree({ 'ComfyUI/custom_nodes/': '' });
});
afterEach(() => tree.cleanup());

const missing = () => path.join(tree.dir, 'missing-config_nodes.json');

test('run --json: a configuration error is one JSON document on stdout', () => {
  const result = runCli(['run', '--comfyui-dir', path.join(tree.dir, 'ComfyUI'), '--config-nodes', missing(), '--json']);

  expect(result.status).toBe(2);
  expect((JSON.parse(result.stdout) as { error: { code: string } }).error.code).toBe('CONFIG_NODES_UNREADABLE');
});

test("exec -- COMMAND --json: a configuration error prints nothing on COMMAND's stdout", () => {
  const result = runCli(['exec', '--comfyui-dir', path.join(tree.dir, 'ComfyUI'), '--config-nodes', missing(), '--', 'tool', '--json']);

  expect(result.status).toBe(2);
  expect(result.stderr).toContain('CONFIG_NODES_UNREADABLE');
  expect(result.stdout).toBe('');
});

test('a command line that does not parse: --json before -- still asks for JSON, after -- it does not', () => {
  const before = runCli(['exec', '--no-such-flag', '--json', '--', 'tool']);
  const after = runCli(['exec', '--no-such-flag', '--', 'tool', '--json']);

  expect(before.status).toBe(2);
  expect(JSON.parse(before.stdout)).toHaveProperty('error');
  expect(after.status).toBe(2);
  expect(after.stdout).toBe('');
});
