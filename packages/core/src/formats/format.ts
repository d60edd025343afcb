/** What every file format does: render entries to text exactly, and read that text back. */
export interface RenderRequest {
  /** Output keys and their final values, in file order. */
  readonly entries: ReadonlyArray<readonly [key: string, value: string]>;
  /** Comment lines for the top of the file, without the comment marker. Formats without comments drop them. */
  readonly header: readonly string[];
  /** The file's current text, for formats that merge into what is there. */
  readonly existing?: string;
}

export interface Format {
  /** Shown by `plan` and `list`, e.g. `dotenv (python-dotenv)` or `ini [default]`. */
  readonly label: string;
  /**
   * Renders the whole file. Throws {@link UnwritableValueError} for a value the format's readers would
   * not read back exactly. Never puts a value in an error.
   */
  render(request: RenderRequest): string;
  /**
   * Reads text back the way the format's declared readers would. For merging formats these are only
   * the keys this format manages (the section, or the top-level object). `render` does its own
   * read-back check; this is for tools that show what a reader gets (`@comfy-secrets/testing`'s `runSink`).
   */
  parse(text: string): Record<string, string>;
}

/** A value the format cannot carry to its readers. The message says why, never what the value is. */
export class UnwritableValueError extends Error {
  readonly code = 'UNWRITABLE_VALUE';
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`${key}: ${reason}`);
    this.name = 'UnwritableValueError';
  }
}
