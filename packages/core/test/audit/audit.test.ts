import { auditDockerfile, auditRootfs, base64Forms, declaredNames, parseDockerfile, sourceNames } from '../../src/audit/audit';
import type { SecretSink } from '../../src/contract';
import { realFileSystem } from '../../src/fs';
import { testdir } from '../helpers';

describe('parseDockerfile', () => {
  test('joins continuations, drops comment lines inside them, and maps names back to their lines', () => {
    const findings = auditDockerfile('FROM x\nENV A=1 \\\n  # a comment\n  MY_TOKEN="a b" \\\n  C=3\n', 'Dockerfile', []);

    expect(findings.map((finding) => [finding.variable, finding.line])).toEqual([['MY_TOKEN', 4]]);
  });

  test('honours the escape directive', () => {
    expect(parseDockerfile('# escape=`\nFROM x\nARG A `\n  B\n').map((instruction) => [instruction.keyword, instruction.text.trim().replace(/\s+/g, ' ')])).toEqual([
      ['FROM', 'x'],
      ['ARG', 'A B'],
    ]);
  });
});

describe('base64Forms', () => {
  test('finds a value inside a longer base64 blob at every alignment', () => {
    const value = Buffer.from('hf_FAKE_alignment_value');
    for (const prefix of ['', 'a', 'ab']) {
      const blob = Buffer.from(`${prefix}${value.toString()}zz`).toString('base64');
      expect(base64Forms(value).some((form) => blob.includes(form))).toBe(true);
    }
  });
});

describe('auditRootfs', () => {
  test('a sink whose file() returns no path is passed over, not an internal error', () => {
    const rootfs = testdir({ 'app/ComfyUI/custom_nodes/node_a/.env': 'KEY=x\n' });
    const sink = { name: 'odd', nodes: ['node_a'], variables: { KEY: {} }, file: () => ({}) } as unknown as SecretSink;
    const result = auditRootfs({ fs: realFileSystem, rootfs, comfyuiDir: '/app/ComfyUI', sinks: [sink], secrets: [] });
    expect(result.findings.filter((finding) => finding.kind === 'target-present')).toEqual([]);
  });
});

describe('sourceNames and declaredNames', () => {
  test("a template's variable reads the names it references, not its own key", () => {
    expect(sourceNames('URL', { template: 'https://${API_HOST}:${API_PORT}/${API_HOST}' })).toEqual(['API_HOST', 'API_PORT']);
    expect(sourceNames('KEY', { from: ['A', 'B'] })).toEqual(['A', 'B']);
    expect(sourceNames('KEY', {})).toEqual(['KEY']);
  });

  test('a Dockerfile ENV of a name a template reads is flagged; the template key itself is not', () => {
    const sink = { name: 'config-nodes:n', nodes: ['n'], variables: { DB_PASS: { template: '${STORAGE_PASS}' } } } as unknown as SecretSink;

    expect([...declaredNames([sink]).keys()]).toEqual(['STORAGE_PASS', 'STORAGE_PASS_ENCODED']);
    const findings = auditDockerfile('FROM x\nENV DB_PASS=1\nENV STORAGE_PASS=fake-storage-pass\n', 'Dockerfile', [sink]);
    expect(findings.map((finding) => [finding.variable, finding.line, finding.severity])).toEqual([['STORAGE_PASS', 3, 'error']]);
  });
});
