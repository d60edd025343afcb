import * as fs from 'node:fs';
import * as path from 'node:path';
import { anchors, documents, linkTargets, repoRoot } from './markdown';

// Every relative link and #anchor of the user documents leads somewhere: a file or directory of the
// repository, and a heading of the document it names.
const anchorCache = new Map<string, Set<string>>();
function anchorsOf(file: string): Set<string> {
  let set = anchorCache.get(file);
  if (!set) anchorCache.set(file, (set = anchors(fs.readFileSync(file, 'utf8'))));
  return set;
}

describe.each(documents())('%s', (doc) => {
  const file = path.join(repoRoot, doc);
  const links = linkTargets(fs.readFileSync(file, 'utf8')).filter(({ target }) => !/^[a-z][a-z0-9+.-]*:/i.test(target));

  test('has relative links to check', () => {
    expect(links.length).toBeGreaterThan(0);
  });

  test.each(links.map(({ target, line }) => [`${target} (line ${line})`, target]))('%s resolves', (_label, target) => {
    const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
    const resolved = pathPart === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(pathPart));
    expect(path.relative(repoRoot, resolved).startsWith('..')).toBe(false);
    expect(fs.existsSync(resolved)).toBe(true);
    if (anchor !== undefined) {
      expect(resolved.endsWith('.md')).toBe(true);
      expect([...anchorsOf(resolved)]).toContain(anchor);
    }
  });
});

test('the anchors follow GitHub: punctuation dropped, spaces made dashes, repeats numbered', () => {
  const set = anchors('# CLI\n## Sources and their precedence\n### `comfy-secrets exec [run options]`\n## config_nodes.json\n## A\n## A\n```sh\n# not a heading\n```\n');
  expect([...set]).toEqual(['cli', 'sources-and-their-precedence', 'comfy-secrets-exec-run-options', 'config_nodesjson', 'a', 'a-1']);
});
