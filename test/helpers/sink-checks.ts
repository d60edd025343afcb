/**
 * The adversarial value classes every shipped sink is checked with against its node's reader: each
 * value goes through the real runner (`runSink`) into the sink's file, and the node's reader must read
 * it back byte-identical, or the sink must have refused it with an error naming the key (never the value).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runSink, type RunSinkOptions } from '@comfy-secrets/testing';
import type { SecretSink } from '@comfy-secrets/core/contract';
import { readAsNodes, type NodeReadRequest } from './node-readers';

// A PEM-shaped value, assembled so no key marker is written out in one piece.
const PEM_LIKE = [['-----BEGIN', 'FAKE TEST KEY-----'].join(' '), 'MIIFAKEFAKE+/=', ['-----END', 'FAKE TEST KEY-----'].join(' ')].join('\n');

export const ADVERSARIAL_VALUES: readonly string[] = [
  'hf_FAKE_plain_value_0123456789',
  'sk-FAKE-with spaces inside',
  '  FAKE leading and trailing  ',
  "FAKE'single'quote",
  'FAKE"double"quote',
  'FAKE\u201ccurly\u201d \u2018quotes\u2019',
  'FAKE`back`tick',
  'FAKE # not a comment',
  '#FAKE-starts-with-hash',
  'FAKE-ends-with-hash#',
  'FAKE\\back\\slash\\n literal',
  'FAKE trailing backslash\\',
  'FAKE $HOME ${HOME} $',
  'FAKE 100% %(x)s %%',
  'FAKE=equals=in=value==',
  'FAKE; semicolon [section] {json: "like"}',
  'FAKE: colon space - dash *star &amp !bang |pipe >gt',
  'yes',
  'null',
  '~',
  '0x1F',
  '012',
  '1e3',
  '2001-01-01',
  'FAKE unicode \u00e9 \u00fc \u65e5\u672c \ud83d\ude00',
  '\u00a0FAKE nbsp edges\u00a0',
  'FAKE\ttab',
  'FAKE\u2028line separator',
  'FAKE\u0085next line',
  'FAKE\u007fdel\u001bescape',
  '\ufeffFAKE bom',
  'FAKE line1\nline2',
  'FAKE crlf\r\nline',
  'FAKE cr only\r',
  'FAKE ends with newline\n',
  PEM_LIKE,
  '=',
  'x',
  `FAKE${'long'.repeat(1000)}`,
];

export interface ReaderCheck {
  sink: SecretSink;
  /** The output key the value lands in. */
  key: string;
  /** The variable the value is given as. */
  variable: string;
  /** The written file, as `runSink` keys it (`custom_nodes/x/.env`, `~/.config/...`). */
  file: string;
  /** How the node reads the file at `path`. */
  read: (path: string) => NodeReadRequest;
  /** The key's value in what the reader returned. */
  pick: (read: unknown) => unknown;
  options?: Omit<RunSinkOptions, 'env'> & { env?: Record<string, string> };
}

export interface CheckFigures {
  written: number;
  refused: number;
  /** Values refused, for the test to say which classes a format cannot carry. */
  refusedValues: string[];
}

/** Runs every value; each one is exact as the reader reads it, or refused naming `key`. */
export function expectExactOrRefused(check: ReaderCheck, values: readonly string[] = ADVERSARIAL_VALUES): CheckFigures {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-node-read-'));
  try {
    const written: Array<{ value: string; request: NodeReadRequest }> = [];
    const refusedValues: string[] = [];
    values.forEach((value, index) => {
      const run = runSink(check.sink, { ...check.options, env: { ...check.options?.env, [check.variable]: value } });
      if (run.result.status === 'failed') {
        const [error] = run.result.errors;
        expect({ value, code: error?.code, variable: error?.variable }).toEqual({ value, code: expect.stringMatching(/^(UNWRITABLE_VALUE|INVALID_VALUE)$/), variable: check.key });
        // The value itself never shows (short ones are pieces of any message, so only longer ones are looked for).
        if (value.trim().length >= 8) expect(JSON.stringify(run)).not.toContain(JSON.stringify(value.trim()).slice(1, -1));
        refusedValues.push(value);
        return;
      }
      expect({ value, status: run.result.status }).toEqual({ value, status: 'written' });
      const text = run.files[check.file]?.text;
      if (text === undefined) throw new Error(`${check.file} was not written; files: ${Object.keys(run.files).join(', ')}`);
      const file = path.join(dir, `${index}${path.extname(check.file)}`);
      fs.writeFileSync(file, text, 'utf8');
      written.push({ value, request: check.read(file) });
    });
    const results = readAsNodes(written.map((entry) => entry.request));
    results.forEach((result, i) => {
      const { value } = written[i]!;
      expect({ value, read: 'error' in result ? result : check.pick(result.value) }).toEqual({ value, read: value });
    });
    expect(written.length).toBeGreaterThan(0);
    return { written: written.length, refused: refusedValues.length, refusedValues };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What the node's reader reads from `text` (written to a temp file named like `file`). */
export function readTextAs(text: string, file: string, request: (path: string) => NodeReadRequest): unknown {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'comfy-secrets-node-read-'));
  try {
    const target = path.join(dir, path.basename(file));
    fs.writeFileSync(target, text, 'utf8');
    const [result] = readAsNodes([request(target)]);
    if (!result || 'error' in result) throw new Error(`reader failed: ${result && 'error' in result ? result.error : 'no result'}`);
    return result.value;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
