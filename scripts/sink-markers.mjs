// Writes each shipped sink package's marker summaries (`comfySecrets.sinks` in its package.json) from
// the built sink objects, so that a run on a tree without a package's node skips it unloaded (core
// `SinkSummary`). `--check` only compares, exiting 1 on a difference; test/sink-markers.test.ts runs it.
//   node scripts/sink-markers.mjs [--check]     (after `pnpm build`)
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const check = process.argv.includes('--check');
const require = createRequire(join(root, 'package.json'));
require('reflect-metadata');
const { sinkSummary, MARKER_FIELD } = require(join(root, 'packages/core/dist/index.js'));

/** The summaries a package's marker should list: one per exported sink, or none when one has none. */
export function expectedSummaries(exported) {
  let value = exported;
  while (typeof value === 'object' && value !== null && 'default' in value && !('name' in value)) value = value.default;
  const summaries = (Array.isArray(value) ? value : [value]).map(sinkSummary);
  return summaries.every(Boolean) ? summaries : undefined;
}

const drift = [];
for (const name of readdirSync(join(root, 'plugins')).sort()) {
  const file = join(root, 'plugins', name, 'package.json');
  if (!existsSync(file)) continue;
  const text = readFileSync(file, 'utf8');
  const manifest = JSON.parse(text);
  const marker = manifest[MARKER_FIELD];
  if (typeof marker !== 'object' || marker === null) continue;
  const expected = expectedSummaries(require(join(root, 'plugins', name, marker.sink)));
  if (JSON.stringify(marker.sinks) === JSON.stringify(expected)) continue;
  drift.push(`plugins/${name}`);
  if (check) continue;
  const { sinks: _old, ...rest } = marker;
  manifest[MARKER_FIELD] = expected ? { ...rest, sinks: expected } : rest;
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
}
if (check && drift.length > 0) {
  console.error(`${MARKER_FIELD}.sinks differs from the built sinks in ${drift.join(', ')}: run node scripts/sink-markers.mjs after pnpm build`);
  process.exit(1);
}
if (!check) console.log(drift.length ? `updated ${drift.join(', ')}` : 'every marker is up to date');
