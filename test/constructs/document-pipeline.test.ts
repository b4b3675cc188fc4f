import { App, CfnParameter, Duration, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { KnowledgeBase } from '../../lib/constructs/knowledge-base/knowledge-base';
import { DocumentPipeline, type DocumentPipelineProps } from '../../lib/constructs/orchestration/document-pipeline';
import { aslErrors, stateMachines, taskStates } from '../support/asl';
import { CDK_JSON_CONTEXT } from '../support/synth';

const KB_ARN = 'arn:aws:bedrock:us-east-1:123456789012:knowledge-base/KB12345678';

function build(props: Partial<DocumentPipelineProps> = {}, extend?: (stack: Stack, pipeline: DocumentPipeline) => void) {
  const stack = new Stack(new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false }), 'Test');
  const bucket = new s3.Bucket(stack, 'Docs', { enforceSSL: true });
  const topic = new sns.Topic(stack, 'Topic', { masterKey: new kms.Key(stack, 'TopicKey', { enableKeyRotation: true }), enforceSSL: true });
  const pipeline = new DocumentPipeline(stack, 'Pipeline', {
    knowledgeBase: KnowledgeBase.fromKnowledgeBaseAttributes(stack, 'KnowledgeBase', {
      knowledgeBaseArn: KB_ARN,
      dataSourceId: 'DS12345678',
      documentsBucket: bucket,
    }),
    topic,
    ...props,
  });
  extend?.(stack, pipeline);
  const template = Template.fromStack(stack);
  const [definition] = Object.values(stateMachines(template));
  return { stack, bucket, topic, pipeline, template, definition };
}

describe('DocumentPipeline', () => {
  const { stack, bucket, topic, pipeline, template, definition } = build({ checkInterval: Duration.seconds(30), maxChecks: 20 });
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);

  test('the definition is valid ASL', () => {
    expect(aslErrors(definition)).toEqual([]);
  });

  test('validate → ingest → wait → check → bounded loop → notify, in that order', () => {
    const s = definition.States;
    expect(definition.StartAt).toBe('CheckInput');
    expect(s.CheckInput.Default).toBe('ReadDocument');
    expect(s.ReadDocument).toMatchObject({ Resource: 'arn:aws:states:::aws-sdk:s3:headObject', Next: 'CheckDocument' });
    expect(s.CheckDocument.Default).toBe('StartIngestion');
    expect(s.StartIngestion).toMatchObject({
      Resource: 'arn:aws:states:::aws-sdk:bedrockagent:startIngestionJob',
      Parameters: { KnowledgeBaseId: 'KB12345678', DataSourceId: 'DS12345678' },
    });
    expect(s.WaitForJob).toMatchObject({ Type: 'Wait', Seconds: 30, Next: 'CheckJob' });
    expect(s.CheckJob).toMatchObject({ Resource: 'arn:aws:states:::aws-sdk:bedrockagent:getIngestionJob', Next: 'CountCheck' });
    const choices = s.JobStatus.Choices;
    expect(choices[0]).toMatchObject({ Variable: '$.jobState.status', StringEquals: 'COMPLETE', Next: 'NotifySuccess' });
    expect(choices).toContainEqual({ Variable: '$.checks.count', NumericGreaterThanEquals: 20, Next: 'GaveUp' });
    expect(s.JobStatus.Default).toBe('WaitForJob');
    expect(s.NotifySuccess).toMatchObject({ Resource: 'arn:aws:states:::sns:publish', Next: 'Ingested' });
  });

  test('every task retries with full jitter, a delay cap and an attempt bound, is caught, and has a timeout', () => {
    const tasks = taskStates(definition);
    expect(tasks.map(([name]) => name).sort()).toEqual(['CheckJob', 'NotifyFailure', 'NotifyRejected', 'NotifySuccess', 'ReadDocument', 'StartIngestion']);
    for (const [name, state] of tasks) {
      expect([name, state.TimeoutSeconds]).toEqual([name, 30]);
      expect(state.Retry.length).toBeGreaterThan(0);
      for (const retry of state.Retry) {
        expect([name, retry]).toEqual([
          name,
          expect.objectContaining({
            JitterStrategy: 'FULL',
            MaxDelaySeconds: expect.any(Number),
            BackoffRate: expect.any(Number),
            MaxAttempts: expect.any(Number),
          }),
        ]);
      }
      // Failures are notified (the last catcher catches everything); the failure notification itself can only end the run.
      expect([name, state.Catch.at(-1)]).toEqual([
        name,
        expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: name === 'NotifyFailure' ? 'NotificationFailed' : 'NotifyFailure' }),
      ]);
      expect([name, state.Catch.length]).toEqual([name, name === 'ReadDocument' ? 2 : 1]);
    }
  });

  test('a missing document is rejected at once: S3.NoSuchKeyException is caught before the catch-all and retried by no retrier', () => {
    const s = definition.States;
    expect(s.ReadDocument.Catch[0]).toEqual({ ErrorEquals: ['S3.NoSuchKeyException'], ResultPath: '$.error', Next: 'Missing' });
    expect(s.Missing).toMatchObject({
      Type: 'Pass',
      Result: { reason: 'The document does not exist in the documents bucket' },
      ResultPath: '$.invalid',
      Next: 'NotifyRejected',
    });
    const retried = (s.ReadDocument.Retry as { ErrorEquals: string[] }[]).flatMap((r) => r.ErrorEquals);
    expect(retried).toEqual(['States.Timeout', 'S3.SdkClientException', 'S3.S3Exception']);
    // States.ALL and States.TaskFailed would match S3.NoSuchKeyException too.
    expect(retried).not.toEqual(expect.arrayContaining(['States.ALL']));
    expect(retried).not.toEqual(expect.arrayContaining(['States.TaskFailed']));
  });

  test('a running job is waited out: ConflictException is retried with backoff', () => {
    expect(definition.States.StartIngestion.Retry).toContainEqual({
      ErrorEquals: ['BedrockAgent.ConflictException'],
      IntervalSeconds: 30,
      BackoffRate: 1.5,
      MaxAttempts: 12,
      MaxDelaySeconds: 300,
      JitterStrategy: 'FULL',
    });
  });

  test('invalid documents are notified and fail with a clear cause; size and type limits are in the definition', () => {
    const s = definition.States;
    const [tooLarge, unsupported] = s.CheckDocument.Choices;
    expect(tooLarge).toEqual({ Variable: '$.object.size', NumericGreaterThan: 52_428_800, Next: 'TooLarge' });
    expect(JSON.stringify(unsupported)).toContain('"StringMatches":"*.pdf"');
    expect(JSON.stringify(unsupported)).toContain('"StringMatches":"*.PDF"');
    expect(s.TooLarge).toMatchObject({ Result: { reason: 'The document is larger than the 50 MiB allowed' }, Next: 'NotifyRejected' });
    expect(s.UnsupportedType.Result.reason).toBe('The document type is not one of txt, md, html, doc, docx, csv, xls, xlsx, pdf');
    expect(s.NotifyRejected.Next).toBe('Rejected');
    expect(s.Rejected).toMatchObject({ Type: 'Fail', Error: 'InvalidDocument', CausePath: '$.invalid.reason' });
    expect(s.BadInput).toMatchObject({ Type: 'Fail', Error: 'BadInput' });
  });

  test('logging ALL to a log group with retention, tracing on, a timeout on the whole machine', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [id(pipeline.logGroup), 'Arn'] } } }],
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    expect(definition.TimeoutSeconds).toBe(30 * 20 + 3_600);
  });

  test("IAM: head and list the docs bucket (a missing key is a 404), start and read this knowledge base's jobs, publish to the topic; nothing else", () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[],
    );
    const scoped = statements.filter((s) => s.Resource !== '*');
    expect(scoped).toEqual([
      { Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id(bucket), 'Arn'] }, '/*']] } },
      { Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [id(bucket), 'Arn'] } },
      { Effect: 'Allow', Action: ['bedrock:GetIngestionJob', 'bedrock:StartIngestionJob'], Resource: KB_ARN },
      { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: id(topic) } },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [id(topic.masterKey!), 'Arn'] } },
    ]);
    const onStar = statements.filter((s) => s.Resource === '*').flatMap((s) => [s.Action].flat() as string[]);
    for (const action of onStar) expect(action).toMatch(/^(xray|logs):/);
  });

  test('no upload trigger unless asked; with onUpload, object-created events of the bucket start it, with a dead-letter queue', () => {
    template.resourceCountIs('AWS::Events::Rule', 0);
    const withTrigger = build({ onUpload: true });
    withTrigger.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ Ref: withTrigger.stack.getLogicalId(withTrigger.bucket.node.defaultChild as s3.CfnBucket) }] } },
      },
      Targets: [
        {
          InputTransformer: { InputPathsMap: { 'detail-object-key': '$.detail.object.key' }, InputTemplate: '{"key":<detail-object-key>}' },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [withTrigger.stack.getLogicalId(withTrigger.pipeline.deadLetterQueue!.node.defaultChild as never), 'Arn'] },
          },
          RetryPolicy: { MaximumRetryAttempts: 10 },
        },
      ],
    });
  });

  test('grantStart lets an operator start runs of this pipeline only', () => {
    const {
      stack: s,
      pipeline: p,
      template: t,
    } = build({}, (st, pl) => pl.grantStart(new iam.Role(st, 'Operator', { assumedBy: new iam.AccountRootPrincipal() })));
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{ Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: s.getLogicalId(p.stateMachine.node.defaultChild as never) } }],
      },
    });
  });

  test.each<[string, Partial<DocumentPipelineProps>, string]>([
    [
      'the size limit is above 50 MiB',
      { maxDocumentSize: Size.mebibytes(51) },
      "maxDocumentSize must be between 1 byte and 50 MiB (Bedrock's limit per file), got 53477376 bytes",
    ],
    [
      'an extension has a dot',
      { allowedExtensions: ['.pdf'] },
      'allowedExtensions must be a non-empty list of lower-case extensions without the dot, got [".pdf"]',
    ],
    ['no extension is allowed', { allowedExtensions: [] }, 'allowedExtensions must be a non-empty list of lower-case extensions without the dot, got []'],
    ['the check interval is 5 s', { checkInterval: Duration.seconds(5) }, 'checkInterval must be between 10 and 3600 seconds, got 5'],
    ['maxChecks is 0', { maxChecks: 0 }, 'maxChecks must be an integer between 1 and 1000, got 0'],
  ])('fails when %s', (_what, props, message) => {
    expect(() => build(props)).toThrow(message);
  });

  test('accepts unresolved tokens without judging them', () => {
    const s = new Stack(new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false }), 'Tokens');
    const checks = new CfnParameter(s, 'MaxChecks', { type: 'Number' }).valueAsNumber;
    const bucket = new s3.Bucket(s, 'Docs');
    expect(
      () =>
        new DocumentPipeline(s, 'Pipeline', {
          knowledgeBase: KnowledgeBase.fromKnowledgeBaseAttributes(s, 'KnowledgeBase', {
            knowledgeBaseArn: KB_ARN,
            dataSourceId: 'DS',
            documentsBucket: bucket,
          }),
          topic: new sns.Topic(s, 'T'),
          maxChecks: checks,
        }),
    ).not.toThrow();
  });

  test.each([
    ['AwsSolutions', new AwsSolutionsChecks()],
    ['Serverless', new ServerlessChecks()],
  ])('cdk-nag %s: no unacknowledged finding on the pipeline (with the upload trigger)', (_pack, checks) => {
    const { stack: s } = build({ onUpload: true });
    const report = checks.validateScope(s.node.findChild('Pipeline'));
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});
