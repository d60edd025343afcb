import * as path from 'node:path';
import { runCli, tempTree } from '../../../test/helpers/cli';

// exec's own stderr lines name COMMAND, which is the user's text: like every line comfy-secrets
// prints, they pass through redaction.
const HF_TOKEN = 'hf_FAKE_exec_redact_0001';
const EMPROPS = 'custom_nodes/emprops_comfy_nodes';

let tree: ReturnType<typeof tempTree>;
beforeEach(() => {
  tree = tempTree({ [`${EMPROPS}/__init__.py`]: '' });
});
afterEach(() => tree.cleanup());

const exec = (env: Record<string, string>) => runCli(['exec', '--comfyui-dir', tree.dir, '--', path.join(tree.dir, HF_TOKEN)], { env: { HF_TOKEN, ...env } });

test('a command that cannot be started is named redacted', () => {
  const result = exec({});

  expect(result.status).toBe(127);
  expect(result.stderr).toContain('cannot start');
  expect(result.stderr).not.toContain(HF_TOKEN);
});

test('a command not started because a sink failed is named redacted', () => {
  const result = exec({ CLOUD_PROVIDER: 'azure' });

  expect(result.status).toBe(1);
  expect(result.stderr).toContain('not starting');
  expect(result.stderr).not.toContain(HF_TOKEN);
});
