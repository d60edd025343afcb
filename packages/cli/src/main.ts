import { ExitCode, looksSecret, pluginText, Redactor, ComfySecretsError, stackFrames } from '@comfy-secrets/core';
import { parseCommandLine, UsageError, type Program } from './args';
import { auditCommand } from './commands/audit';
import { cleanCommand } from './commands/clean';
import { execCommand } from './commands/exec';
import { listCommand } from './commands/list';
import { newSinkCommand } from './commands/new-sink';
import { checkCommand, planCommand, runCommand } from './commands/run';
import { colourChoice, colourOn, paintMessage, painter } from './colour';
import type { CliContext } from './context';
import { setting } from './options';
import { print } from './output';

const exitCodesHelp = `
Exit codes:
  0   every applicable sink written, unchanged or skipped
  1   a sink failed: missing or invalid input, a value its readers cannot carry, an unsafe or failed write
      (audit: something was found; clean: a file changed since it was written was kept)
  2   usage or configuration error: unknown flag, bad plugin, duplicate sink, missing dependency, cycle,
      an unreadable -f file, an --only name that is no sink, no custom_nodes/ in the ComfyUI directory,
      a --secrets-dir that does not exist
  70  internal error (a bug in comfy-secrets; please report it)
  *   exec: the command's own exit code, or 128 + n when signal n ended it
`;

declare const __VERSION__: string | undefined;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0-dev';

export const program: Program = {
  name: 'comfy-secrets',
  description: 'Writes the secret files of installed ComfyUI custom nodes from the environment, at container start.',
  version: VERSION,
  commands: [runCommand, planCommand, checkCommand, listCommand, newSinkCommand, execCommand, cleanCommand, auditCommand],
  epilog: exitCodesHelp,
};

/**
 * The one place that turns outcomes into exit codes. Errors are printed by code and message only:
 * messages never hold values, and they pass through redaction anyway.
 */
export async function main(argv: readonly string[], io: Omit<CliContext, 'redactor' | 'colour'>): Promise<number> {
  const context: CliContext = { ...io, redactor: seededRedactor(io.env), colour: colourChoice(io.env) };
  let json: boolean | undefined;
  try {
    const invocation = parseCommandLine(program, argv);
    if (invocation.kind === 'print') {
      context.stdout.write(invocation.text);
      return ExitCode.ok;
    }
    json = invocation.flags.json === true;
    return await invocation.command.run(invocation.flags, invocation.args, context);
  } catch (error) {
    // When the command line did not parse, guess from the words before `--`: those after it are
    // exec's COMMAND's, and so is its stdout.
    const ours = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
    return reportError(error, context, json ?? ours.includes('--json'));
  }
}

function reportError(error: unknown, context: CliContext, json: boolean): number {
  const { redactor } = context;
  const paint = painter(colourOn(context.colour, context.stderr));
  if (error instanceof ComfySecretsError) {
    const hint = error instanceof UsageError ? '\n(run comfy-secrets --help for usage)' : '';
    context.stderr.write(paintMessage(redactor.redact(`comfy-secrets: error ${error.code}: ${error.message}${hint}\n`), paint));
    if (json) print(context, true, { error: error.toJSON() }, () => '');
    return error.exitCode;
  }
  // An error we did not expect may come from a plugin's code (a throwing getter): its text is withheld
  // when it quotes a piece of a secret, and the stack is printed without it.
  const message = pluginText(error instanceof Error ? error.message : String(error), redactor, `${error instanceof Error ? error.name : 'a thrown value'} (its message quotes part of a secret, so it is not shown)`);
  context.stderr.write(paintMessage(redactor.redact(`comfy-secrets: internal error: ${message}\n(set COMFY_SECRETS_LOG_LEVEL=debug for the stack)\n`), paint));
  const frames = error instanceof Error ? stackFrames(error.stack) : undefined;
  if (setting(context.env, 'COMFY_SECRETS_LOG_LEVEL') === 'debug' && frames) context.stderr.write(`${redactor.redact(frames)}\n`);
  return ExitCode.internal;
}

/**
 * Before any sink resolves its variables, redaction knows the values of variables whose names look
 * secret, so even an error raised during discovery cannot print one.
 */
function seededRedactor(env: CliContext['env']): Redactor {
  const redactor = new Redactor();
  // Not comfy-secrets' own settings (looksSecret): taken for a secret, a state directory's path would
  // withhold every message that names a file beside it.
  for (const [name, value] of Object.entries(env)) if (value && looksSecret(name)) redactor.add(value);
  return redactor;
}
