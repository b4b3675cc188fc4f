// Mutation testing of the pure modules (issue 16; docs/mutation.md): `npm run mutation`, never part of `npm test`.
// Stryker copies the project into .stryker-tmp/ and mutates the copy, so a run never changes the checkout that
// other jest runs read.
// The tests that import the mutated modules directly. A mutated file is tested only by the files
// among these that jest --findRelatedTests links to it (imports, not the handlers' dynamic require).
const UNIT_TESTS = [
  'test/lambda/router.test.ts',
  'test/lambda/identity.test.ts',
  'test/lambda/decimal.test.ts',
  'test/lambda/cache-keys.test.ts',
  'test/lambda/prompt-core.test.ts',
  'test/lambda/feedback-core.test.ts',
  'test/lambda/endpoint-teardown-core.test.ts',
  'test/lambda/chat-stream-core.test.ts',
  'test/lambda/predict-core.test.ts',
  'test/lambda/training-gate-core.test.ts',
  'test/lambda/invocation-logging-core.test.ts',
  'test/lambda/openai-core.test.ts',
  'test/lambda/agent-actions-core.test.ts',
  'test/config/load-config.test.ts',
  'test/config/network-config.test.ts',
  // The rule pack's tests build small stacks of L1 resources (test/checks/fixture.ts), no app synth.
  'test/checks/bedrock-guardrail-given.test.ts',
  'test/checks/bedrock-invoke-model-scoped.test.ts',
  'test/checks/knowledge-base-bucket-tls.test.ts',
  'test/checks/lambda-vpc-eni-permissions.test.ts',
  'test/checks/policy.test.ts',
  'test/checks/retained-resource-fixed-name.test.ts',
  'test/checks/service-publishers.test.ts',
  'test/checks/sns-topic-policy-allows-publishers.test.ts',
  'test/checks/sqs-queue-policy-allows-senders.test.ts',
  'test/checks/stale-acknowledgements.test.ts',
  'test/checks/template.test.ts',
  'test/lambda/tenant-claim.test.ts',
  'test/lambda/usage-record.test.ts',
  'test/lambda/input-guard.test.ts',
  'test/lambda/retrieval-filter-builder.test.ts',
  'test/lambda/validation.test.ts',
  'test/lambda/cache-auth.test.ts',
  'test/lambda/lsh.test.ts',
  'test/lambda/http.test.ts',
  'test/lambda/stream.test.ts',
  'test/lambda/guarded-chat.test.ts',
  'test/lambda/semantic-cache.test.ts',
];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    // Pure, deterministic, fast. The handler tests that also reach these modules (local servers, a
    // cache timeout of 200 ms) would be slow and, on a busy machine, could fail by timing and count a
    // mutant as killed that no assertion noticed.
    config: { testMatch: UNIT_TESTS.map((file) => `<rootDir>/${file}`) },
    enableFindRelatedTests: true,
  },
  // Each mutant runs only the tests that executed its code in the first run, in the test files jest
  // --findRelatedTests picks for the mutated file: minutes, not hours, on 2 cores.
  coverageAnalysis: 'perTest',
  concurrency: 2,
  mutate: [
    'lambda/shared/router.ts',
    'lambda/shared/identity.ts',
    'lambda/agent-actions/decimal.ts',
    'lambda/shared/cache/keys.ts',
    'lambda/prompt/core.ts',
    'lambda/feedback/core.ts',
    'lambda/endpoint-teardown/core.ts',
    'lambda/chat-stream/core.ts',
    'lambda/predict/core.ts',
    'lambda/training-gate/core.ts',
    'lambda/invocation-logging/core.ts',
    'lambda/openai/core.ts',
    'lambda/agent-actions/core.ts',
    'lib/config/schema.ts',
    'lib/config/network.ts',
    'lib/config/errors.ts',
    'lib/checks/template.ts',
    'lib/checks/policy.ts',
    'lambda/tenant-claim/core.ts',
    'lambda/shared/usage.ts',
    'lambda/shared/input-guard.ts',
    'lambda/shared/retrieval-filter.ts',
    'lambda/shared/validation.ts',
    'lambda/shared/cache-auth.ts',
    'lambda/shared/cache/lsh.ts',
    'lambda/shared/http.ts',
    'lambda/shared/stream.ts',
    'lambda/shared/guarded-chat.ts',
    'lambda/shared/cache/semantic-cache.ts',
  ],
  tempDirName: '.stryker-tmp',
  // The sandbox holds only what these tests load: the functions, the contracts, lib/config (the model
  // catalog) and the function tests. Copying the whole checkout would also copy build output, and
  // race other work in it (a file listed, then deleted before the copy, fails the run).
  ignorePatterns: [
    '/*',
    '!/package.json',
    '!/tsconfig.json',
    '!/jest.config.js',
    '!/lambda',
    '!/contracts',
    '!/lib',
    '/lib/*',
    '!/lib/config',
    '!/lib/checks',
    '!/test',
    '/test/*',
    '!/test/lambda',
    '!/test/support',
    '!/test/config',
    '!/test/checks',
    // lib/config's tests compare docs/configuration.md with the page scripts/generate-docs.ts renders from the schema.
    '!/scripts',
    '/scripts/*',
    '!/scripts/generate-docs.ts',
    '!/docs',
    '/docs/*',
    '!/docs/configuration.md',
  ],
  // Every file in `mutate` must kill at least 90% (docs/mutation.md holds the table); the run fails under 90 overall.
  thresholds: { high: 90, low: 80, break: 90 },
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  incrementalFile: 'reports/stryker-incremental.json',
  // A mutant that loops forever (a `while` whose step is removed) times out, and counts as killed,
  // after 1.5 times the tests' own time plus this margin, generous for a busy 2-core machine.
  timeoutMS: 10_000,
  cleanTempDir: true,
};
