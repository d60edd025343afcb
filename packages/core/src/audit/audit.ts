import { constants, type Stats } from 'node:fs';
import * as path from 'node:path';
import type { SecretSink, TargetChoice, TreeBase, VariableSpec } from '../contract';
import type { FileSystem } from '../fs';
import { chooseTargets } from '../files/target';
import { TEMPLATE_REFERENCE } from '../values/variables';

/**
 * Image hygiene: secrets belong in the platform's runtime environment, never in a Dockerfile's
 * `ARG`/`ENV` (both are kept in the image's history and config) nor in a file of the image. Findings
 * name files, lines and variables — never a value.
 */

/** Names that look like they hold a secret. `*_FILE` names hold a path (Docker secrets) and are fine. */
export const SECRET_NAME_PATTERN = /TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|ACCESS_?KEY|PRIVATE|(^|_)AUTH($|_)|(^|_)KEY$|_ENCODED$/i;

/**
 * Whether a variable's name says it holds a secret (`SECRET_NAME_PATTERN`). comfy-secrets' own
 * settings (`COMFY_SECRETS_STORE`, `COMFY_SECRETS_STATE_DIR`…) carry "SECRET" in the tool's name, not
 * a secret: an image may set them, and their values are words and paths.
 */
export function looksSecret(name: string): boolean {
  return !name.startsWith('COMFY_SECRETS_') && SECRET_NAME_PATTERN.test(name);
}

export const RUNTIME_ADVICE =
  "move it to the platform's runtime environment (SALAD container environment variables, vast.ai environment, docker run -e / --env-file); comfy-secrets writes it into the node's file at start";

export type FindingKind = 'dockerfile' | 'target-present' | 'secret-in-file';

export interface AuditFinding {
  kind: FindingKind;
  /** `error` fails the audit; `info` (a non-secret variable a sink declares) is listed only. */
  severity: 'error' | 'info';
  /** The Dockerfile, or the file's path inside the root file system (`/workspace/...`). */
  file: string;
  line?: number;
  /** The variable: the ARG/ENV name, or the variable whose value was found. */
  variable?: string;
  /** `ARG` or `ENV`, for Dockerfile findings. */
  instruction?: 'ARG' | 'ENV';
  /** How the value was found in a file. */
  encoding?: 'exact' | 'base64';
  /** The sink whose target this is, or that declares the variable. */
  sink?: string;
  message: string;
}

/**
 * The source names a variable reads, in resolveVariables's order: a `template`'s `${NAME}` references
 * (every config_nodes.json value is one), else `from`, else the key itself.
 */
export function sourceNames(key: string, spec: VariableSpec): readonly string[] {
  if (spec.template === undefined) return spec.from ?? [key];
  return [...new Set(Array.from(spec.template.matchAll(TEMPLATE_REFERENCE), (match) => match[1] as string))];
}

/** The names the sinks read (see sourceNames) and their `_ENCODED` twins, with whether each is secret. */
export function declaredNames(sinks: readonly SecretSink[]): Map<string, { sink: string; secret: boolean }> {
  const names = new Map<string, { sink: string; secret: boolean }>();
  for (const sink of sinks) {
    for (const [key, spec] of Object.entries(sink.variables)) {
      const secret = spec.secret ?? true;
      for (const name of sourceNames(key, spec)) {
        for (const variant of [name, `${name}_ENCODED`]) {
          const known = names.get(variant);
          if (!known || (secret && !known.secret)) names.set(variant, { sink: sink.name, secret });
        }
      }
    }
  }
  return names;
}

// ---------------------------------------------------------------------------------------------------
// Dockerfile

interface Instruction {
  keyword: string;
  /** The arguments with continuations joined; `lineOf(offset)` maps back to the source line. */
  text: string;
  lineOf(offset: number): number;
}

/** Splits a Dockerfile into instructions: `\` (or the `# escape=` character) continues a line; comment lines inside are dropped. */
export function parseDockerfile(source: string): Instruction[] {
  const lines = source.split(/\r?\n/);
  const escape = /^#\s*escape\s*=\s*`/i.test(lines.find((line) => !/^\s*$/.test(line)) ?? '') ? '`' : '\\';
  const instructions: Instruction[] = [];
  let parts: Array<{ text: string; line: number }> = [];
  const flush = () => {
    if (parts.length === 0) return;
    const starts: Array<[offset: number, line: number]> = [];
    let text = '';
    for (const part of parts) {
      starts.push([text.length, part.line]);
      text += `${part.text} `;
    }
    parts = [];
    const match = /^\s*([A-Za-z]+)\s*/.exec(text);
    if (!match?.[1]) return;
    const base = match[0].length;
    instructions.push({
      keyword: match[1].toUpperCase(),
      text: text.slice(base),
      lineOf: (offset) => {
        let line = starts[0]?.[1] ?? 1;
        for (const [start, number] of starts) if (start <= offset + base) line = number;
        return line;
      },
    });
  };
  lines.forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (parts.length > 0 && trimmed === '')) return; // comments (and blank lines) inside a continuation
    const continued = raw.trimEnd().endsWith(escape);
    parts.push({ text: continued ? raw.trimEnd().slice(0, -1) : raw, line: index + 1 });
    if (!continued) flush();
  });
  flush();
  return instructions;
}

/** `ARG`/`ENV` names with their offsets: `ARG A B=1`, `ENV A=1 B="x y"`, legacy `ENV A value words`. */
function declaredIn(instruction: Instruction): Array<{ name: string; offset: number }> {
  const tokens: Array<{ text: string; offset: number }> = [];
  const pattern = /(?:[^\s"']+|"(?:\\.|[^"\\])*"|'[^']*')+/g;
  for (let match = pattern.exec(instruction.text); match; match = pattern.exec(instruction.text)) tokens.push({ text: match[0], offset: match.index });
  const names = tokens.filter((token) => !token.text.startsWith('--'));
  if (instruction.keyword === 'ENV' && names[0] && !names[0].text.includes('=')) return [{ name: names[0].text, offset: names[0].offset }];
  return names.map((token) => ({ name: token.text.split('=')[0] ?? '', offset: token.offset })).filter((entry) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(entry.name));
}

/** Every `ARG`/`ENV` in a Dockerfile whose name looks secret or is one a sink reads. */
export function auditDockerfile(source: string, file: string, sinks: readonly SecretSink[]): AuditFinding[] {
  const declared = declaredNames(sinks);
  const findings: AuditFinding[] = [];
  for (const instruction of parseDockerfile(source)) {
    if (instruction.keyword !== 'ARG' && instruction.keyword !== 'ENV') continue;
    const kind = instruction.keyword;
    for (const { name, offset } of declaredIn(instruction)) {
      if (name.endsWith('_FILE')) continue;
      const sink = declared.get(name);
      const secretName = looksSecret(name);
      if (!secretName && !sink) continue;
      const secret = secretName || sink?.secret === true;
      const where = kind === 'ARG' ? 'build arguments are recorded in the image history' : 'ENV is baked into the image config';
      const why = sink ? `${name} is read by sink ${sink.sink}${sink.secret ? '' : ' (not secret)'}` : `${name} looks like a secret`;
      findings.push({
        kind: 'dockerfile',
        severity: secret ? 'error' : 'info',
        file,
        line: instruction.lineOf(offset),
        variable: name,
        instruction: kind,
        sink: sink?.sink,
        message: `${kind} ${name}: ${why}; ${where} — ${RUNTIME_ADVICE}${kind === 'ARG' ? ' (for a build-time need, use RUN --mount=type=secret)' : ''}`,
      });
    }
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------------
// Root file system

export interface RootfsAuditOptions {
  fs: FileSystem;
  /** The unpacked image or container file system. */
  rootfs: string;
  /** The ComfyUI root as seen inside it, e.g. `/workspace/ComfyUI`. */
  comfyuiDir: string;
  sinks: readonly SecretSink[];
  /** Secret values to look for, by the variable that holds them. Values shorter than `minValueLength` are skipped. */
  secrets: ReadonlyArray<readonly [variable: string, value: string]>;
  /** @default 16 MiB: bigger files (models, wheels) are skipped and counted. */
  maxFileSize?: number;
  /** @default 8 */
  minValueLength?: number;
}

export interface RootfsAuditResult {
  findings: AuditFinding[];
  scanned: number;
  skipped: { large: number; unreadable: number; special: number };
  /** Variables not searched for because their value is too short to be told from ordinary text. */
  tooShort: string[];
}

/** Pseudo and volatile file systems of a running container, never part of an image. */
const SKIPPED_TOP = new Set(['proc', 'sys', 'dev']);

/**
 * Sink target files already present, and any file holding a current secret value (raw or base64, at any
 * alignment). Symlinks are never followed; special files and files over the size limit are skipped.
 */
export function auditRootfs(options: RootfsAuditOptions): RootfsAuditResult {
  const { fs, rootfs } = options;
  const result: RootfsAuditResult = { findings: [], scanned: 0, skipped: { large: 0, unreadable: 0, special: 0 }, tooShort: [] };
  const inside = (absolute: string) => `/${path.relative(rootfs, absolute).split(path.sep).join('/')}`;

  for (const { sink, target } of sinkTargets(options)) {
    const stat = lstat(fs, target);
    if (stat && (stat.isFile() || stat.isSymbolicLink())) {
      result.findings.push({
        kind: 'target-present',
        severity: 'error',
        file: inside(target),
        sink: sink.name,
        message: `${inside(target)} (the file sink ${sink.name} writes at start) is already in the image — remove it from the image; ${RUNTIME_ADVICE}`,
      });
    }
  }

  const minLength = options.minValueLength ?? 8;
  const needles: Array<{ variable: string; bytes: Buffer; encoding: 'exact' | 'base64' }> = [];
  for (const [variable, value] of options.secrets) {
    if (value.length < minLength) {
      result.tooShort.push(variable);
      continue;
    }
    needles.push({ variable, bytes: Buffer.from(value, 'utf8'), encoding: 'exact' });
    for (const form of base64Forms(Buffer.from(value, 'utf8'))) needles.push({ variable, bytes: Buffer.from(form, 'latin1'), encoding: 'base64' });
  }
  const maxSize = options.maxFileSize ?? 16 * 1024 * 1024;

  const walk = (directory: string, depth: number) => {
    let names: string[];
    try {
      names = fs.readdirSync(directory);
    } catch {
      result.skipped.unreadable += 1;
      return;
    }
    for (const name of names.sort()) {
      if (depth === 0 && SKIPPED_TOP.has(name)) continue;
      const absolute = path.join(directory, name);
      const stat = lstat(fs, absolute);
      if (!stat || stat.isSymbolicLink()) continue;
      if (stat.isDirectory()) {
        walk(absolute, depth + 1);
        continue;
      }
      if (!stat.isFile()) {
        result.skipped.special += 1;
        continue;
      }
      if (stat.size > maxSize) {
        result.skipped.large += 1;
        continue;
      }
      if (needles.length === 0) continue;
      const bytes = readNoFollow(fs, absolute);
      if (!bytes) {
        result.skipped.unreadable += 1;
        continue;
      }
      result.scanned += 1;
      const reported = new Set<string>();
      for (const needle of needles) {
        const key = `${needle.variable}:${needle.encoding}`;
        if (reported.has(key) || bytes.indexOf(needle.bytes) === -1) continue;
        reported.add(key);
        result.findings.push({
          kind: 'secret-in-file',
          severity: 'error',
          file: inside(absolute),
          variable: needle.variable,
          encoding: needle.encoding,
          message: `${inside(absolute)} contains the value of ${needle.variable}${needle.encoding === 'base64' ? ' (base64-encoded)' : ''} — remove it from the image and rotate the secret`,
        });
      }
    }
  };
  if (lstat(fs, rootfs)?.isDirectory()) walk(rootfs, 0);
  return result;
}

/**
 * The base64 text of `value` at each of the three alignments it can have inside a longer encoded
 * blob: only the characters determined by the value's own bits, so a match does not depend on the
 * bytes around it.
 */
export function base64Forms(value: Buffer): string[] {
  const forms = new Set<string>();
  for (let shift = 0; shift < 3; shift += 1) {
    const encoded = Buffer.concat([Buffer.alloc(shift), value]).toString('base64').replace(/=+$/, '');
    const first = Math.ceil((8 * shift) / 6);
    const last = Math.floor((8 * (shift + value.length)) / 6); // exclusive
    const core = encoded.slice(first, last);
    if (core.length >= 8) forms.add(core);
  }
  return [...forms];
}

function sinkTargets(options: RootfsAuditOptions): Array<{ sink: SecretSink; target: string }> {
  const { fs, rootfs } = options;
  const comfyui = path.join(rootfs, options.comfyuiDir);
  const targets: Array<{ sink: SecretSink; target: string }> = [];
  for (const sink of options.sinks) {
    // A node that runs from outside custom_nodes (a pip package) has its files too.
    if (sink.installedElsewhere && !sink.nodes.some((node) => lstat(fs, path.join(comfyui, 'custom_nodes', node)) !== undefined)) {
      for (const choice of chooseFiles(sink, fs, comfyui, undefined)) {
        if (choice.relativeTo === 'node') continue;
        targets.push({ sink, target: path.resolve(choice.relativeTo === 'user' ? path.join(comfyui, 'user') : comfyui, choice.path) });
      }
    }
    for (const node of sink.nodes) {
      const nodeDir = path.join(comfyui, 'custom_nodes', node);
      for (const choice of chooseFiles(sink, fs, comfyui, nodeDir)) {
        // A file below the home or another outside root is in no fixed place of the image (it depends on
        // the user ComfyUI runs as): the audit looks in the ComfyUI tree only.
        if (choice.relativeTo !== undefined && choice.relativeTo !== 'node' && choice.relativeTo !== 'comfyui' && choice.relativeTo !== 'user') continue;
        const base = choice.relativeTo === 'comfyui' ? comfyui : choice.relativeTo === 'user' ? path.join(comfyui, 'user') : nodeDir;
        targets.push({ sink, target: path.resolve(base, choice.path) });
      }
    }
  }
  return targets;
}

/** The sink's choice in the unpacked image (its user directory the default `user`); a `file()` that fails here has no target to look at. */
function chooseFiles(sink: SecretSink, fs: FileSystem, comfyuiDir: string, nodeDir: string | undefined): TargetChoice[] {
  const userDir = path.join(comfyuiDir, 'user');
  const under = (relative: string, base?: TreeBase) => path.join(base === 'user' ? userDir : comfyuiDir, relative);
  try {
    return chooseTargets(sink, {
      comfyuiDir,
      userDir,
      nodeDir,
      hfTokenName: 'token',
      readText: (relative, base) => readNoFollow(fs, under(relative, base))?.toString('utf8'),
      exists: (relative, base) => lstat(fs, under(relative, base)) !== undefined,
    });
  } catch {
    return [];
  }
}

function lstat(fs: FileSystem, file: string): Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch {
    return undefined;
  }
}

function readNoFollow(fs: FileSystem, file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    return fs.fstatSync(fd).isFile() ? fs.readFileSync(fd) : undefined;
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}
