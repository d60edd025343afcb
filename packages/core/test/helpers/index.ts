import type { SecretSink } from '../../src/contract';
import { checkSinks } from '../../src/sinks/discovery';
import { realFileSystem } from '../../src/fs';
import { createLogger, type Logger, type LogLevel } from '../../src/logger';
import { Redactor } from '../../src/values/redact';
import { Sources, type SourceOptions } from '../../src/values/sources';

export { testdir, type Fixture } from './testdir';

/** Obviously fake values: if one ever shows up in a report or a log line, redaction failed. */
export const CANARY = 'hf_FAKE_TOKEN_for_tests';
export const OTHER_CANARY = 'sk-FAKE-openai-key-for-tests';

/** Sources over the real file system, with `cwd` defaulting to the current directory. */
export function sources(env: SourceOptions['env'], options: Partial<Omit<SourceOptions, 'env'>> = {}): Sources {
  return new Sources({ env, cwd: process.cwd(), fs: realFileSystem, ...options });
}

/** A small valid sink; tests override only what they are about. */
export function sink(overrides: Partial<SecretSink> & { name: string }): SecretSink {
  return { nodes: [overrides.name], variables: { HF_TOKEN: {} }, ...overrides };
}

/** Sinks as the runner gets them, checked like discovery checks them. */
export function loaded(...sinks: SecretSink[]) {
  return checkSinks(sinks, 'test');
}

/** A real winston logger writing into memory; `lines()` waits for winston's stream to pass the last line on. */
export function captureLogger(options: { level?: LogLevel; json?: boolean; redactor?: Redactor } = {}): {
  logger: Logger;
  redactor: Redactor;
  lines(): Promise<string[]>;
} {
  const redactor = options.redactor ?? new Redactor();
  let text = '';
  const logger = createLogger({ level: options.level ?? 'debug', json: options.json ?? false, redactor, write: (line) => (text += line) });
  return {
    logger,
    redactor,
    async lines() {
      await new Promise((resolve) => setImmediate(resolve));
      return text.split('\n').filter((line) => line !== '');
    },
  };
}

/** Runs `fn` and returns what it threw, failing the test when it does not throw. */
export function thrown(fn: () => unknown): Error & { code?: string; variable?: string; plugin?: string; file?: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`expected an Error, got ${String(error)}`);
  }
  throw new Error('expected the call to throw');
}
