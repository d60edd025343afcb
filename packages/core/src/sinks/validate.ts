import type { SecretSink } from '../contract';
import { formatProblems } from '../formats/spec';
import { isHeaderLine } from '../formats/text';
import { TIERS } from './order';

const tiers: readonly string[] = TIERS;
/** Every `relativeTo` a sink may name (contract `TargetRoot`). */
export const TARGET_ROOTS: readonly string[] = ['node', 'comfyui', 'user', 'home', 'xdg-config', 'hf-home', 'hf-token'];

/**
 * Checks that a plugin's export has the shape of a {@link SecretSink}. Returns every problem found, so
 * a plugin author fixes them in one go. Plugins are plain objects from any package, so nothing about
 * them is trusted before this runs.
 */
export function sinkProblems(candidate: unknown): string[] {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    return [`expected a sink object, got ${describe(candidate)}`];
  }
  const sink = candidate as Record<string, unknown>;
  const problems: string[] = [];
  const expect = (ok: boolean, problem: string) => ok || problems.push(problem);

  expect(typeof sink.name === 'string' && /^[A-Za-z0-9@][\w@./:-]*$/.test(sink.name), `'name' must be a non-empty name of letters, digits and - _ . / : @ (got ${describe(sink.name)})`);
  expect(isStringArray(sink.nodes) && sink.nodes.every(isDirectoryName), `'nodes' must list custom node directory names (no path separators)`);
  // A node-relative file needs a node; an empty list is for programs that are not custom nodes.
  if (isStringArray(sink.nodes) && sink.nodes.length === 0 && (sink.relativeTo === undefined || sink.relativeTo === 'node')) {
    problems.push(`'nodes' is empty, so the sink serves no custom node: give 'relativeTo' another root (comfyui, home, xdg-config, hf-home or hf-token)`);
  }
  expect(sink.file === undefined || typeof sink.file === 'string' || typeof sink.file === 'function', `'file' must be a path or a function`);
  const present = sink.present as { path?: unknown; relativeTo?: unknown } | undefined;
  expect(present === undefined || (typeof present === 'object' && present !== null && typeof present.path === 'string' && present.path !== '' && present.relativeTo !== 'node' && TARGET_ROOTS.includes(present.relativeTo as string)), `'present' must be { path, relativeTo } with a root other than node`);
  expect(sink.relativeTo === undefined || TARGET_ROOTS.includes(sink.relativeTo as string), `'relativeTo' must be one of ${TARGET_ROOTS.join(', ')}`);
  expect(sink.installedElsewhere === undefined || typeof sink.installedElsewhere === 'function', `'installedElsewhere' must be a function`);
  expect(sink.whenNotInstalled === undefined || sink.whenNotInstalled === 'skip' || sink.whenNotInstalled === 'fail-when-set', `'whenNotInstalled' must be 'skip' or 'fail-when-set'`);
  if (sink.header !== undefined && !isStringArray(sink.header)) problems.push(`'header' must be an array of strings`);
  else if (sink.header !== undefined) {
    const bad = sink.header.findIndex((line) => !isHeaderLine(line));
    if (bad >= 0) problems.push(`'header' line ${bad + 1} holds a line break or NUL; each header line must be a single line`);
  }
  expect(sink.order === undefined || tiers.includes(sink.order as string), `'order' must be one of ${tiers.join(', ')}`);
  expect(sink.dependencies === undefined || isStringArray(sink.dependencies), `'dependencies' must be an array of sink names`);
  expect(sink.store === undefined || sink.store === 'memory' || sink.store === 'disk', `'store' must be 'memory' or 'disk'`);
  problems.push(...formatProblems(sink.format));

  if (typeof sink.variables !== 'object' || sink.variables === null || Array.isArray(sink.variables)) {
    problems.push(`'variables' must be an object of output keys`);
  } else {
    const variables = sink.variables as Record<string, unknown>;
    for (const key in variables) {
      if (!Object.hasOwn(variables, key)) continue;
      const spec = variables[key];
      variableProblems(key, spec, problems);
      // A condition on a key the sink does not have would silently never require anything.
      const required = (spec as { required?: unknown } | null)?.required;
      if (isCondition(required)) {
        for (const other of Object.keys(required.when)) if (!Object.prototype.propertyIsEnumerable.call(variables, other)) problems.push(`variable ${key}: 'required.when' names ${other}, which is not a variable of this sink`);
      }
    }
  }
  return problems;
}

export function isSink(candidate: unknown): candidate is SecretSink {
  return sinkProblems(candidate).length === 0;
}

/** Adds the problems of one variable's spec to `problems` (a thousand sinks of twenty variables each: no closure or array per variable). */
function variableProblems(key: string, spec: unknown, problems: string[]): void {
  if (typeof spec !== 'object' || spec === null) {
    problems.push(`variable ${key} must be an object (use {} for the defaults)`);
    return;
  }
  const v = spec as Record<string, unknown>;
  if (v.from !== undefined && !(isStringArray(v.from) && v.from.length > 0)) problems.push(`variable ${key}: 'from' must be a non-empty array of variable names`);
  if (v.decode !== undefined && v.decode !== 'base64') problems.push(`variable ${key}: 'decode' can only be 'base64'`);
  if (v.encodings !== undefined && !(isStringArray(v.encodings) && v.encodings.length > 0 && v.encodings.every((e) => e === 'base64' || e === 'slash'))) problems.push(`variable ${key}: 'encodings' must list 'base64' and/or 'slash'`);
  if (v.shape !== undefined && Object.prototype.toString.call(v.shape) !== '[object RegExp]') problems.push(`variable ${key}: 'shape' must be a regular expression`);
  if (v.default !== undefined && typeof v.default !== 'string') problems.push(`variable ${key}: 'default' must be a string`);
  if (v.secret !== undefined && typeof v.secret !== 'boolean') problems.push(`variable ${key}: 'secret' must be a boolean`);
  if (v.allowed !== undefined && !isStringArray(v.allowed)) problems.push(`variable ${key}: 'allowed' must be an array of strings`);
  if (v.transform !== undefined && typeof v.transform !== 'function') problems.push(`variable ${key}: 'transform' must be a function`);
  if (v.template !== undefined && !(typeof v.template === 'string' && v.from === undefined && v.decode === undefined && v.encodings === undefined)) problems.push(`variable ${key}: 'template' must be a string, without 'from', 'decode' or 'encodings'`);
  const required = v.required;
  if (required !== undefined && typeof required !== 'boolean' && !isCondition(required)) problems.push(`variable ${key}: 'required' must be a boolean or { when: { KEY: value } }`);
}

function isCondition(value: unknown): value is { when: Record<string, string | string[]> } {
  if (typeof value !== 'object' || value === null) return false;
  const when = (value as { when?: unknown }).when;
  return typeof when === 'object' && when !== null && !Array.isArray(when) && Object.values(when).every((expected) => typeof expected === 'string' || isStringArray(expected));
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isDirectoryName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string`;
  return typeof value === 'object' ? 'an object' : `${typeof value}`;
}
