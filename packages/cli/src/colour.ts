import { styleText } from 'node:util';
import type { Environment } from '@comfy-secrets/core';
import type { Output } from './fd-output';

/**
 * What the user asked for: `FORCE_COLOR` (any value but `0`/`false` forces colour on, those force it
 * off) wins over `NO_COLOR` (any non-empty value turns it off), as in Node's own colour support;
 * otherwise colour follows the terminal.
 */
export type ColourChoice = 'auto' | 'always' | 'never';

export function colourChoice(env: Environment): ColourChoice {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force === '0' || force.toLowerCase() === 'false' ? 'never' : 'always';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 'never';
  // A terminal that says it cannot show escapes (Emacs' shell, some CI consoles) is no terminal for colour.
  return env.TERM === 'dumb' ? 'never' : 'auto';
}

/** Whether text written to `output` is coloured. `isTTY` is asked only in `auto`, and only when something is about to be printed. */
export function colourOn(choice: ColourChoice, output: Output): boolean {
  return choice === 'always' || (choice === 'auto' && output.isTTY);
}

export type Style = 'red' | 'green' | 'yellow' | 'cyan' | 'dim' | 'bold';

/**
 * Wraps already-redacted text in SGR codes. Node's `util.styleText` rather than a dependency: it is
 * built in (Node 20.12+) and the CLI makes its own decision from the environment it was handed, so
 * `validateStream: false` keeps styleText from asking `process.stdout` (whose stream modules the
 * CLI avoids loading) or reading `process.env` itself.
 */
export type Paint = (style: Style | readonly Style[], text: string) => string;

const paintWithCodes: Paint = (style, text) => (text === '' ? text : styleText(style as Style | Style[], text, { validateStream: false }));

/** A painter that colours, or one that returns its text as it is. */
export function painter(on: boolean): Paint | undefined {
  return on ? paintWithCodes : undefined;
}

/**
 * `comfy-secrets: error CODE:` / `comfy-secrets: internal error:` in red, in a message that was
 * redacted first: colour is only ever added around text that is already safe to print.
 */
export function paintMessage(redacted: string, paint: Paint | undefined): string {
  if (!paint) return redacted;
  return redacted.replace(/^(comfy-secrets(?: [a-z-]+)?: )((?:internal )?error(?: [A-Z0-9_]+)?:)/, (_all, head: string, what: string) => `${head}${paint(['bold', 'red'], what)}`);
}

const LEVEL_STYLE: Record<string, Style | readonly Style[]> = { error: ['bold', 'red'], warn: 'yellow', info: 'cyan', debug: 'dim' };

/** A text log line (`comfy-secrets warn  message key=value`), already redacted by the logger: its level coloured. */
export function paintLogLine(redacted: string, paint: Paint | undefined): string {
  if (!paint) return redacted;
  return redacted.replace(/^comfy-secrets (error|warn|info|debug)( *)/, (_all, level: string, pad: string) => `comfy-secrets ${paint(LEVEL_STYLE[level] ?? 'dim', level)}${pad}`);
}
