/**
 * The real programs that read comfy-secrets's files, driven in batches: every file of a batch is written
 * to a temp dir (or already is on disk) and one child process reads them all, so hundreds of values
 * cost one spawn. The one home of the suite's real readers: every package's tests import them here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseWithNodeDotenv } from 'dotenv';
import type { DotenvReader } from '@comfy-secrets/core/contract';

/** Debian's python3 with python3-dotenv 0.21; the `python3` on PATH may be another one without it. */
export const PYTHON = '/usr/bin/python3';

export interface FileToRead {
  readonly text: string;
  /** The keys to report (bash prints only these: it has no list of what a sourced file set). */
  readonly keys: readonly string[];
}

/** What one reader made of one file; a missing key was not set. */
export type ReadResult = Map<string, string>;

const childEnv = { PATH: '/usr/bin:/bin', LC_ALL: 'C.UTF-8', PYTHONIOENCODING: 'utf-8' };

function withFiles<T>(files: readonly FileToRead[], suffix: string, run: (paths: string[]) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-readers-'));
  try {
    const paths = files.map((file, index) => {
      const target = path.join(dir, `${index}${suffix}`);
      fs.writeFileSync(target, file.text, 'utf8');
      return target;
    });
    return run(paths);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function python(script: string, input: unknown): unknown {
  const out = execFileSync(PYTHON, ['-c', script], { input: JSON.stringify(input), env: childEnv, maxBuffer: 512 * 1024 * 1024 });
  return JSON.parse(out.toString('utf8'));
}

const PYTHON_DOTENV = `
import json, logging, sys
logging.disable(logging.CRITICAL)
from dotenv import dotenv_values
json.dump([dict(dotenv_values(path)) for path in json.load(sys.stdin)], sys.stdout)
`;

/** python-dotenv's `dotenv_values(path)` on files already on disk, in one process; `null` for a key without `=`. */
export function pythonDotenvValuesOf(paths: readonly string[]): Array<Record<string, string | null>> {
  if (paths.length === 0) return [];
  return python(PYTHON_DOTENV, paths) as Array<Record<string, string | null>>;
}

/** What python-dotenv (the reader the custom nodes use) reads from one file on disk. */
export function pythonDotenvValues(file: string): Record<string, string | null> {
  const [values] = pythonDotenvValuesOf([file]);
  if (!values) throw new Error(`python-dotenv returned nothing for ${file}`);
  return values;
}

/** python-dotenv's `dotenv_values(path)` (interpolation on, its default) on texts; a key without a value is not set. */
export function readWithPythonDotenv(files: readonly FileToRead[]): ReadResult[] {
  if (files.length === 0) return [];
  return withFiles(files, '.env', (paths) =>
    pythonDotenvValuesOf(paths).map((values) => new Map(Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== null))),
  );
}

/** npm dotenv's `parse` on the file as `config()` reads it: the real reader, in-process. */
export function readWithNodeDotenv(files: readonly FileToRead[]): ReadResult[] {
  return withFiles(files, '.env', (paths) => paths.map((file) => new Map(Object.entries(parseWithNodeDotenv(fs.readFileSync(file, 'utf8'))))));
}

/** `set -a; . ./file; set +a` in one bash, each file in its own subshell; two NUL-ended fields per key. */
export function readWithBash(files: readonly FileToRead[]): ReadResult[] {
  if (files.length === 0) return [];
  return withFiles(files, '.env', (paths) => {
    const script = paths
      .map((file, index) => {
        const keys = files[index]?.keys ?? [];
        return `( cd ${JSON.stringify(path.dirname(file))}; set -a; . ./${path.basename(file)}; set +a; for k in ${keys.join(' ') || '_'}; do printf '%s\\0%s\\0' "\${!k+set}" "\${!k}"; done ) 2>/dev/null`;
      })
      .join('\n');
    const fields = execFileSync('bash', ['--noprofile', '--norc', '-c', script], { env: childEnv, maxBuffer: 512 * 1024 * 1024 }).toString('utf8').split('\0');
    let at = 0;
    return files.map((file) => {
      const values = new Map<string, string>();
      for (const key of file.keys.length ? file.keys : ['_']) {
        const set = fields[at++];
        const value = fields[at++] ?? '';
        if (set === 'set' && file.keys.length) values.set(key, value);
      }
      return values;
    });
  });
}

/**
 * `docker run --env-file`, modelled because there is no engine here. docker/cli pkg/kvfile says:
 * "Leading whitespace is removed for each line. Lines starting with "#" are ignored. [...] Both keys
 * and values are used as-is; no interpolation, substitution or escaping is supported, and quotes are
 * considered part of the key or value. Whitespace in values (including leading and trailing) is
 * preserved. [...] neither key, nor value, can contain newlines", "KEY is required and may not contain
 * whitespaces", and "Maximum line-length is limited to [bufio.MaxScanTokenSize]" (64 KiB, line and
 * LF together; past it the whole file is refused). bufio.ScanLines drops one CR before each LF.
 */
export function readWithDockerModel(files: readonly FileToRead[]): ReadResult[] {
  return files.map(({ text }) => {
    const values = new Map<string, string>();
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    for (const raw of lines) {
      if (Buffer.byteLength(raw) + 1 > 64 * 1024) return new Map();
      const line = raw.replace(/\r$/, '').replace(/^[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/, ''); // Go's unicode.IsSpace
      if (line === '' || line.startsWith('#')) continue;
      const cut = line.indexOf('=');
      const key = cut < 0 ? line : line.slice(0, cut);
      if (key === '' || /[ \t]/.test(key)) return new Map();
      if (cut >= 0) values.set(key, line.slice(cut + 1));
    }
    return values;
  });
}

export function readDotenvWith(reader: DotenvReader, files: readonly FileToRead[]): ReadResult[] {
  switch (reader) {
    case 'python-dotenv':
      return readWithPythonDotenv(files);
    case 'node-dotenv':
      return readWithNodeDotenv(files);
    case 'bash':
      return readWithBash(files);
    case 'docker':
      return readWithDockerModel(files);
  }
}

const CONFIGPARSER = `
import configparser, json, sys
out = []
for path, section, strict in json.load(sys.stdin):
    cp = configparser.ConfigParser(strict=strict)
    try:
        cp.read(path)
    except configparser.Error as error:
        out.append({"error": type(error).__name__})
        continue
    values = {}
    if cp.has_section(section) or section == cp.default_section:
        for key in cp.options(section) if section != cp.default_section else cp.defaults():
            try:
                values[key] = cp.get(section, key)
            except configparser.Error as error:
                values[key] = None
    out.append({"values": values, "sections": cp.sections()})
json.dump(out, sys.stdout)
`;

export interface ConfigparserResult {
  /** The exception class name when `read` raised. */
  readonly error?: string;
  /** Lowercased keys, as configparser yields them; `null` where `get` raised. */
  readonly values?: Record<string, string | null>;
  readonly sections?: string[];
}

/** Python's `configparser.ConfigParser(strict=…).read(path)`, then `get(section, key)` for every option. */
export function readWithConfigparser(files: ReadonlyArray<{ text: string; section: string; /** @default true */ strict?: boolean }>): ConfigparserResult[] {
  if (files.length === 0) return [];
  const asFiles = files.map(({ text }) => ({ text, keys: [] }));
  return withFiles(asFiles, '.ini', (paths) => python(CONFIGPARSER, paths.map((file, index) => [file, files[index]?.section, files[index]?.strict ?? true])) as ConfigparserResult[]);
}

const CONFIGPARSER_SECTIONS = `
import configparser, json, sys
out = []
for path in json.load(sys.stdin):
    c = configparser.ConfigParser()
    c.read(path)
    out.append({s: dict(c[s]) for s in c.sections()})
json.dump(out, sys.stdout)
`;

/**
 * ComfyUI-Manager's reading of a file on disk: `configparser.ConfigParser()` (interpolation on),
 * every section's values (DEFAULT's included, as `dict(c[s])` has them). Throws where Python raised.
 */
export function configparserSections(file: string): Record<string, Record<string, string>> {
  const [sections] = python(CONFIGPARSER_SECTIONS, [file]) as Array<Record<string, Record<string, string>>>;
  if (!sections) throw new Error(`configparser returned nothing for ${file}`);
  return sections;
}

/** `configparserSections` of a text, written to a temp `.ini` first. */
export function configparserSectionsOfText(text: string): Record<string, Record<string, string>> {
  return withFiles([{ text, keys: [] }], '.ini', ([file]) => configparserSections(file ?? ''));
}

/** A file for `readAll`, and which reader reads it. */
export type ReaderRequest =
  | { reader: 'python-dotenv'; file: string }
  | { reader: 'configparser'; file: string; section: string }
  | { reader: 'bash'; file: string; keys: readonly string[] };

/** What a reader read: the values by key, or why it could not read the file at all. */
export type ReaderResult = { values: Record<string, string | null> } | { error: string };

const PYTHON_READERS = `
import configparser, json, sys
from dotenv import dotenv_values
out = []
for request in json.load(sys.stdin):
    try:
        if request['reader'] == 'python-dotenv':
            out.append({'values': dict(dotenv_values(request['file']))})
        else:
            # What ComfyUI-Manager does: ConfigParser(strict=False), interpolation on, read as UTF-8.
            parser = configparser.ConfigParser(strict=False)
            with open(request['file'], encoding='utf-8') as handle:
                parser.read_file(handle)
            out.append({'values': dict(parser[request['section']])})
    except Exception as error:
        out.append({'error': type(error).__name__})
json.dump(out, sys.stdout)
`;

// Each file in its own subshell, exported like `set -a; . ./.env`; NUL ends every value (no
// environment value can hold one) and the status line ends the file's record.
const BASH_READER = `
while IFS= read -r -d '' file && IFS= read -r -d '' keys; do
  ( set -a; . "$file" >/dev/null 2>&1 || exit 3; for key in $keys; do if [ -n "\${!key+set}" ]; then printf 'v%s\\0' "\${!key}"; else printf 'u\\0'; fi; done )
  printf 's%d\\0' $?
done
`;

/**
 * Reads files already on disk with the real readers, one child process per reader kind, and says
 * which could not be read at all (the reliability suite's view: a torn file must read or fail whole).
 * Unlike `readWithConfigparser`, configparser runs as the Manager runs it (strict=False, UTF-8), and
 * bash's failure to source a file is reported, not read as "nothing set".
 */
export function readAll(requests: readonly ReaderRequest[]): ReaderResult[] {
  const results: ReaderResult[] = new Array(requests.length);
  const python = requests.map((request, index) => ({ request, index })).filter(({ request }) => request.reader !== 'bash');
  if (python.length > 0) {
    const run = spawnSync(PYTHON, ['-c', PYTHON_READERS], {
      input: JSON.stringify(python.map(({ request }) => request)),
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (run.status !== 0) throw new Error(`python readers failed: ${run.stderr}`);
    (JSON.parse(run.stdout) as ReaderResult[]).forEach((result, i) => (results[python[i]!.index] = result));
  }
  const bash = requests.map((request, index) => ({ request, index })).filter((entry): entry is { request: Extract<ReaderRequest, { reader: 'bash' }>; index: number } => entry.request.reader === 'bash');
  if (bash.length > 0) {
    const input = bash.map(({ request }) => `${request.file}\0${request.keys.join(' ')}\0`).join('');
    const run = spawnSync('/bin/bash', ['-c', BASH_READER], { input, encoding: 'utf8', env: { PATH: '/usr/bin:/bin' }, maxBuffer: 256 * 1024 * 1024 });
    if (run.status !== 0) throw new Error(`bash reader failed: ${run.stderr}`);
    const fields = run.stdout.split('\0');
    let cursor = 0;
    for (const { request, index } of bash) {
      const values: Record<string, string | null> = {};
      for (const key of request.keys) {
        const field = fields[cursor]!;
        if (field.startsWith('s')) break; // the subshell failed before printing every key
        cursor += 1;
        values[key] = field.startsWith('v') ? field.slice(1) : null;
      }
      const status = fields[cursor++]!;
      results[index] = status === 's0' ? { values } : { error: `bash exited ${status.slice(1)}` };
    }
  }
  return results;
}

/** What the emprops node's code paths read (see emprops-node.py); `null` where a name is unset. */
export interface EmpropsNodeView {
  before_load: Record<string, string | null>;
  hf_token: string | null;
  civitai_token: string | null;
  aws_access_key_id: string | null;
  s3_secret: string;
  saver_secret: string;
  lora_secret: string;
  provider: string;
  azure_handler: [string | null, string | null];
  saver_azure: [string | null, string | null, string];
  cdn_uri: string;
  openai_api_key: string | null;
}

/** The stand-in for the emprops node, as a command line: `/usr/bin/python3 emprops-node.py NODE_DIR [OUT]`. */
export const EMPROPS_NODE = [PYTHON, path.join(__dirname, 'emprops-node.py')] as const;

/** Runs the emprops stand-in on a node directory with exactly `env` (plus PATH and a UTF-8 locale). */
export function empropsNodeView(nodeDir: string, env: Record<string, string> = {}): EmpropsNodeView {
  const out = execFileSync(EMPROPS_NODE[0], [EMPROPS_NODE[1], nodeDir], { env: { ...childEnv, ...env } });
  return JSON.parse(out.toString('utf8')) as EmpropsNodeView;
}
