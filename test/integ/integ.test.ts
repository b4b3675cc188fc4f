import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { BlueprintUnderTest } from '../../integ/blueprint-under-test';
import { build as ground0 } from '../../integ/integ.ground0';
import { build as ground3 } from '../../integ/integ.ground3';
import { build as ground5 } from '../../integ/integ.ground5';
import { build as ground7 } from '../../integ/integ.ground7';
import { build as predictiveMl } from '../../integ/integ.predictive-ml';
import { deployedStacks } from '../../integ/run';
import { INTEG_TESTS } from '../../integ/tests';
import { CDK_JSON_CONTEXT, maskedTemplate } from '../support/synth';

/**
 * The integration tests' definition, checked offline (no credentials): integ-runner lists them,
 * each synthesizes, and its stack under test and its assertion stack match their snapshots, so a
 * change that alters a test stack fails here until the snapshot is updated on purpose
 * (`npx jest test/integ -u`). integ-runner's own snapshots would commit whole cloud assemblies,
 * bundled functions included; these are the templates with asset hashes masked.
 */

const ROOT = path.join(__dirname, '..', '..');
const BUILD: Record<string, (app: App) => BlueprintUnderTest> = { ground0, ground3, ground5, ground7, 'predictive-ml': predictiveMl };

function synth(name: string): { under: BlueprintUnderTest; stack: Template; assertions: Template } {
  const app = new App({ context: { ...CDK_JSON_CONTEXT }, analyticsReporting: false, builtinCloudFormationValidation: false });
  const under = BUILD[name](app);
  return { under, stack: Template.fromStack(under.stack), assertions: Template.fromStack(under.assertionStack) };
}

/**
 * maskedTemplate, and what integ-tests makes unique per synth: the `salt` of every assertion
 * (Date.now(), so that each deploy runs it again), and the hash in an equality assertion's output
 * name (of its token strings, whose numbers depend on what the process built before).
 */
function masked(template: Template): unknown {
  const text = JSON.stringify(maskedTemplate(template))
    .replace(/"salt":"\d+"/g, '"salt":"<deploy time>"')
    .replace(/"(AssertionResults[A-Za-z0-9]*?)[0-9a-f]{32}"/g, '"$1<hash>"');
  return JSON.parse(text);
}

const synthesized = new Map(INTEG_TESTS.map((t) => [t.name, synth(t.name)]));
const of = (name: string) => synthesized.get(name)!;

/** The `expected` of an EqualsAssertion (by logical id) as the assertion handler reads it. */
function expectedOf(assertions: Template, id: string): unknown {
  const resource = assertions.toJSON().Resources[id];
  expect(resource?.Type).toBe('Custom::DeployAssert@AssertEquals');
  const expected = resource.Properties.expected;
  return typeof expected === 'string' ? JSON.parse(expected) : expected;
}

test('integ-runner lists exactly the tests npm run integ runs (integ/tests.ts)', () => {
  const bin = path.join(ROOT, 'node_modules', '@aws-cdk', 'integ-runner', 'bin', 'integ-runner');
  const listed = spawnSync(process.execPath, [bin, '--list', '--directory', 'integ', '--language', 'typescript'], { cwd: ROOT, encoding: 'utf8' });
  expect(listed.status).toBe(0);
  expect(listed.stdout.trim().split('\n')).toEqual(INTEG_TESTS.map((t) => t.file));
  expect(fs.readdirSync(path.join(ROOT, 'integ')).filter((f) => /^integ\..*\.ts$/.test(f))).toEqual(INTEG_TESTS.map((t) => t.file));
});

describe.each(INTEG_TESTS.map((t) => [t.name, t] as const))('%s', (name, spec) => {
  const { under, stack, assertions } = of(name);

  test('its stack under test matches the snapshot', () => {
    expect(masked(stack)).toMatchSnapshot();
  });

  test('its assertion stack matches the snapshot', () => {
    expect(masked(assertions)).toMatchSnapshot();
  });

  test('deploys under its own stack names, never a user deployment, the assertions after the stack under test', () => {
    expect([under.stack.stackName, under.assertionStack.stackName]).toEqual(deployedStacks(spec));
    expect(under.stack.stackName).not.toMatch(/^GenAiBlueprint(-PredictiveMl)?$/);
    expect(under.assertionStack.dependencies).toContain(under.stack);
  });

  test('cdk destroy removes everything but the account-wide API Gateway logging role and setting', () => {
    const resources = Object.entries<any>(stack.toJSON().Resources);
    const kept = resources.filter(([, r]) => r.DeletionPolicy !== undefined && r.DeletionPolicy !== 'Delete').map(([id, r]) => `${r.Type} ${id}`);
    expect(kept.sort()).toEqual([expect.stringMatching(/^AWS::ApiGateway::Account ApiAccount/), expect.stringMatching(/^AWS::IAM::Role ApiCloudWatchRole/)]);
    expect(resources.filter(([, r]) => r.Properties?.DeletionProtectionEnabled === true || r.Properties?.DeletionProtection === 'ACTIVE')).toEqual([]);
    // Every bucket is emptied before it is deleted (a bucket with objects cannot be).
    const buckets = resources.filter(([, r]) => r.Type === 'AWS::S3::Bucket').map(([id]) => id);
    const emptied = Object.values(stack.findResources('Custom::S3AutoDeleteObjects')).map((r: any) => r.Properties.BucketName.Ref);
    expect(emptied.sort()).toEqual(buckets.sort());
  });

  test('every equality assertion fails the deployment when it fails (npm run integ runs without integ-runner)', () => {
    const equals = Object.values(assertions.findResources('Custom::DeployAssert@AssertEquals'));
    expect(equals.length).toBeGreaterThan(0);
    for (const r of equals) expect(r.Properties.failDeployment).toBe(true);
  });
});

describe('the assertions each test makes (issue 13)', () => {
  /** The custom resources of integ-tests in a test's assertion stack, by type, counted. */
  const counts = (name: string) => {
    const types: Record<string, number> = {};
    for (const r of Object.values<any>(of(name).assertions.toJSON().Resources)) {
      if (r.Type.startsWith('Custom::DeployAssert@'))
        types[r.Type.slice('Custom::DeployAssert@'.length)] = (types[r.Type.slice('Custom::DeployAssert@'.length)] ?? 0) + 1;
    }
    return types;
  };

  test('ground 0: a signed request is answered with usage, an unsigned one refused', () => {
    expect(counts('ground0')).toEqual({ SdkCallLambdainvoke: 1, AssertEquals: 1 });
    expect(expectedOf(of('ground0').assertions, 'ModelCall')).toEqual({
      $ObjectLike: { 'signed.status': 200, 'signed.answered': true, 'signed.usage': true, 'unsigned.status': 403 },
    });
  });

  test('ground 3: a prompt attack is blocked without a model call; PII masked; citations from the corpus after ingestion', () => {
    const { assertions } = of('ground3');
    expect(counts('ground3')).toEqual({ SdkCallLambdainvoke: 3, AssertEquals: 4, 'SdkCallbedrock-agentlistIngestionJobs': 1 });
    expect(expectedOf(assertions, 'GuardrailBlock')).toEqual({
      $ObjectLike: {
        'control.status': 200,
        'control.modelCalled': true,
        'attack.status': 422,
        'attack.policyMessage': true,
        'attack.guardrailCalled': true,
        'attack.modelCalled': false,
      },
    });
    expect(expectedOf(assertions, 'PiiMasked')).toEqual({ $ObjectLike: { status: 200, guardrailInput: 'masked', echoesPii: false } });
    expect(expectedOf(assertions, 'Retrieval')).toEqual({ $ObjectLike: { status: 200, cited: true, fromCorpus: true } });
    expect(expectedOf(assertions, 'IngestionCompleted')).toBe('COMPLETE');
    waitsBefore(assertions, 'listIngestionJobs', 'Retrieval');
  });

  test('ground 5: the second identical question is an exact cache hit at no cost, from the isolated VPC with IAM login', () => {
    const { assertions, under } = of('ground5');
    expect(counts('ground5')).toEqual({
      'SdkCallbedrock-agentlistIngestionJobs': 1,
      SdkCallLambdainvoke: 1,
      AssertEquals: 4,
      SdkCallLambdagetFunctionConfiguration: 1,
      SdkCallElastiCachedescribeUsers: 1,
    });
    expect(expectedOf(assertions, 'CacheHit')).toEqual({
      $ObjectLike: {
        'first.status': 200,
        'first.cache': 'none',
        'first.tenantProfile': true,
        'second.status': 200,
        'second.cache': 'exact',
        'second.cheaper': true,
      },
    });
    expect(expectedOf(assertions, 'CacheUserLogsInWithIam')).toBe('iam');
    // The VPC id comes from the stack under test (a token), compared exactly.
    expect(JSON.stringify(expectedOf(assertions, 'PromptFunctionInIsolatedVpc'))).toContain(under.stack.resolve(under.ground!.network!.vpc.vpcId).Ref);
    waitsBefore(assertions, 'listIngestionJobs', 'CacheHit');
  });

  test('ground 7: machine token, tenant keys, history, feedback once, invocation logs, alarm to topic, agent alias version', () => {
    const { assertions } = of('ground7');
    expect(counts('ground7')).toEqual({
      SdkCallLambdainvoke: 3,
      AssertEquals: 4,
      SdkCallCloudWatchLogsfilterLogEvents: 1,
      SdkCallCloudWatchsetAlarmState: 1,
      SdkCallSQSreceiveMessage: 1,
      'SdkCallbedrock-agentgetAgentAlias': 1,
    });
    expect(expectedOf(assertions, 'CognitoAccess')).toEqual({
      $ObjectLike: { 'bearer.status': 200, 'bearer.answered': true, 'bare.status': 200, 'crossTenant.status': 403, 'anonymous.status': 401 },
    });
    expect(expectedOf(assertions, 'SessionHistory')).toEqual({
      $ObjectLike: {
        'first.status': 200,
        'second.status': 200,
        'second.sameSession': true,
        'second.longerPrompt': true,
        'stored.status': 200,
        'stored.turns': 2,
      },
    });
    expect(expectedOf(assertions, 'FeedbackOnce')).toEqual({ $ObjectLike: { 'answer.status': 200, outcomes: 'recorded,unchanged,unchanged' } });
    expect(expectedOf(assertions, 'AgentAliasServesAVersion')).toBe(1);
    const waiter = (api: string) => Object.values<any>(assertions.findResources(`Custom::DeployAssert@SdkCall${api}`))[0].Properties;
    expect(waiter('SQSreceiveMessage')).toMatchObject({ expected: JSON.stringify({ $StringLike: '^ALARM: ' }), actualPath: 'Messages.0.Body.Subject' });
    expect(waiter('CloudWatchsetAlarmState').parameters.StateValue).toBe('"ALARM"');
    expect(waiter('SQSreceiveMessage').stateMachineArn).toBeDefined();
    expect(waiter('CloudWatchLogsfilterLogEvents').stateMachineArn).toBeDefined();
    // The queue that stands in for the e-mail inbox is subscribed to the stack's alarm topic.
    assertions.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sqs' });
  });

  test('PredictiveMl: a pipeline run passes the gate and deploys; /predict answers from the endpoint', () => {
    const { assertions } = of('predictive-ml');
    expect(counts('predictive-ml')).toEqual({ SdkCallSFNstartExecution: 1, SdkCallSFNdescribeExecution: 1, AssertEquals: 3, SdkCallLambdainvoke: 1 });
    expect(expectedOf(assertions, 'PipelineSucceeded')).toBe('SUCCEEDED');
    expect(expectedOf(assertions, 'GatePromotedTheModel')).toBe(true);
    expect(expectedOf(assertions, 'Predict')).toEqual({ $ObjectLike: { status: 200, label: 'churn', probabilityInRange: true } });
    waitsBefore(assertions, 'describeExecution', 'Predict');
  });
});

/** The probe call behind EqualsAssertion `assertionId` depends on the waiter for `api` (it runs after it ends). */
function waitsBefore(assertions: Template, api: string, assertionId: string): void {
  const resources = assertions.toJSON().Resources;
  const [waiterId] = Object.entries<any>(resources).find(([, r]) => r.Type.endsWith(api) && r.Properties.stateMachineArn)!;
  const callId = resources[assertionId].Properties.actual['Fn::GetAtt'][0];
  expect(resources[callId].DependsOn ?? []).toEqual(expect.arrayContaining([waiterId]));
}

describe('the assertion handler integ-tests deploys (its bundled code, run here)', () => {
  /** integ-tests-alpha's provider bundle, loaded as the Lambda runtime would, with its AssertionHandler exposed. */
  const handler = loadAssertionHandler();
  const judge = async (actual: string, expected: unknown) => {
    const h = new handler(
      { RequestType: 'Create', ResponseURL: 'https://example.invalid/', ResourceProperties: { actual, expected, failDeployment: true } },
      {
        getRemainingTimeInMillis: () => 60_000,
      },
    );
    return h.handle().then(
      () => 'pass',
      (error: Error) => error.message,
    );
  };

  test('each probe fact table passes on a probe answer that holds it, and fails naming the fact that differs', async () => {
    for (const { assertions } of synthesized.values()) {
      for (const [id, r] of Object.entries<any>(assertions.findResources('Custom::DeployAssert@AssertEquals'))) {
        if (typeof r.Properties.expected !== 'string' || !r.Properties.expected.startsWith('{"$ObjectLike"')) continue;
        const facts = JSON.parse(r.Properties.expected).$ObjectLike as Record<string, unknown>;
        expect([id, await judge(JSON.stringify({ ...facts, extra: 'ignored' }), r.Properties.expected)]).toEqual([id, 'pass']);
        const [first, value] = Object.entries(facts)[0];
        const wrong = typeof value === 'boolean' ? !value : typeof value === 'number' ? value + 1 : `not ${value}`;
        expect(await judge(JSON.stringify({ ...facts, [first]: wrong }), r.Properties.expected)).toContain(
          `Expected ${JSON.stringify(value).replace(/^"|"$/g, '')} but received`,
        );
      }
    }
  });

  test('exactly() matches the attribute text a value comes back as; ExpectedResult.exact still fails on a match (why exactly() exists)', async () => {
    expect(await judge('1', '1')).toBe('pass');
    expect(await judge('true', 'true')).toBe('pass');
    expect(await judge('COMPLETE', '"COMPLETE"')).toBe('pass');
    expect(await judge('FAILED', '"COMPLETE"')).toContain('Expected COMPLETE but received FAILED');
    // When integ-tests fixes this, integ/probe.ts's exactly() can go: use ExpectedResult.exact.
    expect(await judge('403', JSON.stringify({ $Exact: 403 }))).toContain('Expected type object but received number');
  });
});

type AssertionHandlerClass = new (
  event: Record<string, unknown>,
  context: { getRemainingTimeInMillis(): number },
) => {
  handle(): Promise<unknown>;
};

function loadAssertionHandler(): AssertionHandlerClass {
  const Module = require('node:module');
  const file = require.resolve('@aws-cdk/integ-tests-alpha/lib/assertions/providers/lambda-handler.bundle/index.js');
  const m = new Module(file, module);
  m.filename = file;
  m.paths = Module._nodeModulePaths(path.dirname(file));
  // The bundle keeps AssertionHandler to itself (it exports the Lambda entry points only), and logs
  // every comparison, as it would into CloudWatch: its console is silenced.
  const quiet = 'const console = { log() {}, info() {}, warn() {}, error() {} };';
  m._compile(`${quiet}${fs.readFileSync(file, 'utf8')}\nmodule.exports.AssertionHandler = AssertionHandler;`, file);
  return m.exports.AssertionHandler;
}
