import type { Command } from 'commander';
import type { Lifecycle, RunReport } from '@runtime-env/core';
import type { CliContext } from '../context';
import { print } from '../output';
import { openLifecycle } from '../lifecycle';
import { addRunOptions, comfyuiDir, setUpRun, type RunFlags } from '../options';
import { formatRunReport } from '../report';

type Mode = 'run' | 'plan' | 'check';

/** Runs the sinks (`run`) or only decides what they would do (`plan`, `check`); returns the exit code. */
export function runSinks(mode: Mode, flags: RunFlags, context: CliContext): { report: RunReport; exitCode: number; lifecycle: Lifecycle } {
  const { runner, logger } = setUpRun(flags, context);
  const dryRun = mode !== 'run' || flags.dryRun === true;
  const lifecycle = openLifecycle(flags, context, logger, dryRun);
  let report: RunReport;
  try {
    report = runner.run({ comfyuiDir: comfyuiDir(flags, context), dryRun, strict: flags.strict, only: flags.only, skip: flags.skip, owner: flags.owner, lifecycle });
  } finally {
    // Saved even when a sink failed: the others' files were written and must be cleanable.
    lifecycle.state?.commit();
  }
  print(context, flags.json, { command: mode, ...report }, () => formatRunReport(report, mode, mode !== 'run'));
  return { report, exitCode: report.exitCode, lifecycle };
}

export function registerRunCommands(program: Command, context: CliContext, done: (code: number) => void): void {
  addRunOptions(program.command('run').description('write every installed sink\'s file (the container start-up step)'))
    .option('--dry-run', 'decide everything, write nothing')
    .action((flags: RunFlags) => done(runSinks('run', flags, context).exitCode));
  addRunOptions(program.command('plan').description('show what run would write, per sink and variable, with every value masked'))
    .action((flags: RunFlags) => done(runSinks('plan', flags, context).exitCode));
  addRunOptions(program.command('check').description('exit 0 only if every installed sink has what it requires and every value can be written'))
    .action((flags: RunFlags) => done(runSinks('check', flags, context).exitCode));
}
