import type { Lifecycle } from '../state/lifecycle';
import type { DeclaredRoots } from '../files/roots';
import type { VariableReport } from '../values/variables';

/** What a run is asked to do, and what it reports: the run's vocabulary, shared by its two halves. */

export interface RunOptions {
  /** Absolute path of the ComfyUI root. */
  comfyuiDir: string;
  /** Absolute path of ComfyUI's user directory (its `--user-directory`). @default `<comfyuiDir>/user` */
  userDir?: string;
  /** Decide everything, write nothing (`plan`, `check`, `run --dry-run`). */
  dryRun?: boolean;
  /** A missing optional variable fails its sink too. */
  strict?: boolean;
  /** Run only these sinks (others are reported as skipped). */
  only?: readonly string[];
  skip?: readonly string[];
  /** Owner of written files, e.g. the user ComfyUI runs as. */
  owner?: { uid: number; gid: number };
  /**
   * Without `owner`: give each file the owner of the node directory it is written for (the CLI sets
   * this when it runs as root, so a ComfyUI running as another user can read its files).
   */
  ownerFromNodeDir?: boolean;
  /** @default 0o600 */
  mode?: number;
  /** State to record writes in (for `clean`) and the memory store; absent: plain disk writes, nothing recorded. */
  lifecycle?: Lifecycle;
  /**
   * Where the roots outside the ComfyUI tree are, as the CLI found them from the environment of the
   * user ComfyUI runs as. A sink writing below a root missing here fails, naming it.
   */
  roots?: DeclaredRoots;
}

export type FileStatus = 'written' | 'unchanged' | 'would-write';
export type SinkStatus = FileStatus | 'skipped' | 'failed';

export interface FileReport {
  /** Relative to the ComfyUI root. */
  path: string;
  status: FileStatus;
  format: string;
  mode: string;
  /** Why the sink chose this location, when it chose. */
  reason?: string;
  /** `memory`: the path is a link into the memory-only store. */
  store?: 'memory' | 'disk';
  /** The node's git checkout tracks the file: writing it dirties the checkout (a warning says so). */
  tracked?: boolean;
}

export interface ErrorReport {
  code: string;
  message: string;
  variable?: string;
  file?: string;
}

export interface SinkReport {
  name: string;
  plugin: string;
  status: SinkStatus;
  /** Why it was skipped. */
  reason?: string;
  files: FileReport[];
  variables: VariableReport[];
  errors: ErrorReport[];
  /** What the chosen reader will do differently from what was set (also logged as warnings); absent when nothing. */
  warnings?: string[];
}


/**
 * A key of a dotenv file this run wrote (or left unchanged) whose value in the platform environment
 * differs: python-dotenv's `load_dotenv` (override=False) keeps the environment's, so a process
 * started with that environment would not see the file's value. Names only, never a value.
 */
export interface EnvMismatch {
  key: string;
  sink: string;
  /** Relative to the ComfyUI root. */
  file: string;
  /** `differs`: the environment holds another value; `empty`: it is set empty and the file leaves the key out. */
  kind: 'differs' | 'empty';
}

export interface RunReport {
  comfyuiDir: string;
  dryRun: boolean;
  exitCode: number;
  sinks: SinkReport[];
  counts: Record<SinkStatus, number>;
  /** See {@link EnvMismatch}; `exec` removes these keys from the command's environment. */
  envMismatches: EnvMismatch[];
}
