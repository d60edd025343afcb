/** Renders dotenv files and checks them with the real readers: each value exact, or refused without a trace of it. */
import type { DotenvReader } from '../../src/contract';
import { createDotenvFormat } from '../../src/formats/dotenv';
import { UnwritableValueError } from '../../src/formats/format';
import { readDotenvWith, type FileToRead } from '../../../../test/helpers/real-readers';

/** Each reader alone, the three that read real files here, and all four together. */
export const READER_SETS: ReadonlyArray<readonly DotenvReader[]> = [
  ['python-dotenv'],
  ['node-dotenv'],
  ['bash'],
  ['docker'],
  ['python-dotenv', 'node-dotenv', 'bash'],
  ['python-dotenv', 'node-dotenv', 'bash', 'docker'],
];

export type Entries = ReadonlyArray<readonly [string, string]>;

export interface Outcome {
  readonly entries: Entries;
  readonly text?: string;
  readonly refused?: UnwritableValueError;
}

export function renderEach(readers: readonly DotenvReader[], files: readonly Entries[], header: readonly string[] = []): Outcome[] {
  const format = createDotenvFormat(readers);
  return files.map((entries) => {
    try {
      return { entries, text: format.render({ entries, header }) };
    } catch (error) {
      if (error instanceof UnwritableValueError) return { entries, refused: error };
      throw error;
    }
  });
}

/** Every problem found: a real reader that read a rendered file differently, or a refusal that shows the value. */
export function problems(readers: readonly DotenvReader[], outcomes: readonly Outcome[]): string[] {
  const found: string[] = [];
  const written = outcomes.filter((outcome) => outcome.text !== undefined);
  const files: FileToRead[] = written.map((outcome) => ({ text: outcome.text ?? '', keys: outcome.entries.map(([key]) => key) }));
  for (const reader of readers) {
    readDotenvWith(reader, files).forEach((read, index) => {
      const outcome = written[index];
      if (!outcome) return;
      const expected = new Map(outcome.entries);
      const same = [...expected].every(([key, value]) => read.get(key) === value) && (reader === 'bash' || read.size === expected.size);
      if (!same) found.push(`${reader} read ${JSON.stringify(outcome.text)} as ${JSON.stringify(Object.fromEntries(read))}`);
    });
  }
  for (const { entries, refused } of outcomes) {
    if (!refused) continue;
    const leaked = entries.find(([, value]) => value.length >= 8 && refused.message.includes(value));
    if (leaked) found.push(`the refusal "${refused.message}" shows a value`);
  }
  return found;
}

/** The entries' single value, for files of one entry. */
export const valueOf = (outcome: Outcome): string => outcome.entries[0]?.[1] ?? '';
