// Generated trees for the scale benchmark: N custom nodes, each with a sink of 20 variables, declared
// both as N plugin packages of a project (so discovery is measured) and as one config_nodes.json.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const VARIABLES_PER_SINK = 20;

const pad = (i) => String(i).padStart(4, '0');
const nodeName = (i) => `bench_node_${pad(i)}`;
// Half of the variables are secrets (redacted from every line), half plain settings.
const variableName = (i, j) => (j % 2 === 0 ? `BENCH_${pad(i)}_TOKEN_${j}` : `BENCH_${pad(i)}_SETTING_${j}`);
// Obviously fake, distinct values, long enough to be searched for by redaction.
const fakeValue = (i, j) => `fake-bench-value-${pad(i)}-${j}-FAKE`;

/**
 * Writes, under `dir`:
 * - `ComfyUI/custom_nodes/bench_node_NNNN/` for every node (so every sink applies and writes);
 * - `.env.bench`: every variable of every sink (20 × N lines);
 * - `project/`: a package.json depending on N packages `bench-sink-NNNN`, each in
 *   `project/node_modules/` with the `comfySecrets` marker and a plain-object CommonJS sink;
 * - `empty-project/`: a project with no dependencies (so a config-nodes run loads no code sink);
 * - `config_nodes.json`: the same N nodes in the design doc's format, values as `${VAR}`.
 */
export function generateTree(dir, count) {
  rmSync(dir, { recursive: true, force: true });
  const envLines = [];
  const dependencies = {};
  const configNodes = [];
  for (let i = 0; i < count; i += 1) {
    const node = nodeName(i);
    mkdirSync(join(dir, 'ComfyUI', 'custom_nodes', node), { recursive: true });
    const variables = {};
    const env = {};
    for (let j = 0; j < VARIABLES_PER_SINK; j += 1) {
      const name = variableName(i, j);
      envLines.push(`${name}=${fakeValue(i, j)}`);
      variables[name] = j % 2 === 0 ? { required: j === 0 } : { secret: false };
      env[name] = `\${${name}}`;
    }
    const pkg = `bench-sink-${pad(i)}`;
    dependencies[pkg] = '0.0.0';
    const pkgDir = join(dir, 'project', 'node_modules', pkg);
    mkdirSync(pkgDir, { recursive: true });
    writeFileSync(join(pkgDir, 'package.json'), JSON.stringify({ name: pkg, version: '0.0.0', main: 'index.js', comfySecrets: { sink: './index.js' } }));
    const sink = { name: node, nodes: [node], file: '.env', format: { type: 'dotenv', readers: ['python-dotenv'] }, header: ['Written by comfy-secrets (bench)'], variables };
    writeFileSync(join(pkgDir, 'index.js'), `'use strict';\nmodule.exports = ${JSON.stringify(sink, null, 2)};\n`);
    configNodes.push({ name: node, url: `https://example.invalid/${node}.git`, env });
  }
  writeFileSync(join(dir, '.env.bench'), `${envLines.join('\n')}\n`);
  writeFileSync(join(dir, 'project', 'package.json'), JSON.stringify({ name: 'bench-project', private: true, dependencies }, null, 2));
  mkdirSync(join(dir, 'empty-project'), { recursive: true });
  writeFileSync(join(dir, 'empty-project', 'package.json'), JSON.stringify({ name: 'bench-empty-project', private: true }));
  writeFileSync(join(dir, 'config_nodes.json'), JSON.stringify({ custom_nodes: configNodes }, null, 2));
  return {
    comfyuiDir: join(dir, 'ComfyUI'),
    envFile: join(dir, '.env.bench'),
    projectDir: join(dir, 'project'),
    emptyProjectDir: join(dir, 'empty-project'),
    configNodes: join(dir, 'config_nodes.json'),
  };
}

/**
 * Moves what a run wrote out of the tree, so every measured run is a container's first start. Moved,
 * not deleted: ext4 without a journal (this VM's root) passes over recently freed inodes when it makes
 * new ones, so deleting a thousand links before each run made the next run's links slower and slower
 * (perf: most of a symlink's time in ext4's recently_deleted). A first start on a fresh container
 * layer has no such history. `holdingDir` must be on the tree's file system.
 */
export function resetWrites(comfyuiDir, count, holdingDir) {
  mkdirSync(holdingDir, { recursive: true });
  const batch = mkdtempSync(join(holdingDir, 'run-'));
  for (let i = 0; i < count; i += 1) {
    try {
      renameSync(join(comfyuiDir, 'custom_nodes', nodeName(i), '.env'), join(batch, nodeName(i)));
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
  }
}
