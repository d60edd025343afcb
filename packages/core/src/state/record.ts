// What the state file records of one target; apart from state.ts so that its journal, which holds
// the same records, need not import the state that imports it.

export interface PreviousFile {
  /** Absolute path of the saved copy of the file's previous bytes. */
  backup: string;
  sha256: string;
  mode: string;
  uid: number;
  gid: number;
  /** The new content was merged into it (ini, json with `merge`) rather than replacing it. */
  merged: boolean;
}

export interface StateRecord {
  /** Absolute path of the target (for the memory store: the link). */
  path: string;
  /** Relative to the ComfyUI root, for messages. */
  file: string;
  comfyuiDir: string;
  sink: string;
  /** sha256 of the bytes written (of the store file, for the memory store). */
  sha256: string;
  mode: string;
  store: 'disk' | 'memory';
  /** The real file, for the memory store. */
  storedAt?: string;
  /** ISO-8601 time of the write. */
  writtenAt: string;
  /** The file that was at the target before comfy-secrets first wrote it. */
  previous?: PreviousFile;
}
