import type { DiscoveryOptions, Environment, FileSystem, Redactor } from '@comfy-secrets/core';
import type { ColourChoice } from './colour';
import type { Output } from './fd-output';

/** Everything a command may touch of the outside world, handed in by the entry point. */
export interface CliContext {
  /** The process environment, read once by the entry point. */
  env: Environment;
  /** Names in `env` whose raw value is not valid UTF-8 (read by the entry from /proc/self/environ). */
  invalidUtf8Env?: ReadonlySet<string>;
  cwd: string;
  stdout: Output;
  stderr: Output;
  fs: FileSystem;
  /**
   * The CLI package's directory: discovery starts from the project that installed it. None for the
   * single executable, which no project installs (it finds sinks with --project, --plugin, pluginsDir).
   */
  cliDir?: string;
  /** Sinks built into the program (the single executable's shipped sinks). */
  bundledSinks?: DiscoveryOptions['bundled'];
  /** A directory whose every entry is loaded as if given with --plugin (the single executable's `plugins/` beside it). */
  pluginsDir?: string;
  /** Knows every secret value seen so far; everything printed passes through it. */
  redactor: Redactor;
  /** From `NO_COLOR`, `FORCE_COLOR` and `TERM` in `env`: whether text for a person is coloured (README "CLI"). */
  colour: ColourChoice;
}
