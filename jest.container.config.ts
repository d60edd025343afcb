import type { Config } from 'jest';
import base from './jest.config';

/**
 * `pnpm test:container`: the example image built and run in podman (test/container). Minutes, not
 * seconds, and it needs a container engine (scripts/setup-podman.sh), so `pnpm test` leaves it out;
 * .ci/run runs both and counts both. One worker: the tests share one image build.
 */
const config: Config = {
  ...base,
  roots: ['<rootDir>/test/container'],
  testPathIgnorePatterns: ['/node_modules/'],
  maxWorkers: 1,
  testTimeout: 300_000,
};

export default config;
