import * as path from 'node:path';
import { SinkError } from '../errors';
import { isTrackedByCheckout } from '../files/checkout';
import { locateTarget, sameIgnoringTimestamp, type TempSweep } from '../files/writer';
import { previewTarget, writeTarget } from '../state/lifecycle';
import { failSink, type RunDeps } from './failure';
import type { PlannedFile, SinkPlan } from './plan';
import type { FileReport, FileStatus, RunOptions, SinkReport } from './types';
import type { RunView } from './view';

/**
 * The second half of a sink's trip: its plan written and recorded (`applyPlan`), or, when nothing is
 * to be written (`plan`, `check`, `run --dry-run`), what writing it would do (`previewPlan`).
 */

/** Files whose memory-store link is being made on the helper thread, by target: their sink's report and entry. */
export type DeferredLinks = Map<string, { report: SinkReport; file: FileReport }>;

/** What the writing half keeps across the sinks of one run. */
export interface ApplyRun {
  readonly sweep: TempSweep;
  readonly links: DeferredLinks;
  readonly view: RunView;
}

/** Writes the plan's files in order, records them (the lifecycle) and reports them. */
export function applyPlan(deps: RunDeps, plan: SinkPlan, report: SinkReport, options: RunOptions, run: ApplyRun): void {
  const { sink, carriesSecret, mode } = plan;
  for (const planned of plan.files) {
    const { linkPath, file, request, content, owner } = planned;
    let located = planned.located;
    // An earlier sink's link to this file may still be on its way: it must be there before this write.
    const pending = run.links.get(linkPath);
    if (pending) {
      if (settleLinks(deps, options, run).has(linkPath)) {
        throw new SinkError('TARGET_CHANGED', `${file} is shared with sink '${pending.report.name}', which could not write it; nothing was written to it`, { file });
      }
      located = locateTarget(deps.fs, request);
    }
    const result = writeTarget(deps.fs, deps.logger, options.lifecycle, {
      sink,
      carriesSecret,
      linkPath,
      file,
      strict: options.strict,
      located,
      deferLink: true,
      request: { ...request, content, mode, owner, sweep: run.sweep },
    });
    // What the file holds now, for the sinks after this one: an unchanged file still has its own header time.
    run.view.leave(linkPath, result.previous !== undefined && sameIgnoringTimestamp(result.previous, content) ? result.previous : content);
    const entry = reportFile(deps, plan, planned, result.status, result.store);
    report.files.push(entry);
    if ('linkPending' in result && result.linkPending === true) run.links.set(linkPath, { report, file: entry });
  }
  // A deferred link of this sink that failed while a later write waited for it has failed it already.
  if (report.status !== 'failed') report.status = sinkStatus(report);
}

/** What `applyPlan` would do, with nothing written: each file's status and where it would go. */
export function previewPlan(deps: RunDeps, plan: SinkPlan, report: SinkReport, options: RunOptions, view: RunView): void {
  const { sink, carriesSecret, mode } = plan;
  for (const planned of plan.files) {
    const { linkPath, file, request, content, owner, located } = planned;
    const preview = previewTarget(deps.fs, options.lifecycle?.store, { sink, carriesSecret, linkPath, file, located, request: { ...request, content, mode, owner } });
    // A file an earlier sink would write is compared with what that sink would leave, as the run would.
    const before = view.textOf(linkPath);
    const status = before === undefined ? preview.status : sameIgnoringTimestamp(before, content) ? 'unchanged' : 'would-write';
    view.leave(linkPath, content);
    report.files.push(reportFile(deps, plan, planned, status, preview.store));
  }
  report.status = sinkStatus(report);
}

/**
 * Waits for the memory store's deferred links (`MemoryStore.settleLinks`). A link that could not be
 * made fails its sink with the error an inline link would have thrown; its file leaves the report,
 * and the run no longer counts on what it would have held.
 * @returns the targets whose link failed
 */
export function settleLinks(deps: RunDeps, options: RunOptions, run: ApplyRun): Set<string> {
  const failed = new Set<string>();
  const memory = options.lifecycle?.store?.memory;
  if (!memory || run.links.size === 0) return failed;
  for (const { target, error } of memory.settleLinks()) {
    const entry = run.links.get(target);
    if (!entry) continue;
    const { report, file } = entry;
    report.files = report.files.filter((other) => other !== file);
    failSink(deps, report, error);
    run.view.forget(target);
    failed.add(target);
  }
  run.links.clear();
  return failed;
}

function reportFile(deps: RunDeps, plan: SinkPlan, planned: PlannedFile, status: FileStatus, store: FileReport['store']): FileReport {
  const { nodeDir, linkPath, file, claim, reason, keys } = planned;
  const tracked = nodeDir !== undefined && warnIfTracked(deps, plan, nodeDir, linkPath, file);
  // The report says it too; a log line is for what needs attention. A run that logs nothing also
  // spares every container start the loading of winston (docs/performance.md).
  deps.logger.debug(`${status} ${file}`, { sink: plan.sink.name, keys });
  return { path: file, status, format: claim.label, mode: `0${plan.mode.toString(8)}`, reason, store, ...(tracked ? { tracked } : {}) };
}

function sinkStatus(report: SinkReport): FileStatus {
  return report.files.some((f) => f.status === 'would-write') ? 'would-write' : report.files.some((f) => f.status === 'written') ? 'written' : 'unchanged';
}

/**
 * A file in the node's git checkout (fal-API's and ComfyUI-Gemini's committed config files): writing
 * it dirties the checkout, and ComfyUI-Manager's later `git pull` may then refuse to update the node.
 * Said once per file; a node without `.git` costs one lstat.
 */
function warnIfTracked({ fs, logger }: RunDeps, plan: SinkPlan, nodeDir: string, linkPath: string, file: string): boolean {
  const relative = path.relative(nodeDir, linkPath);
  if (relative === '' || relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) return false;
  if (!isTrackedByCheckout(fs, nodeDir, relative)) return false;
  logger.warn(`${file} is tracked by the node's git checkout: writing it leaves local changes there, and a later git pull (a ComfyUI-Manager update) may refuse to update the node or conflict`, { sink: plan.sink.name, file });
  return true;
}
