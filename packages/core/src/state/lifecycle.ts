import type { Stats } from 'node:fs';
import * as path from 'node:path';
import type { SecretSink } from '../contract';
import { SinkError } from '../errors';
import { mergesExisting } from '../formats';
import { lstatQuietly, type FileSystem } from '../fs';
import type { Logger } from '../logger';
import { sha256, type RunState, type StateRecord } from './state';
import type { Placement, Store } from '../files/store';
import { previewWrite, sameIgnoringTimestamp, writeFileSafely, type LocatedTarget, type WriteRequest, type WriteResult } from '../files/writer';

/** What a run needs beyond the runner to make files temporary: the state it records into and the store. */
export interface Lifecycle {
  /** Where writes are recorded for `clean`; absent: nothing is recorded and nothing is found "already present". */
  state?: RunState;
  /** Memory or disk per file; absent: every file on disk. */
  store?: Store;
}

export interface TargetWrite {
  sink: SecretSink;
  /** At least one secret variable is set for this sink. */
  carriesSecret: boolean;
  /** The target path (for the memory store: where the link goes). Absolute. */
  linkPath: string;
  /** Relative to the ComfyUI root, for messages. */
  file: string;
  /** A run writes here; what it would write is `previewTarget`'s. */
  request: Omit<WriteRequest, 'dryRun'>;
  strict?: boolean;
  /** `locateTarget(request)`, when the caller has just run it: its `lstat` of the target is not repeated. */
  located?: LocatedTarget;
  /**
   * The caller settles the memory store's links (`MemoryStore.settleLinks`) before it reports: the link
   * may then be made on a helper thread, and the write is recorded once the link exists.
   */
  deferLink?: boolean;
}

/**
 * Writes one target the way the lifecycle wants: warns about (or, `--strict`, refuses) a file that was
 * there before and is not ours, keeps its previous bytes for `clean`, places the file in memory or on
 * disk, and records the result. Without a lifecycle it is `writeFileSafely`.
 */
export function writeTarget(fs: FileSystem, logger: Logger, lifecycle: Lifecycle | undefined, write: TargetWrite): WriteResult & { store: Placement } {
  const { state, store } = lifecycle ?? {};
  const { request, file, sink } = write;
  const found = write.located ? write.located.found : lstatQuietly(fs, write.linkPath);
  const alreadyLinked = isOurLink(store, write.linkPath, found);
  // Something there that no earlier run wrote (the state has no record of it).
  if (state && found !== undefined && !alreadyLinked && state.find(write.linkPath) === undefined) {
    if (write.carriesSecret) {
      const message = `${file} existed before comfy-secrets ran — is a secret file baked into the image?`;
      if (write.strict) throw new SinkError('PREEXISTING_TARGET', `${message} (--strict refuses to overwrite it; remove it from the image)`, { file });
      logger.warn(message, { sink: sink.name, file });
    } else {
      logger.debug(`${file} existed before comfy-secrets ran; its previous content is kept for clean`, { sink: sink.name, file });
    }
    // Only now: a file --strict refuses is left alone, and no copy of it (a secret, maybe) is made.
    state.keepPrevious(write.linkPath, found, { merged: mergesExisting(sink.format), file, comfyuiDir: request.comfyuiDir });
  }

  const placement = store?.place(sink, write.carriesSecret, alreadyLinked) ?? 'disk';
  const memory = placement === 'memory' ? store?.memory : undefined;
  // Journaled before the target (or its store file) is touched: a run killed after this is resolved
  // exactly by the next one (RunState.open), never taken for a file baked into the image.
  const beforeWrite =
    state
      ? (onDisk: string) =>
          state.intend({
            path: write.linkPath,
            file,
            comfyuiDir: request.comfyuiDir,
            sink: sink.name,
            mode: `0${(request.mode ?? 0o600).toString(8)}`,
            store: memory ? 'memory' : 'disk',
            storedAt: memory?.fileFor(write.linkPath),
            sha256: sha256(onDisk),
          })
      : undefined;
  const result = memory
    ? memory.write({ target: write.linkPath, comfyuiDir: request.comfyuiDir, root: request.root, content: request.content, mode: request.mode ?? 0o600, owner: request.owner, sweep: request.sweep, linked: alreadyLinked, deferLink: write.deferLink, beforeWrite })
    : writeFileSafely(fs, { ...request, beforeWrite });

  if (state) {
    const recordIt = () => recordWrite(state, write, result, placement);
    // A deferred link is recorded once it exists: a failed one must leave the state as it was.
    if ('linkPending' in result && result.linkPending === true) store?.memory?.afterLink(write.linkPath, recordIt);
    else recordIt();
  }
  return { ...result, store: placement };
}

/**
 * What `writeTarget` would do, with nothing changed: where the file would go and whether it would be
 * written. Nothing is recorded or kept, and a file that was there before is not looked into.
 */
export function previewTarget(fs: FileSystem, store: Store | undefined, write: Omit<TargetWrite, 'strict' | 'deferLink'>): { status: 'unchanged' | 'would-write'; store: Placement } {
  const { request } = write;
  const alreadyLinked = isOurLink(store, write.linkPath, write.located ? write.located.found : lstatQuietly(fs, write.linkPath));
  const placement = store?.place(write.sink, write.carriesSecret, alreadyLinked) ?? 'disk';
  const memory = placement === 'memory' ? store?.memory : undefined;
  const status = memory
    ? memory.preview({ target: write.linkPath, content: request.content, mode: request.mode ?? 0o600, owner: request.owner, linked: alreadyLinked })
    : previewWrite(fs, request);
  return { status, store: placement };
}

/**
 * Our own link is ours without a record: a recreated container keeps the tree but loses /run (the
 * state) and /dev/shm (the store), and finds the link, now dangling, of a run it has no record of.
 */
function isOurLink(store: Store | undefined, linkPath: string, found: Stats | undefined): boolean {
  return store?.memory?.isOurLink(linkPath, found) ?? false;
}

/** Records a write in the state; an unchanged file whose earlier record still holds keeps that record. */
function recordWrite(state: RunState, write: TargetWrite, result: WriteResult, placement: Placement): void {
  const { request, sink } = write;
  const record = {
    path: write.linkPath,
    // Relative to the record's comfyuiDir (the request's base), which clean resolves it from: for a
    // file below an outside root (the home) that base is the root's, and `file` is absolute.
    file: path.relative(request.comfyuiDir, write.linkPath),
    comfyuiDir: request.comfyuiDir,
    sink: sink.name,
    mode: `0${(request.mode ?? 0o600).toString(8)}`,
    store: placement,
    storedAt: placement === 'memory' ? result.path : undefined,
  };
  const earlier = state.find(write.linkPath);
  if (result.status === 'unchanged' && earlier && sameRecord(earlier, record)) {
    // The bytes the earlier run wrote and hashed are still there: its record holds as it is.
    state.keep(write.linkPath);
  } else {
    // An unchanged file (or one whose mode was only fixed) still holds the previous bytes, not the new render.
    const onDisk = result.previous !== undefined && sameIgnoringTimestamp(result.previous, request.content) ? result.previous : request.content;
    state.record({ ...record, sha256: sha256(onDisk), writtenAt: new Date().toISOString() });
  }
}

function sameRecord(earlier: StateRecord, now: Omit<StateRecord, 'sha256' | 'writtenAt' | 'previous'>): boolean {
  return (Object.keys(now) as (keyof typeof now)[]).every((key) => earlier[key] === now[key]);
}
