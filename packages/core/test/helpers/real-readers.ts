/**
 * The real programs that read runtime-env's files, driven in batches: every file of a batch is written
 * to a temp dir and one child process reads them all, so hundreds of values cost one spawn.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseWithNodeDotenv } from 'dotenv';
import type { DotenvReader } from '../../src/contract';

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
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runtime-env-readers-'));
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
out = []
for path in json.load(sys.stdin):
    out.append({k: v for k, v in dotenv_values(path).items() if v is not None})
json.dump(out, sys.stdout)
`;

/** python-dotenv's `dotenv_values(path)` (interpolation on, its default), in one process. */
export function readWithPythonDotenv(files: readonly FileToRead[]): ReadResult[] {
  if (files.length === 0) return [];
  return withFiles(files, '.env', (paths) => (python(PYTHON_DOTENV, paths) as Array<Record<string, string>>).map((values) => new Map(Object.entries(values))));
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
for path, section in json.load(sys.stdin):
    cp = configparser.ConfigParser()
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

/** Python's `configparser.ConfigParser().read(path)`, then `get(section, key)` for every option. */
export function readWithConfigparser(files: ReadonlyArray<{ text: string; section: string }>): ConfigparserResult[] {
  if (files.length === 0) return [];
  const asFiles = files.map(({ text }) => ({ text, keys: [] }));
  return withFiles(asFiles, '.ini', (paths) => python(CONFIGPARSER, paths.map((file, index) => [file, files[index]?.section])) as ConfigparserResult[]);
}
