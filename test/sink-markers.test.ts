import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MARKER_FIELD, sinkSummary, type SecretSink } from '@comfy-secrets/core';

// Discovery leaves a package unloaded on a tree without its nodes by what its marker says
// (`comfySecrets.sinks`): for every shipped sink package that must be exactly what its sink objects say.
const root = path.resolve(__dirname, '..');
const manifestOf = (name: string) => JSON.parse(fs.readFileSync(path.join(root, 'plugins', name, 'package.json'), 'utf8')) as Record<string, unknown>;
// The sink packages: config-nodes is a library the CLI uses, with no marker.
const packages = fs.readdirSync(path.join(root, 'plugins')).filter((name) => fs.existsSync(path.join(root, 'plugins', name, 'package.json')) && manifestOf(name)[MARKER_FIELD] !== undefined);

describe.each(packages)('plugins/%s', (name) => {
  const dir = path.join(root, 'plugins', name);
  const marker = manifestOf(name)[MARKER_FIELD] as { sink: string; sinks?: unknown };

  it('lists in its marker the summary of every sink its module exports, or none when one cannot have one', () => {
    let exported = require(path.join(dir, marker.sink)) as unknown;
    while (typeof exported === 'object' && exported !== null && 'default' in exported && !('name' in exported)) exported = (exported as { default: unknown }).default;
    const summaries = (Array.isArray(exported) ? exported : [exported]).map((sink) => sinkSummary(sink as SecretSink));
    expect(marker.sinks).toEqual(summaries.every(Boolean) ? summaries : undefined);
  });
});

it('covers every shipped sink package', () => {
  expect(packages.length).toBeGreaterThanOrEqual(14);
});

it('scripts/sink-markers.mjs --check agrees (the script that writes the markers)', () => {
  expect(execFileSync(process.execPath, [path.join(root, 'scripts/sink-markers.mjs'), '--check'], { encoding: 'utf8' })).toBe('');
});

it('the Manager sink has no summary: it can run without a node directory, so it is always loaded', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'plugins/comfyui-manager/package.json'), 'utf8')) as { comfySecrets: Record<string, unknown> };
  expect(manifest.comfySecrets.sinks).toBeUndefined();
});
