/**
 * What one run has decided so far, by target (absolute path): which sink claimed each file, and the
 * text each holds now that the sinks before have had their turn. A sink's plan reads the tree through
 * it, so it sees the files of the sinks before it without waiting for the writes behind them (the
 * memory store's links are made on a helper thread) and, in a dry run, sees what they would write.
 */
export class RunView {
  private readonly claims = new Map<string, Claim>();
  private readonly texts = new Map<string, string>();

  /** Who wrote (or planned) `target` earlier in this run. */
  claimOf(target: string): Claim | undefined {
    return this.claims.get(target);
  }

  claim(target: string, claim: Claim): void {
    this.claims.set(target, claim);
  }

  /** The text `target` holds after the sinks before (`undefined`: none of them wrote it; read the tree). */
  textOf(target: string): string | undefined {
    return this.texts.get(target);
  }

  /** `target` holds `text` now (written), or will when the run is real (planned in a dry run). */
  leave(target: string, text: string): void {
    this.texts.set(target, text);
  }

  /** A write that was counted on did not happen (a deferred link failed): read the tree again. */
  forget(target: string): void {
    this.texts.delete(target);
  }
}

/** A file one sink of the run writes, and how it treats what is there. */
export interface Claim {
  sink: string;
  /** The format's label, for messages. */
  label: string;
  merges: boolean;
  type: string;
}
