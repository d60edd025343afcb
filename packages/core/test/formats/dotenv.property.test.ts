import fc from 'fast-check';
import { problems, READER_SETS, renderEach, valueOf, type Entries, type Outcome } from '../helpers/dotenv-check';

/** Characters and pieces that break naive writers: quotes, escapes, interpolation, comments, line ends, edge spaces, non-BMP text. */
const PIECES = ["'", '"', '`', '\\', '$', '{', '}', '${', '${A}', '${A:-b}', ':-', '#', ' #', '=', '%', ';', '\r', '\n', '\r\n', '\t', ' ', '\\n', '\\r',
  'a', 'b', 'n', 'export ', 'é', '😀', '\u00a0', '\u2028', '\ufeff', '\x0b', '\x1c'];
/** What no environment variable or UTF-8 file holds; rare, so most samples test the readers' rules. */
const NEVER = ['\0', '\ud800', '\udfff'];
const piece = fc.oneof({ arbitrary: fc.constantFrom(...PIECES), weight: 40 }, { arbitrary: fc.constantFrom(...NEVER), weight: 1 });
const value = fc.array(piece, { maxLength: 10 }).map((pieces) => pieces.join(''));

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const singles: Entries[] = fc.sample(value, { numRuns: 600, seed }).map((v) => [['K', v]]);
const multiples: Entries[] = fc
  .sample(fc.array(value, { minLength: 2, maxLength: 4 }), { numRuns: 100, seed: seed + 1 })
  .map((values) => values.map((v, i) => [String.fromCharCode(65 + i), v] as const));

const hasLoneSurrogate = (text: string): boolean => /[\uD800-\uDFFF]/u.test(text);
const unwritableAnywhere = (v: string): boolean => v.includes('\0') || hasLoneSurrogate(v);
/** python-dotenv 0.21 variables.py `_posix_variable`: what it expands, whatever the quoting. */
const PY_EXPANDS = /\$\{[^}:]*(?::-[^}]*)?\}/;

/** What each reader set must accept (true) or refuse (false); `undefined` leaves the value to the readers. */
const RULES: Record<string, (v: string) => boolean | undefined> = {
  'python-dotenv': (v) => !unwritableAnywhere(v) && !PY_EXPANDS.test(v),
  bash: (v) => !unwritableAnywhere(v),
  docker: (v) => !unwritableAnywhere(v) && !v.includes('\n') && !v.endsWith('\r'),
  'node-dotenv': (v) => {
    if (unwritableAnywhere(v)) return false;
    if (v.includes('\r')) return undefined;
    // Single quotes and backticks are raw; double quotes are raw too except that \n and \r become control characters.
    const quoteFree = !v.includes("'") || !v.includes('`') || (!v.includes('"') && !/\\[nr]/.test(v));
    return quoteFree ? true : undefined;
  },
  // Single quotes carry everything else to all three alike.
  'python-dotenv+node-dotenv+bash': (v) => (unwritableAnywhere(v) || PY_EXPANDS.test(v) ? false : /^[^'\\$`\r]*$/.test(v) ? true : undefined),
  'python-dotenv+node-dotenv+bash+docker': (v) => (unwritableAnywhere(v) ? false : /^[\w@%+=:,./-]*$/.test(v) ? true : undefined),
};

const refusals: string[] = [];
afterAll(() => console.log(`dotenv refusals (seed ${seed}, ${singles.length} single-value files, ${multiples.length} multi-value files per reader set):\n${refusals.join('\n')}`));

describe.each(READER_SETS.map((readers) => [readers.join('+'), readers] as const))('dotenv for %s', (name, readers) => {
  let outcomes: Outcome[];
  beforeAll(() => {
    outcomes = renderEach(readers, singles);
  });

  test('every real reader reads each written value exactly; refusals never show the value', () => {
    expect(problems(readers, outcomes)).toEqual([]);
  });

  test('refuses exactly what the readers cannot carry', () => {
    const rule = RULES[name];
    const wrong = outcomes.filter((outcome) => {
      const expected = rule?.(valueOf(outcome));
      return expected !== undefined && expected !== (outcome.refused === undefined);
    });
    expect(wrong.map((o) => ({ value: valueOf(o), refused: o.refused?.reason }))).toEqual([]);
    refusals.push(`  ${name.padEnd(40)} ${outcomes.filter((o) => o.refused).length} of ${outcomes.length} refused`);
  });

  test('files of several values read back exactly too (a quoted value can run on into the next line)', () => {
    const several = renderEach(readers, multiples, ['comfy-secrets test header', 'Generated at: 2020-01-01T00:00:00.000Z']);
    expect(problems(readers, several)).toEqual([]);
    refusals.push(`  ${`${name} (several per file)`.padEnd(40)} ${several.filter((o) => o.refused).length} of ${several.length} refused`);
  });
});
