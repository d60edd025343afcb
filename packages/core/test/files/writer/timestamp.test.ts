import { sameIgnoringTimestamp } from '../../../src/files/writer';

test('ignores a differing Generated at line in the header', () => {
  expect(sameIgnoringTimestamp('# a\n# Generated at: 1\nK=v\n', '# a\n# Generated at: 2\nK=v\n')).toBe(true);
});

test('ignores it after an ini comment marker too', () => {
  expect(sameIgnoringTimestamp('; Generated at: 1\n[default]\n', '; Generated at: 2\n[default]\n')).toBe(true);
});

test('still compares everything else', () => {
  expect(sameIgnoringTimestamp('# Generated at: 1\nK=v\n', '# Generated at: 1\nK=w\n')).toBe(false);
});

test('does not ignore a Generated at line that appears or disappears', () => {
  expect(sameIgnoringTimestamp('# Generated at: 1\nK=v\n', 'K=v\n')).toBe(false);
});

test('does not ignore such a line inside a value, below the header', () => {
  expect(sameIgnoringTimestamp('K="a\n# Generated at: 1"\n', 'K="a\n# Generated at: 2"\n')).toBe(false);
});
