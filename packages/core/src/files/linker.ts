import type { MessagePort, Worker } from 'node:worker_threads';

/**
 * Makes symlinks on a helper thread. A link in the ComfyUI tree is a new inode, and on a disk file
 * system that is the kernel's slowest step of a first start: 0.1 to 0.7 ms per link on the ext4 disks
 * measured, more right after many files there were deleted, where the runner's own work for a file
 * is under a millisecond. On its own thread the kernel's part overlaps the runner's work for the next
 * sinks instead of adding to it.
 *
 * The thread only calls `symlink()`, which never follows or replaces anything: every check before it
 * and every decision after it (the fallback for a target that exists, what a failure means for the
 * sink) stays with the caller, which learns each outcome from `settle`.
 */
export class Linker {
  /** Links done by the thread, whatever their outcome. */
  private readonly done = new Int32Array(new SharedArrayBuffer(4));
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private readonly jobs: LinkJob[] = [];
  /** storedAt, target, storedAt, target, … not yet sent. */
  private batch: string[] = [];
  /** Outcomes received so far for `jobs`, in start order. */
  private readonly outcomes: Array<string | undefined> = [];
  /** Jobs returned by earlier `drain`s: `done` counts them too. */
  private finished = 0;
  /**
   * A drain gave up on the thread: it may still make a link it was asked for, through a directory
   * descriptor it was given, so those descriptors must stay open (a reused number would lead elsewhere).
   */
  stalled = false;

  private constructor() {
    // Loaded by the first run that needs a thread, not by every container start (about 2 ms).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { MessageChannel, Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(THREAD, { eval: true, workerData: { done: this.done, port: port2 }, transferList: [port2] });
    // Never what keeps the process alive: `settle` waits for the links it needs.
    this.worker.unref();
    this.port.unref();
  }

  /** A linker, or `undefined` when no thread can be started here (the caller links inline). */
  static start(): Linker | undefined {
    try {
      return new Linker();
    } catch {
      return undefined;
    }
  }

  /**
   * Asks for `symlink(storedAt, at)`; its outcome is known after `drain` or `settle`, reported under
   * `target`. `at` names the link through its open directory (`TreeDir.entry`), which the caller keeps
   * open until then.
   */
  link(storedAt: string, target: string, at: string = target): void {
    this.jobs.push({ storedAt, target });
    this.batch.push(storedAt, at);
    // A message wakes the thread: one per batch, not per link.
    if (this.batch.length >= 2 * BATCH) this.flush();
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    this.port.postMessage(this.batch);
    this.batch = [];
  }

  /**
   * Waits for every link asked for so far and returns each job with the errno code of its failure
   * (`undefined`: made), or `UNKNOWN` when the thread stopped answering (the caller then makes that
   * link itself, and must not reuse what the thread may still act on: see `stalled`). The thread stays.
   */
  drain(): Array<LinkJob & { code: string | undefined }> {
    this.flush();
    const wanted = this.finished + this.jobs.length;
    let seen = Atomics.load(this.done, 0);
    for (let idle = 0; seen < wanted && idle < GIVE_UP_AFTER_MS; ) {
      Atomics.wait(this.done, 0, seen, WAIT_SLICE_MS);
      const now = Atomics.load(this.done, 0);
      idle = now === seen ? idle + WAIT_SLICE_MS : 0;
      seen = now;
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { receiveMessageOnPort } = require('node:worker_threads') as typeof import('node:worker_threads');
    for (let message = receiveMessageOnPort(this.port); message; message = receiveMessageOnPort(this.port)) {
      for (const code of message.message as Array<string | null>) this.outcomes.push(code ?? undefined);
    }
    const results = this.jobs.map((job, index) => ({ ...job, code: index < this.outcomes.length ? this.outcomes[index] : 'UNKNOWN' }));
    if (this.outcomes.length < this.jobs.length) this.stalled = true;
    this.finished = wanted;
    this.jobs.length = 0;
    this.outcomes.length = 0;
    return results;
  }

  /** `drain`, then stops the thread. */
  settle(): Array<LinkJob & { code: string | undefined }> {
    const results = this.drain();
    void this.worker.terminate();
    this.port.close();
    return results;
  }
}

export interface LinkJob {
  readonly storedAt: string;
  readonly target: string;
}

const WAIT_SLICE_MS = 1_000;
/** A thread that made no link for this long is taken as gone (it only ever calls symlink()). */
const GIVE_UP_AFTER_MS = 10_000;

/** Links per message to the thread. */
const BATCH = 32;

/** The thread: one symlink() per job, outcomes answered per batch in order, counted in `done` for the waiting caller. */
const THREAD = `
const { workerData } = require('node:worker_threads');
const { symlinkSync } = require('node:fs');
const { done, port } = workerData;
port.on('message', (batch) => {
  const codes = [];
  for (let i = 0; i < batch.length; i += 2) {
    let code = null;
    try {
      symlinkSync(batch[i], batch[i + 1]);
    } catch (error) {
      code = (error && typeof error.code === 'string' && error.code) || 'ERROR';
    }
    codes.push(code);
  }
  port.postMessage(codes);
  Atomics.add(done, 0, codes.length);
  Atomics.notify(done, 0);
});
`;
