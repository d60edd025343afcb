import type { LoadedSink, RunReport, SinkReport, VariableReport } from '@comfy-secrets/core';

/** The run report as a person reads it. Built only from the report, which holds no value. */
export function formatRunReport(report: RunReport, verb: string, showVariables: boolean): string {
  const lines = [`comfy-secrets ${verb}: ${report.comfyuiDir}${report.dryRun ? ' (nothing written)' : ''}`];
  const width = Math.max(4, ...report.sinks.map((sink) => sink.name.length));
  for (const sink of report.sinks) {
    lines.push(`  ${sink.status.padEnd(11)} ${sink.name.padEnd(width)}  ${summary(sink)}`);
    for (const file of sink.files.slice(sink.files.length > 1 || sink.errors.length ? 0 : 1)) {
      lines.push(`  ${''.padEnd(11)} ${''.padEnd(width)}  ${file.status} ${file.path} (${file.format}, ${file.mode})`);
    }
    for (const error of sink.errors) lines.push(`  ${''.padEnd(11)} ${''.padEnd(width)}  error ${error.code}: ${error.message}`);
    if (showVariables) for (const variable of sink.variables) lines.push(`      ${(variable.name ? `${variable.name} (${variable.key})` : variable.key).padEnd(32)} ${describeVariable(variable)}`);
    for (const warning of sink.warnings ?? []) lines.push(`  ${''.padEnd(11)} ${''.padEnd(width)}  warning: ${warning}`);
    if (showVariables) for (const file of sink.files) if (file.reason) lines.push(`      location: ${file.reason}`);
  }
  const counts = Object.entries(report.counts).filter(([status, count]) => count > 0 || status === 'failed');
  lines.push(counts.map(([status, count]) => `${count} ${status}`).join(', '));
  return `${lines.join('\n')}\n`;
}

function summary(sink: SinkReport): string {
  if (sink.status === 'skipped') return sink.reason ?? '';
  if (sink.status === 'failed') return `${sink.errors.length} error${sink.errors.length === 1 ? '' : 's'}`;
  const [first] = sink.files;
  return first && sink.files.length === 1 ? `${first.path} (${first.format}, ${first.mode})` : `${sink.files.length} files`;
}

/** Masked: `set (40 chars) from HF_TOKEN_FILE`, `default`, `missing (required)`. */
export function describeVariable(variable: VariableReport): string {
  const required = variable.required === true ? ' (required)' : typeof variable.required === 'string' ? ` (required ${variable.required})` : '';
  if (variable.state === 'set') return `set (${variable.length} chars) from ${variable.source}`;
  if (variable.state === 'default') return `default (${variable.length} chars)`;
  return `missing${required}${variable.unset ? ` (${variable.unset.join(', ')} not set)` : ''}`;
}

const ROOT_PREFIX: Record<string, string> = {
  node: 'custom_nodes/<node>/',
  comfyui: '',
  user: '<user directory>/',
  home: '~/',
  'xdg-config': '$XDG_CONFIG_HOME (~/.config)/',
  'hf-home': '$HF_HOME (~/.cache/huggingface)/',
  'hf-token': '$HF_TOKEN_PATH (~/.cache/huggingface/token)',
};

/** Every variable a sink takes a key from, mapped to the `sink.key`s it feeds: one `HF_TOKEN` may feed several. */
export function variableMap(sinks: readonly LoadedSink[]): Record<string, string[]> {
  const map = new Map<string, string[]>();
  for (const { sink } of sinks) {
    for (const [key, spec] of Object.entries(sink.variables)) {
      const names = spec.template !== undefined ? [...spec.template.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((match) => match[1]!) : (spec.from ?? [key]);
      for (const name of names) map.set(name, [...(map.get(name) ?? []), `${sink.name}.${key}`]);
    }
  }
  return Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function formatSinkList(sinks: readonly LoadedSink[]): string {
  if (sinks.length === 0) return 'No sinks installed. Add a sink package to the dependencies of the project that installs comfy-secrets, or pass --plugin.\n';
  const blocks = sinks.map(({ sink, plugin, version }, index) => {
    const root = sink.relativeTo ?? 'node';
    const file = typeof sink.file === 'function' ? '(chosen by the sink from what is installed)' : root === 'hf-token' ? ROOT_PREFIX[root] : `${ROOT_PREFIX[root] ?? ''}${sink.file ?? '.env'}`;
    const format = typeof sink.format === 'object' ? sink.format.type : sink.format ?? 'dotenv';
    // The variable a user sets, with the key it becomes when that is another name.
    const variables = Object.entries(sink.variables).map(([key, spec]) => `${spec.from?.[0] !== undefined && spec.from[0] !== key ? `${spec.from[0]} (${key})` : key}${spec.required === true ? '*' : ''}`);
    return [
      `${index + 1}. ${sink.name}  (${plugin}${version ? `@${version}` : ''}, order ${sink.order ?? 'normal'}${sink.dependencies?.length ? `, after ${sink.dependencies.join(', ')}` : ''})`,
      `   nodes:     ${sink.nodes.join(', ')}`,
      `   file:      ${file} [${format}]`,
      `   variables: ${variables.join(' ')}`,
    ].join('\n');
  });
  const map = Object.entries(variableMap(sinks));
  const width = Math.max(0, ...map.map(([name]) => name.length));
  const mapText = map.map(([name, keys]) => `  ${name.padEnd(width)}  -> ${keys.join(', ')}`).join('\n');
  return `${blocks.join('\n')}\n(* required)\n\nVariables (each name also as NAME_ENCODED, NAME_FILE and --secrets-dir/NAME; the first one set of a key's names wins):\n${mapText}\n`;
}
