import { cleanRecorded, ExitCode, type CleanReport } from '@comfy-secrets/core';
import type { CommandSpec } from '../args';
import { print } from '../output';
import { openState } from '../lifecycle';

interface CleanFlags {
  stateDir?: string;
  force?: boolean;
  json?: boolean;
}

export const cleanCommand: CommandSpec<CleanFlags> = {
  name: 'clean',
  description: 'remove the files runs recorded (restoring files they had merged into or replaced); a file changed since is kept',
  options: [
    { name: 'state-dir', value: '<dir>', description: 'the state directory runs recorded into (default: $COMFY_SECRETS_STATE_DIR, else /run/comfy-secrets, else a temp dir)' },
    { name: 'force', description: 'remove recorded files even when they changed since comfy-secrets wrote them' },
    { name: 'json', description: 'print one JSON document on stdout' },
  ],
  epilog: '\nExit 0 when every recorded file was removed or restored, 1 when one was kept (changed since it was written).',
  run(flags, _args, context) {
    const state = openState(flags, context);
    const report = cleanRecorded(context.fs, state, { force: flags.force });
    print(context, flags.json, { command: 'clean', ...report }, () => formatCleanReport(report));
    return report.counts.kept > 0 ? ExitCode.sinkFailed : ExitCode.ok;
  },
};

export function formatCleanReport(report: CleanReport): string {
  if (report.files.length === 0) return `comfy-secrets clean: nothing recorded in ${report.stateDir}\n`;
  const lines = [`comfy-secrets clean: ${report.stateDir}`];
  for (const entry of report.files) {
    lines.push(`  ${entry.action.padEnd(8)} ${entry.path}${entry.store === 'memory' ? ' (memory store)' : ''}${entry.reason ? ` — ${entry.reason}` : ''}`);
  }
  lines.push(Object.entries(report.counts).filter(([, count]) => count > 0).map(([action, count]) => `${count} ${action}`).join(', '));
  return `${lines.join('\n')}\n`;
}
