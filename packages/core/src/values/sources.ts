import * as path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { describeEncodings, readEncoded, type Encoding } from './base64';
import { ConfigError, SinkError } from '../errors';
import type { FileSystem } from '../fs';
import { MAX_ENV_FILE_BYTES, readSourceFile, SourceFileProblem } from './read-file';

export type Environment = Readonly<Record<string, string | undefined>>;

export interface SourceOptions {
  /** The platform's environment, as the CLI's entry read it. */
  env: Environment;
  /**
   * Names of `env` whose raw value is not valid UTF-8 (Node decodes the environment lossily, so
   * `env` holds them with U+FFFD): a sink that reads one fails instead of writing a changed value.
   */
  invalidUtf8?: ReadonlySet<string>;
  /** dotenv files, later ones overriding earlier ones. */
  envFiles?: readonly string[];
  /** Let `envFiles` override `env` (by default the real environment wins). */
  override?: boolean;
  /** A directory holding one file per variable, e.g. `/run/secrets`. */
  secretsDir?: string;
  cwd: string;
  fs: FileSystem;
}

/** A value found for a source name, and where: the variable or file name, never the value. */
export interface Found {
  value: string;
  origin: string;
}

/** How `NAME_ENCODED` is read for one variable (contract `VariableSpec.encodings` and `shape`). */
export interface EncodedOptions {
  encodings?: readonly Encoding[];
  shape?: RegExp;
}

const BASE64_ONLY: readonly Encoding[] = ['base64'];

/**
 * Every place a variable can come from, resolved in one place. For a name `N`, in precedence order:
 *  1. `N` in the environment (the platform's, merged with `--env-file`s: the platform wins unless
 *     `--override`; later env files win over earlier ones);
 *  2. `N_ENCODED` there, decoded by the encodings its variable declares (base64 by default);
 *  3. `N_FILE` there: the path of a file holding the value (Docker secrets convention);
 *  4. the file `N` in `--secrets-dir`.
 * An empty value counts as unset. When several of 1–3 are set they must agree, or the lookup fails
 * naming them: a silently preferred stale value is worse than an error. Files lose one trailing
 * newline, as `$(cat file)` would. Every file read must be a regular file of UTF-8 text, at most
 * 1 MiB for a value and 16 MiB for an env file.
 */
export class Sources {
  private readonly vars: Map<string, string>;
  /** Merged names whose value is the environment's and not valid UTF-8, with where it came from. */
  private readonly invalid: Map<string, string>;
  /** Names `N` for which `N_ENCODED` or `N_FILE` is set: only these need the agreement check. */
  private readonly indirect = new Set<string>();

  constructor(private readonly options: SourceOptions) {
    if (options.secretsDir !== undefined) checkSecretsDir(options);
    ({ vars: this.vars, invalid: this.invalid } = mergeLayers(options));
    for (const name of this.vars.keys()) {
      const base = name.endsWith('_ENCODED') ? name.slice(0, -8) : name.endsWith('_FILE') ? name.slice(0, -5) : undefined;
      if (base !== undefined) this.indirect.add(base);
    }
  }

  /** The merged environment's names, for tools that scan it (audit). */
  names(): string[] {
    return [...this.vars.keys()];
  }

  /**
   * The platform environment's own value of `name` (not merged with env files; `''` when it is set
   * empty): what a process started with this environment has before it reads any file.
   */
  environmentValue(name: string): string | undefined {
    return Object.hasOwn(this.options.env, name) ? this.options.env[name] : undefined;
  }

  /** Whether any source of `name` is set, without reading a file: for the run's "nothing applied" warning. */
  isSet(name: string): boolean {
    if (this.vars.has(name) || this.vars.has(`${name}_ENCODED`) || this.vars.has(`${name}_FILE`)) return true;
    return this.options.secretsDir !== undefined && isPlainName(name) && this.options.fs.existsSync(path.resolve(this.options.cwd, this.options.secretsDir, name));
  }

  /** @throws SinkError for an invalid encoding, disagreeing sources, a bad file or text that is not UTF-8. */
  lookup(name: string, encoded: EncodedOptions = {}): Found | undefined {
    const direct = this.get(name);
    // Most names have no _ENCODED or _FILE twin: no strings to build, nothing to compare.
    if (!this.indirect.has(name)) return direct ? { value: direct, origin: name } : this.fromSecretsDir(name);
    const found: Found[] = [];
    if (direct) found.push({ value: direct, origin: name });

    const file = this.get(`${name}_FILE`);
    const fromFile = file ? this.readValueFile(file, `${name}_FILE`) : '';

    const encodedValue = this.get(`${name}_ENCODED`);
    if (encodedValue) found.push(this.decodeEncoded(name, encodedValue, encoded, [direct, fromFile]));
    if (fromFile) found.push({ value: fromFile, origin: `${name}_FILE` });

    const [first, ...others] = found;
    const disagreeing = others.find((other) => other.value !== first?.value);
    if (first && disagreeing) {
      throw new SinkError(
        'CONFLICTING_SOURCES',
        `${first.origin} and ${disagreeing.origin} are both set but hold different values; set only one`,
        { variable: name },
      );
    }
    return first ?? this.fromSecretsDir(name);
  }

  /** A merged variable's value; one taken from the environment with bytes that are not UTF-8 fails here. */
  private get(name: string): string | undefined {
    const value = this.vars.get(name);
    if (value && this.invalid.size > 0 && this.invalid.has(name)) {
      throw new SinkError('INVALID_UTF8', `${name} in ${this.invalid.get(name) ?? 'the environment'} is not valid UTF-8 text; comfy-secrets refuses it rather than write it changed`, { variable: name });
    }
    return value;
  }

  private decodeEncoded(name: string, value: string, options: EncodedOptions, others: ReadonlyArray<string | undefined>): Found {
    const origin = `${name}_ENCODED`;
    const encodings = options.encodings ?? BASE64_ONLY;
    const readings = readEncoded(value, encodings, options.shape);
    const [only, ...more] = readings.values;
    if (only === undefined) {
      const code = encodings.length === 1 && encodings[0] === 'base64' ? 'INVALID_BASE64' : 'INVALID_ENCODING';
      throw new SinkError(code, `${origin} ${readings.problems.join('; ')}`, { variable: origin });
    }
    if (more.length === 0) return { value: only.value, origin };
    // Two readings differ: a source that is also set says which one is meant; nothing else may guess.
    const agreeing = readings.values.find((reading) => others.includes(reading.value));
    if (agreeing) return { value: agreeing.value, origin };
    const forms = readings.values.map((reading) => describeEncodings(reading.encodings)).join(' and as ');
    throw new SinkError('AMBIGUOUS_ENCODING', `${origin} reads as ${forms}, which give different values; set ${name} (or ${name}_FILE) instead, or as well to say which`, { variable: origin });
  }

  private fromSecretsDir(name: string): Found | undefined {
    if (this.options.secretsDir && isPlainName(name)) {
      const candidate = path.resolve(this.options.cwd, this.options.secretsDir, name);
      const value = this.options.fs.existsSync(candidate) ? this.readValueFile(candidate, `${name} in --secrets-dir`, name) : '';
      if (value) return { value, origin: `secrets-dir/${name}` };
    }
    return undefined;
  }

  private readValueFile(file: string, origin: string, variable = origin): string {
    let text: string;
    try {
      text = readSourceFile(this.options.fs, path.resolve(this.options.cwd, file));
    } catch (error) {
      if (!(error instanceof SourceFileProblem)) throw error;
      const code = { 'not-regular': 'SOURCE_NOT_A_FILE', 'too-big': 'SOURCE_TOO_BIG', 'invalid-utf8': 'INVALID_UTF8', unreadable: 'SOURCE_UNREADABLE' }[error.reason];
      const message = error.reason === 'unreadable' ? `cannot read the file named by ${origin} (${error.message})` : `the file named by ${origin} ${error.message}`;
      throw new SinkError(code, message, { variable, cause: error });
    }
    return text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
  }
}

/** A mistyped `--secrets-dir` would otherwise read nothing and start the container without its secrets. */
function checkSecretsDir(options: SourceOptions): void {
  const dir = path.resolve(options.cwd, options.secretsDir as string);
  let isDirectory = false;
  try {
    isDirectory = options.fs.statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDirectory) throw new ConfigError('SECRETS_DIR_MISSING', `--secrets-dir ${options.secretsDir} is not a directory`, { file: dir });
}

function readEnvFile(options: SourceOptions, file: string): string {
  try {
    return readSourceFile(options.fs, path.resolve(options.cwd, file), MAX_ENV_FILE_BYTES);
  } catch (error) {
    if (!(error instanceof SourceFileProblem)) throw error;
    if (error.reason === 'unreadable') throw new ConfigError('ENV_FILE_UNREADABLE', `cannot read --env-file ${file} (${error.message})`, { file, cause: error });
    throw new ConfigError(error.reason === 'invalid-utf8' ? 'INVALID_UTF8' : 'ENV_FILE_UNREADABLE', `--env-file ${file} ${error.message}`, { file, variable: error.variable, cause: error });
  }
}

function mergeLayers(options: SourceOptions): { vars: Map<string, string>; invalid: Map<string, string> } {
  const invalid = new Map<string, string>();
  const invalidUtf8 = options.invalidUtf8;
  const fromFiles = new Map<string, string>();
  for (const file of options.envFiles ?? []) {
    // Empty counts as unset here too, so a later file's `KEY=` does not hide an earlier file's value.
    const parsed = parseDotenv(readEnvFile(options, file));
    // for-in rather than Object.entries: no [name, value] array per line of a 20,000-line file.
    for (const name in parsed) {
      const value = parsed[name];
      if (Object.hasOwn(parsed, name) && value !== undefined && value !== '') fromFiles.set(name, value);
    }
  }
  const markIfInvalid = (name: string) => invalidUtf8?.has(name) && invalid.set(name, 'the environment');
  // Empty counts as unset, so an empty platform variable does not hide an env file's value. The lower
  // layer's names come first (audit lists them in this order).
  if (!options.override) {
    for (const [name, value] of Object.entries(options.env)) {
      if (!value) continue;
      fromFiles.set(name, value);
      markIfInvalid(name);
    }
    return { vars: fromFiles, invalid };
  }
  const merged = new Map<string, string>();
  for (const [name, value] of Object.entries(options.env)) {
    if (!value) continue;
    merged.set(name, value);
    if (!fromFiles.has(name)) markIfInvalid(name);
  }
  for (const [name, value] of fromFiles) merged.set(name, value);
  return { vars: merged, invalid };
}

/** Secrets-dir lookups take a bare file name only, so a variable name can never walk out of it. */
function isPlainName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name) && !name.includes('..');
}
