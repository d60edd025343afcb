import { sourceNames, type LoadedSink, type RunReport, type SinkReport, type VariableReport } from '@comfy-secrets/core';
import type { Paint, Style } from './colour';

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

const STATUS_STYLE: Record<string, Style | readonly Style[]> = { written: 'green', 'would-write': 'cyan', unchanged: 'green', skipped: 'dim', failed: ['bold', 'red'] };

/**
 * The run report of {@link formatRunReport}, redacted, with its statuses, errors and warnings in
 * colour. It reads the layout back rather than colouring while formatting, so that colour codes
 * are added only after redaction and can never split a secret redaction would have found.
 */
export function colourRunReport(redacted: string, paint: Paint): string {
  const lines = redacted.split('\n');
  return lines
    .map((line, index) => {
      if (index === 0) return line.replace(/^comfy-secrets [a-z]+:/, (head) => paint('bold', head));
      if (index === lines.length - 2) return line.replace(/(\d+) (written|would-write|unchanged|skipped|failed)/g, (all, count: string, status: string) => (count === '0' ? all : paint(STATUS_STYLE[status]!, all)));
      return line
        .replace(/^ {2}(written|would-write|unchanged|skipped|failed)\b/, (_all, status: string) => `  ${paint(STATUS_STYLE[status]!, status)}`)
        .replace(/^( {14,})(error [A-Z0-9_]+:)/, (_all, pad: string, what: string) => `${pad}${paint('red', what)}`)
        .replace(/^( {14,})(warning:)/, (_all, pad: string, what: string) => `${pad}${paint('yellow', what)}`);
    })
    .join('\n');
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

/** The node directories of a sink found under the ComfyUI root; `undefined` when it has no custom_nodes/. */
export type SinkApplies = readonly string[] | undefined;

export function formatSinkList(sinks: readonly LoadedSink[], comfyuiDir?: string, applies?: ReadonlyMap<string, SinkApplies>): string {
  if (sinks.length === 0) return 'No sinks installed. Add a sink package to the dependencies of the project that installs comfy-secrets, or pass --plugin.\n';
  const marks = new Set<string>();
  const blocks = sinks.map(({ sink, plugin, version }, index) => {
    const root = sink.relativeTo ?? 'node';
    const file = typeof sink.file === 'function' ? '(chosen by the sink from what is installed)' : root === 'hf-token' ? ROOT_PREFIX[root] : `${ROOT_PREFIX[root] ?? ''}${sink.file ?? '.env'}`;
    const format = typeof sink.format === 'object' ? sink.format.type : sink.format ?? 'dotenv';
    // The variable a user sets, with the key it becomes when that is another name.
    const variables = Object.entries(sink.variables).map(([key, spec]) => {
      const mark = spec.required === true ? '*' : typeof spec.required === 'object' ? '+' : '';
      if (mark) marks.add(mark);
      return `${spec.from?.[0] !== undefined && spec.from[0] !== key ? `${spec.from[0]} (${key})` : key}${mark}`;
    });
    const found = applies?.get(sink.name);
    const appliesLine =
      comfyuiDir === undefined ? [] : [`   applies:   ${found === undefined ? `unknown (${comfyuiDir} has no custom_nodes/)` : found.length > 0 ? `yes (custom_nodes/${found.join(', custom_nodes/')})` : 'no (none of its nodes is installed)'}`];
    const reads = [...new Set(Object.entries(sink.variables).flatMap(([key, spec]) => sourceNames(key, spec)))];
    return [
      `${index + 1}. ${sink.name}  (${plugin}${version ? `@${version}` : ''}, order ${sink.order ?? 'normal'}${sink.dependencies?.length ? `, after ${sink.dependencies.join(', ')}` : ''})`,
      `   nodes:     ${sink.nodes.join(', ')}`,
      ...appliesLine,
      `   file:      ${file} [${format}]`,
      `   variables: ${variables.join(' ')}`,
      `   set:       ${reads.join(' ')}`,
    ].join('\n');
  });
  const legend = [marks.has('*') ? '* required' : '', marks.has('+') ? '+ required when a condition holds (plan shows it)' : ''].filter(Boolean);
  const where = comfyuiDir === undefined ? '' : `ComfyUI: ${comfyuiDir}\n`;
  const map = Object.entries(variableMap(sinks));
  const width = Math.max(0, ...map.map(([name]) => name.length));
  const mapText = map.map(([name, keys]) => `  ${name.padEnd(width)}  -> ${keys.join(', ')}`).join('\n');
  return `${where}${blocks.join('\n')}\n${legend.length ? `(${legend.join('; ')})\n` : ''}(set: the variables to set; each NAME may also come as NAME_ENCODED, NAME_FILE or a --secrets-dir file)\n\nVariables (the first one set of a key's names wins):\n${mapText}\n`;
}
