// On a terminal: colour in the report, the errors and the text log lines (NO_COLOR, FORCE_COLOR,
// TERM=dumb), each sink failure printed once; through pipes, plain text and JSON lines as before.
// The built CLI runs under a real pseudo-terminal: util-linux's `script`, which gives the command a
// pty for stdin, stdout and stderr and copies what it prints to our pipe.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliPath, repoRoot, runCli, tempTree, testLifecycleEnv } from '../../../test/helpers/cli';
import { colourChoice } from '../src/colour';
import { colourRunReport, formatRunReport } from '../src/report';

jest.setTimeout(60_000);

const ESC = '\u001b[';
const SGR = /\u001b\[[0-9;]*m/g;
const strip = (text: string) => text.replace(SGR, '');

/** Obviously fake, and distinct, so any form of one in the output is a leak. */
const API_KEY = 'sk_FAKE_terminal_canary_0001';
const THROWN = 'hf_FAKE_terminal_thrown_0002';
const CANARIES = [API_KEY, THROWN].flatMap((value) => [value, Buffer.from(value).toString('base64'), value.slice(4, 16)]);

const SINKS = `[
  { name: 'term_missing', nodes: ['term_missing_node'], variables: { TERM_NEEDED_TOKEN: { required: true } } },
  { name: 'term_ok', nodes: ['term_ok_node'], variables: { TERM_API_KEY: {} } },
  { name: 'term_throws', nodes: ['term_throws_node'], variables: {
      TERM_T: { from: ['TERM_THROWN_TOKEN'], transform: (value) => { throw new Error('cannot use ' + value + ' here'); } } } },
]`;

let tree: ReturnType<typeof tempTree>;
let args: string[];
beforeAll(() => {
  tree = tempTree({
    'ComfyUI/custom_nodes/term_missing_node/__init__.py': '',
    'ComfyUI/custom_nodes/term_ok_node/__init__.py': '',
    'ComfyUI/custom_nodes/term_throws_node/__init__.py': '',
    'plugin/term-sinks.js': `'use strict';\nmodule.exports = ${SINKS};\n`,
  });
  args = ['--comfyui-dir', path.join(tree.dir, 'ComfyUI'), '--plugin', path.join(tree.dir, 'plugin/term-sinks.js'), '--project', tree.dir];
});
afterAll(() => tree.cleanup());

const secrets = { TERM_API_KEY: API_KEY, TERM_THROWN_TOKEN: THROWN };
const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;

/**
 * The built CLI with stdout and stderr on one pseudo-terminal (what a person sees, both streams in
 * the order written), unless `redirect` sends stderr elsewhere (`2>FILE`).
 */
function onTerminal(cliArgs: readonly string[], env: Record<string, string> = {}, redirect = ''): { status: number | null; screen: string } {
  const command = `${[process.execPath, cliPath, ...cliArgs].map(quote).join(' ')}${redirect}`;
  const result = spawnSync('script', ['-qfec', command, '/dev/null'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SHELL: '/bin/sh', ...testLifecycleEnv(), ...secrets, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (result.error) throw result.error;
  // The terminal's line discipline turns each \n into \r\n.
  return { status: result.status, screen: result.stdout.replaceAll('\r\n', '\n') };
}

const count = (text: string, needle: string) => text.split(needle).length - 1;
const expectNoCanary = (text: string) => {
  for (const canary of CANARIES) expect(text).not.toContain(canary);
};

describe('on a terminal', () => {
  test('run: the report is coloured, each sink failure is printed once, no secret shows', () => {
    const { status, screen } = onTerminal(['run', ...args, '--log-level', 'debug']);
    expect(status).toBe(1);
    expect(screen).toContain(ESC);
    // The status column and the error line, in red.
    expect(screen).toContain(`  ${ESC}1m${ESC}31mfailed${ESC}39m${ESC}22m`);
    expect(screen).toContain(`${ESC}31merror MISSING_REQUIRED:${ESC}39m`);
    // Once in all of the terminal: the report's line, not also a log line before it.
    expect(count(screen, 'MISSING_REQUIRED')).toBe(1);
    expect(count(strip(screen), 'TERM_NEEDED_TOKEN is required')).toBe(1);
    // The transform's message quotes the value: the report names the key, not it.
    expect(count(screen, 'INVALID_VALUE')).toBe(1);
    // Debug lines are text on a terminal, their level coloured.
    expect(screen).toMatch(/comfy-secrets \u001b\[2mdebug\u001b\[22m/);
    expectNoCanary(screen);
    // The file was written all the same.
    expect(fs.readFileSync(path.join(tree.dir, 'ComfyUI/custom_nodes/term_ok_node/.env'), 'utf8')).toContain(API_KEY);
  });

  test('colour only wraps: stripped of its codes, the coloured screen is the NO_COLOR one', () => {
    const coloured = onTerminal(['plan', ...args]);
    const plain = onTerminal(['plan', ...args], { NO_COLOR: '1' });
    expect(coloured.status).toBe(1);
    expect(plain.status).toBe(1);
    expect(coloured.screen).toContain(ESC);
    expect(plain.screen).not.toContain('\u001b');
    expect(strip(coloured.screen)).toBe(plain.screen);
    expect(count(plain.screen, 'MISSING_REQUIRED')).toBe(1);
    expectNoCanary(coloured.screen + plain.screen);
  });

  test.each([
    ['NO_COLOR=1', { NO_COLOR: '1' }],
    ['NO_COLOR=true', { NO_COLOR: 'true' }],
    ['FORCE_COLOR=0', { FORCE_COLOR: '0' }],
    ['FORCE_COLOR=false', { FORCE_COLOR: 'false' }],
    ['TERM=dumb', { TERM: 'dumb' }],
  ])('%s: no colour', (_name, env) => {
    const { status, screen } = onTerminal(['check', ...args], env);
    expect(status).toBe(1);
    expect(screen).toContain('error MISSING_REQUIRED:');
    expect(screen).not.toContain('\u001b');
  });

  test.each([
    ['NO_COLOR= (empty: not set)', { NO_COLOR: '' }],
    ['FORCE_COLOR=1 wins over NO_COLOR=1', { FORCE_COLOR: '1', NO_COLOR: '1' }],
  ])('%s: colour', (_name, env) => {
    const { screen } = onTerminal(['check', ...args], env);
    expect(screen).toContain(`${ESC}31merror MISSING_REQUIRED:${ESC}39m`);
  });

  test('stderr to a file: the terminal shows the failure once (the report), the file keeps its log line, uncoloured', () => {
    const log = path.join(tree.dir, 'stderr.log');
    const { status, screen } = onTerminal(['check', ...args], {}, ` 2>${quote(log)}`);
    expect(status).toBe(1);
    expect(count(screen, 'MISSING_REQUIRED')).toBe(1);
    expect(screen).toContain(ESC);
    const logged = fs.readFileSync(log, 'utf8');
    // Text, as before, since stdout is a terminal; not coloured, since the file is not one.
    expect(logged).toContain('comfy-secrets error term_missing failed: TERM_NEEDED_TOKEN is required');
    expect(logged).not.toContain('\u001b');
    expectNoCanary(screen + logged);
  });

  test('a usage error is printed once, its "error CODE:" in red', () => {
    const { status, screen } = onTerminal(['run', '--no-such-flag']);
    expect(status).toBe(2);
    expect(screen).toMatch(/^comfy-secrets: \u001b\[1m\u001b\[31merror [A-Z_]+:\u001b\[39m\u001b\[22m /);
    expect(count(screen, '--no-such-flag')).toBe(1);
  });

  test('--json on a terminal: the document has no colour and parses', () => {
    const { status, screen } = onTerminal(['check', ...args, '--json'], {}, ' 2>/dev/null');
    expect(status).toBe(1);
    expect(screen).not.toContain('\u001b');
    const document = JSON.parse(screen) as { sinks: Array<{ name: string; errors: Array<{ code: string }> }> };
    expect(document.sinks.find((sink) => sink.name === 'term_missing')?.errors[0]?.code).toBe('MISSING_REQUIRED');
  });

  test('exec: the report on stderr is coloured, the failure printed once', () => {
    const { status, screen } = onTerminal(['exec', ...args, '--', '/bin/true']);
    expect(status).toBe(1);
    expect(screen).toContain(`${ESC}31merror MISSING_REQUIRED:${ESC}39m`);
    expect(count(screen, 'MISSING_REQUIRED')).toBe(1);
    expectNoCanary(screen);
  });
});

describe('clean and audit on a terminal', () => {
  test('clean: a removed file in green', () => {
    expect(onTerminal(['run', ...args]).status).toBe(1);
    const { status, screen } = onTerminal(['clean', '--comfyui-dir', path.join(tree.dir, 'ComfyUI')]);
    expect(status).toBe(0);
    expect(screen).toContain(`  ${ESC}32mremoved${ESC}39m`);
    expect(strip(screen)).toMatch(/^  removed  .*term_ok_node\/\.env$/m);
  });

  test('audit: a finding in red, the value it found not shown', () => {
    const dockerfile = path.join(tree.dir, 'Dockerfile');
    fs.writeFileSync(dockerfile, `FROM python:3.12\nENV TERM_API_KEY=${API_KEY}\n`);
    const { status, screen } = onTerminal(['audit', '--dockerfile', dockerfile, '--plugin', args[3]!, '--project', tree.dir]);
    expect(status).toBe(1);
    expect(screen).toMatch(/^\u001b\[1m\u001b\[31mFOUND\u001b\[39m\u001b\[22m .*Dockerfile:2: ENV TERM_API_KEY/m);
    expect(screen).toContain(`${ESC}1m${ESC}31maudit: 1 finding${ESC}39m${ESC}22m`);
    expectNoCanary(screen);
  });
});

describe('through pipes (pm2, docker logs)', () => {
  test('no colour, and the failure as a JSON line and in the report, as before', () => {
    const result = runCli(['check', ...args], { env: secrets });
    expect(result.status).toBe(1);
    expect(result.stdout + result.stderr).not.toContain('\u001b');
    expect(result.stdout).toContain('error MISSING_REQUIRED:');
    const lines = result.stderr.trim().split('\n').map((line) => JSON.parse(line) as { level: string; code?: string });
    expect(lines.filter((line) => line.code === 'MISSING_REQUIRED')).toHaveLength(1);
  });

  test('FORCE_COLOR=1: the text report and errors coloured, the JSON log lines not', () => {
    const result = runCli(['check', ...args], { env: { ...secrets, FORCE_COLOR: '1' } });
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`${ESC}31merror MISSING_REQUIRED:${ESC}39m`);
    expect(result.stderr).not.toContain('\u001b');
    for (const line of result.stderr.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    expectNoCanary(result.stdout + result.stderr);
    const usage = runCli(['run', '--no-such-flag'], { env: { FORCE_COLOR: '1' } });
    expect(usage.stderr).toMatch(/^comfy-secrets: \u001b\[1m\u001b\[31merror /);
  });

  test('FORCE_COLOR=1 with --json: the document stays uncoloured', () => {
    const result = runCli(['check', ...args, '--json'], { env: { ...secrets, FORCE_COLOR: '1' } });
    expect(result.stdout).not.toContain('\u001b');
    expect(() => JSON.parse(result.stdout)).not.toThrow();
  });
});

describe('colourChoice', () => {
  test.each([
    [{}, 'auto'],
    [{ NO_COLOR: '' }, 'auto'],
    [{ NO_COLOR: '0' }, 'never'],
    [{ FORCE_COLOR: '' }, 'auto'],
    [{ FORCE_COLOR: '1' }, 'always'],
    [{ FORCE_COLOR: '3' }, 'always'],
    [{ FORCE_COLOR: 'true' }, 'always'],
    [{ FORCE_COLOR: '0' }, 'never'],
    [{ FORCE_COLOR: 'FALSE' }, 'never'],
    [{ FORCE_COLOR: '1', NO_COLOR: '1' }, 'always'],
    [{ FORCE_COLOR: '1', TERM: 'dumb' }, 'always'],
    [{ TERM: 'dumb' }, 'never'],
    [{ TERM: 'xterm-256color' }, 'auto'],
  ])('%j → %s', (env, expected) => {
    expect(colourChoice(env)).toBe(expected);
  });
});

test('colourRunReport adds codes and nothing else', () => {
  const report = {
    comfyuiDir: '/ComfyUI',
    dryRun: false,
    exitCode: 1,
    envMismatches: [],
    counts: { written: 1, unchanged: 0, 'would-write': 0, skipped: 1, failed: 1 },
    sinks: [
      { name: 'a', status: 'written', files: [{ status: 'written', path: 'custom_nodes/a/.env', format: 'dotenv', mode: '0600' }], errors: [], variables: [], warnings: ['written (a word that is also a status) error X: here'] },
      { name: 'failed', status: 'failed', files: [], errors: [{ code: 'MISSING_REQUIRED', message: 'written failed skipped' }], variables: [] },
      { name: 'c', status: 'skipped', reason: 'its node is not installed', files: [], errors: [], variables: [] },
    ],
  } as unknown as Parameters<typeof formatRunReport>[0];
  const text = formatRunReport(report, 'run', false);
  const paint = (_style: unknown, word: string) => `\u001b[1m${word}\u001b[22m`;
  const coloured = colourRunReport(text, paint);
  expect(coloured).not.toBe(text);
  expect(strip(coloured)).toBe(text);
});
