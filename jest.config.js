// Unit tests of pure modules, and integration tests that run the built action against real
// API servers started once per run by testenv (see __tests__/setup).
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  // @peculiar/x509 (through tsyringe) needs the Reflect metadata polyfill loaded first.
  setupFiles: ['reflect-metadata'],
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  globalSetup: '<rootDir>/__tests__/setup/global-setup.mjs',
  globalTeardown: '<rootDir>/__tests__/setup/global-teardown.mjs',
  // The integration tests share the clusters; one file at a time keeps them independent.
  maxWorkers: 1,
  testTimeout: 180_000,
  verbose: true,
};
