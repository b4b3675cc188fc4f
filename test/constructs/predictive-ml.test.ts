import * as fs from 'node:fs';
import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { loadConfig } from '../../lib/config/schema';
import { ModelApi } from '../../lib/constructs/api/model-api';
import { CHURN_DATASET, generateChurnCsv } from '../../lib/constructs/predictive-ml/dataset';
import { PredictiveMl, type PredictiveMlProps } from '../../lib/constructs/predictive-ml/predictive-ml';
import { XGBOOST_REGISTRIES } from '../../lib/constructs/predictive-ml/xgboost-image';
import { CHURN_FILES } from '../../data/generate-churn';
import { aslErrors, stateMachines, taskStates } from '../support/asl';
import { CDK_JSON_CONTEXT } from '../support/synth';

function build(props: Partial<PredictiveMlProps> = {}) {
  const app = new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Test');
  const api = new ModelApi(stack, 'Api');
  const ml = new PredictiveMl(stack, 'PredictiveMl', { api, ...props });
  return { app, stack, ml, template: Template.fromStack(stack) };
}

const statements = (template: Template) =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown; Condition?: unknown }[]);
const actions = (s: { Action: string | string[] }) => [s.Action].flat();

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
      expect(definition.States['EndpointExists?']).toMatchObject({ Choices: [{ Variable: '$.gate.endpointExists', Next: 'UpdateEndpoint' }], Default: 'CreateEndpoint' });
      expect(definition.States['EndpointReady?'].Default).toBe('WaitForEndpoint');
      expect(definition.States.UpdateEndpoint.Parameters.EndpointName).toBe(ml.endpointName);
      expect(definition.States.CreateEndpoint.Parameters.EndpointName).toBe(ml.endpointName);
    });

    test('every task retries with full jitter and a capped delay, catches into the failure notification, and has a timeout', () => {
      const tasks = taskStates(definition);
      expect(tasks.length).toBeGreaterThanOrEqual(10);
      for (const [name, state] of tasks) {
        expect({ name, timeout: state.TimeoutSeconds > 0 }).toEqual({ name, timeout: true });
        expect(state.Retry.length).toBeGreaterThan(0);
        for (const retry of state.Retry) expect(retry).toMatchObject({ JitterStrategy: 'FULL', MaxDelaySeconds: 300 });
        const catchTo = state.Catch?.[0]?.Next;
        expect([name, catchTo]).toEqual([name, name.startsWith('Notify') ? 'PipelineFailed' : 'NotifyFailure']);
      }
      expect(definition.States.NotifyFailure.Next).toBe('PipelineFailed');
      expect(definition.States.PipelineFailed.Type).toBe('Fail');
    });

    test('trains the built-in XGBoost image of the deploying region (mapping), on the shipped channels, encrypted, isolated', () => {
      const params = definition.States.Train.Parameters;
      expect(params.AlgorithmSpecification.TrainingImage).toMatch(/\/sagemaker-xgboost:1\.7-1$/);
      expect(params.HyperParameters).toMatchObject({ objective: 'binary:logistic', eval_metric: 'auc' });
      expect(params.InputDataConfig.map((c: { ChannelName: string }) => c.ChannelName)).toEqual(['train', 'validation']);
      expect(params.EnableNetworkIsolation).toBe(true);
      expect(params.OutputDataConfig.KmsKeyId).toBeDefined();
      expect(params.ResourceConfig.VolumeKmsKeyId).toBeDefined();
      expect(params.StoppingCondition.MaxRuntimeInSeconds).toBe(1800);
      expect(definition.States.Train.ResultSelector).toEqual({ 'metrics.$': '$.FinalMetricDataList', 'modelDataUrl.$': '$.ModelArtifacts.S3ModelArtifacts' });
      const mapping = template.toJSON().Mappings.XgboostRegistries;
      expect(mapping['us-east-1']).toEqual({ account: '683313688378' });
      expect(mapping['eu-west-1']).toEqual({ account: '141502667606' });
      expect(Object.keys(mapping)).toHaveLength(Object.keys(XGBOOST_REGISTRIES).length);
    });

    test('serverless by default: no data capture (Serverless Inference has none); the promoted metric is tagged on the config', () => {
      const params = definition.States.CreateEndpointConfig.Parameters;
      expect(params.ProductionVariants).toEqual([{ VariantName: 'AllTraffic', 'ModelName.$': '$.run.name', ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } }]);
      expect(params.DataCaptureConfig).toBeUndefined();
      expect(params.Tags).toEqual([{ Key: 'genai-blueprint:promoted-metric', 'Value.$': '$.gate.metric' }]);
    });

    test('logging ALL and tracing on the state machine; failures notify an encrypted topic', () => {
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', { TracingConfiguration: { Enabled: true }, LoggingConfiguration: { Level: 'ALL' } });
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
      template.resourceCountIs('AWS::Events::Rule', 0);
    });

    test('the gate reads the threshold and the endpoint from its environment', () => {
      template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ENDPOINT_NAME: ml.endpointName, METRIC_NAME: 'validation:auc', THRESHOLD: '0.8' }) } });
    });
  });

  describe('data', () => {
    test('a customer key with rotation; the bucket is KMS-encrypted, versioned, SSL-only, logged, private', () => {
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() }, BucketKeyEnabled: true }] },
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
      const rows = fs.readFileSync(CHURN_FILES.train, 'utf8').trim().split('\n').map((l) => l.split(',').map(Number));
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
      Schema: Match.objectLike({ required: ['features'], properties: { features: Match.objectLike({ required: CHURN_DATASET.features.map((f) => f.name), additionalProperties: false }) } }),
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'AWS_IAM' });
  });

  test('a custom resource tears the endpoint down with the stack', () => {
    template.hasResourceProperties('Custom::SageMakerEndpointTeardown', { EndpointName: ml.endpointName });
  });
});

describe('PredictiveMl options', () => {
  test('instance hosting: data capture on, KMS volume key, network isolation; schedule and upload triggers with a DLQ; nag clean', () => {
    const { template, stack } = build({ inference: 'instance', instanceType: 'ml.c5.large', dataCapturePercent: 20, schedule: events.Schedule.rate(Duration.days(7)), retrainOnUpload: true });
    const [definition] = Object.values(stateMachines(template));
    expect(aslErrors(definition)).toEqual([]);
    const params = definition.States.CreateEndpointConfig.Parameters;
    expect(params.ProductionVariants[0]).toMatchObject({ InstanceType: 'ml.c5.large', InitialInstanceCount: 1 });
    expect(params.KmsKeyId).toBeDefined();
    expect(params.DataCaptureConfig).toMatchObject({ EnableCapture: true, InitialSamplingPercentage: 20, DestinationS3Uri: expect.stringMatching(/^s3:\/\/.+\/capture\/$/) });
    expect(definition.States.CreateModel.Parameters.EnableNetworkIsolation).toBe(true);
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(7 days)', Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue(), RetryPolicy: Match.anyValue() })] });
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ 'detail-type': ['Object Created'], detail: Match.objectLike({ object: { key: [{ prefix: 'churn/train/' }] } }) }) });
    template.hasResourceProperties('AWS::S3::Bucket', { NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } } });
    for (const checks of [new AwsSolutionsChecks(), new ServerlessChecks()]) expect(checks.validateScope(stack).violations.map((v) => v.ruleName)).toEqual([]);
  });

  test('a token threshold is accepted', () => {
    const app = new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Tokens');
    expect(() => new PredictiveMl(stack, 'Ml', { api: new ModelApi(stack, 'Api'), minValidationAuc: new CfnParameter(stack, 'Auc', { type: 'Number' }).valueAsNumber })).not.toThrow();
  });

  test.each([
    [{ minValidationAuc: 0.3 }, 'minValidationAuc must be between 0.5 and 1, got 0.3'],
    [{ serverlessMemoryMb: 1500 }, 'serverlessMemoryMb must be one of 1024, 2048, 3072, 4096, 5120, 6144, got 1500'],
    [{ instanceType: 'm5.large' }, 'instanceType must be a SageMaker instance type such as ml.m5.large, got "m5.large"'],
    [{ serverlessMaxConcurrency: 0 }, 'serverlessMaxConcurrency must be between 1 and 200, got 0'],
    [{ attemptTimeout: Duration.seconds(30) }, 'attemptTimeout must be below timeout (29 s), got 30 s'],
    [{ dataset: { ...CHURN_DATASET, features: [...CHURN_DATASET.features, CHURN_DATASET.features[0]] } }, 'feature names must be unique, got "tenure_months" twice'],
  ])('fails when %j', (props, message) => {
    expect(() => build(props as Partial<PredictiveMlProps>)).toThrow(message);
  });

  test('fails in a region without the built-in XGBoost image', () => {
    const app = new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Elsewhere', { env: { region: 'xx-nowhere-1', account: '123456789012' } });
    expect(() => new PredictiveMl(stack, 'Ml', { api: new ModelApi(stack, 'Api') })).toThrow(/the built-in XGBoost image is not listed for region xx-nowhere-1; listed: af-south-1/);
  });
});

describe('predictiveMl configuration', () => {
  test('defaults', () => {
    expect(loadConfig({}).predictiveMl).toEqual({
      minValidationAuc: 0.8,
      inference: 'serverless',
      serverlessMemoryMb: 2048,
      serverlessMaxConcurrency: 5,
      instanceType: 'ml.m5.large',
      instanceCount: 1,
      dataCapturePercent: 100,
      trainingInstanceType: 'ml.m5.large',
      maxTrainingMinutes: 30,
      retrainOnUpload: false,
    });
  });

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
