import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod/mini';
import { parseJson } from '../support/json';

const ROOT = path.join(__dirname, '..', '..');
/** cdk.json's "app" command, `node <args>`: its arguments, run here with this Node.js. */
const APP_ARGS = parseJson(z.object({ app: z.string().check(z.startsWith('node ')) }), fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8'))
  .app.split(' ')
  .slice(1);

/**
 * Runs the real app the way the CDK CLI does (cdk.json "app"): the
 * CLI passes cdk.json context and `-c key=value` as JSON in CDK_CONTEXT_JSON, which `new App()`
 * reads. CDK_OUTDIR is left unset, so a valid app would not synthesize; every case here fails
 * before any stack is built, which keeps the test offline and quick.
 */
function runApp(contextJson: string): { status: number | null; stderr: string; stdout: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, CDK_CONTEXT_JSON: contextJson };
  delete env.CDK_OUTDIR;
  const run = spawnSync(process.execPath, APP_ARGS, { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stderr: run.stderr, stdout: run.stdout };
}

const STACK_LINE = /^\s+at /m;

describe('bin/app.ts', () => {
  test('a wrong configuration prints one message naming every wrong key, no stack trace, and exits 1', () => {
    const run = runApp(
      JSON.stringify({ ground: '9', 'model.alias': 'nope', 'router.models': 'nova-micro,nova-lite', 'knowledgeBase.vectorStore': 'opensearch-serverless' }),
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('Invalid genai-blueprint configuration (cdk.json context or -c key=value):');
    expect(run.stderr).toContain('ground = 9: expected one of 0, 1, 2, 3, 4, 5, 6, 7');
    expect(run.stderr).toContain('model.alias = "nope": Invalid option: expected one of "nova-micro"');
    expect(run.stderr).toContain('router.models = "nova-micro,nova-lite": is not valid JSON');
    expect(run.stderr).toContain('knowledgeBase.vectorStore = "opensearch-serverless": is not built yet; allowed: s3-vectors');
    expect(run.stderr).not.toMatch(STACK_LINE);
    expect(run.stdout).toBe('');
  });

  test('any other error is a bug and keeps its stack trace', () => {
    // Not JSON: the App's own JSON.parse throws a SyntaxError, not a ConfigError.
    const run = runApp('{not json');
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('SyntaxError');
    expect(run.stderr).toMatch(STACK_LINE);
    expect(run.stderr).not.toContain('Invalid genai-blueprint configuration');
  });
});
