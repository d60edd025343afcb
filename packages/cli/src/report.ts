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

export function formatSinkList(sinks: readonly LoadedSink[]): string {
  if (sinks.length === 0) return 'No sinks installed. Add a sink package to the dependencies of the project that installs comfy-secrets, or pass --plugin.\n';
  const blocks = sinks.map(({ sink, plugin, version }, index) => {
    const file = typeof sink.file === 'function' ? '(chosen by the sink from what is installed)' : `${sink.relativeTo === 'comfyui' ? '' : 'custom_nodes/<node>/'}${sink.file ?? '.env'}`;
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
  return `${blocks.join('\n')}\n(* required)\n`;
}
