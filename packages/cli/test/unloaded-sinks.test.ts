import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, tempTree } from '../../../test/helpers/cli';

// A project whose one sink package is broken (its module throws when loaded), and whose marker lists
// the sink's node: a run on a tree without that node does not load it; check and list still report it.
const HF_TOKEN = 'hf_FAKE_unloaded_Zq8wLt3VnR6p';
let tree: { dir: string; cleanup: () => void };
const comfyui = () => path.join(tree.dir, 'ComfyUI');
const marker = { sink: './index.js', sinks: [{ name: 'broken_sink', nodes: ['broken_node'] }] };

beforeEach(() => {
  tree = tempTree({
    'project/package.json': JSON.stringify({ dependencies: { '@comfy-secrets/cli': '*', 'sink-broken': '1.0.0' } }),
    'project/node_modules/sink-broken/package.json': JSON.stringify({ name: 'sink-broken', version: '1.0.0', comfySecrets: marker }),
    'project/node_modules/sink-broken/index.js': "throw new Error('no GPU found');",
    'ComfyUI/custom_nodes/other_node/__init__.py': '',
    'other-sink.js': "module.exports = { name: 'other_sink', nodes: ['other_node'], variables: { HF_TOKEN: {} } };",
  });
});
afterEach(() => tree.cleanup());

const cli = (command: string, extra: string[] = [], withOther = true) =>
  runCli([command, '--comfyui-dir', comfyui(), '--project', path.join(tree.dir, 'project'), '--no-config-nodes', ...(withOther ? ['--plugin', path.join(tree.dir, 'other-sink.js')] : []), ...extra], { env: { HF_TOKEN } });

describe('a sink package whose node is absent', () => {
  it('is not loaded by run or plan: its sink is reported skipped, by the name its marker gives', () => {
    for (const command of ['run', 'plan']) {
      const result = cli(command, ['--json']);
      expect({ command, status: result.status, stderr: result.stderr }).toEqual({ command, status: 0, stderr: '' });
      const report = JSON.parse(result.stdout) as { sinks: Array<{ name: string; plugin: string; status: string; reason: string }> };
      expect(report.sinks).toEqual([
        expect.objectContaining({ name: 'broken_sink', plugin: 'sink-broken', status: 'skipped', reason: 'its node is not installed (looked for custom_nodes/broken_node)' }),
        expect.objectContaining({ name: 'other_sink', status: command === 'run' ? 'written' : 'unchanged' }),
      ]);
    }
  });

  it('is loaded and reported by check and list, as a broken plugin always was', () => {
    for (const command of ['check', 'list']) {
      const result = cli(command);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('Plugin sink-broken: its module failed to load: no GPU found');
    }
  });

  it('is loaded when every sink is skipped, to warn about the variables they read, and then reported', () => {
    const result = cli('run', [], false);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('Plugin sink-broken: its module failed to load: no GPU found');
  });

  it('is loaded and reported by run once its node is installed', () => {
    fs.mkdirSync(path.join(comfyui(), 'custom_nodes', 'broken_node'));
    const result = cli('run');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('Plugin sink-broken: its module failed to load: no GPU found');
  });
});
