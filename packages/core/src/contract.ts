/**
 * The plugin contract of comfy-secrets.
 *
 * A sink is a plain object that says which custom node it serves, which file it writes there, in which
 * format, and which variables go into it. Sinks hold no code that touches files or the environment:
 * the runner resolves every variable, validates it, renders the file and writes it safely. That keeps
 * every sink testable, auditable (`comfy-secrets list`) and unable to leak a value by accident.
 *
 * @example
 * ```ts
 * import { defineSink } from '@comfy-secrets/core';
 *
 * export default defineSink({
 *   name: 'eden_comfy_pipelines',
 *   nodes: ['eden_comfy_pipelines'],
 *   variables: {
 *     OPENAI_API_KEY: { required: true },
 *   },
 * });
 * ```
 */

/** Readers a dotenv file must be read identically by. */
export type DotenvReader =
  /** python-dotenv's `load_dotenv` / `dotenv_values`, with interpolation on (its default). */
  | 'python-dotenv'
  /** npm `dotenv`'s `parse` (and so `config`). */
  | 'node-dotenv'
  /** POSIX shell: `set -a; . ./.env; set +a`. */
  | 'bash'
  /** `docker run --env-file`: the value is everything after the first `=`, verbatim, on one line. */
  | 'docker';

/**
 * The rules of a node's own hand-written `name=value` reader (format `lines`). The reader takes the
 * first line that starts with `name=` (exactly: no space before the `=`), and the value is the rest of
 * that line; these options say what it then does to the value. A value it would change is refused.
 */
export interface LinesReader {
  /**
   * The reader strips whitespace from both ends of the value (Python's `str.strip()`), so a value with
   * whitespace at an edge is refused.
   * @default false
   */
  strip?: boolean;
  /**
   * Characters the reader deletes wherever they are in the value (say quotes), so a value holding one
   * of them is refused.
   * @default ''
   * @example `"'\u201c\u201d\u2018\u2019`
   */
  removes?: string;
}

/** How a sink's file is rendered. The string forms take each format's defaults. */
export type FormatSpec =
  | 'dotenv'
  | 'ini'
  | 'json'
  | 'yaml'
  | 'text'
  | {
      type: 'dotenv';
      /**
       * Every reader that must decode each value to the identical string. A value that no spelling
       * carries to all of them is refused, naming the key.
       * @default ['python-dotenv']
       */
      readers?: readonly DotenvReader[];
    }
  | {
      type: 'ini';
      /**
       * The section the keys are set in (configparser reads `[default]` as an ordinary section).
       * @default 'default'
       */
      section?: string;
      /**
       * Whether the reader is `ConfigParser()` (strict: a section or option that appears twice fails
       * its whole read) or `ConfigParser(strict=False)` (the last one wins). A merge follows it: an
       * existing file the reader would refuse is refused, one it reads is merged.
       * @default true
       */
      strict?: boolean;
      /**
       * How the node's configparser reads `%`. `'basic'`: `ConfigParser()`'s default
       * BasicInterpolation, so every `%` is written `%%`. `'none'`: `RawConfigParser()` or
       * `ConfigParser(interpolation=None)`, which read `%` as it is, so it is written as it is.
       * @default 'basic'
       */
      interpolation?: 'basic' | 'none';
    }
  | {
      type: 'json';
      /**
       * Merge the keys into an existing JSON object instead of replacing the file.
       * @default false
       */
      merge?: boolean;
      /**
       * Where a key goes in the object, as a path of member names; keys not listed are top-level
       * members of their own name. Missing objects on the way are created; a member on the way that
       * is not an object refuses the sink, naming the key. Implies nothing about `merge`.
       * @example { DEEPL: ['deep_translator_node', 'services', 'DeeplTranslator', 'api_key'] }
       */
      paths?: Readonly<Record<string, readonly string[]>>;
      /**
       * Write every non-ASCII character as a `\uXXXX` escape, so a reader that opens the file in the
       * locale's encoding (Python's `open(path)` without `encoding=`) reads the same text in any locale.
       * @default false
       */
      ascii?: boolean;
    }
  | {
      /**
       * YAML read by PyYAML (`yaml.load(…, Loader=FullLoader)` or `safe_load`), merged into the
       * document already there: other keys, their order and comments stay. Values are written as
       * double-quoted strings, which YAML 1.1 and 1.2 both read as the same string.
       */
      type: 'yaml';
      /**
       * Where a key goes, as a path of mapping keys and sequence indexes; keys not listed are
       * top-level keys of their own name. A missing mapping on the way is created; a sequence index
       * must already exist (use `initial`).
       * @example { STABILITY_API_KEY: ['STABILITY_API_KEY', 0, 'key'] }
       */
      paths?: Readonly<Record<string, readonly (string | number)[]>>;
      /**
       * Top-level keys set, when the document lacks them, before the keys are placed: the shape the
       * node itself creates on first use, so a path into it exists.
       * @example { STABILITY_API_KEY: [{ name: 'Default', key: '' }], STABILITY_API_DEFAULT: 0 }
       */
      initial?: Readonly<Record<string, unknown>>;
    }
  | {
      /**
       * The whole file is one value, with no line break at the end: a token file. The readers of
       * token files strip whitespace and line breaks, so a value with a line break or whitespace at an
       * edge is refused. The sink sets one key.
       */
      type: 'text';
    }
  | {
      /** `name=value` lines read by a node's hand-written parser; other lines are kept. */
      type: 'lines';
      reader: LinesReader;
    };

/**
 * When a variable is required.
 * - `true`: always; a missing value fails the sink.
 * - `{ when: { CLOUD_PROVIDER: 'azure' } }`: only while every listed key of the same sink resolves to
 *   the given value (or one of the given values). Keys in `when` are output keys of this sink.
 */
export type Requirement = boolean | { when: Readonly<Record<string, string | readonly string[]>> };

/** One key of the written file. */
export interface VariableSpec {
  /**
   * Source variable names, tried in order; the first one that is set wins. For every name `N` the
   * sources also look at `N_ENCODED` (see `encodings`), `N_FILE` (a path to read) and `--secrets-dir`/N.
   * @default [the output key]
   */
  from?: readonly string[];
  /**
   * What `N_ENCODED` may carry, for every source name `N` of this variable:
   * - `'base64'`: strict standard base64 of UTF-8 text (canonical padding, no whitespace);
   * - `'slash'`: the value with each `/` written `_SLASH_` (emprops, emp-job-queue); such a value
   *   holds no `/` of its own, and a value without `/` is its own `_SLASH_` form.
   *
   * Each listed encoding reads the value or gives a reason it cannot. One distinct reading is taken.
   * When several differ — `aGk=` is base64 of `hi` and its own `_SLASH_` form — `shape` drops those
   * it does not match; if more than one is still left, the plain `N` decides when it is set and equal
   * to one of them, and otherwise the sink fails (`AMBIGUOUS_ENCODING`) naming `N_ENCODED`: a value is
   * never decoded by a guess. The result must then agree with `N` and `N_FILE` when those are set.
   * @default ['base64']
   * @example encodings: ['base64', 'slash'], shape: /^[A-Za-z0-9+/]{40}$/ // an AWS secret access key
   */
  encodings?: readonly ('base64' | 'slash')[];
  /**
   * What a decoded value looks like, used only to choose between the differing readings of an
   * `_ENCODED` value (see `encodings`); no value is refused for not matching it.
   */
  shape?: RegExp;
  /**
   * Decode the resolved value before it is written. `'base64'` is strict: the standard alphabet,
   * canonical padding, no whitespace, and the result must be UTF-8 text.
   */
  decode?: 'base64';
  /** @default false */
  required?: Requirement;
  /** Written when no source is set. A default is never treated as a secret. */
  default?: string;
  /**
   * A secret's value is redacted from every log line and never shown by `plan`. Set `false` only for
   * values that are safe to print, such as a region or a provider name.
   * @default true
   */
  secret?: boolean;
  /** The value must be one of these (compared exactly, after `transform`). */
  allowed?: readonly string[];
  /**
   * Turns the resolved value into what is written, or throws an `Error` that says what is allowed.
   * The message must not contain the value: it is shown to operators and logged.
   * @example (value) => { if (!/^\d+$/.test(value)) throw new Error('must be a port number'); return value; }
   */
  transform?: (value: string) => string;
  /**
   * Build the value from several variables and literal text instead of reading one: every `${NAME}`
   * is replaced by NAME's value (looked up like a `from` name, so `NAME_ENCODED`, `NAME_FILE` and
   * `--secrets-dir` work too); all other text, including a `$` not followed by `{NAME}`, is literal.
   * When a referenced variable is unset the key is left out (or `default` is written) and the run
   * warns naming the key and the variable; `--strict` makes that an error. Excludes `from` and
   * `decode`; `transform` and `allowed` apply to the result.
   * @example 'postgres://${DB_USER}:${DB_PASSWORD}@db:5432/app'
   */
  template?: string;
}

/**
 * Directories outside the ComfyUI tree that a sink may write below, found from the environment of the
 * user ComfyUI runs as (the `--owner`'s home, else `$HOME`). A file there gets the same checks as one in
 * the node directory: no symbolic link on the way from the root's base, no path leaving the root.
 * - `'home'`: the home directory.
 * - `'xdg-config'`: `$XDG_CONFIG_HOME`, else `~/.config` (what platformdirs' `user_config_dir` uses on Linux).
 * - `'hf-home'`: huggingface_hub's `HF_HOME`: `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`.
 * - `'hf-token'`: the directory of huggingface_hub's token file: `$HF_TOKEN_PATH`'s directory, else
 *   `'hf-home'` (its file name is {@link TargetContext.hfTokenName}).
 */
export type OutsideRoot = 'home' | 'xdg-config' | 'hf-home' | 'hf-token';


/** The directory a path is relative to: ComfyUI's root, or its user directory (`--user-directory`, else `<root>/user`). */
export type TreeBase = 'comfyui' | 'user';

/** What a target's path is relative to: the node directory, the ComfyUI root, its user directory, or an {@link OutsideRoot}. */
export type TargetRoot = 'node' | TreeBase | OutsideRoot;

/** What `installedElsewhere` is given: the ComfyUI tree, read-only. */
export interface TreeContext {
  /** Absolute path of the ComfyUI root. */
  readonly comfyuiDir: string;
  /** Absolute path of ComfyUI's user directory: `--user-directory` when given, else `<comfyuiDir>/user`. */
  readonly userDir: string;
  /** Read a UTF-8 file relative to `comfyuiDir` (or `userDir`); `undefined` when it does not exist. */
  readText(relativePath: string, base?: TreeBase): string | undefined;
  /** Whether a path relative to `comfyuiDir` (or `userDir`) exists (without following a final symlink). */
  exists(relativePath: string, base?: TreeBase): boolean;
}

/** What a sink's `file` function is given to choose its target. */
export interface TargetContext extends TreeContext {
  /**
   * Absolute path of the custom node directory the sink applies to; `undefined` when the node is
   * installed outside `custom_nodes` (see {@link SecretSink.installedElsewhere}).
   */
  readonly nodeDir: string | undefined;
  /** The name of huggingface_hub's token file in the `'hf-token'` root: `$HF_TOKEN_PATH`'s last part, else `token`. */
  readonly hfTokenName: string;
}

/**
 * A condition on one output key that the chosen reader imposes: a value it would override or ignore,
 * or a key it needs. The run fails (`error`) or warns (`warn`) with `reason`, naming the variable and the key.
 */
export interface TargetRule {
  readonly key: string;
  /** `set`: applies when the key has a value (only one of `values`, when given); `unset`: when it has none. */
  readonly when: 'set' | 'unset';
  readonly values?: readonly string[];
  readonly level: 'error' | 'warn';
  /** Says what the reader does and what to do instead; never a value of a secret. */
  readonly reason: string;
}

/** Where a sink writes, when it has to look at the installed node to know. */
export interface TargetChoice {
  /** Relative to `relativeTo`; may not leave that directory. */
  path: string;
  /** `user`: ComfyUI's user directory (`--user-directory`); an {@link OutsideRoot}: below the home. @default 'node' */
  relativeTo?: TargetRoot;
  /** Why this location was chosen; shown by `plan` and `list`. */
  reason?: string;
  /** Only these output keys go to this file (a reader that reads some keys from another file). @default every key */
  keys?: readonly string[];
  /** This file's format, when the reader of this location reads differently (e.g. `strict`). @default the sink's `format` */
  format?: FormatSpec;
  /** Values written for keys the sources leave unset, in this file only (e.g. the defaults a reader assumes only when the file is missing). Never secret. */
  defaults?: Readonly<Record<string, string>>;
  /** Conditions this location's reader imposes; checked before anything is written. */
  rules?: readonly TargetRule[];
  /**
   * For a merging format, a file (relative to the ComfyUI root) whose content the keys are merged into
   * while the target does not exist yet: the template the node itself copies on its first start
   * (`config.ini.example`), so writing the keys first does not leave the node without the rest of it.
   */
  seed?: string;
}

/** Run order tier. Sinks run by tier, then by `dependencies`, then by name. */
export type Tier = 'pre' | 'normal' | 'post';

/** A plugin that writes one file into each installed custom node it serves. */
export interface SecretSink {
  /** Unique among the installed sinks; used by `--only`, `--skip` and `dependencies`. */
  readonly name: string;
  /**
   * Directory names under `custom_nodes/` this sink serves. Each one that exists gets the file; when
   * none exists the sink is skipped (not failed) with that reason, before its file is located or read.
   * Empty for a program that is not a custom node (comfy-cli, huggingface_hub): its `relativeTo` must
   * not be `'node'`, and `present` says where the program is found instead.
   */
  readonly nodes: readonly string[];
  /**
   * For a sink with no `nodes`: a path the program creates for itself where it is used (comfy-cli's
   * `~/.config/comfy-cli`). The sink applies only while it exists, and is skipped otherwise, as a node
   * sink is when its node is not installed. Without it, a sink with no nodes applies wherever one of
   * its variables is set.
   * @example { path: '.config/comfy-cli', relativeTo: 'home' }
   */
  readonly present?: { readonly path: string; readonly relativeTo: Exclude<TargetRoot, 'node'> };
  /**
   * The file to write, relative to the node directory (or to the ComfyUI root with
   * `relativeTo: 'comfyui'`). A function chooses it from what is installed; it may choose several
   * files, each with the keys its reader reads. Never code: a `.py` (or `.pyc`, `.pyi`, `.pth`,
   * `.so`…) file or anything in a `.git` directory is refused (`UNSAFE_PATH`).
   * @default '.env'
   */
  readonly file?: string | ((context: TargetContext) => TargetChoice | readonly TargetChoice[]);
  /**
   * The directory `file` is relative to. A sink is still applied only while one of its `nodes` is
   * installed, whichever root its file is in.
   * @default 'node'
   */
  readonly relativeTo?: TargetRoot;
  /**
   * For a node that can run without a directory under `custom_nodes` (ComfyUI-Manager v4 is a pip
   * package ComfyUI starts itself): asked when none of `nodes` exists. A string says how it is
   * installed, and the sink runs with `nodeDir` undefined; `undefined` means it is not installed.
   */
  readonly installedElsewhere?: (context: TreeContext) => string | undefined;
  /**
   * What happens when the node is not installed: `skip` it, or `fail-when-set` — fail when one of
   * its variables is set, because whoever set it expects it to take effect.
   * @default 'skip'
   */
  readonly whenNotInstalled?: 'skip' | 'fail-when-set';
  /** @default 'dotenv' (read by python-dotenv) */
  readonly format?: FormatSpec;
  /**
   * Output keys, in the order they are written. One platform variable may feed keys of several sinks
   * (`HF_TOKEN` into comfy-cli's `hf_api_token` and huggingface_hub's token file): each key names the
   * variables it takes in `from`, and `comfy-secrets list` shows the whole map.
   */
  readonly variables: Readonly<Record<string, VariableSpec>>;
  /**
   * Comment lines written at the top of the file (without the comment marker). When given, a
   * `Generated at: <ISO-8601 time>` line follows them; that line is ignored when deciding whether the
   * file changed. Formats without comments (json) leave the header out.
   */
  readonly header?: readonly string[];
  /** @default 'normal' */
  readonly order?: Tier;
  /** Sinks that must run before this one; a missing one is a configuration error. */
  readonly dependencies?: readonly string[];
  /**
   * Where the written file lives. `'memory'`: in a 0700 directory on a tmpfs, the target being a
   * symlink to it, so the container's disk never holds the secret. `'disk'`: a plain file at the
   * target — use it for a file the application itself rewrites (ComfyUI-Manager's `config.ini`): an
   * app that saves by writing a new file and renaming it over the path replaces the link, and its
   * changes would then be on disk anyway. `--store disk|memory` overrides the default, never `'disk'`.
   * @default memory when the file carries a secret (a secret variable is set) and a tmpfs exists, else disk
   */
  readonly store?: 'memory' | 'disk';
}

/**
 * Identity helper that gives a sink object full type checking and inference.
 * @example export default defineSink({ name: 'x', nodes: ['x'], variables: { HF_TOKEN: {} } });
 */
export function defineSink<const T extends SecretSink>(sink: T): T {
  return sink;
}
