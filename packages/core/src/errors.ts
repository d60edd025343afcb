/** Exit codes of the `comfy-secrets` command, documented in `--help` and the README. */
export const ExitCode = {
  ok: 0,
  /** A sink failed: missing or invalid input, a value its readers cannot carry, a file another sink writes, an unsafe or failed write. */
  sinkFailed: 1,
  /** Usage or configuration: unknown flag, bad plugin, duplicate sink, missing dependency, cycle, a bad -f file, an unknown --only name, no custom_nodes/, no --secrets-dir. */
  config: 2,
  /** A bug in comfy-secrets. */
  internal: 70,
} as const;

/** Where an error happened. Never a value: these fields are printed and logged. */
export interface ErrorContext {
  sink?: string;
  file?: string;
  variable?: string;
  /** Plugin package (or path) an error is about. */
  plugin?: string;
  cause?: unknown;
}

/** Base of every error comfy-secrets expects; anything else is an internal error (exit 70). */
export class ComfySecretsError extends Error {
  readonly sink?: string;
  readonly file?: string;
  readonly variable?: string;
  readonly plugin?: string;

  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number,
    context: ErrorContext = {},
  ) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = new.target.name;
    this.sink = context.sink;
    this.file = context.file;
    this.variable = context.variable;
    this.plugin = context.plugin;
  }

  /** The error as `--json` shows it. */
  toJSON(): Record<string, string | undefined> {
    return { code: this.code, message: this.message, sink: this.sink, file: this.file, variable: this.variable, plugin: this.plugin };
  }
}

/** Bad configuration or usage: the whole run stops before any file is written (exit 2). */
export class ConfigError extends ComfySecretsError {
  constructor(code: string, message: string, context?: ErrorContext) {
    super(code, message, ExitCode.config, context);
  }
}

/** One sink cannot be written; the others still run (exit 1). */
export class SinkError extends ComfySecretsError {
  constructor(code: string, message: string, context?: ErrorContext) {
    super(code, message, ExitCode.sinkFailed, context);
  }
}

/** The name of a Node error code (`ENOENT`…), for messages that must not echo paths' contents. */
export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}
