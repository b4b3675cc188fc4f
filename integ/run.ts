import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { z } from 'zod';
import { INTEG_TESTS, integTest, type IntegTestSpec } from './tests';

/**
 * `npm run integ -- <name…|all> [--region <region>] [-c key=value…]`: deploys each chosen
 * integration test (the stack under test and its assertion stack) with this project's CDK CLI,
 * whose assertions fail the deployment when they fail, then always destroys both stacks, even
 * after a failure or Ctrl-C. Prints pass or fail per test with the time taken; exits 1 if any
 * failed, 2 on a usage error or without AWS credentials. `--list` prints the tests, as
 * `integ-runner --list` does.
 *
 * Why not integ-runner itself: docs/integration.md (its toolkit reads cloud assemblies up to
 * schema 53; aws-cdk-lib 2.276 writes 55).
 */

const ROOT = path.join(__dirname, '..');
const CDK_CLI = path.join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');
/** How long a stack may stay in an operation (create, rollback) before destroy gives up waiting. */
const SETTLE_TIMEOUT_MS = 90 * 60_000;

export const USAGE = [
  'npm run integ -- <name…|all> [--region <region>] [-c key=value…]',
  'npm run integ -- --list',
  '',
  `  <name>   ${INTEG_TESTS.map((t) => t.name).join(', ')} (or the file name, integ.<name>.ts), or all`,
  '  --region the AWS Region to deploy to (default: AWS_REGION, then your profile)',
  '  -c       configuration for the stack under test, as with cdk deploy (e.g. -c observability.invocationLogging=take-over)',
  '',
  'Deploys into the account of your AWS credentials and always destroys what it deployed: see docs/integration.md.',
].join('\n');

export interface RunOptions {
  readonly tests: readonly IntegTestSpec[];
  readonly region?: string;
  readonly context: readonly string[];
  readonly list: boolean;
  readonly help: boolean;
}

/** The command line, or an error naming the flag or value and what is allowed. */
export function parseRunArgs(argv: readonly string[]): RunOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        region: { type: 'string' },
        context: { type: 'string', short: 'c', multiple: true },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`, { cause: error });
  }
  const { values, positionals } = parsed;
  const list = values.list ?? false;
  const help = values.help ?? false;
  const region = values.region;
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    throw new Error(`--region ${JSON.stringify(region)}: not an AWS Region name (such as us-east-1)`);
  }
  const context = values.context ?? [];
  for (const c of context) {
    if (!/^[A-Za-z][\w.-]*=/.test(c)) throw new Error(`-c ${JSON.stringify(c)}: expected key=value, as with cdk deploy -c`);
  }
  if (list || help) return { tests: [], region, context, list, help };
  if (positionals.length === 0) throw new Error(`name the tests to run, or all\n${USAGE}`);
  const names = positionals.map((p) => p.replace(/^integ\.(.+)\.ts$/, '$1'));
  const tests = names.includes('all') ? INTEG_TESTS : [...new Set(names)].map(integTest);
  return { tests, region, context, list, help };
}

/** The CloudFormation stacks a test deploys: the stack under test, then its assertion stack. */
export function deployedStacks(spec: IntegTestSpec): [string, string] {
  return [spec.ground === 'ml' ? `${spec.stackName}-PredictiveMl` : spec.stackName, `${spec.stackName}-Assertions`];
}

const outputsSchema = z.record(z.string(), z.record(z.string(), z.unknown()));
const assertionResultSchema = z.object({ status: z.enum(['success', 'fail']), message: z.string().optional() });

/**
 * The failed assertions in `cdk deploy --outputs-file` output, as integ-runner reads them: every
 * `AssertionResults…` output of a stack holds `{"status": "success" | "fail", "message"?}`.
 * Assertions that fail the deployment never get here; this catches the ones that only report.
 */
export function failedAssertions(outputsJson: string): string[] {
  const failures: string[] = [];
  for (const [stack, outputs] of Object.entries(outputsSchema.parse(JSON.parse(outputsJson)))) {
    for (const [name, value] of Object.entries(outputs)) {
      if (!name.startsWith('AssertionResults')) continue;
      const result = assertionResultSchema.safeParse(typeof value === 'string' ? safeJson(value) : value);
      if (!result.success) failures.push(`${stack} ${name}: unreadable result ${JSON.stringify(value)}`);
      else if (result.data.status === 'fail') failures.push(`${stack} ${name}: ${result.data.message ?? 'failed'}`);
    }
  }
  return failures;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Fails fast, in one line, when the default credential chain (what the CDK CLI uses) finds nothing. */
export async function requireCredentials(): Promise<void> {
  try {
    // The instance metadata service is the chain's last resort: one short attempt, not the SDK's retries.
    await defaultProvider({ timeout: 1_000, maxRetries: 0 })();
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new Error(
      `npm run integ: no AWS credentials (${reason}): set AWS_PROFILE (after aws sso login) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; ` +
        'see docs/integration.md',
      { cause: error },
    );
  }
}

/** What the runs need from outside: the CDK CLI, CloudFormation, the terminal (test/integ/run.test.ts fakes them). */
export interface Runner {
  /** Runs the CDK CLI with `args`; resolves to its exit code. `detached`: out of reach of the terminal's Ctrl-C. */
  cdk(args: readonly string[], opts?: { detached?: boolean }): Promise<number>;
  /** Resolves once none of `stacks` is in an operation (an interrupted deploy leaves CloudFormation creating them). */
  settled(stacks: readonly string[]): Promise<void>;
  /** Whether Ctrl-C was pressed. */
  interrupted(): boolean;
  log(line: string): void;
}

export interface TestResult {
  readonly spec: IntegTestSpec;
  readonly passed: boolean;
  readonly detail: string;
}

/** Runs each test in turn (none starts after Ctrl-C), prints a line per test; resolves to the exit code. */
export async function runTests(options: RunOptions, runner: Runner): Promise<number> {
  const results: TestResult[] = [];
  for (const spec of options.tests) {
    if (runner.interrupted()) break;
    results.push(await runTest(spec, options, runner));
  }
  runner.log('');
  for (const r of results) runner.log(`${r.passed ? 'PASS' : 'FAIL'} ${r.spec.name.padEnd(14)} ${r.detail}`);
  const skipped = options.tests.filter((t) => !results.some((r) => r.spec === t));
  for (const t of skipped) runner.log(`SKIP ${t.name.padEnd(14)} interrupted before it started`);
  return results.every((r) => r.passed) && skipped.length === 0 ? 0 : 1;
}

/** Deploys one test (its assertions run during the deployment), then always destroys it. */
export async function runTest(spec: IntegTestSpec, options: RunOptions, runner: Runner): Promise<TestResult> {
  const app = `"${process.execPath}" --import tsx ${path.join('integ', spec.file)}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `genai-blueprint-integ-${spec.name}-`));
  const outputsFile = path.join(dir, 'outputs.json');
  // The same app, assembly folder and configuration for both commands: destroy removes what deploy made.
  const appArgs = ['--app', app, '-o', path.join(dir, 'cdk.out'), ...options.context.flatMap((c) => ['-c', c])];
  const stacks = deployedStacks(spec);
  const started = Date.now();
  runner.log(`=== ${spec.name}: deploying ${stacks.join(' and ')} (${spec.proves})`);
  let failure: string | undefined;
  let deployMs: number;
  let destroyMs: number;
  let destroyed: boolean;
  try {
    const code = await runner.cdk(['deploy', '--all', '--require-approval', 'never', '--outputs-file', outputsFile, ...appArgs]);
    deployMs = Date.now() - started;
    if (runner.interrupted()) failure = 'interrupted';
    else if (code !== 0) failure = `cdk deploy exited ${code} (a failed assertion fails the deployment: its reason is in the stack events above)`;
    else {
      const failed = fs.existsSync(outputsFile) ? failedAssertions(fs.readFileSync(outputsFile, 'utf8')) : ['cdk deploy wrote no outputs file'];
      if (failed.length) failure = failed.join('; ');
    }
  } finally {
    const destroyStarted = Date.now();
    runner.log(`=== ${spec.name}: destroying ${stacks.join(' and ')}`);
    destroyed = await destroy(stacks, appArgs, runner);
    destroyMs = Date.now() - destroyStarted;
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (!destroyed) failure = `${failure ? `${failure}; ` : ''}destroy failed: delete ${stacks.join(' and ')} yourself`;
  const detail = `deploy and assertions ${duration(deployMs)}, destroy ${duration(destroyMs)}${failure ? `: ${failure}` : ''}`;
  runner.log(`=== ${spec.name}: ${failure ? 'FAIL' : 'PASS'} (${detail})`);
  return { spec, passed: failure === undefined, detail };
}

/** `cdk destroy` once the stacks have settled, tried twice; out of reach of a first Ctrl-C. */
async function destroy(stacks: readonly string[], appArgs: readonly string[], runner: Runner): Promise<boolean> {
  for (let attempt = 1; attempt <= 2; attempt++) {
    await runner.settled(stacks);
    const code = await runner.cdk(['destroy', '--all', '--force', ...appArgs], { detached: true });
    if (code === 0) return true;
    runner.log(`cdk destroy exited ${code}${attempt === 1 ? ': trying again' : ''}`);
  }
  return false;
}

/** The real runner: this project's CDK CLI (node_modules/aws-cdk) run in the repository, output to the terminal. */
function cliRunner(env: NodeJS.ProcessEnv, state: { interrupts: number; running?: ChildProcess }): Runner {
  return {
    cdk: (args, opts = {}) =>
      new Promise((resolve) => {
        // A terminal's Ctrl-C reaches the whole foreground process group: a detached child is spared.
        const child = spawn(process.execPath, [CDK_CLI, ...args], { cwd: ROOT, env, stdio: 'inherit', detached: opts.detached });
        state.running = child;
        child.on('error', (error) => {
          log(`cannot run the CDK CLI: ${error.message}`);
          resolve(127);
        });
        child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
      }),
    settled: (stacks) => settled(stacks, env),
    interrupted: () => state.interrupts > 0,
    log,
  };
}

async function main(argv: readonly string[]): Promise<number> {
  let options: RunOptions;
  try {
    options = parseRunArgs(argv);
  } catch (error) {
    process.stderr.write(`npm run integ: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (options.list) {
    // integ-runner's own listing of integ/ (test/integ/integ.test.ts checks they agree).
    process.stdout.write(INTEG_TESTS.map((t) => `${t.file}\n`).join(''));
    return 0;
  }
  try {
    await requireCredentials();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const env: NodeJS.ProcessEnv = { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' };
  if (options.region) Object.assign(env, { AWS_REGION: options.region, AWS_DEFAULT_REGION: options.region });
  const state: { interrupts: number; running?: ChildProcess } = { interrupts: 0 };
  process.on('SIGINT', () => {
    state.interrupts++;
    if (state.interrupts === 1) {
      log('interrupted: the test stacks are destroyed before exiting (Ctrl-C again to exit at once and leave them)');
      return;
    }
    state.running?.kill('SIGINT');
    log('exiting without destroying: delete the stacks docs/integration.md names under "Clean-up" yourself');
    process.exit(130);
  });
  return runTests(options, cliRunner(env, state));
}

/** Waits while any of `stacks` is in an operation (`…_IN_PROGRESS`); a stack that does not exist is settled. */
async function settled(stacks: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const client = new CloudFormationClient({ region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION });
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (const stack of stacks) {
    for (;;) {
      let status: string | undefined;
      try {
        status = (await client.send(new DescribeStacksCommand({ StackName: stack }))).Stacks?.[0]?.StackStatus;
      } catch {
        break; // does not exist (or cannot be read: cdk destroy will say why)
      }
      if (!status?.endsWith('_IN_PROGRESS') || Date.now() > deadline) break;
      log(`${stack} is ${status}: waiting for it to settle before destroying`);
      await new Promise((resolve) => setTimeout(resolve, 30_000));
    }
  }
  client.destroy();
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`npm run integ: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
