import type { SinkRun } from './run-sink';

type MatcherResult = { pass: boolean; message: () => string };

function isRun(received: unknown): received is SinkRun {
  return typeof received === 'object' && received !== null && 'result' in received && 'files' in received;
}

const notARun = (name: string): MatcherResult => ({ pass: false, message: () => `${name} expects what runSink() returned` });

/** Names of the keys whose values differ, never the values: a failing test must not print a secret. */
function differences(actual: Record<string, string>, expected: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(expected)) {
    if (!(key in actual)) problems.push(`${key} is missing`);
    else if (actual[key] !== value) problems.push(`${key} holds a different value (${actual[key]!.length} chars, expected ${value.length})`);
  }
  for (const key of Object.keys(actual)) if (!(key in expected)) problems.push(`${key} was written but not expected`);
  return problems;
}

const describeErrors = (run: SinkRun) =>
  run.result.errors.length ? run.result.errors.map((error) => `${error.code}${error.variable ? ` (${error.variable})` : ''}: ${error.message}`).join('; ') : 'none';

/**
 * Jest matchers for {@link runSink} results. Install them with `expect.extend(matchers)`. Failure
 * messages name keys and lengths, never values.
 */
export const matchers = {
  /** The sink wrote (or left unchanged) `path`, and its format reads back exactly `values` from it. */
  toHaveWritten(received: unknown, file: string, values: Record<string, string>): MatcherResult {
    if (!isRun(received)) return notARun('toHaveWritten');
    const written = received.files[file];
    if (!written) {
      const paths = Object.keys(received.files);
      return {
        pass: false,
        message: () => `expected the sink to write ${file}; status ${received.result.status}, files: ${paths.length ? paths.join(', ') : 'none'}, errors: ${describeErrors(received)}`,
      };
    }
    const problems = differences(written.values, values);
    return {
      pass: problems.length === 0,
      message: () => (problems.length ? `${file} does not read back as expected: ${problems.join('; ')}` : `expected ${file} not to read back as the given values`),
    };
  },

  /** The sink failed, with an error about `variable` (and, when given, with that error code). */
  toHaveFailedWith(received: unknown, variable: string, code?: string): MatcherResult {
    if (!isRun(received)) return notARun('toHaveFailedWith');
    const { status } = received.result;
    const match = received.result.errors.find((error) => error.variable === variable && (code === undefined || error.code === code));
    const pass = status === 'failed' && match !== undefined;
    const what = `${variable}${code ? ` with ${code}` : ''}`;
    return {
      pass,
      message: () => (pass ? `expected the sink not to fail with ${what}` : `expected the sink to fail with ${what}; status ${status}, errors: ${describeErrors(received)}`),
    };
  },

  /** The sink was skipped; with `reason`, one whose reason contains it. */
  toHaveBeenSkipped(received: unknown, reason?: string): MatcherResult {
    if (!isRun(received)) return notARun('toHaveBeenSkipped');
    const { status, reason: actual } = received.result;
    const pass = status === 'skipped' && (reason === undefined || (actual ?? '').includes(reason));
    return {
      pass,
      message: () => (pass ? `expected the sink not to be skipped` : `expected the sink to be skipped${reason ? ` because ${reason}` : ''}; status ${status}${actual ? ` (${actual})` : ''}, errors: ${describeErrors(received)}`),
    };
  },
};

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      /** The sink wrote `file` (relative to the ComfyUI root) and its format reads back exactly `values`. */
      toHaveWritten(file: string, values: Record<string, string>): R;
      /** The sink failed with an error naming `variable` (and `code`, when given). */
      toHaveFailedWith(variable: string, code?: string): R;
      /** The sink was skipped, for a reason containing `reason` when given. */
      toHaveBeenSkipped(reason?: string): R;
    }
  }
}
