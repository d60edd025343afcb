import { auditDockerfile, base64Forms, parseDockerfile } from '../src/audit';

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
