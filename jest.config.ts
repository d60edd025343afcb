import type { Config } from 'jest';

/** One jest run over every package; sources are compiled by swc, tests spawn the built CLI. */
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/plugins', '<rootDir>/examples', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // test/container needs podman and minutes: `pnpm test:container` (jest.container.config.ts).
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/fixtures/', '<rootDir>/test/container/'],
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
    // @noble/hashes ships ES modules only; Node's require() loads them, jest's module system does not.
    '/@noble/hashes/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // node_modules stays untransformed, except @noble/hashes (pnpm: node_modules/.pnpm/@noble+hashes@…/node_modules/@noble/hashes).
  transformIgnorePatterns: ['/node_modules/(?!\\.pnpm/@noble\\+hashes@|@noble/hashes/)'],
  moduleNameMapper: {
    '^@comfy-secrets/core$': '<rootDir>/packages/core/src/index.ts',
    '^@comfy-secrets/core/contract$': '<rootDir>/packages/core/src/contract.ts',
    '^@comfy-secrets/testing$': '<rootDir>/packages/testing/src/index.ts',
    '^@comfy-secrets/sink-config-nodes$': '<rootDir>/plugins/config-nodes/src/index.ts',
  },
  setupFiles: ['<rootDir>/jest.setup.ts'],
  setupFilesAfterEnv: ['<rootDir>/jest.after-env.ts'],
  clearMocks: true,
  restoreMocks: true,
};

export default config;
