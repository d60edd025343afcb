import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  checkSinks,
  createContainer,
  createFormat,
  declaredRoots,
  Redactor,
  realFileSystem,
  Runner,
  type Format,
  type Logger,
  type SecretSink,
  type SinkReport,
} from '@comfy-secrets/core';

export interface RunSinkOptions {
  /** The container's environment for this run. @default {} */
  env?: Record<string, string | undefined>;
  /**
   * More files for the ComfyUI tree, relative to its root: `{ 'user/__manager/config.ini': '[default]\n' }`.
   * A path ending in `/` makes an empty directory. `../` leaves the tree (for a `userDir` beside it).
   */
  files?: Record<string, string>;
  /**
   * Which of the sink's node directories exist under `custom_nodes/`. `[]` installs none, to test
   * that the sink is skipped.
   * @default the sink's first node
   */
  nodes?: readonly string[];
  /** ComfyUI's user directory, relative to its root (`../data/user` is beside the tree), as `--user-directory`. @default 'user' */
  userDir?: string;
  /** As `comfy-secrets run --strict`. */
  strict?: boolean;
  /** As `comfy-secrets plan`: decide everything, write nothing. */
  dryRun?: boolean;
  /** Pins the `Generated at` header line. @default now */
  now?: Date;
  /**
   * Files for a temporary home directory (the home of the user ComfyUI runs as), relative to it:
   * `{ '.config/comfy-cli/config.ini': '[DEFAULT]\n' }`. The home always exists; `$HOME` is set to it
   * unless `env` sets it, and `$XDG_CONFIG_HOME`, `$HF_HOME`… in `env` are honoured as by the CLI.
   * Files below the home are keyed `~/<path>` in the result.
   */
  homeFiles?: Record<string, string>;
}

/** A file the sink wrote (or left unchanged), read back before the tree was removed. */
export interface WrittenFile {
  text: string;
  /** Permission bits, e.g. `0o600`. */
  mode: number;
  /** What the sink's format reads back from `text` (for merging formats, only the keys it manages). */
  values: Record<string, string>;
}

export interface LogEntry {
  level: 'error' | 'warn' | 'info' | 'debug';
  /** Already redacted, as it would be printed. */
  message: string;
  meta?: Record<string, unknown>;
}

export interface SinkRun {
  /** The runner's report for the sink: status, files, masked variables, errors. */
  result: SinkReport;
  /**
   * By path relative to the ComfyUI root, as they are after the run: every file of the report and
   * every file given in `files` (so a test can check that a failed sink left one untouched).
   */
  files: Record<string, WrittenFile>;
  logs: LogEntry[];
}

/**
 * Runs one sink through the real runner (the same resolution, rendering and safe writer as
 * `comfy-secrets run`) against a temporary ComfyUI tree holding the sink's node directory and `files`,
 * reads back what it wrote, and removes the tree. A sink that is not a valid sink throws the same
 * `ConfigError` discovery would.
 */
export function runSink(sink: SecretSink, options: RunSinkOptions = {}): SinkRun {
  const [loaded] = checkSinks([sink], `runSink(${typeof sink?.name === 'string' ? sink.name : 'sink'})`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-sink-'));
  const homeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-home-'));
  try {
    // One level down, so that a user directory or file given as `../…` stays in the temp directory.
    const comfyuiDir = path.join(fs.realpathSync(dir), 'ComfyUI');
    fs.mkdirSync(comfyuiDir);
    const userDir = path.resolve(comfyuiDir, options.userDir ?? 'user');
    if (!userDir.startsWith(fs.realpathSync(dir) + path.sep)) throw new Error('runSink: userDir must stay inside the temporary directory');
    // A ComfyUI root always has custom_nodes/, even when no node of the sink is installed.
    fs.mkdirSync(path.join(comfyuiDir, 'custom_nodes'));
    const home = fs.realpathSync(homeDir);
    for (const [relative, content] of Object.entries(options.homeFiles ?? {})) {
      const file = path.join(home, relative);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
    for (const node of options.nodes ?? sink.nodes.slice(0, 1)) fs.mkdirSync(path.join(comfyuiDir, 'custom_nodes', node), { recursive: true });
    for (const [relative, content] of Object.entries(options.files ?? {})) {
      const file = path.join(comfyuiDir, relative);
      if (relative.endsWith('/')) {
        fs.mkdirSync(file, { recursive: true });
      } else {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, content);
      }
    }

    const redactor = new Redactor();
    const logs: LogEntry[] = [];
    const container = createContainer({
      env: options.env ?? {},
      cwd: comfyuiDir,
      fs: realFileSystem,
      sinks: [loaded!],
      logger: memoryLogger(logs, redactor),
      redactor,
      clock: options.now ? () => options.now! : undefined,
    });
    const roots = declaredRoots({ HOME: home, ...options.env }, realFileSystem, undefined);
    const report = container.resolve(Runner).run({ comfyuiDir, userDir: options.userDir === undefined ? undefined : userDir, strict: options.strict, dryRun: options.dryRun, roots });
    const result = report.sinks[0]!;

    // Values as a lenient reader reads them: a file a strict=False reader accepts is read too (the real readers are in the tests).
    const spec = sink.format === 'ini' ? { type: 'ini' as const } : sink.format;
    const format = createFormat(typeof spec === 'object' && spec.type === 'ini' ? { ...spec, strict: false } : spec);
    const files: Record<string, WrittenFile> = {};
    const given = Object.keys(options.files ?? {}).filter((relative) => !relative.endsWith('/'));
    const homeGiven = Object.keys(options.homeFiles ?? {}).map((relative) => path.join(home, relative));
    for (const relative of [...result.files.map((file) => file.path), ...given, ...homeGiven]) {
      const file = path.resolve(comfyuiDir, relative);
      if (!fs.existsSync(file)) continue;
      const text = fs.readFileSync(file, 'utf8');
      const key = file.startsWith(`${home}${path.sep}`) ? `~/${path.relative(home, file)}` : path.isAbsolute(relative) ? file : relative;
      files[key.split(path.sep).join('/')] = { text, mode: fs.statSync(file).mode & 0o777, values: parseOrNothing(format, text) };
    }
    return { result, files, logs };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(homeDir, { recursive: true, force: true });
  }
}

/** A file the test supplied need not be in the sink's format (and a parser's error would quote it). */
function parseOrNothing(format: Format, text: string): Record<string, string> {
  try {
    return format.parse(text);
  } catch {
    return {};
  }
}

/** Keeps log entries in memory, redacted like every line the CLI prints. */
function memoryLogger(logs: LogEntry[], redactor: Redactor): Logger {
  const at = (level: LogEntry['level']) => (message: string, meta?: Record<string, unknown>) => {
    // String values only, as the CLI's --json does: a secret equal to a piece of the layout cannot break it.
    const redacted = meta && (JSON.parse(JSON.stringify(meta, (_key, value: unknown) => (typeof value === 'string' ? redactor.redact(value) : value))) as Record<string, unknown>);
    logs.push({ level, message: redactor.redact(message), meta: redacted });
  };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}
