/**
 * Test kit for sink authors: run one sink through the real runner against a throw-away ComfyUI tree,
 * and assert on what it wrote with jest matchers.
 *
 * @example
 * ```ts
 * import { matchers, runSink } from '@comfy-secrets/testing';
 * import sink from '../src';
 * expect.extend(matchers);
 *
 * test('writes the token', () => {
 *   const run = runSink(sink, { env: { HF_TOKEN: 'hf_FAKE_token' } });
 *   expect(run).toHaveWritten('custom_nodes/my_node/.env', { HF_TOKEN: 'hf_FAKE_token' });
 * });
 * ```
 */
// tsyringe needs the Reflect metadata API before the runner's class is defined; a sink author's jest
// setup should not have to know that.
import 'reflect-metadata';

export { runSink, type RunSinkOptions, type SinkRun, type WrittenFile, type LogEntry } from './run-sink';
export { matchers } from './matchers';
