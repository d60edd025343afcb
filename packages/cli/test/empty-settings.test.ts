import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, tempTree } from '../../../test/helpers/cli';

// An empty setting counts as unset, like every variable (docs/cli.md "Sources and their precedence"): `COMFYUI_PATH=` in a
// platform's form must not make the root the working directory, nor hide the defaults after it.
const EMPROPS = 'custom_nodes/emprops_comfy_nodes';

let tree: ReturnType<typeof tempTree>;
beforeEach(() => {
  tree = tempTree({ [`ComfyUI/${EMPROPS}/__init__.py`]: '', 'cwd/': '' });
});
afterEach(() => tree.cleanup());

const cli = (args: string[], env: Record<string, string>) => runCli(args, { env, cwd: path.join(tree.dir, 'cwd') });

test('COMFYUI_PATH= falls through to $WORKSPACE_PATH/ComfyUI', () => {
  const result = cli(['run'], { COMFYUI_PATH: '', WORKSPACE_PATH: tree.dir, HF_TOKEN: 'hf_FAKE_empty_setting_0001' });

  expect(result.status).toBe(0);
  expect(fs.existsSync(path.join(tree.dir, 'ComfyUI', EMPROPS, '.env'))).toBe(true);
});

test('audit --rootfs: COMFYUI_PATH= falls through to $WORKSPACE_PATH/ComfyUI inside the image', () => {
  fs.writeFileSync(path.join(tree.dir, 'ComfyUI', EMPROPS, '.env'), 'CLOUD_PROVIDER=aws\n');

  const result = cli(['audit', '--rootfs', tree.dir, '--json'], { COMFYUI_PATH: '', WORKSPACE_PATH: '/' });

  const findings = (JSON.parse(result.stdout) as { findings: Array<{ kind: string; file: string }> }).findings;
  expect(findings.map((finding) => [finding.kind, finding.file])).toEqual([['target-present', `/ComfyUI/${EMPROPS}/.env`]]);
  expect(result.status).toBe(1);
});

test('COMFY_SECRETS_PROJECT= discovers the sinks of the project that installed comfy-secrets', () => {
  const result = cli(['list', '--json'], { COMFY_SECRETS_PROJECT: '' });

  expect(result.status).toBe(0);
  const names = (JSON.parse(result.stdout) as { sinks: Array<{ name: string }> }).sinks.map((sink) => sink.name);
  expect(names).toContain('emprops_custom_nodes');
});

test('COMFY_SECRETS_LOG_LEVEL= is the default level, not an invalid one', () => {
  const result = cli(['plan', '--comfyui-dir', path.join(tree.dir, 'ComfyUI')], { COMFY_SECRETS_LOG_LEVEL: '' });

  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
});
