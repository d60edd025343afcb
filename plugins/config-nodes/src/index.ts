/**
 * Runs the declarations deployments already have: each node of a `config_nodes.json` with an `env`
 * map becomes a dotenv sink for `custom_nodes/<name>/.env` (read by python-dotenv).
 *
 * ```json
 * { "custom_nodes": [ { "name": "emprops_comfy_nodes", "url": "…", "env": { "AWS_ACCESS_KEY_ID": "${AWS_ACCESS_KEY_ID}" } } ] }
 * ```
 *
 * Not a discovered plugin (its package.json has no `comfySecrets` marker): the CLI calls it for
 * `--config-nodes FILE`, because the sinks come from a file of the deployment, not from a package.
 */
import { ConfigError, type LoadedSink, type SecretSink, type VariableSpec } from '@comfy-secrets/core';

/** Sink names are `config-nodes:<node directory>`. */
export const SINK_PREFIX = 'config-nodes:';
const REFERENCE = /\$\{[A-Za-z_][A-Za-z0-9_]*\}/;

/**
 * The sinks declared by a config_nodes.json's text. `file` names the file in errors.
 * @throws ConfigError (exit 2) naming the file and the entry for bad JSON or a wrong shape.
 */
export function sinksFromConfigNodes(text: string, file: string): SecretSink[] {
  const fail = (where: string, problem: string): never => {
    throw new ConfigError('CONFIG_NODES_INVALID', where === '' ? `${file} ${problem}` : `${file}: ${where} ${problem}`, { file });
  };

  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    // V8's message quotes the text around the error, which may hold a literal secret: say where only.
    fail('', `is not valid JSON (${jsonErrorPlace(text, error)})`);
  }
  if (!isObject(document) || !Array.isArray(document.custom_nodes)) {
    fail('', 'must be an object with a "custom_nodes" array');
  }
  const entries = (document as { custom_nodes: unknown[] }).custom_nodes;

  const sinks: SecretSink[] = [];
  const seen = new Map<string, number>();
  entries.forEach((entry, index) => {
    const where = `custom_nodes[${index}]`;
    if (!isObject(entry)) fail(where, 'must be an object with a "name"');
    const { name, env } = entry as { name?: unknown; env?: unknown };
    if (typeof name !== 'string' || !isDirectoryName(name)) {
      fail(where, `"name" must be the node's directory name under custom_nodes/ (no path separators, not . or ..)`);
    }
    const label = `${where} (${name as string})`;
    const first = seen.get(name as string);
    if (first !== undefined) fail(label, `declares the same node as custom_nodes[${first}]`);
    seen.set(name as string, index);
    if (env === undefined) return;
    if (!isObject(env)) fail(label, '"env" must be an object of variable names and string values');

    // A dictionary, not an object literal: a thousand sinks of twenty distinct keys each would build
    // twenty thousand hidden classes (70 ms), and a key named __proto__ stays a key.
    const variables: Record<string, VariableSpec> = Object.create(null);
    for (const [key, value] of Object.entries(env as Record<string, unknown>)) {
      if (typeof value !== 'string') fail(label, `env.${key} must be a string (quote numbers and booleans as they should appear in the .env)`);
      variables[key] = toVariable(value as string);
    }
    if (Object.keys(variables).length === 0) return;
    sinks.push({
      name: `${SINK_PREFIX}${name as string}`,
      nodes: [name as string],
      file: '.env',
      format: { type: 'dotenv', readers: ['python-dotenv'] },
      header: [`Written by comfy-secrets from ${basename(file)}`],
      variables,
    });
  });
  return sinks;
}

/**
 * `${NAME}` anywhere makes the value a template (each reference looked up like any variable, so
 * `NAME_ENCODED` and `NAME_FILE` work); a value without one is a literal, never treated as a secret.
 */
function toVariable(value: string): VariableSpec {
  return REFERENCE.test(value) ? { template: value } : { default: value, secret: false };
}

export interface ShadowedDeclaration {
  /** The declared sink, `config-nodes:<node>`. */
  name: string;
  node: string;
  /** The code sink that serves the node instead. */
  by: string;
  /**
   * Keys the declaration writes and the code sink does not, so they are not written: a shipped sink
   * writes what its node reads, and these the node does not (or reads under another name). Absent when none.
   */
  unwritten?: string[];
}

/**
 * Adds the declared sinks to the discovered ones. A code sink wins over a declaration for the same
 * node directory (it knows the node better); the declaration is reported as shadowed. One pass over
 * each list with a Set, so a thousand declarations cost a thousand lookups.
 */
export function withDeclarations(code: readonly LoadedSink[], declared: readonly SecretSink[], plugin: string): { sinks: LoadedSink[]; shadowed: ShadowedDeclaration[] } {
  const servedBy = new Map<string, SecretSink>();
  for (const { sink } of code) {
    servedBy.set(`name:${sink.name}`, sink);
    for (const node of sink.nodes) if (!servedBy.has(node)) servedBy.set(node, sink);
  }
  const sinks = [...code];
  const shadowed: ShadowedDeclaration[] = [];
  for (const sink of declared) {
    const node = sink.nodes[0]!;
    const by = servedBy.get(node) ?? servedBy.get(`name:${sink.name}`);
    if (by === undefined) {
      sinks.push({ sink, plugin });
      continue;
    }
    const unwritten = Object.keys(sink.variables).filter((key) => !Object.hasOwn(by.variables, key));
    shadowed.push({ name: sink.name, node, by: by.name, ...(unwritten.length > 0 ? { unwritten } : {}) });
  }
  return { sinks, shadowed };
}

function jsonErrorPlace(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const position = /position (\d+)/.exec(message);
  if (position) {
    const before = text.slice(0, Number(position[1]));
    const line = before.split('\n').length;
    return `line ${line}, column ${before.length - before.lastIndexOf('\n')}`;
  }
  return /end of JSON|Unexpected end/i.test(message) ? 'it ends too early' : 'syntax error';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isDirectoryName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}

function basename(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}
