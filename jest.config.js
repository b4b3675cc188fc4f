/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // swc strips types only; `npm run typecheck` (tsc --noEmit) is the type check.
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
  // One temporary folder for the whole run (synthesized apps, servers), removed when it ends.
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  testTimeout: 120_000,
  maxWorkers: 2,
  // Handlers keep module-scope clients as in Lambda (a cache client reconnecting to a server a
  // fault test killed keeps a timer alive): end the run when the tests are done, never hang CI.
  forceExit: true,
};
