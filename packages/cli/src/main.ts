import { Command, CommanderError } from 'commander';
import { ExitCode, Redactor, RuntimeEnvError, SECRET_NAME_PATTERN } from '@runtime-env/core';
import { registerAuditCommand } from './commands/audit';
import { registerCleanCommand } from './commands/clean';
import { registerExecCommand } from './commands/exec';
import { registerListCommand } from './commands/list';
import { registerNewSinkCommand } from './commands/new-sink';
import { registerRunCommands } from './commands/run';
import type { CliContext } from './context';
import { print } from './output';

const exitCodesHelp = `
Exit codes:
  0   every applicable sink written, unchanged or skipped
  1   a sink failed: missing or invalid input, a value its readers cannot carry, an unsafe or failed write
      (audit: something was found; clean: a file changed since it was written was kept)
  2   usage or configuration error: unknown flag, bad plugin, duplicate sink, missing dependency, cycle
  70  internal error (a bug in runtime-env; please report it)
  *   exec: the command's own exit code, or 128 + n when signal n ended it
`;

/**
 * The one place that turns outcomes into exit codes. Errors are printed by code and message only:
 * messages never hold values, and they pass through redaction anyway.
 */
export async function main(argv: readonly string[], io: Omit<CliContext, 'redactor'>): Promise<number> {
  const context: CliContext = { ...io, redactor: seededRedactor(io.env) };
  let exitCode: number = ExitCode.ok;
  const done = (code: number) => {
    exitCode = code;
  };
  const program = new Command('runtime-env')
    .description('Writes the secret files of installed ComfyUI custom nodes from the environment, at container start.')
    .version(VERSION, '-v, --version')
    .exitOverride()
    // exec passes everything after its command through untouched (`exec -- python main.py --listen`).
    .enablePositionalOptions()
    .configureOutput({ writeOut: (text) => context.stdout.write(text), writeErr: (text) => context.stderr.write(text) })
    .showHelpAfterError('(run runtime-env --help for usage)')
    .addHelpText('after', exitCodesHelp);
  registerRunCommands(program, context, done);
  registerListCommand(program, context, done);
  registerNewSinkCommand(program, context, done);
  registerExecCommand(program, context, done);
  registerCleanCommand(program, context, done);
  registerAuditCommand(program, context, done);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    return reportError(error, context, argv.includes('--json'));
  }
}

function reportError(error: unknown, context: CliContext, json: boolean): number {
  if (error instanceof CommanderError) {
    // Help and version end through here too, with exit code 0.
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.config;
  }
  const { redactor } = context;
  if (error instanceof RuntimeEnvError) {
    context.stderr.write(redactor.redact(`runtime-env: error ${error.code}: ${error.message}\n`));
    if (json) print(context, true, { error: error.toJSON() }, () => '');
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  context.stderr.write(redactor.redact(`runtime-env: internal error: ${message}\n(set RUNTIME_ENV_LOG_LEVEL=debug for the stack)\n`));
  if (context.env.RUNTIME_ENV_LOG_LEVEL === 'debug' && error instanceof Error && error.stack) context.stderr.write(`${redactor.redact(error.stack)}\n`);
  return ExitCode.internal;
}

/**
 * Before any sink resolves its variables, redaction knows the values of variables whose names look
 * secret, so even an error raised during discovery cannot print one.
 */
function seededRedactor(env: CliContext['env']): Redactor {
  const redactor = new Redactor();
  for (const [name, value] of Object.entries(env)) if (value && SECRET_NAME_PATTERN.test(name)) redactor.add(value);
  return redactor;
}

declare const __VERSION__: string | undefined;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';
