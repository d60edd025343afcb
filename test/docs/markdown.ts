import * as fs from 'node:fs';
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '../..');

/** The user-facing documents: README.md and every docs/*.md, as paths relative to the repository. */
export function documents(): string[] {
  const docs = fs.readdirSync(path.join(repoRoot, 'docs')).filter((name) => name.endsWith('.md')).sort();
  return ['README.md', ...docs.map((name) => `docs/${name}`)];
}

export interface FencedBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  body: string;
  /** The reason of a `<!-- not run: REASON -->` comment on the line before the fence, if any. */
  notRun?: string;
}

/** Every fenced code block of a markdown text, with its info string and a preceding not-run marker. */
export function fencedBlocks(file: string, text: string): FencedBlock[] {
  const lines = text.split('\n');
  const at = (n: number): string => lines[n] ?? '';
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(at(i));
    if (!open) continue;
    const [, indent = '', fence = '```', info = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`).test(at(j))) {
      body.push(at(j).startsWith(indent) ? at(j).slice(indent.length) : at(j));
      j++;
    }
    let k = i - 1;
    while (k >= 0 && at(k).trim() === '') k--;
    const marker = k >= 0 ? /^\s*<!--\s*not run:\s*(.*?)\s*-->\s*$/.exec(at(k)) : null;
    blocks.push({ file, line: i + 1, lang: (info ?? '').trim().split(/\s+/)[0] ?? '', body: body.join('\n'), notRun: marker?.[1] });
    i = j;
  }
  return blocks;
}

/** The text outside fenced blocks, with each fenced line blanked so that line numbers stay. */
export function prose(text: string): string {
  const lines = text.split('\n');
  let fence: string | undefined;
  return lines
    .map((line) => {
      const m = /^\s*(`{3,}|~{3,})/.exec(line);
      if (fence === undefined && m) {
        fence = m[1];
        return '';
      }
      if (fence !== undefined) {
        if (new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`).test(line)) fence = undefined;
        return '';
      }
      return line;
    })
    .join('\n');
}

/**
 * GitHub's anchors for the headings of a markdown text: lowercased, punctuation but `-` and `_`
 * dropped, spaces made `-`, and `-1`, `-2`… appended to repeats.
 */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of prose(text).split('\n')) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = (m[1] ?? '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** Every inline link target `[text](target)` outside code: fenced blocks and `code spans` are left out. */
export function linkTargets(text: string): { target: string; line: number }[] {
  const result: { target: string; line: number }[] = [];
  prose(text)
    .split('\n')
    .forEach((line, index) => {
      const withoutCode = line.replace(/`[^`]*`/g, '');
      for (const m of withoutCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) result.push({ target: m[1] ?? "", line: index + 1 });
    });
  return result;
}
