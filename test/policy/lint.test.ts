import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { z } from 'zod';

/**
 * The lint (eslint.config.mjs) and formatting (.prettierrc.json) that `npm test` runs on the tree
 * do fail on what they are there to stop: the CLIs read an in-memory snippet as if it were a file
 * of the tree, so a selector that stopped matching (a typo, an AST change) fails here.
 */

const ROOT = path.resolve(__dirname, '../..');
const ESLINT = path.join(ROOT, 'node_modules/eslint/bin/eslint.js');
const PRETTIER = path.join(ROOT, 'node_modules/prettier/bin/prettier.cjs');

const LintResults = z.array(z.object({ messages: z.array(z.object({ ruleId: z.string().nullable(), message: z.string(), line: z.number() })) }));
type LintMessage = z.infer<typeof LintResults>[number]['messages'][number];

function lint(code: string, file = 'lambda/lint-fixture.ts'): LintMessage[] {
  const run = spawnSync(
    process.execPath,
    [ESLINT, '--no-config-lookup', '--config', 'eslint.config.mjs', '--stdin', '--stdin-filename', file, '--format', 'json'],
    {
      cwd: ROOT,
      input: code,
      encoding: 'utf8',
    },
  );
  if (run.error) throw run.error;
  if (!run.stdout.trim()) throw new Error(`eslint printed nothing (exit ${run.status}): ${run.stderr}`);
  const [result] = LintResults.parse(JSON.parse(run.stdout));
  return result.messages.map(({ ruleId, message, line }) => ({ ruleId, message, line }));
}

describe('lint (eslint)', () => {
  test('a line over 160 characters fails, a string or a comment included (prettier does not break those)', () => {
    const code = [`export const long = '${'x'.repeat(150)}';`, `// ${'y'.repeat(160)}`, `export const short = '${'z'.repeat(130)}';`, ''].join('\n');
    expect(lint(code).map((m) => [m.ruleId, m.line])).toEqual([
      ['max-len', 1],
      ['max-len', 2],
    ]);
  });

  test('JSON.parse(...) as T fails, with the way out in the message; as unknown passes', () => {
    const code = [
      'interface Foo { readonly a: number }',
      'export const foo = (x: string) => JSON.parse(x) as Foo;',
      'export const bar = (x: string) => JSON.parse(x) as unknown;',
      'export const baz = (x: string) => JSON.parse(x) as unknown as Foo;',
      '',
    ].join('\n');
    const message = expect.stringMatching(/^Do not cast JSON\.parse\(\.\.\.\) with `as`: parse it with a schema/);
    expect(lint(code)).toEqual([
      { ruleId: 'no-restricted-syntax', message, line: 2 },
      { ruleId: 'no-restricted-syntax', message, line: 4 },
    ]);
  });

  test('a configuration string widened to a catalog key (as ModelAlias, as keyof typeof MODEL_CATALOG) fails', () => {
    const code = [
      "import { MODEL_CATALOG, type ModelAlias } from '../config/models';",
      'export const alias = (s: string) => s as ModelAlias;',
      'export const entry = (s: string) => MODEL_CATALOG[s as keyof typeof MODEL_CATALOG];',
      '',
    ].join('\n');
    const message = expect.stringContaining('Do not widen a string with `as ModelAlias`');
    expect(lint(code, 'lib/grounds/lint-fixture.ts')).toEqual([
      { ruleId: 'no-restricted-syntax', message, line: 2 },
      { ruleId: 'no-restricted-syntax', message, line: 3 },
    ]);
  });
});

describe('format (prettier)', () => {
  test('a line over 160 characters is not formatted', () => {
    const long = `export const words = [${Array.from({ length: 20 }, (_, i) => `'word${i}'`).join(', ')}];\n`;
    expect(long.length).toBeGreaterThan(160);
    const run = spawnSync(process.execPath, [PRETTIER, '--check', '--stdin-filepath', 'lambda/format-fixture.ts'], {
      cwd: ROOT,
      input: long,
      encoding: 'utf8',
    });
    expect(run.status).not.toBe(0);
    const formatted = spawnSync(process.execPath, [PRETTIER, '--stdin-filepath', 'lambda/format-fixture.ts'], { cwd: ROOT, input: long, encoding: 'utf8' });
    expect(formatted.status).toBe(0);
    expect(Math.max(...formatted.stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(160);
  });
});
