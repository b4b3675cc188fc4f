/**
 * The import boundaries of docs/DESIGN "Direction of imports", checked by dependency-cruiser in
 * `npm test` (test/policy/boundaries.test.ts) and by `npm run lint:deps`:
 * bin → lib/grounds → lib/constructs → lib/config, contracts; lambda → contracts.
 * Paths are relative to the folder the tool runs in (the repository root, or a test fixture).
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'lambda-not-to-lib',
      comment: 'Functions meet the infrastructure only through contracts/: never import lib/ or bin/.',
      severity: 'error',
      from: { path: '^lambda/' },
      to: { path: '^(lib|bin)/' },
    },
    {
      name: 'constructs-not-to-lambda',
      comment: "Constructs never import a function's code: what both need lives in contracts/.",
      severity: 'error',
      from: { path: '^lib/constructs/' },
      to: { path: '^lambda/' },
    },
    {
      name: 'contracts-dependency-free',
      comment: 'contracts/ imports nothing but other contracts and zod/mini (no aws-cdk-lib, no SDK, no node:*).',
      severity: 'error',
      from: { path: '^contracts/' },
      to: { pathNot: ['^contracts/', '^node_modules/zod/mini/'] },
    },
    {
      name: 'shared-not-to-function',
      comment: 'lambda/shared/ serves every function, so it must not depend on one of them.',
      severity: 'error',
      from: { path: '^lambda/shared/' },
      to: { path: '^lambda/', pathNot: '^lambda/shared/' },
    },
    {
      name: 'function-not-to-function',
      comment: "A function's code is its own: what two functions share lives in lambda/shared/.",
      severity: 'error',
      from: { path: '^lambda/([^/]+)/', pathNot: '^lambda/shared/' },
      to: { path: '^lambda/', pathNot: ['^lambda/$1/', '^lambda/shared/'] },
    },
    {
      name: 'config-not-to-constructs-or-grounds',
      comment: 'lib/config is read by constructs and grounds, never the other way round.',
      severity: 'error',
      from: { path: '^lib/config/' },
      to: { path: '^lib/(constructs|grounds)/' },
    },
    {
      name: 'constructs-not-to-grounds',
      comment: 'Each block works in a fresh App: constructs never import the grounds that compose them.',
      severity: 'error',
      from: { path: '^lib/constructs/' },
      to: { path: '^lib/grounds/' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Not node_modules: excluding it would hide imports of packages (contracts → aws-cdk-lib) from the rules.
    exclude: { path: '(^|/)(cdk\\.out|dist)/' },
    tsPreCompilationDeps: true,
    // Paths as imported (a fixture's node_modules is a symlink to ours; the tree has no other).
    preserveSymlinks: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['require', 'node', 'default', 'types'],
      extensions: ['.ts', '.d.ts', '.js', '.cjs', '.json'],
    },
  },
};
