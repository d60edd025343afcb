import * as core from '../src/index';
import { createContainer } from '../src/container';
import { CANARY, testdir } from './helpers';

// The environment holds every secret of the container: only Sources, which looks up the names sinks
// ask for, gets it. No token hands the whole of it to whatever a container resolves.
test('no exported token resolves to the environment', () => {
  const env = { HF_TOKEN: CANARY };
  const container = createContainer({ env, cwd: testdir(), sinks: [] });
  const tokens = (Object.values(core) as unknown[]).filter((value): value is symbol => typeof value === 'symbol');
  expect(tokens.length).toBeGreaterThan(0);
  for (const token of tokens) {
    if (container.isRegistered(token, true)) expect(container.resolve(token)).not.toBe(env);
  }
});
