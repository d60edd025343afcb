import { cleanRecorded, ExitCode, type CleanReport } from '@comfy-secrets/core';
import type { CommandSpec } from '../args';
import type { Paint } from '../colour';
import { print } from '../output';
import { openState } from '../lifecycle';
import { comfyuiDir } from '../options';

interface CleanFlags {
  stateDir?: string;
  comfyuiDir?: string;
  allTrees?: boolean;
  force?: boolean;
  json?: boolean;
}

export const cleanCommand: CommandSpec<CleanFlags> = {
  name: 'clean',
  description: 'remove the files runs recorded (restoring files they had merged into or replaced); a file changed since is kept',
  options: [
    { name: 'state-dir', value: '<dir>', description: 'the state directory runs recorded into (default: $COMFY_SECRETS_STATE_DIR, else /run/comfy-secrets, else a temp dir)' },
    { name: 'comfyui-dir', value: '<dir>', description: 'clean the files of this ComfyUI tree only (default: $COMFYUI_PATH, else $WORKSPACE_PATH/ComfyUI, else /workspace/ComfyUI)' },
    { name: 'all-trees', description: 'clean the files of every tree the state directory records' },
    { name: 'force', description: 'remove recorded files even when they changed since comfy-secrets wrote them' },
    { name: 'json', description: 'print one JSON document on stdout' },
  ],
  epilog: '\nExit 0 when every recorded file was removed or restored, 1 when one was kept (changed since it was written).',
  run(flags, _args, context) {
    const state = openState(flags, context);
    // One state directory serves every tree on a machine by default: clean only the one named.
    const tree = flags.allTrees ? undefined : comfyuiDir({ comfyuiDir: flags.comfyuiDir, envFile: [], plugin: [] }, context);
    const report = cleanRecorded(context.fs, state, { force: flags.force, tree });
    print(context, flags.json, { command: 'clean', ...report }, () => formatCleanReport(report), colourCleanReport);
    return report.counts.kept > 0 ? ExitCode.sinkFailed : ExitCode.ok;
  },
};

export function formatCleanReport(report: CleanReport): string {
  const others = report.otherTrees > 0 ? `${report.otherTrees} file(s) of other trees left alone (--comfyui-dir DIR cleans one, --all-trees every one)\n` : '';
  const scope = report.comfyuiDir === undefined ? '' : ` for ${report.comfyuiDir}`;
  if (report.files.length === 0) return `comfy-secrets clean: nothing recorded${scope} in ${report.stateDir}\n${others}`;
  const lines = [`comfy-secrets clean: ${report.stateDir}${scope}`];
  for (const entry of report.files) {
    lines.push(`  ${entry.action.padEnd(8)} ${entry.path}${entry.store === 'memory' ? ' (memory store)' : ''}${entry.reason ? ` — ${entry.reason}` : ''}`);
  }
  lines.push(Object.entries(report.counts).filter(([, count]) => count > 0).map(([action, count]) => `${count} ${action}`).join(', '));
  return `${lines.join('\n')}\n${others}`;
}

/** The clean report, redacted, in colour: a kept file in yellow (it is what makes the exit code 1), a removed or restored one green. */
export function colourCleanReport(redacted: string, paint: Paint): string {
  return redacted
    .replace(/^ {2}(removed|restored|kept)\b/gm, (_all, action: string) => `  ${paint(action === 'kept' ? 'yellow' : 'green', action)}`)
    .replace(/(^|, )([1-9]\d* kept)\b/gm, (_all, head: string, kept: string) => `${head}${paint('yellow', kept)}`);
}
