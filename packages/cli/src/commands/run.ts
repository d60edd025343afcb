import { declaredRoots, type Lifecycle, type RunReport } from '@comfy-secrets/core';
import type { CliContext } from '../context';
import { print } from '../output';
import { currentUid, openLifecycle } from '../lifecycle';
import type { CommandSpec } from '../args';
import { comfyuiDir, runOptions, setUpRun, userDirectory, type RunFlags } from '../options';
import { colourRunReport, formatRunReport } from '../report';

type Mode = 'run' | 'plan' | 'check';

/**
 * Runs the sinks (`run`) or only decides what they would do (`plan`, `check`); returns the exit code.
 * @param forExec `exec` takes the keys the environment disagrees on out of its command's environment, so it does not warn about them
 */
export function runSinks(mode: Mode, flags: RunFlags, context: CliContext, forExec = false): { report: RunReport; exitCode: number; lifecycle: Lifecycle } {
  const { runner, logger } = setUpRun(flags, context, mode !== 'check');
  const userDir = userDirectory(flags, context);
  const dryRun = mode !== 'run' || flags.dryRun === true;
  const lifecycle = openLifecycle(flags, context, logger, dryRun);
  let report: RunReport;
  try {
    try {
      // As root, files would be 0600 root's: a ComfyUI running as another user could not read them.
      const ownerFromNodeDir = flags.owner === undefined && currentUid() === 0;
      report = runner.run({ comfyuiDir: comfyuiDir(flags, context), userDir, dryRun, strict: flags.strict, only: flags.only, skip: flags.skip, owner: flags.owner, ownerFromNodeDir, lifecycle, roots: declaredRoots(context.env, context.fs, flags.owner) });
    } finally {
      // Saved even when a sink failed: the others' files were written and must be cleanable.
      lifecycle.state?.commit();
    }
    if (!forExec) {
      for (const { key, file, kind } of report.envMismatches) {
        const what = kind === 'empty' ? `is set empty in the environment, and ${file} leaves it out` : `in the environment differs from ${file}`;
        logger.warn(`${key} ${what}: python-dotenv's load_dotenv keeps the environment's value, so an app started with this environment sees that one; unset ${key} where the app is started, or start it with comfy-secrets exec`, { variable: key, file });
      }
    }
    print(context, flags.json, { command: mode, ...report }, () => formatRunReport(report, mode, mode !== 'run'), colourRunReport);
    logger.reported();
  } finally {
    // No report (the run stopped on an error): the sink failures held back for it are logged after all.
    logger.releaseHeld();
  }
  return { report, exitCode: report.exitCode, lifecycle };
}

export const runCommand: CommandSpec<RunFlags> = {
  name: 'run',
  description: "write every installed sink's file (the container start-up step)",
  options: [...runOptions, { name: 'dry-run', description: 'decide everything, write nothing' }],
  run: (flags, _args, context) => runSinks('run', flags, context).exitCode,
};

export const planCommand: CommandSpec<RunFlags> = {
  name: 'plan',
  description: 'show what run would write, per sink and variable, with every value masked',
  options: runOptions,
  run: (flags, _args, context) => runSinks('plan', flags, context).exitCode,
};

export const checkCommand: CommandSpec<RunFlags> = {
  name: 'check',
  description: 'exit 0 only if every installed sink has what it requires and every value can be written',
  options: runOptions,
  run: (flags, _args, context) => runSinks('check', flags, context).exitCode,
};
