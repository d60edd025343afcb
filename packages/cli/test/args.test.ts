import { ConfigError } from '@comfy-secrets/core';
import { commandHelp, parseCommandLine, programHelp, UsageError, type Invocation } from '../src/args';
import { program } from '../src/main';
import { configNodesOption } from '../src/options';

const parse = (...argv: string[]) => parseCommandLine(program, argv);
function ran(invocation: Invocation) {
  if (invocation.kind !== 'run') throw new Error(`expected a command to run, got ${invocation.kind}`);
  return { command: invocation.command.name, flags: invocation.flags, args: invocation.args };
}
function usageError(argv: string[]): string {
  try {
    parse(...argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as ConfigError).exitCode).toBe(2);
    return (error as Error).message;
  }
  throw new Error(`expected a usage error for ${argv.join(' ')}`);
}

describe('parsing a command line', () => {
  test('options arrive camelCased, repeatable ones in order, parsed ones parsed', () => {
    expect(ran(parse('run', '--comfyui-dir', '/w/ComfyUI', '-f', 'a.env', '--env-file=b.env', '--only', 'x, y', '--owner', '1000:1001', '--store', 'disk', '--dry-run'))).toEqual({
      command: 'run',
      flags: { comfyuiDir: '/w/ComfyUI', envFile: ['a.env', 'b.env'], plugin: [], only: ['x', 'y'], owner: { uid: 1000, gid: 1001 }, store: 'disk', dryRun: true },
      args: [],
    });
  });

  test('exec hands everything after -- to the command, its options included', () => {
    expect(ran(parse('exec', '--keep', '--', 'python', 'main.py', '--listen', '-f', 'x'))).toEqual({
      command: 'exec',
      flags: { envFile: [], plugin: [], keep: true },
      args: ['python', 'main.py', '--listen', '-f', 'x'],
    });
  });

  test('exec without -- starts the command at its first argument', () => {
    expect(ran(parse('exec', '-f', 'a.env', 'python', 'main.py', '--listen')).args).toEqual(['python', 'main.py', '--listen']);
  });

  test('new-sink takes exactly one name', () => {
    expect(ran(parse('new-sink', 'acme', '--dir', 'out')).args).toEqual(['acme']);
    expect(usageError(['new-sink'])).toBe('new-sink needs <name>');
    expect(usageError(['new-sink', 'a', 'b'])).toContain('takes one name');
  });

  test.each([
    [['run', '--no-such-flag'], "unknown option '--no-such-flag' for run"],
    [['run', '-x'], "unknown option '-x' for run"],
    [['run', '--comfyui-dir'], "option '--comfyui-dir <dir>' needs a value"],
    [['run', '--comfyui-dir', '--json'], "option '--comfyui-dir <dir>' needs a value"],
    [['run', '--json=yes'], "option '--json' takes no value"],
    [['run', '--store', 'cloud'], "option '--store <where>' takes memory, disk, auto (got 'cloud')"],
    [['run', '--log-level', 'loud'], "option '--log-level <level>' takes error, warn, info, debug (got 'loud')"],
    [['list', 'extra'], "unexpected argument 'extra' for list"],
    [['deploy'], "unknown command 'deploy'"],
    [['--json'], "unknown option '--json' (options come after the command)"],
    [[], 'a command is needed'],
  ])('%j is a usage error', (argv, message) => {
    expect(usageError(argv)).toContain(message);
  });

  test('a value that starts with a dash is taken when joined with =', () => {
    expect(ran(parse('run', '--comfyui-dir=-odd')).flags.comfyuiDir).toBe('-odd');
  });

  test('--owner refuses what is not uid:gid, naming the option', () => {
    expect(() => parse('run', '--owner', 'comfy')).toThrow(/--owner takes numeric uid:gid/);
  });

  test('--config-nodes and --no-config-nodes together contradict each other', () => {
    const { flags } = ran(parse('run', '--config-nodes', 'c.json', '--no-config-nodes'));
    expect(() => configNodesOption(flags)).toThrow(UsageError);
    expect(configNodesOption(ran(parse('run', '--no-config-nodes')).flags)).toBe(false);
    expect(configNodesOption(ran(parse('run', '--config-nodes', 'c.json')).flags)).toBe('c.json');
  });
});

describe('help and version', () => {
  test('--help, -h and help print the program help, which lists every command and the exit codes', () => {
    for (const argv of [['--help'], ['-h'], ['help']]) expect(parse(...argv)).toEqual({ kind: 'print', text: programHelp(program) });
    const text = programHelp(program);
    for (const command of program.commands) expect(text).toContain(`\n  ${command.name}`);
    expect(text).toContain('Exit codes');
  });

  test("a command's --help, -h and help <command> print its options; exec's -h after -- is the command's", () => {
    const exec = program.commands.find((command) => command.name === 'exec')!;
    for (const argv of [['exec', '--help'], ['exec', '-h'], ['help', 'exec']]) expect(parse(...argv)).toEqual({ kind: 'print', text: commandHelp(program, exec) });
    expect(ran(parse('exec', '--', 'ls', '-h')).args).toEqual(['ls', '-h']);
  });

  test('every option of every command is in its help, and no help line is wider than 80 columns', () => {
    for (const command of program.commands) {
      const text = commandHelp(program, command);
      for (const option of command.options) expect(text).toContain(`--${option.name}`);
      for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    }
  });

  test('--version prints the version alone', () => {
    expect(parse('--version')).toEqual({ kind: 'print', text: `${program.version}\n` });
    expect(parse('-v')).toEqual(parse('--version'));
  });
});
