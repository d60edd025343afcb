import { decodeBase64Strict } from './base64';
import type { Requirement, SecretSink, VariableSpec } from '../contract';
import { ComfySecretsError, SinkError } from '../errors';
import type { Redactor } from './redact';
import type { EncodedOptions, Found, Sources } from './sources';

/** What `plan` and reports say about one key: never its value. */
export interface VariableReport {
  key: string;
  /** The variable a user sets for this key, when that is another name (`COMFYUI_MANAGER_SECURITY_LEVEL`). */
  name?: string;
  state: 'set' | 'default' | 'missing';
  /** The source variable that supplied the value. */
  source?: string;
  length?: number;
  secret: boolean;
  /** `true`, `false`, or the condition, e.g. `when CLOUD_PROVIDER=azure`. */
  required: boolean | string;
  /** For a `template`: the referenced variables that are not set (why the key is missing). */
  unset?: string[];
}

export interface ResolvedVariables {
  entries: Array<[key: string, value: string]>;
  report: VariableReport[];
  errors: ComfySecretsError[];
}

/**
 * Resolves, decodes, transforms and checks every variable of a sink, collecting every problem so one
 * run shows them all. Secret values are handed to the redactor before anything can log them.
 */
export function resolveVariables(sink: SecretSink, sources: Sources, redactor: Redactor, strict = false): ResolvedVariables {
  const values = new Map<string, string>();
  const report: VariableReport[] = [];
  const errors: ComfySecretsError[] = [];
  const invalid = new Set<string>();

  for (const [key, spec] of Object.entries(sink.variables)) {
    const secret = spec.secret ?? true;
    const line: VariableReport = { key, state: 'missing', secret, required: describeRequirement(spec.required) };
    if (spec.from?.[0] !== undefined && spec.from[0] !== key) line.name = spec.from[0];
    report.push(line);
    try {
      const found =
        spec.template !== undefined
          ? fillTemplate(spec.template, sources, redactor, secret, line)
          : lookupFirst(spec.from ?? [key], sources, redactor, secret, spec);
      if (found === undefined && spec.default === undefined) continue;
      const set = found !== undefined;
      const value = finish(key, spec, set ? found.value : (spec.default as string), set ? found.origin : 'default', secret && set ? redactor : undefined);
      if (secret && set) redactor.add(value);
      values.set(key, value);
      line.state = set ? 'set' : 'default';
      line.source = set ? found.origin : undefined;
      line.length = value.length;
    } catch (error) {
      if (!(error instanceof ComfySecretsError)) throw error;
      // Two keys read from the same source (AWS_SECRET_ACCESS_KEY and its _ENCODED twin) fail once.
      if (!errors.some((other) => other.message === error.message)) errors.push(error);
      invalid.add(key);
    }
  }

  for (const line of report) {
    if (line.state !== 'missing' || invalid.has(line.key)) continue;
    const spec = sink.variables[line.key];
    if (spec && isRequired(spec.required, values)) {
      const names = line.unset ? line.unset.join(' and ') : (spec.from ?? [line.key]).join(' or ');
      const why = typeof line.required === 'string' ? ` (required ${line.required})` : '';
      errors.push(new SinkError('MISSING_REQUIRED', `${line.key} is required${why} but ${names} is not set`, { variable: line.key }));
    } else if (strict && line.unset) {
      const names = line.unset.join(', ');
      errors.push(new SinkError('MISSING_OPTIONAL', `${line.key} is left out because ${names} ${line.unset.length === 1 ? 'is' : 'are'} not set (--strict fails on a missing optional variable)`, { variable: line.key }));
    } else if (strict) {
      errors.push(new SinkError('MISSING_OPTIONAL', `${line.key} is not set (--strict fails on a missing optional variable)`, { variable: line.key }));
    }
  }

  return { entries: [...values], report, errors };
}

function lookupFirst(names: readonly string[], sources: Sources, redactor: Redactor, secret: boolean, encoded?: EncodedOptions): Found | undefined {
  for (const name of names) {
    const found = lookupOne(name, sources, redactor, secret, encoded);
    if (found) return found;
  }
  return undefined;
}

function lookupOne(name: string, sources: Sources, redactor: Redactor, secret: boolean, encoded?: EncodedOptions): Found | undefined {
  const found = sources.lookup(name, encoded);
  if (found && secret) redactor.add(found.value);
  return found;
}

/** A `${NAME}` in a template; audit reads templates with the same pattern. */
export const TEMPLATE_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const WHOLE_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/**
 * Fills every `${NAME}` of a template from the sources. An unset reference leaves the whole value
 * unresolved (recorded on the report line, so the runner can warn naming it), never half-filled.
 */
function fillTemplate(template: string, sources: Sources, redactor: Redactor, secret: boolean, line: VariableReport): Found | undefined {
  // `${NAME}` alone (every value of a config_nodes.json) is the variable itself.
  const whole = WHOLE_REFERENCE.exec(template);
  if (whole) {
    const name = whole[1] as string;
    const found = lookupOne(name, sources, redactor, secret);
    if (!found) line.unset = [name];
    return found;
  }
  const origins: string[] = [];
  const unset: string[] = [];
  const value = template.replace(TEMPLATE_REFERENCE, (_match, name: string) => {
    const found = lookupFirst([name], sources, redactor, secret);
    if (!found) {
      if (!unset.includes(name)) unset.push(name);
      return '';
    }
    if (!origins.includes(found.origin)) origins.push(found.origin);
    return found.value;
  });
  if (unset.length > 0) {
    line.unset = unset;
    return undefined;
  }
  return { value, origin: origins.length > 0 ? origins.join('+') : 'template' };
}

/** `redactor` is given for a secret: it learns the decoded value before a transform can quote it. */
function finish(key: string, spec: VariableSpec, raw: string, origin: string, redactor?: Redactor): string {
  let value = raw;
  if (spec.decode === 'base64') {
    const decoded = decodeBase64Strict(value);
    if ('problem' in decoded) throw new SinkError('INVALID_BASE64', `${key}: ${origin} ${decoded.problem}`, { variable: key });
    value = decoded.value;
  }
  if (spec.transform) {
    redactor?.add(value);
    let transformed: unknown;
    try {
      transformed = spec.transform(value);
    } catch (error) {
      // A plugin's message may quote the value it was given: kept only when it quotes no piece of a secret.
      const message: unknown = error instanceof Error ? error.message : undefined;
      const reason = typeof message === 'string' && !redactor?.quotesPiece(message) ? message : 'is not valid';
      throw new SinkError('INVALID_VALUE', `${subject(key, origin)} ${reason}`, { variable: key });
    }
    // Plugins are plain JavaScript: the declared return type is a promise nothing checked.
    if (typeof transformed !== 'string') throw new SinkError('INVALID_VALUE', `${subject(key, origin)}: its transform must return a string`, { variable: key });
    value = transformed;
  }
  if (spec.allowed && !spec.allowed.includes(value)) {
    throw new SinkError('INVALID_VALUE', `${subject(key, origin)} must be one of: ${spec.allowed.join(', ')}`, { variable: key });
  }
  return value;
}

function isRequired(requirement: Requirement | undefined, values: ReadonlyMap<string, string>): boolean {
  if (typeof requirement !== 'object') return requirement === true;
  return Object.entries(requirement.when).every(([key, expected]) => {
    const actual = values.get(key);
    return actual !== undefined && (typeof expected === 'string' ? actual === expected : expected.includes(actual));
  });
}

function describeRequirement(requirement: Requirement | undefined): boolean | string {
  if (typeof requirement !== 'object') return requirement === true;
  const conditions = Object.entries(requirement.when).map(([key, expected]) => `${key}=${typeof expected === 'string' ? expected : expected.join('|')}`);
  return `when ${conditions.join(' and ')}`;
}

/**
 * Who a message is about: the variable the user set, with the key it becomes beside it when that is
 * another name (`COMFYUI_MANAGER_SECURITY_LEVEL (security_level)`), else the key and its source.
 */
function subject(key: string, origin: string): string {
  return origin.startsWith(key) ? `${key} (from ${origin})` : `${origin} (${key})`;
}
