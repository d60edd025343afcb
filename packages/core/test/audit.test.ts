import { auditDockerfile, auditRootfs, base64Forms, parseDockerfile } from '../src/audit';
import type { SecretSink } from '../src/contract';
import { realFileSystem } from '../src/fs';
import { testdir } from './helpers';

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
