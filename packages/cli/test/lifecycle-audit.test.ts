import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, runCli, tempTree } from '../../../test/helpers/cli';

const BAD = path.join(__dirname, 'fixtures/Dockerfile.bad');
const EXAMPLE = path.join(repoRoot, 'examples/container/Dockerfile');
const HF_TOKEN = 'hf_FAKE_audit_planted_token_0004';

interface Finding {
  kind: string;
  severity: string;
  file: string;
  line?: number;
  variable?: string;
  encoding?: string;
}
const audit = (args: string[], env: Record<string, string> = {}) => runCli(['audit', ...args], { env });

describe('comfy-secrets audit --dockerfile', () => {
  test('the container example is clean (exit 0)', () => {
    const result = audit(['--dockerfile', EXAMPLE]);

    expect(result.stdout).toContain('audit: clean');
    expect(result.status).toBe(0);
  });

  test('flags secret ARG/ENV with their line numbers, across continuations and the legacy ENV form, and exits 1', () => {
    const result = audit(['--dockerfile', BAD, '--json']);

    expect(result.status).toBe(1);
    const findings = (JSON.parse(result.stdout) as { findings: Finding[] }).findings.filter((finding) => finding.severity === 'error');
    expect(findings.map((finding) => [finding.variable, finding.line])).toEqual([
      ['HF_TOKEN', 2],
      ['AWS_SECRET_ACCESS_KEY', 5],
      ['OPENAI_API_KEY', 7],
    ]);
  });

  test("lists a non-secret variable a sink reads as info, which does not fail the audit on its own", () => {
    const result = audit(['--dockerfile', BAD, '--json']);

    const info = (JSON.parse(result.stdout) as { findings: Finding[] }).findings.filter((finding) => finding.severity === 'info');
    expect(info.map((finding) => finding.variable)).toEqual(['AWS_DEFAULT_REGION']);
  });

  test('gives the advice to move the variable to the runtime environment, and never prints a value', () => {
    const result = audit(['--dockerfile', BAD]);

    expect(result.stdout).toContain("move it to the platform's runtime environment");
    expect(result.stdout).not.toContain('fake-not-real-FAKE');
    expect(result.stdout).not.toContain('sk-FAKE-legacy-form');
  });
});

describe('comfy-secrets audit --rootfs', () => {
  let tree: ReturnType<typeof tempTree>;
  beforeEach(() => {
    tree = tempTree({
      'workspace/ComfyUI/custom_nodes/emprops_comfy_nodes/__init__.py': '',
      'workspace/ComfyUI/custom_nodes/emprops_comfy_nodes/.env': 'CLOUD_PROVIDER=aws\n',
      'opt/app/settings.py': `TOKEN = "${HF_TOKEN}"\n`,
      'root/.cache/blob.txt': `data:${Buffer.from(`xx${HF_TOKEN}yy`).toString('base64')}\n`,
      'etc/clean.conf': 'nothing here\n',
    });
    fs.symlinkSync('/etc/passwd', path.join(tree.dir, 'etc/link'));
  });
  afterEach(() => tree.cleanup());

  test('finds a sink file already present and files holding a current secret, exact and base64, by path and variable only', () => {
    const result = audit(['--rootfs', tree.dir, '--json'], { HF_TOKEN });

    expect(result.status).toBe(1);
    const findings = (JSON.parse(result.stdout) as { findings: Finding[] }).findings;
    expect(findings.map((finding) => [finding.kind, finding.file, finding.variable, finding.encoding])).toEqual([
      ['target-present', '/workspace/ComfyUI/custom_nodes/emprops_comfy_nodes/.env', undefined, undefined],
      ['secret-in-file', '/opt/app/settings.py', 'HF_TOKEN', 'exact'],
      ['secret-in-file', '/root/.cache/blob.txt', 'HF_TOKEN', 'base64'],
    ]);
    expect(result.stdout + result.stderr).not.toContain(HF_TOKEN);
  });

  test('a root file system without sink files or secrets is clean', () => {
    fs.rmSync(path.join(tree.dir, 'workspace/ComfyUI/custom_nodes/emprops_comfy_nodes/.env'));

    const result = audit(['--rootfs', tree.dir], { HF_TOKEN: 'hf_FAKE_value_not_planted_anywhere' });

    expect(result.status).toBe(0);
    expect(result.stdout).toContain('audit: clean');
  });

  test('without --dockerfile or --rootfs it is a usage error', () => {
    expect(audit([]).status).toBe(2);
  });
});
