import * as path from 'node:path';
import { inject, injectable } from 'tsyringe';
import { sourceNames } from '../audit/audit';
import type { LoadedSink } from '../sinks/discovery';
import { ConfigError, ExitCode } from '../errors';
import type { FileSystem } from '../fs';
import type { Logger } from '../logger';
import { orderLoaded } from '../sinks/order';
import type { Redactor } from '../values/redact';
import type { Sources } from '../values/sources';
import { CLOCK, FS, LOGGER, REDACTOR, SINKS, SOURCES, type Clock } from '../tokens';
import { createTempSweep } from '../files/writer';
import { applyPlan, previewPlan, settleLinks, type ApplyRun } from './apply';
import { failSink, skipSink, type RunDeps } from './failure';
import { NOT_INSTALLED, planSink } from './plan';
import type { EnvMismatch, RunOptions, RunReport, SinkReport, SinkStatus } from './types';
import { RunView } from './view';

export type { DeclaredRoot, DeclaredRoots } from '../files/roots';
export type { EnvMismatch, ErrorReport, FileReport, FileStatus, RunOptions, RunReport, SinkReport, SinkStatus } from './types';

/**
 * Runs every sink in order, each down the stages once: its plan (resolve, validate, render, decide
 * and check the targets; `./plan`), then its apply (write and record; `./apply`), or for a run that
 * writes nothing the apply's preview. A failing sink is reported and the others go on; nothing a sink
 * does can stop the run or leak a value into the report.
 */
@injectable()
export class Runner {
  private readonly deps: RunDeps;

  constructor(
    @inject(SINKS) private readonly sinks: readonly LoadedSink[],
    @inject(SOURCES) private readonly sources: Sources,
    @inject(FS) private readonly fs: FileSystem,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(CLOCK) clock: Clock,
    @inject(REDACTOR) redactor: Redactor,
  ) {
    this.deps = { sources, fs, logger, clock, redactor };
  }

  /** The sinks in run order. @throws ConfigError for a missing dependency or a cycle. */
  ordered(): LoadedSink[] {
    return orderLoaded(this.sinks);
  }

  run(options: RunOptions): RunReport {
    // A mistyped path would otherwise skip every sink and exit 0: a container would start without its secrets.
    if (this.fs.statSync(options.comfyuiDir, { throwIfNoEntry: false })?.isDirectory() !== true) {
      throw new ConfigError('COMFYUI_DIR_MISSING', `the ComfyUI directory ${options.comfyuiDir} does not exist (set --comfyui-dir, $COMFYUI_PATH or $WORKSPACE_PATH)`, { file: options.comfyuiDir });
    }
    // One level too deep (ComfyUI/custom_nodes) or too high would skip every sink and exit 0 as well.
    if (this.fs.statSync(path.join(options.comfyuiDir, 'custom_nodes'), { throwIfNoEntry: false })?.isDirectory() !== true) {
      throw new ConfigError('NO_CUSTOM_NODES', `${options.comfyuiDir} has no custom_nodes directory; is it the ComfyUI root? (set --comfyui-dir, $COMFYUI_PATH or $WORKSPACE_PATH)`, { file: options.comfyuiDir });
    }
    const sinks = this.ordered();
    const installed = sinks.map((loaded) => loaded.sink.name);
    // A mistyped --only would run nothing and start the container without its secrets.
    const unknown = (options.only ?? []).filter((name) => !installed.includes(name));
    if (unknown.length > 0) {
      throw new ConfigError('UNKNOWN_SINK', `--only names ${unknown.map((name) => `'${name}'`).join(', ')}, which ${unknown.length === 1 ? 'is' : 'are'} not an installed sink (installed: ${installed.join(', ') || 'none'})`);
    }
    for (const name of options.skip ?? []) {
      if (!installed.includes(name)) this.logger.warn(`--skip names '${name}', which is not an installed sink`);
    }
    const envMismatches: EnvMismatch[] = [];
    const trip: ApplyRun = { sweep: createTempSweep(), links: new Map(), view: new RunView() };
    const reports = sinks.map((loaded) => this.runSink(loaded, options, trip, envMismatches));
    settleLinks(this.deps, options, trip);
    this.warnIfNothingApplied(sinks, reports, options.comfyuiDir);
    const counts: Record<SinkStatus, number> = { written: 0, unchanged: 0, 'would-write': 0, skipped: 0, failed: 0 };
    for (const report of reports) counts[report.status] += 1;
    const internal = reports.some((report) => report.errors.some((error) => error.code === 'INTERNAL_ERROR'));
    const exitCode = internal ? ExitCode.internal : counts.failed > 0 ? ExitCode.sinkFailed : ExitCode.ok;
    const failed = new Set(reports.filter((report) => report.status === 'failed').map((report) => report.name));
    return { comfyuiDir: options.comfyuiDir, dryRun: options.dryRun ?? false, exitCode, sinks: reports, counts, envMismatches: envMismatches.filter((entry) => !failed.has(entry.sink)) };
  }

  /**
   * Every custom node's sink skipped because its node is not installed, while variables they would write are set:
   * most likely the wrong ComfyUI tree, and the container would start without its secrets.
   */
  private warnIfNothingApplied(sinks: readonly LoadedSink[], reports: readonly SinkReport[], comfyuiDir: string): void {
    // A sink for a program (no node directory) says nothing about whether this is the right tree.
    const nodeSinks = new Set(sinks.filter(({ sink }) => sink.nodes.length > 0).map(({ sink }) => sink.name));
    const forNodes = reports.filter((report) => nodeSinks.has(report.name));
    if (forNodes.length === 0 || forNodes.some((report) => report.status !== 'skipped' || !report.reason?.startsWith(NOT_INSTALLED))) return;
    for (const { sink } of sinks) {
      if (!nodeSinks.has(sink.name)) continue;
      const set = [...new Set(Object.entries(sink.variables).flatMap(([key, spec]) => sourceNames(key, spec)))].filter((name) => this.sources.isSet(name));
      if (set.length === 0) continue;
      this.logger.warn(`no sink applies to ${comfyuiDir}, but ${set.slice(0, 3).join(', ')}${set.length > 3 ? ', …' : ''} (read by ${sink.name}) ${set.length === 1 ? 'is' : 'are'} set: ${sink.name} looked for ${sink.nodes.map((node) => `custom_nodes/${node}`).join(', ')}`, { sink: sink.name });
    }
  }

  /** One sink's trip: its plan, then its apply (or, writing nothing, the apply's preview). */
  private runSink({ sink, plugin }: LoadedSink, options: RunOptions, trip: ApplyRun, envMismatches: EnvMismatch[]): SinkReport {
    const deps = this.deps;
    const report: SinkReport = { name: sink.name, plugin, status: 'skipped', files: [], variables: [], errors: [] };
    if (options.only?.length && !options.only.includes(sink.name)) return skipSink(deps, report, 'not named by --only');
    if (options.skip?.includes(sink.name)) return skipSink(deps, report, 'named by --skip');
    try {
      const plan = planSink(deps, sink, report, options, trip.view);
      if (plan === undefined) return report;
      for (const file of plan.files) trip.view.claim(file.linkPath, file.claim);
      envMismatches.push(...plan.mismatches);
      if (options.dryRun) previewPlan(deps, plan, report, options, trip.view);
      else applyPlan(deps, plan, report, options, trip);
    } catch (caught) {
      failSink(deps, report, caught);
    }
    return report;
  }
}
