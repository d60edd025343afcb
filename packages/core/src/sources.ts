import * as path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { decodeBase64Strict } from './base64';
import { ConfigError, SinkError, errnoCode } from './errors';
import type { FileSystem } from './fs';

export type Environment = Readonly<Record<string, string | undefined>>;

export interface SourceOptions {
  /** The platform's environment, as the CLI's entry read it. */
  env: Environment;
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

/**
 * Every place a variable can come from, resolved in one place. For a name `N`, in precedence order:
 *  1. `N` in the environment (the platform's, merged with `--env-file`s: the platform wins unless
 *     `--override`; later env files win over earlier ones);
 *  2. `N_ENCODED` there, decoded as strict base64;
 *  3. `N_FILE` there: the path of a file holding the value (Docker secrets convention);
 *  4. the file `N` in `--secrets-dir`.
 * An empty value counts as unset. When several of 1–3 are set they must agree, or the lookup fails
 * naming them: a silently preferred stale value is worse than an error. Files lose one trailing
 * newline, as `$(cat file)` would.
 */
export class Sources {
  private readonly vars: Map<string, string>;
  /** Names `N` for which `N_ENCODED` or `N_FILE` is set: only these need the agreement check. */
  private readonly indirect = new Set<string>();

  constructor(private readonly options: SourceOptions) {
    this.vars = mergeLayers(options);
    for (const name of this.vars.keys()) {
      const base = name.endsWith('_ENCODED') ? name.slice(0, -8) : name.endsWith('_FILE') ? name.slice(0, -5) : undefined;
      if (base !== undefined) this.indirect.add(base);
    }
  }

  /** The merged environment's names, for tools that scan it (audit). */
  names(): string[] {
    return [...this.vars.keys()];
  }

  /** @throws SinkError for invalid base64, disagreeing sources or an unreadable file. */
  lookup(name: string): Found | undefined {
    const direct = this.vars.get(name);
    // Most names have no _ENCODED or _FILE twin: no strings to build, nothing to compare.
    if (!this.indirect.has(name)) return direct ? { value: direct, origin: name } : this.fromSecretsDir(name);
    const found: Found[] = [];
    if (direct) found.push({ value: direct, origin: name });

    const encoded = this.vars.get(`${name}_ENCODED`);
    if (encoded) {
      const decoded = decodeBase64Strict(encoded);
      if ('problem' in decoded) {
        throw new SinkError('INVALID_BASE64', `${name}_ENCODED ${decoded.problem}`, { variable: `${name}_ENCODED` });
      }
      found.push({ value: decoded.value, origin: `${name}_ENCODED` });
    }

    const file = this.vars.get(`${name}_FILE`);
    const fromFile = file ? this.readValueFile(file, `${name}_FILE`) : '';
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

  private fromSecretsDir(name: string): Found | undefined {
    if (this.options.secretsDir && isPlainName(name)) {
      const candidate = path.resolve(this.options.cwd, this.options.secretsDir, name);
      const value = this.options.fs.existsSync(candidate) ? this.readValueFile(candidate, `${name} in --secrets-dir`) : '';
      if (value) return { value, origin: `secrets-dir/${name}` };
    }
    return undefined;
  }

  private readValueFile(file: string, origin: string): string {
    try {
      const text = this.options.fs.readFileSync(path.resolve(this.options.cwd, file), 'utf8');
      return text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
    } catch (error) {
      throw new SinkError('SOURCE_UNREADABLE', `cannot read the file named by ${origin} (${errnoCode(error) ?? 'error'})`, {
        variable: origin,
        cause: error,
      });
    }
  }
}

function mergeLayers(options: SourceOptions): Map<string, string> {
  const fromFiles = new Map<string, string>();
  for (const file of options.envFiles ?? []) {
    let text: string;
    try {
      text = options.fs.readFileSync(path.resolve(options.cwd, file), 'utf8');
    } catch (error) {
      throw new ConfigError('ENV_FILE_UNREADABLE', `cannot read --env-file ${file} (${errnoCode(error) ?? 'error'})`, { file, cause: error });
    }
    // Empty counts as unset here too, so a later file's `KEY=` does not hide an earlier file's value.
    const parsed = parseDotenv(text);
    // for-in rather than Object.entries: no [name, value] array per line of a 20,000-line file.
    for (const name in parsed) {
      const value = parsed[name];
      if (Object.hasOwn(parsed, name) && value !== undefined && value !== '') fromFiles.set(name, value);
    }
  }
  // Empty counts as unset, so an empty platform variable does not hide an env file's value. The lower
  // layer's names come first (audit lists them in this order).
  if (!options.override) {
    for (const [name, value] of Object.entries(options.env)) if (value) fromFiles.set(name, value);
    return fromFiles;
  }
  const merged = new Map<string, string>();
  for (const [name, value] of Object.entries(options.env)) if (value) merged.set(name, value);
  for (const [name, value] of fromFiles) merged.set(name, value);
  return merged;
}

/** Secrets-dir lookups take a bare file name only, so a variable name can never walk out of it. */
function isPlainName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name) && !name.includes('..');
}
