// The command line: a table of plain command objects, parsed by Node's own `util.parseArgs`, with the
// help text rendered from the same table. parseArgs is maintained with Node and costs nothing to load;
// the parser library used before (commander) took about a tenth of every container start to load,
// with the child_process module it pulls in (docs/performance.md).
import { parseArgs } from 'node:util';
import { ConfigError } from '@comfy-secrets/core';
import type { CliContext } from './context';

/** One option, as the parser and the help text see it. */
export interface OptionSpec {
  /** Long name without dashes. The command gets its value under the camelCase name: `env-file` → `envFile`. */
  name: string;
  /** A one-letter alias: `f` for `-f`. */
  short?: string;
  /** The value's placeholder in the help, e.g. `<file>`; an option without one is a switch. */
  value?: string;
  /** Given more than once, every value is kept, in order (the default is `[]`). */
  repeatable?: boolean;
  choices?: readonly string[];
  /** Turns the text given into the value the command receives; throws a `ConfigError` to refuse it. */
  parse?: (text: string) => unknown;
  description: string;
}

/** A subcommand: a plain object, like a sink. */
export interface CommandSpec<Flags = never> {
  name: string;
  description: string;
  /** Positional arguments, shown in the usage line: `<name>`, or `<command...>` for several. */
  argument?: { name: string; description: string; variadic?: boolean };
  /** The usage line after the command name, when the default one would mislead. */
  usage?: string;
  options: readonly OptionSpec[];
  /** Everything from the first argument (or after `--`) belongs to the argument, options included: `exec`. */
  passThrough?: boolean;
  /** Printed after the options in the command's help. */
  epilog?: string;
  run(flags: Flags, args: string[], context: CliContext): number | Promise<number>;
}

// Commands with different flag types live in one table; each receives the flags its own options produce.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = CommandSpec<any>;

export interface Program {
  name: string;
  description: string;
  version: string;
  commands: readonly AnyCommand[];
  /** Printed after the command list in the top-level help. */
  epilog: string;
}

/** What the command line asks for. */
export type Invocation =
  | { kind: 'run'; command: AnyCommand; flags: Record<string, unknown>; args: string[] }
  | { kind: 'print'; text: string };

/** A usage error: printed with a pointer to `--help`, exit 2. */
export class UsageError extends ConfigError {
  constructor(message: string) {
    super('BAD_USAGE', message);
  }
}

export function parseCommandLine(program: Program, argv: readonly string[]): Invocation {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError(`a command is needed: ${program.name} <command> [options], where the commands are ${commandNames(program)}`);
  if (first === '-h' || first === '--help') return { kind: 'print', text: programHelp(program) };
  if (first === '-v' || first === '--version') return { kind: 'print', text: `${program.version}\n` };
  if (first === 'help') {
    const named = rest[0] === undefined ? undefined : findCommand(program, rest[0]);
    return { kind: 'print', text: named ? commandHelp(program, named) : programHelp(program) };
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option '${first}' (options come after the command)`);
  const command = findCommand(program, first);

  const { tokens } = parseArgs({ args: rest, options: parserOptions(command), strict: false, allowPositionals: true, tokens: true });
  // A pass-through command's own options end at its first argument or at `--`; the rest is the argument.
  const cut = command.passThrough ? tokens.find((token) => token.kind === 'positional' || token.kind === 'option-terminator') : undefined;
  const ours = cut ? tokens.filter((token) => token.index < cut.index) : tokens;
  if (ours.some((token) => token.kind === 'option' && (token.name === 'help' || token.rawName === '-h'))) {
    return { kind: 'print', text: commandHelp(program, command) };
  }

  const flags: Record<string, unknown> = {};
  for (const option of command.options) if (option.repeatable) flags[camelCase(option.name)] = [];
  const args: string[] = [];
  for (const token of ours) {
    if (token.kind === 'positional') {
      if (!command.argument) throw new UsageError(`unexpected argument '${token.value}' for ${command.name}`);
      args.push(token.value);
    } else if (token.kind === 'option') {
      const option = command.options.find((candidate) => candidate.name === token.name);
      if (!option) throw new UsageError(`unknown option '${token.rawName}' for ${command.name}`);
      flags[camelCase(option.name)] = optionValue(option, token, flags[camelCase(option.name)]);
    }
  }
  if (cut) args.push(...rest.slice(cut.kind === 'option-terminator' ? cut.index + 1 : cut.index));
  if (command.argument && args.length === 0) throw new UsageError(`${command.name} needs ${argumentLabel(command)}`);
  if (command.argument && !command.argument.variadic && args.length > 1) throw new UsageError(`${command.name} takes one ${command.argument.name} (got ${args.length})`);
  return { kind: 'run', command, flags, args };
}

type OptionToken = { kind: 'option'; rawName: string; value?: string; inlineValue?: boolean };

function optionValue(option: OptionSpec, token: OptionToken, previous: unknown): unknown {
  const label = `--${option.name}${option.value ? ` ${option.value}` : ''}`;
  if (!option.value) {
    if (token.value !== undefined) throw new UsageError(`option '${label}' takes no value (got '${token.rawName}=${token.value}')`);
    return true;
  }
  // `--comfyui-dir --json` is a forgotten value, not a directory named "--json"; `--name=-x` says it is meant.
  if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-'))) throw new UsageError(`option '${label}' needs a value`);
  const text = token.value;
  if (option.choices && !option.choices.includes(text)) {
    throw new UsageError(`option '${label}' takes ${option.choices.join(', ')} (got '${text}')`);
  }
  const value = option.parse ? option.parse(text) : text;
  return option.repeatable ? [...(previous as unknown[]), value] : value;
}

function findCommand(program: Program, name: string): AnyCommand {
  const command = program.commands.find((candidate) => candidate.name === name);
  if (!command) throw new UsageError(`unknown command '${name}'; the commands are ${commandNames(program)}`);
  return command;
}

function commandNames(program: Program): string {
  return program.commands.map((command) => command.name).join(', ');
}

function parserOptions(command: AnyCommand) {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = { help: { type: 'boolean', short: 'h' } };
  for (const option of command.options) {
    options[option.name] = { type: option.value ? 'string' : 'boolean', ...(option.short ? { short: option.short } : {}) };
  }
  return options;
}

function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

// ---------------------------------------------------------------------------------------------
// Help text

const WIDTH = 80;

export function programHelp(program: Program): string {
  const rows = program.commands.map((command) => [`${command.name}${command.argument ? ` ${argumentLabel(command)}` : ''}`, command.description] as const);
  return [
    `Usage: ${program.name} <command> [options]`,
    '',
    wrap(program.description, WIDTH),
    '',
    'Commands:',
    ...table(rows),
    '',
    'Options:',
    ...table([
      ['-v, --version', 'print the version'],
      ['-h, --help', `this help; ${program.name} <command> --help (or help <command>) for a command's options`],
    ]),
    program.epilog,
  ].join('\n');
}

export function commandHelp(program: Program, command: AnyCommand): string {
  const usage = command.usage ?? `[options]${command.argument ? ` ${argumentLabel(command)}` : ''}`;
  const options = [...command.options.map((option) => [optionLabel(option), option.description] as const), ['-h, --help', 'this help'] as const];
  return [
    `Usage: ${program.name} ${command.name} ${usage}`,
    '',
    wrap(command.description, WIDTH),
    ...(command.argument ? ['', 'Arguments:', ...table([[command.argument.name, command.argument.description]])] : []),
    '',
    'Options:',
    ...table(options),
    ...(command.epilog ? [command.epilog.split('\n').map((line) => wrap(line, WIDTH)).join('\n')] : []),
    '',
  ].join('\n');
}

function argumentLabel(command: AnyCommand): string {
  return command.argument ? `<${command.argument.name}${command.argument.variadic ? '...' : ''}>` : '';
}

function optionLabel(option: OptionSpec): string {
  return `${option.short ? `-${option.short}, ` : ''}--${option.name}${option.value ? ` ${option.value}` : ''}`;
}

/** Two columns, the second wrapped to the terminal width commander's help used. */
function table(rows: ReadonlyArray<readonly [string, string]>): string[] {
  const left = Math.max(...rows.map(([label]) => label.length)) + 2;
  return rows.flatMap(([label, text]) => {
    const lines = wrap(text, WIDTH - left - 2).split('\n');
    return lines.map((line, index) => `  ${(index === 0 ? label : '').padEnd(left)}${line}`);
  });
}

function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return [...lines, line].join('\n');
}
