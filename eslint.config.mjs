// Lint of the whole tree, run by `npm run lint` in `npm test` (offline). Formatting is prettier's
// (`npm run format:check`, printWidth 160); the import boundaries are dependency-cruiser's
// (.dependency-cruiser.cjs). test/policy/lint.test.ts shows the rules below fail.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * `JSON.parse(...) as T` trusts unchecked input. `as unknown` alone stays allowed (it claims nothing);
 * `as unknown as T` is the same cast in two steps.
 */
const JSON_PARSE = "CallExpression[callee.object.name='JSON'][callee.property.name='parse']";
export const JSON_PARSE_CAST = [
  `TSAsExpression:not([typeAnnotation.type='TSUnknownKeyword']) > ${JSON_PARSE}.expression`,
  `TSAsExpression > TSAsExpression.expression > ${JSON_PARSE}.expression`,
].join(', ');
export const JSON_PARSE_CAST_MESSAGE =
  'Do not cast JSON.parse(...) with `as`: parse it with a schema (zod; jsonFromEnv in lambda/shared/env.ts) so that bad input fails by name.';

/** `x as ModelAlias` (or `as keyof typeof MODEL_CATALOG`) turns any configuration string into a catalog key unchecked. */
export const MODEL_ALIAS_CAST = [
  "TSAsExpression > TSTypeReference.typeAnnotation > Identifier.typeName[name='ModelAlias']",
  "TSAsExpression > TSTypeOperator.typeAnnotation[operator='keyof'] > TSTypeQuery.typeAnnotation[exprName.name='MODEL_CATALOG']",
].join(', ');
export const MODEL_ALIAS_CAST_MESSAGE =
  'Do not widen a string with `as ModelAlias`: look it up with catalogModel() (lib/config/models.ts), which throws naming the value.';

/**
 * Type-aware rules need the whole TypeScript program (aws-cdk-lib's types included): measured here,
 * they took the lint from 14 s to 42 s, longer than `tsc --noEmit` itself (20 s). Too dear for every
 * `npm test`, so they run on demand: `LINT_TYPES=1 npm run lint`, on the files tsconfig.json compiles.
 */
const typed = process.env.LINT_TYPES
  ? [
      {
        files: ['bin/**/*.ts', 'lib/**/*.ts', 'lambda/**/*.ts', 'contracts/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        rules: {
          '@typescript-eslint/no-floating-promises': 'error',
          '@typescript-eslint/no-misused-promises': 'error',
          '@typescript-eslint/await-thenable': 'error',
        },
      },
    ]
  : [];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'cdk.out/',
      'cdk.out.*/',
      'coverage/',
      '.bench/',
      '.tmp/',
      '.stryker-tmp*/',
      'reports/',
      'examples/*/node_modules/',
      'examples/*/cdk.out/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly' },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: JSON_PARSE_CAST, message: JSON_PARSE_CAST_MESSAGE },
        { selector: MODEL_ALIAS_CAST, message: MODEL_ALIAS_CAST_MESSAGE },
      ],
      // tsc reports these already (noUnusedLocals, noUnusedParameters).
      '@typescript-eslint/no-unused-vars': 'off',
      // Prettier wraps code at 160 but not strings or comments: long texts are split by hand.
      'max-len': ['error', { code: 160 }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests walk synthesized CloudFormation (aws-cdk-lib's Template.toJSON() is `any` already) and
      // state machine definitions; the assertions, not the types, check those shapes.
      '@typescript-eslint/no-explicit-any': 'off',
      // Tests load a handler with require() after setting process.env, as Lambda loads it at a cold start.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  ...typed,
);
