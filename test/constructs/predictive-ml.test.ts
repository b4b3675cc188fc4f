import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { App, type CfnElement, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { decide } from '../../lambda/training-gate/core';
import { loadConfig } from '../../lib/config/schema';
import { ModelApi } from '../../lib/constructs/api/model-api';
import { CHURN_DATASET } from '../../contracts/dataset';
import { generateChurnCsv } from '../../lib/constructs/predictive-ml/dataset';
import { PredictiveMl, type PredictiveMlProps } from '../../lib/constructs/predictive-ml/predictive-ml';
import { XGBOOST_REGISTRIES } from '../../lib/constructs/predictive-ml/xgboost-image';
import { CHURN_FILES } from '../../data/generate-churn';
import { aslErrors, stateMachines, taskStates } from '../support/asl';
import { SageMakerFake } from '../support/sagemaker-fake';
import { CDK_JSON_CONTEXT } from '../support/synth';

function build(props: Partial<PredictiveMlProps> = {}) {
  const app = new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Test');
  const api = new ModelApi(stack, 'Api');
  api.acknowledgeNoWebAcl('Test fixture: the block alone, without the gateway that adds the web ACL');
  const ml = new PredictiveMl(stack, 'PredictiveMl', { api, ...props });
  return { app, stack, ml, template: Template.fromStack(stack) };
}

const statements = (template: Template) =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown; Condition?: unknown }[],
  );
const actions = (s: { Action: string | string[] }) => [s.Action].flat();

/** What follows `"<field>":"` in the state machine's raw DefinitionString: the CloudFormation tokens stateMachines() resolves away. */
function definitionTokensAfter(template: Template, field: string): unknown[] {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const parts = machine.Properties.DefinitionString['Fn::Join'][1] as unknown[];
  return parts.flatMap((part, i) => (typeof part === 'string' && part.endsWith(`"${field}":"`) ? [parts[i + 1]] : []));
}
const keyArn = (stack: Stack, ml: PredictiveMl) => ({ 'Fn::GetAtt': [stack.getLogicalId(ml.key.node.defaultChild as CfnElement), 'Arn'] });

/** Which state a Choice state moves to for an input: the JSONPath subset the pipeline's choices use. */
function choose(state: { Choices: Record<string, any>[]; Default?: string }, input: Record<string, unknown>): string | undefined {
  const at = (path: string) =>
    path
      .replace(/^\$\.?/, '')
      .split('.')
      .filter(Boolean)
      .reduce<any>((o, k) => (o == null ? undefined : o[k]), input);
  const holds = (rule: Record<string, any>): boolean => {
    if (rule.And) return rule.And.every(holds);
    if (rule.Or) return rule.Or.some(holds);
    if (rule.Not) return !holds(rule.Not);
    const value = at(rule.Variable);
    if ('IsPresent' in rule) return (value !== undefined) === rule.IsPresent;
    if (value === undefined) throw new Error(`States.Runtime: ${rule.Variable} does not resolve`);
    if ('StringEquals' in rule) return value === rule.StringEquals;
    if ('StringEqualsPath' in rule) return value === at(rule.StringEqualsPath);
    if ('BooleanEquals' in rule) return value === rule.BooleanEquals;
    if ('NumericLessThan' in rule) return value < rule.NumericLessThan;
    if ('StringMatches' in rule)
      return new RegExp(
        `^${rule.StringMatches.split('*')
          .map((t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
        's',
      ).test(value);
    throw new Error(`choose: unsupported rule ${JSON.stringify(rule)}`);
  };
  return state.Choices.find(holds)?.Next ?? state.Default;
}

/** The pipeline's create calls: a Retry re-sends them with the same name. */
const CREATES = ['CreateModel', 'CreateEndpointConfig', 'CreateEndpoint'];

describe('PredictiveMl', () => {
  const { template, ml, stack } = build();
  const [definition] = Object.values(stateMachines(template));

  describe('training pipeline', () => {
    test('the state machine definition is valid ASL', () => {
      expect(aslErrors(definition)).toEqual([]);
    });

    test('prepare → train (.sync) → gate → model → endpoint config → create or update → wait until in service', () => {
      expect(definition.StartAt).toBe('Prepare');
      expect(definition.States.Prepare.Next).toBe('Train');
      expect(definition.States.Train.Resource).toBe('arn:aws:states:::sagemaker:createTrainingJob.sync');
      expect(definition.States.Train.Next).toBe('QualityGate');
      expect(definition.States.QualityGate.Next).toBe('Promote?');
      expect(definition.States['Promote?'].Choices[0]).toMatchObject({ Variable: '$.gate.promote', BooleanEquals: true, Next: 'CreateModel' });
      expect(definition.States['Promote?'].Default).toBe('NotifyNotPromoted');
      expect(definition.States.CreateModel.Next).toBe('CreateEndpointConfig');
      expect(definition.States['EndpointExists?']).toMatchObject({
        Choices: [
          { Variable: '$.gate.endpointStatus', StringEquals: 'Failed', Next: 'DeleteFailedEndpoint' },
          { Variable: '$.gate.endpointExists', BooleanEquals: true, Next: 'UpdateEndpoint' },
        ],
        Default: 'CreateEndpoint',
      });
      expect(definition.States.QualityGate).toMatchObject({ InputPath: '$.training', ResultPath: '$.gate' });
      expect(definition.States.QualityGate.Parameters).toBeUndefined();
      expect(definition.States.CreateModel.Parameters.PrimaryContainer['ModelDataUrl.$']).toBe('$.training.ModelArtifacts.S3ModelArtifacts');
      expect(definition.States['EndpointReady?'].Default).toBe('WaitForEndpoint');
      expect(definition.States.UpdateEndpoint.Parameters.EndpointName).toBe(ml.endpointName);
      expect(definition.States.CreateEndpoint.Parameters.EndpointName).toBe(ml.endpointName);
    });

    test('every task retries with full jitter and a capped delay, catches into the failure notification, and has a timeout', () => {
      const tasks = taskStates(definition);
      expect(tasks.length).toBeGreaterThanOrEqual(10);
      for (const [name, state] of tasks) {
        expect({ name, timeout: state.TimeoutSeconds > 0 }).toEqual({ name, timeout: true });
        // Train retries through its catch, under a new job name (next test): a Retry would re-send the same name.
        if (name === 'Train') continue;
        expect(state.Retry.length).toBeGreaterThan(0);
        for (const retry of state.Retry) expect(retry).toMatchObject({ JitterStrategy: 'FULL', MaxDelaySeconds: 300 });
        const catchTo = state.Catch?.[0]?.Next;
        const expected = name.startsWith('Notify')
          ? 'PipelineFailed'
          : name === 'DescribeDeletingEndpoint'
            ? 'EndpointGone?'
            : name === 'StopFailedTraining'
              ? 'TrainingBackoff'
              : CREATES.includes(name)
                ? `${name}Done?`
                : 'NotifyFailure';
        expect([name, catchTo]).toEqual([name, expected]);
      }
      expect(definition.States.NotifyFailure.Next).toBe('PipelineFailed');
      expect(definition.States.PipelineFailed.Type).toBe('Fail');
    });

    test('a failed training job is retried under a new name (a same-name retry fails as a duplicate), at most 3 attempts, stopping the last job first', () => {
      const states = definition.States;
      expect(states.Train.Retry).toBeUndefined();
      // The few intrinsics these states use, evaluated as Step Functions would.
      const path = (p: string, input: any) =>
        p
          .replace(/^\$\.?/, '')
          .split('.')
          .reduce((o, k) => o?.[k], input);
      const evaluate = (expr: string, input: any): unknown => {
        const fmt = /^States\.Format\('([^']*)', (.+)\)$/.exec(expr);
        if (fmt) {
          const args = fmt[2].split(', ').map((a) => (a === 'States.UUID()' ? randomUUID() : path(a, input)));
          return fmt[1].replace(/\{\}/g, () => String(args.shift()));
        }
        const add = /^States\.MathAdd\((\S+), (\d+)\)$/.exec(expr);
        if (add) return (path(add[1], input) as number) + Number(add[2]);
        if (expr.startsWith('$')) return path(expr, input);
        throw new Error(`unsupported intrinsic ${expr}`);
      };
      const apply = (params: Record<string, any>, input: any) =>
        Object.fromEntries(Object.entries(params).map(([k, v]) => (k.endsWith('.$') ? [k.slice(0, -2), evaluate(v, input)] : [k, v])));

      // Every attempt fails the way .sync can after the job exists: SageMaker's error while polling.
      let input: any = { run: apply(states.Prepare.Parameters, {}) };
      expect(input.run.name).toMatch(/^[a-z0-9-]+-[0-9a-f-]{36}$/);
      const sent: string[] = [];
      const stopped: string[] = [];
      let state = 'Train';
      for (let steps = 0; state !== 'NotifyFailure' && steps < 50; steps++) {
        const s = states[state];
        if (state === 'Train') {
          sent.push(apply(s.Parameters, input).TrainingJobName);
          const catcher = s.Catch.find((c: { ErrorEquals: string[] }) => c.ErrorEquals.includes('SageMaker.AmazonSageMakerException'));
          input = { ...input, error: { Error: 'SageMaker.AmazonSageMakerException' } };
          expect(catcher.ResultPath).toBe('$.error');
          state = catcher.Next;
        } else if (s.Type === 'Choice') state = choose(s, input)!;
        else if (state === 'StopFailedTraining') {
          stopped.push(apply(s.Parameters, input).TrainingJobName);
          state = s.Next;
        } else if (s.Type === 'Pass') {
          input = { ...input, run: apply(s.Parameters, input) };
          expect(s.ResultPath).toBe('$.run');
          state = s.Next;
        } else state = s.Next;
      }
      expect(state).toBe('NotifyFailure');
      expect(sent).toEqual([`${input.run.name}-1`, `${input.run.name}-2`, `${input.run.name}-3`]);
      expect(new Set(sent).size).toBe(3);
      expect(stopped).toEqual(sent.slice(0, 2));
      for (const name of sent) expect(name.length).toBeLessThanOrEqual(63); // CreateTrainingJob's limit
      // Stopping nothing (the job was never created, or has ended) goes on to the next attempt.
      expect(states.StopFailedTraining.Catch).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'TrainingBackoff' })]);
    });

    test.each(CREATES.map((name) => [name]))(
      '%s retried after it created (SageMaker: "Cannot create already existing ...") goes on as created; any other failure notifies',
      (name) => {
        const states = definition.States;
        expect(states[name].Retry.length).toBeGreaterThan(0);
        const done = states[states[name].Catch[0].Next];
        expect(states[name].Catch[0]).toMatchObject({ ErrorEquals: ['States.ALL'], ResultPath: '$.error' });
        const after = (cause: string) =>
          choose(done, { error: { Error: 'SageMaker.SageMakerException', Cause: `${cause} (Service: SageMaker, Status Code: 400)` } });
        const resource = name === 'CreateModel' ? 'model' : name === 'CreateEndpoint' ? 'endpoint' : 'endpoint configuration';
        expect(after(`Cannot create already existing ${resource} "arn:aws:sagemaker:us-east-1:123456789012:x/y"`)).toBe(states[name].Next);
        expect(after('Could not find model data at s3://b/k')).toBe('NotifyFailure');
      },
    );

    test('trains the built-in XGBoost image of the deploying region (mapping), on the shipped channels, encrypted, isolated', () => {
      const params = definition.States.Train.Parameters;
      expect(params.AlgorithmSpecification.TrainingImage).toMatch(/\/sagemaker-xgboost:1\.7-1$/);
      expect(params.HyperParameters).toMatchObject({ objective: 'binary:logistic', eval_metric: 'auc' });
      expect(params.InputDataConfig.map((c: { ChannelName: string }) => c.ChannelName)).toEqual(['train', 'validation']);
      expect(params.EnableNetworkIsolation).toBe(true);
      expect(definitionTokensAfter(template, 'KmsKeyId')).toEqual([keyArn(stack, ml)]);
      expect(definitionTokensAfter(template, 'VolumeKmsKeyId')).toEqual([keyArn(stack, ml)]);
      expect(params.StoppingCondition.MaxRuntimeInSeconds).toBe(1800);
      // The whole job description: a ResultSelector path that may not resolve (FinalMetricDataList) fails the run uncaught.
      expect(definition.States.Train.ResultSelector).toBeUndefined();
      expect(definition.States.Train.ResultPath).toBe('$.training');
      const mapping = template.toJSON().Mappings.XgboostRegistries;
      expect(mapping['us-east-1']).toEqual({ account: '683313688378' });
      expect(mapping['eu-west-1']).toEqual({ account: '141502667606' });
      expect(Object.keys(mapping)).toHaveLength(Object.keys(XGBOOST_REGISTRIES).length);
    });

    describe('endpoint outcomes (the choices evaluated on DescribeEndpoint answers of the SageMaker fake)', () => {
      let fake: SageMakerFake;
      let client: SageMakerClient;
      beforeAll(async () => {
        fake = await SageMakerFake.start();
        client = new SageMakerClient({ endpoint: fake.url, maxAttempts: 1 });
      });
      afterAll(() => fake.stop());
      beforeEach(() => fake.reset());

      /** The state input after DescribeEndpoint: the run's config name and the endpoint's description. */
      const described = async (endpoint: { configName: string; status: string; failureReason?: string }) => {
        fake.endpoints.set(ml.endpointName, { name: ml.endpointName, ...endpoint });
        return { run: { name: `${ml.endpointName}-new` }, endpoint: await client.send(new DescribeEndpointCommand({ EndpointName: ml.endpointName })) };
      };
      const ready = definition.States['EndpointReady?'];

      test("promoted only when the endpoint serves this run's config", async () => {
        expect(choose(ready, await described({ configName: `${ml.endpointName}-new`, status: 'InService' }))).toBe('NotifyPromoted');
        expect(choose(ready, await described({ configName: `${ml.endpointName}-new`, status: 'Updating' }))).toBe('WaitForEndpoint');
        expect(choose(ready, await described({ configName: `${ml.endpointName}-new`, status: 'Creating' }))).toBe('WaitForEndpoint');
      });

      test("a rolled-back update (InService on the previous config) fails and notifies with SageMaker's FailureReason", async () => {
        const input = await described({
          configName: `${ml.endpointName}-old`,
          status: 'InService',
          failureReason: 'Model container failed the ping health check',
        });
        expect(choose(ready, input)).toBe('EndpointRolledBack');
        expect(definition.States.EndpointRolledBack).toMatchObject({
          Type: 'Pass',
          Parameters: { Error: 'EndpointUpdateRolledBack' },
          ResultPath: '$.error',
          Next: 'FailureReason?',
        });
        expect(definition.States.EndpointRolledBack.Parameters['Cause.$']).toContain('rolled back');
        expect(choose(definition.States['FailureReason?'], input)).toBe('AddFailureReason');
        expect(definition.States.AddFailureReason).toMatchObject({ ResultPath: '$.error', Next: 'NotifyFailure' });
        expect(definition.States.AddFailureReason.Parameters['Cause.$']).toContain('$.endpoint.FailureReason');
      });

      test('a failed or out-of-service endpoint fails and notifies; without a FailureReason no path is left unresolved', async () => {
        const failed = await described({ configName: `${ml.endpointName}-new`, status: 'Failed', failureReason: 'Image not found' });
        expect(choose(ready, failed)).toBe('EndpointFailed');
        expect(definition.States.EndpointFailed.Next).toBe('FailureReason?');
        const outOfService = await described({ configName: `${ml.endpointName}-new`, status: 'OutOfService' });
        expect(choose(ready, outOfService)).toBe('EndpointFailed');
        expect(choose(definition.States['FailureReason?'], outOfService)).toBe('NotifyFailure');
        // The causes read only fields DescribeEndpoint always returns; FailureReason only behind its IsPresent choice.
        const always = ['$.endpoint.EndpointName', '$.endpoint.EndpointStatus', '$.endpoint.EndpointConfigName'];
        for (const name of ['EndpointRolledBack', 'EndpointFailed', 'EndpointNotDeleted']) {
          const paths = String(definition.States[name].Parameters['Cause.$']).match(/\$\.endpoint\.\w+/g) ?? [];
          expect([name, paths.filter((p) => !always.includes(p))]).toEqual([name, []]);
        }
      });

      test('a Failed endpoint found by the gate is deleted, awaited until SageMaker no longer finds it, then created anew', async () => {
        const gate = decide(
          [{ MetricName: 'validation:auc', Value: 0.82 }],
          { metricName: 'validation:auc', threshold: 0.8 },
          { endpointExists: true, status: 'Failed', metric: 0.95 },
        );
        expect(choose(definition.States['EndpointExists?'], { gate })).toBe('DeleteFailedEndpoint');
        expect(definition.States.DeleteFailedEndpoint).toMatchObject({
          Resource: 'arn:aws:states:::aws-sdk:sagemaker:deleteEndpoint',
          Parameters: { EndpointName: ml.endpointName },
          Next: 'WaitForDeletion',
        });
        expect(definition.States.WaitForDeletion.Next).toBe('DescribeDeletingEndpoint');
        expect(definition.States.DescribeDeletingEndpoint).toMatchObject({ ResultPath: '$.endpoint', Next: 'StillDeleting?' });
        expect(definition.States.DescribeDeletingEndpoint.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'EndpointGone?' }]);

        expect(choose(definition.States['StillDeleting?'], await described({ configName: 'x', status: 'Deleting' }))).toBe('WaitForDeletion');
        expect(choose(definition.States['StillDeleting?'], await described({ configName: 'x', status: 'Failed' }))).toBe('EndpointNotDeleted');

        // Gone: the Cause of the SDK integration's error carries SageMaker's message.
        fake.reset();
        const missing = await client.send(new DescribeEndpointCommand({ EndpointName: ml.endpointName })).catch((e: Error) => e);
        const cause = `${(missing as Error).message} (Service: SageMaker, Status Code: 400, Request ID: 1)`;
        expect(choose(definition.States['EndpointGone?'], { error: { Error: 'SageMaker.AmazonSageMakerException', Cause: cause } })).toBe('CreateEndpoint');
        expect(choose(definition.States['EndpointGone?'], { error: { Error: 'SageMaker.AmazonSageMakerException', Cause: 'Rate exceeded' } })).toBe(
          'NotifyFailure',
        );
      });
    });

    test('serverless by default: no data capture (Serverless Inference has none); the promoted metric is tagged on the config', () => {
      const params = definition.States.CreateEndpointConfig.Parameters;
      expect(params.ProductionVariants).toEqual([
        { VariantName: 'AllTraffic', 'ModelName.$': '$.run.name', ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } },
      ]);
      expect(params.DataCaptureConfig).toBeUndefined();
      expect(params.Tags).toEqual([{ Key: 'genai-blueprint:promoted-metric', 'Value.$': '$.gate.metric' }]);
    });

    test('logging ALL and tracing on the state machine; failures notify an encrypted topic', () => {
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', { TracingConfiguration: { Enabled: true }, LoggingConfiguration: { Level: 'ALL' } });
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
      template.resourceCountIs('AWS::Events::Rule', 0);
    });

    test('the gate reads the threshold and the endpoint from its environment', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ ENDPOINT_NAME: ml.endpointName, METRIC_NAME: 'validation:auc', THRESHOLD: '0.8' }) },
      });
    });
  });

  describe('data', () => {
    test('a customer key with rotation; the bucket is KMS-encrypted, versioned, SSL-only, logged, private', () => {
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() }, BucketKeyEnabled: true },
          ],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'data/' }),
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      });
      template.hasResourceProperties('Custom::CDKBucketDeployment', { DestinationBucketKeyPrefix: 'churn/', Prune: false });
    });

    test('the committed dataset is exactly what the fixed-seed generator produces', () => {
      const csv = generateChurnCsv();
      expect(fs.readFileSync(CHURN_FILES.train, 'utf8')).toBe(csv.train);
      expect(fs.readFileSync(CHURN_FILES.validation, 'utf8')).toBe(csv.validation);
      expect(generateChurnCsv(7, { train: 5, validation: 5 })).toEqual(generateChurnCsv(7, { train: 5, validation: 5 }));
      expect(generateChurnCsv(7, { train: 5, validation: 5 })).not.toEqual(generateChurnCsv(8, { train: 5, validation: 5 }));
    });

    test('the dataset is in the XGBoost CSV format: label first, no header, one column per feature, values in range', () => {
      const rows = fs
        .readFileSync(CHURN_FILES.train, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(',').map(Number));
      expect(rows).toHaveLength(4_000);
      for (const row of rows) {
        expect(row).toHaveLength(CHURN_DATASET.features.length + 1);
        expect([0, 1]).toContain(row[0]);
        CHURN_DATASET.features.forEach((f, i) => {
          const v = row[i + 1];
          if (f.type === 'integer' || f.type === 'number') expect(v >= f.min && v <= f.max).toBe(true);
          if (f.type === 'choice') expect(f.values).toContain(v);
          if (f.type === 'boolean') expect([0, 1]).toContain(v);
        });
      }
      const churnRate = rows.filter((r) => r[0] === 1).length / rows.length;
      expect(churnRate).toBeGreaterThan(0.15);
      expect(churnRate).toBeLessThan(0.45);
    });
  });

  describe('least privilege', () => {
    const all = statements(template);

    test('iam:PassRole only on the SageMaker execution role, only to SageMaker', () => {
      const passes = all.filter((s) => actions(s).includes('iam:PassRole'));
      expect(passes.length).toBeGreaterThan(0);
      const roleArn = { 'Fn::GetAtt': [stack.getLogicalId(ml.pipeline.sagemakerRole.node.defaultChild as never), 'Arn'] };
      for (const s of passes) {
        expect(s.Resource).toEqual(roleArn);
        expect(s.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
      }
    });

    test("the .sync training integration: create, describe, stop and list tags on this pipeline's jobs; the managed rule only", () => {
      const training = all.filter((s) => actions(s).includes('sagemaker:CreateTrainingJob'));
      expect(training).toHaveLength(1);
      expect(actions(training[0]).sort()).toEqual([
        'sagemaker:CreateTrainingJob',
        'sagemaker:DescribeTrainingJob',
        'sagemaker:ListTags',
        'sagemaker:StopTrainingJob',
      ]);
      expect(JSON.stringify(training[0].Resource)).toContain(`:training-job/${ml.endpointName}-*"`);
      const rules = all.filter((s) => actions(s).includes('events:PutRule'));
      expect(rules.map((s) => [actions(s).sort(), JSON.stringify(s.Resource)])).toEqual([
        [['events:DescribeRule', 'events:PutRule', 'events:PutTargets'], expect.stringContaining(':rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule"')],
      ]);
    });

    test('sagemaker:DeleteEndpoint only on this endpoint (the pipeline replacing a failed one, the teardown)', () => {
      const deletes = all.filter((s) => actions(s).includes('sagemaker:DeleteEndpoint'));
      expect(deletes).toHaveLength(2);
      for (const s of deletes) {
        expect(actions(s).filter((a) => a !== 'sagemaker:DescribeEndpoint')).toEqual(['sagemaker:DeleteEndpoint']);
        expect(JSON.stringify(s.Resource)).toMatch(new RegExp(`:endpoint/${ml.endpointName}"\\]\\]\\}$`));
      }
    });

    test('sagemaker:InvokeEndpoint only on this endpoint', () => {
      const invokes = all.filter((s) => actions(s).includes('sagemaker:InvokeEndpoint'));
      expect(invokes).toHaveLength(1);
      expect(JSON.stringify(invokes[0].Resource)).toContain(`:endpoint/${ml.endpointName}"`);
      expect(actions(invokes[0])).toEqual(['sagemaker:InvokeEndpoint']);
    });

    test('no action wildcard in sagemaker or iam; SageMaker writes scoped to this endpoint and its <endpoint>-* runs', () => {
      for (const s of all) {
        for (const a of actions(s)) expect(a).not.toMatch(/^(sagemaker|iam):.*\*/);
        const sagemakerWrites = actions(s).filter((a) => /^sagemaker:(Create|Update|Delete|AddTags|StopTrainingJob)/i.test(a));
        if (sagemakerWrites.length) {
          for (const r of [s.Resource].flat()) expect(JSON.stringify(r)).toMatch(new RegExp(`/${ml.endpointName}(-\\*)?"`));
        }
      }
    });

    test('cdk-nag AwsSolutions and Serverless packs: no unacknowledged finding', () => {
      for (const checks of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
        expect(checks.validateScope(stack).violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
      }
    });
  });

  test('POST /predict with the request schema generated from the dataset', () => {
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Name: 'PredictRequest',
      Schema: Match.objectLike({
        required: ['features'],
        properties: { features: Match.objectLike({ required: CHURN_DATASET.features.map((f) => f.name), additionalProperties: false }) },
      }),
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'AWS_IAM' });
  });

  test('a custom resource tears the endpoint down with the stack', () => {
    template.hasResourceProperties('Custom::SageMakerEndpointTeardown', { EndpointName: ml.endpointName });
  });
});

describe('PredictiveMl options', () => {
  test('instance hosting: data capture on, KMS volume key, network isolation; schedule and upload triggers with a DLQ; nag clean', () => {
    const { template, stack, ml } = build({
      inference: 'instance',
      instanceType: 'ml.c5.large',
      dataCapturePercent: 20,
      schedule: events.Schedule.rate(Duration.days(7)),
      retrainOnUpload: true,
    });
    const [definition] = Object.values(stateMachines(template));
    expect(aslErrors(definition)).toEqual([]);
    const params = definition.States.CreateEndpointConfig.Parameters;
    expect(params.ProductionVariants[0]).toMatchObject({ InstanceType: 'ml.c5.large', InitialInstanceCount: 1 });
    // Artifacts, endpoint volume, captures.
    expect(definitionTokensAfter(template, 'KmsKeyId')).toEqual([keyArn(stack, ml), keyArn(stack, ml), keyArn(stack, ml)]);
    expect(params.DataCaptureConfig).toMatchObject({
      EnableCapture: true,
      InitialSamplingPercentage: 20,
      DestinationS3Uri: expect.stringMatching(/^s3:\/\/.+\/capture\/$/),
    });
    expect(definition.States.CreateModel.Parameters.EnableNetworkIsolation).toBe(true);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(7 days)',
      Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue(), RetryPolicy: Match.anyValue() })],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ 'detail-type': ['Object Created'], detail: Match.objectLike({ object: { key: [{ prefix: 'churn/train/' }] } }) }),
    });
    template.hasResourceProperties('AWS::S3::Bucket', { NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } } });
    for (const checks of [new AwsSolutionsChecks(), new ServerlessChecks()]) expect(checks.validateScope(stack).violations.map((v) => v.ruleName)).toEqual([]);
  });

  test('a token threshold is accepted', () => {
    const app = new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Tokens');
    expect(
      () =>
        new PredictiveMl(stack, 'Ml', { api: new ModelApi(stack, 'Api'), minValidationAuc: new CfnParameter(stack, 'Auc', { type: 'Number' }).valueAsNumber }),
    ).not.toThrow();
  });

  test.each([
    [{ minValidationAuc: 0.3 }, 'minValidationAuc must be between 0.5 and 1, got 0.3'],
    [{ serverlessMemoryMb: 1500 }, 'serverlessMemoryMb must be one of 1024, 2048, 3072, 4096, 5120, 6144, got 1500'],
    [{ instanceType: 'm5.large' }, 'instanceType must be a SageMaker instance type such as ml.m5.large, got "m5.large"'],
    [{ serverlessMaxConcurrency: 0 }, 'serverlessMaxConcurrency must be between 1 and 200, got 0'],
    [{ attemptTimeout: Duration.seconds(30) }, 'attemptTimeout must be below timeout (29 s), got 30 s'],
    [
      { dataset: { ...CHURN_DATASET, features: [...CHURN_DATASET.features, CHURN_DATASET.features[0]] } },
      'feature names must be unique, got "tenure_months" twice',
    ],
  ])('fails when %j', (props, message) => {
    expect(() => build(props as Partial<PredictiveMlProps>)).toThrow(message);
  });

  test('fails in a region without the built-in XGBoost image', () => {
    const app = new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Elsewhere', { env: { region: 'xx-nowhere-1', account: '123456789012' } });
    expect(() => new PredictiveMl(stack, 'Ml', { api: new ModelApi(stack, 'Api') })).toThrow(
      /the built-in XGBoost image is not listed for region xx-nowhere-1; listed: af-south-1/,
    );
  });
});

// The section's defaults and limits one by one: test/config/sections-config.test.ts.
describe('predictiveMl configuration', () => {
  test.each([
    [{ 'predictiveMl.minValidationAuc': '1.5' }, /predictiveMl\.minValidationAuc = 1\.5: Too big: expected number to be <=1/],
    [{ 'predictiveMl.inference': 'gpu' }, /predictiveMl\.inference = "gpu": Invalid option: expected one of "serverless"\|"instance"/],
    [{ 'predictiveMl.serverlessMemoryMb': '1000' }, /predictiveMl\.serverlessMemoryMb = 1000: expected one of 1024, 2048/],
    [{ 'predictiveMl.instanceType': 'large' }, /predictiveMl\.instanceType = "large": must be a SageMaker instance type such as ml\.m5\.large/],
    [{ 'predictiveMl.schedule': 'every day' }, /predictiveMl\.schedule = "every day": must be an EventBridge schedule expression/],
    [{ 'predictiveMl.threshold': '0.9' }, /unknown key 'predictiveMl\.threshold'; allowed: minValidationAuc, inference/],
  ])('fails on %j naming the key, the value and what is allowed', (context, message) => {
    expect(() => loadConfig(context)).toThrow(message);
  });
});

describe('PredictiveMl in a fresh App (no feature flags, no context)', () => {
  test('builds: the data bucket logs access through the log bucket policy, never the LogDeliveryWrite ACL that ACL-less buckets reject', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Fresh', { env: { region: 'us-east-1' } });
    const api = new ModelApi(stack, 'Api');
    new PredictiveMl(stack, 'PredictiveMl', { api });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^PredictiveMlAccessLogs') },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject' })]) },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('^PredictiveMlAccessLogs') }, LogFilePrefix: 'data/' },
    });
    expect(Object.values(template.findResources('AWS::S3::Bucket')).map((b) => b.Properties.AccessControl)).toEqual([undefined, undefined]);
  });
});
