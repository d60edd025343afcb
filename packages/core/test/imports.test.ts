import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { testdir } from './helpers';

/**
 * core's source is grouped by the stages of a run (sinks, values, formats, files, state, run, audit);
 * an import circle, between two files or between two stages, would tie them back together. Type-only
 * imports count too: a circle of types is still one a reader has to go round.
 */

/** Every relative import and re-export of every .ts file below `root`, as resolved file paths. */
function importGraph(root: string): Map<string, string[]> {
  const files = (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => path.join(root, f));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .map(({ fileName }) => fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => path.resolve(path.dirname(file), spec))
      .map((base) => [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => fs.existsSync(candidate)) ?? base);
    graph.set(file, targets);
  }
  return graph;
}

/** The circles of a graph, each as the path round it (first node repeated at the end). */
function circles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const at = stack.indexOf(next);
      if (at >= 0) found.push([...stack.slice(at), next]);
      else if (!done.has(next)) visit(next);
    }
    stack.pop();
    done.add(node);
  };
  for (const node of graph.keys()) if (!done.has(node)) visit(node);
  return found;
}

/** The same graph between stages: a folder below `root` is one node, a file at the top its own. */
function stageGraph(root: string, files: ReadonlyMap<string, readonly string[]>): Map<string, string[]> {
  const stage = (file: string): string => path.relative(root, file).split(path.sep)[0]!;
  const graph = new Map<string, string[]>();
  for (const [file, targets] of files) {
    const from = stage(file);
    const edges = graph.get(from) ?? [];
    for (const to of targets.map(stage)) if (to !== from && !edges.includes(to)) edges.push(to);
    graph.set(from, edges);
  }
  return graph;
}

describe('imports of packages/core/src', () => {
  const src = path.join(__dirname, '..', 'src');

  it('go round no circle between files', () => {
    expect(circles(importGraph(src)).map((circle) => circle.map((file) => path.relative(src, file)).join(' -> '))).toEqual([]);
  });

  it('go round no circle between stages', () => {
    expect(circles(stageGraph(src, importGraph(src)))).toEqual([]);
  });

  it('the check finds a circle, through type-only imports and re-exports too', () => {
    const dir = testdir({
      'a/index.ts': 'export const one = 1;\n',
      'a/one.ts': "import type { Two } from '../b/two';\nexport type One = Two;\n",
      'b/two.ts': "export { three as Two } from './three';\n",
      'b/three.ts': "import { one } from '../a';\nexport const three = one;\n",
      'top.ts': "import { one } from './a';\n",
    });
    // Between files no circle yet, but stage a uses b (one.ts) and b uses a (three.ts).
    expect(circles(importGraph(dir))).toEqual([]);
    expect(circles(stageGraph(dir, importGraph(dir))).map((circle) => [...new Set(circle)].sort())).toEqual([['a', 'b']]);

    fs.writeFileSync(path.join(dir, 'a/index.ts'), "export type { One } from './one';\nexport const one = 1;\n");
    const [circle, ...more] = circles(importGraph(dir)).map((found) => found.map((file) => path.relative(dir, file)));
    expect(more).toEqual([]);
    expect([...new Set(circle)].sort()).toEqual(['a/index.ts', 'a/one.ts', 'b/three.ts', 'b/two.ts']);
  });
});
