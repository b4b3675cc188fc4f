import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { failedAssertions, parseRunArgs, type RunOptions, type Runner, runTests } from '../../integ/run';
import { INTEG_TESTS, integTest } from '../../integ/tests';

/** npm run integ (integ/run.ts), offline: its command line, and deploy → destroy against a fake CDK CLI. */

const ROOT = path.join(__dirname, '..', '..');

describe('the command line', () => {
  test('takes test names, file names or all', () => {
    expect(parseRunArgs(['ground0', 'integ.ground7.ts']).tests.map((t) => t.name)).toEqual(['ground0', 'ground7']);
    expect(parseRunArgs(['all']).tests).toEqual(INTEG_TESTS);
    expect(parseRunArgs(['ground3', '--region', 'eu-west-1', '-c', 'observability.invocationLogging=take-over'])).toMatchObject({
      region: 'eu-west-1',
      context: ['observability.invocationLogging=take-over'],
    });
  });

  test('fails naming the value and what is allowed', () => {
    expect(() => parseRunArgs(['ground4'])).toThrow('unknown integration test "ground4"; allowed: ground0, ground3, ground5, ground7, predictive-ml or all');
    expect(() => parseRunArgs([])).toThrow(/name the tests to run, or all/);
    expect(() => parseRunArgs(['all', '--region', 'moon'])).toThrow('--region "moon": not an AWS Region name (such as us-east-1)');
    expect(() => parseRunArgs(['all', '-c', 'ground'])).toThrow('-c "ground": expected key=value, as with cdk deploy -c');
    expect(() => parseRunArgs(['all', '--keep'])).toThrow(/Unknown option '--keep'/);
  });

  test('without AWS credentials it stops at once, in one line, before any deployment', () => {
    const env = { PATH: process.env.PATH, HOME: fs.mkdtempSync(path.join(os.tmpdir(), 'integ-home-')) } as NodeJS.ProcessEnv;
    // No profile files, no instance metadata: the default chain has nothing to find.
    Object.assign(env, {
      AWS_CONFIG_FILE: path.join(env.HOME!, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(env.HOME!, 'none'),
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    const started = Date.now();
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'integ/run.ts', 'ground0'], { cwd: ROOT, env, encoding: 'utf8' });
    fs.rmSync(env.HOME!, { recursive: true, force: true });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^npm run integ: no AWS credentials \(.+\): set AWS_PROFILE .* see docs\/integration\.md\n$/);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  test('--list prints what integ-runner lists', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'integ/run.ts', '--list'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(INTEG_TESTS.map((t) => `${t.file}\n`).join(''));
  });
});

test('failed assertion outputs are read as integ-runner reads them', () => {
  const outputs = {
    GenAiBlueprintInteg0: { ApiUrl: 'https://x/' },
    'GenAiBlueprintInteg0-Assertions': {
      AssertionResultsModelCall: JSON.stringify({ status: 'success' }),
      AssertionResultsOther: JSON.stringify({ status: 'fail', message: 'Expected 403 but received 200' }),
    },
  };
  expect(failedAssertions(JSON.stringify(outputs))).toEqual(['GenAiBlueprintInteg0-Assertions AssertionResultsOther: Expected 403 but received 200']);
  expect(failedAssertions(JSON.stringify({ S: { AssertionResultsX: '{"status":"success"}' } }))).toEqual([]);
});

describe('a run: deploy, then always destroy', () => {
  interface Scenario {
    /** Exit code of cdk deploy. */
    readonly deploy?: number;
    /** Outputs cdk deploy writes (stack → outputs). */
    readonly outputs?: Record<string, Record<string, string>>;
    /** Exit codes of the destroy attempts. */
    readonly destroys?: number[];
    /** Ctrl-C during the deploy of this test. */
    readonly interruptIn?: string;
  }

  function fakeRunner(scenario: Scenario) {
    const calls: string[][] = [];
    const lines: string[] = [];
    const destroys = [...(scenario.destroys ?? [0])];
    let interrupted = false;
    const runner: Runner = {
      async cdk(args, opts) {
        calls.push([...args, ...(opts?.detached ? ['(detached)'] : [])]);
        if (args[0] === 'deploy') {
          if (scenario.interruptIn && args.join(' ').includes(`integ.${scenario.interruptIn}.ts`)) interrupted = true;
          const file = args[args.indexOf('--outputs-file') + 1];
          if (scenario.outputs) fs.writeFileSync(file, JSON.stringify(scenario.outputs));
          return scenario.deploy ?? 0;
        }
        return destroys.shift() ?? 0;
      },
      async settled(stacks) {
        calls.push(['settled', ...stacks]);
      },
      interrupted: () => interrupted,
      log: (line) => lines.push(line),
    };
    return { runner, calls, lines };
  }

  const options = (...names: string[]): RunOptions => ({ tests: names.map(integTest), context: ['x=1'], list: false, help: false });
  const success = { 'GenAiBlueprintInteg0-Assertions': { AssertionResultsModelCall: '{"status":"success"}' } };

  test('a passing test is deployed with its assertions, then destroyed with the same app, folder and configuration', async () => {
    const { runner, calls, lines } = fakeRunner({ outputs: success });
    expect(await runTests(options('ground0'), runner)).toBe(0);
    const [deploy, settled, destroy] = calls;
    expect(deploy.slice(0, 5)).toEqual(['deploy', '--all', '--require-approval', 'never', '--outputs-file']);
    expect(settled).toEqual(['settled', 'GenAiBlueprintInteg0', 'GenAiBlueprintInteg0-Assertions']);
    expect(destroy.slice(0, 3)).toEqual(['destroy', '--all', '--force']);
    // The same --app, -o and -c after the command's own flags; the destroy out of reach of a first Ctrl-C.
    expect(destroy.slice(3)).toEqual([...deploy.slice(6), '(detached)']);
    expect(deploy.slice(6)).toEqual([
      '--app',
      expect.stringContaining('--import tsx integ/integ.ground0.ts'),
      '-o',
      expect.stringMatching(/cdk\.out$/),
      '-c',
      'x=1',
    ]);
    expect(lines.at(-1)).toMatch(/^PASS ground0 +deploy and assertions \dm\d\ds, destroy \dm\d\ds$/);
  });

  test('a failed deployment (a failed assertion fails it) is destroyed too, and fails the run', async () => {
    const { runner, calls, lines } = fakeRunner({ deploy: 1 });
    expect(await runTests(options('ground0'), runner)).toBe(1);
    expect(calls.map((c) => c[0])).toEqual(['deploy', 'settled', 'destroy']);
    expect(lines.at(-1)).toMatch(/^FAIL ground0 +deploy and assertions .*: cdk deploy exited 1 \(a failed assertion fails the deployment/);
  });

  test('an assertion that only reports (not failing the deployment) fails the test by name', async () => {
    const outputs = { 'GenAiBlueprintInteg0-Assertions': { AssertionResultsX: '{"status":"fail","message":"Expected ALARM"}' } };
    const { runner, lines } = fakeRunner({ outputs });
    expect(await runTests(options('ground0'), runner)).toBe(1);
    expect(lines.at(-1)).toContain('FAIL ground0');
    expect(lines.at(-1)).toContain('GenAiBlueprintInteg0-Assertions AssertionResultsX: Expected ALARM');
  });

  test('a destroy that fails is tried again once the stacks settle, then reported with the stacks left', async () => {
    const { runner, calls, lines } = fakeRunner({ outputs: success, destroys: [1, 1] });
    expect(await runTests(options('ground0'), runner)).toBe(1);
    expect(calls.map((c) => c[0])).toEqual(['deploy', 'settled', 'destroy', 'settled', 'destroy']);
    expect(lines.at(-1)).toMatch(/destroy failed: delete GenAiBlueprintInteg0 and GenAiBlueprintInteg0-Assertions yourself$/);
  });

  test('Ctrl-C: the test being deployed is destroyed, the next ones do not start', async () => {
    const { runner, calls, lines } = fakeRunner({ outputs: success, interruptIn: 'ground0' });
    expect(await runTests(options('ground0', 'predictive-ml'), runner)).toBe(1);
    expect(calls.map((c) => c[0])).toEqual(['deploy', 'settled', 'destroy']);
    expect(lines.slice(-2)).toEqual([
      expect.stringMatching(/^FAIL ground0 .*: interrupted$/),
      expect.stringMatching(/^SKIP predictive-ml +interrupted before it started$/),
    ]);
  });

  test('the PredictiveMl test deploys the PredictiveMl stack under its own name', async () => {
    const { runner, calls } = fakeRunner({ outputs: {} });
    await runTests(options('predictive-ml'), runner);
    expect(calls[1]).toEqual(['settled', 'GenAiBlueprintIntegMl-PredictiveMl', 'GenAiBlueprintIntegMl-Assertions']);
  });
});
