import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { InvocationLogging, type InvocationLoggingProps } from '../../lib/constructs/observability/invocation-logging';
import { CDK_JSON_CONTEXT } from '../support/synth';
import { FIRST_CREATE, RECREATE, renderCfn } from '../support/cfn-render';

function build(props: InvocationLoggingProps = {}) {
  const stack = new Stack(new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false }), 'Test');
  const logging = new InvocationLogging(stack, 'InvocationLogging', props);
  return { stack, logging, template: Template.fromStack(stack) };
}

const statementsOf = (template: Template, roleLogicalId: string) =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleLogicalId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[]);

describe('InvocationLogging', () => {
  const { stack, logging, template } = build({ retention: logs.RetentionDays.THREE_MONTHS });
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
  const logGroupName = template.findResources('AWS::Logs::LogGroup', { Properties: { KmsKeyId: Match.anyValue() } });

  test('the log group is encrypted with a rotated customer key and keeps logs for the configured retention', () => {
    expect(Object.keys(logGroupName)).toHaveLength(1);
    const [props] = Object.values(logGroupName).map((r) => r.Properties);
    expect(props).toEqual({
      LogGroupName: expect.anything(),
      KmsKeyId: { 'Fn::GetAtt': [id(logging.encryptionKey), 'Arn'] },
      RetentionInDays: 90,
    });
    expect(renderCfn(props.LogGroupName, FIRST_CREATE)).toMatch(
      /^\/genai-blueprint\/bedrock-invocations\/Test-InvocationLogging-[0-9A-F]{8}-0b1c7a40-0000-11f0-8000-0a1b2c3d4e5f$/,
    );
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('the retained log group gets a new name when the stack is created again after a destroy, and keeps it through updates', () => {
    const name = Object.values(logGroupName)[0].Properties.LogGroupName;
    expect(renderCfn(name, RECREATE)).not.toBe(renderCfn(name, FIRST_CREATE));
    expect(template.findResources('AWS::Logs::LogGroup', { Properties: { KmsKeyId: Match.anyValue() } })).toEqual(
      Object.fromEntries(Object.keys(logGroupName).map((k) => [k, expect.objectContaining({ DeletionPolicy: 'Retain' })])),
    );
  });

  test('the key lets CloudWatch Logs use it for this log group only', () => {
    const name = renderCfn(Object.values(logGroupName)[0].Properties.LogGroupName, FIRST_CREATE);
    const [key] = Object.values(template.findResources('AWS::KMS::Key'));
    const statement = key.Properties.KeyPolicy.Statement.find((s: { Principal: { Service?: unknown } }) =>
      JSON.stringify(s.Principal.Service ?? '').includes('logs.'),
    );
    expect({
      ...statement,
      Condition: {
        ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': renderCfn(statement.Condition.ArnEquals['kms:EncryptionContext:aws:logs:arn'], FIRST_CREATE) },
      },
    }).toEqual({
      Effect: 'Allow',
      Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
      Action: ['kms:Decrypt*', 'kms:Describe*', 'kms:Encrypt*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
      Resource: '*',
      Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:us-east-1:123456789012:log-group:${name}` } },
    });
  });

  test('Bedrock, acting for this account only, may assume the delivery role and write log streams of this log group only', () => {
    const name = renderCfn(Object.values(logGroupName)[0].Properties.LogGroupName, FIRST_CREATE);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'bedrock.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':*']],
                },
              },
            },
          },
        ],
      },
    });
    const statements = statementsOf(template, id(logging.deliveryRole));
    expect(statements.map((s) => ({ ...s, Resource: renderCfn(s.Resource, FIRST_CREATE) }))).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `arn:aws:logs:us-east-1:123456789012:log-group:${name}:log-stream:*`,
      },
    ]);
  });

  test('the function may read, set and delete the setting (no resource-level permission exists) and pass the delivery role to Bedrock only', () => {
    const statements = statementsOf(template, id(logging.function.role as never));
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: { 'Fn::GetAtt': [id(logging.deliveryRole), 'Arn'] },
      Condition: { StringEquals: { 'iam:PassedToService': 'bedrock.amazonaws.com' } },
    });
    const onStar = statements.filter((s) => s.Resource === '*').flatMap((s) => [s.Action].flat());
    expect(onStar.sort()).toEqual(
      [
        'bedrock:DeleteModelInvocationLoggingConfiguration',
        'bedrock:GetModelInvocationLoggingConfiguration',
        'bedrock:PutModelInvocationLoggingConfiguration',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
  });

  test('the custom resource sends text logs to the log group through the delivery role, after both exist; take-over off by default', () => {
    const [resource] = Object.entries(template.findResources('Custom::BedrockInvocationLogging'));
    const [, cr] = resource;
    expect(cr.DependsOn).toEqual(expect.arrayContaining([id(logging.deliveryRole), id(logging.logGroup)]));
    expect(cr.Properties.TakeOver).toBe('false');
    expect(cr.Properties.TakeOverKey).toBe('observability.invocationLogging');
    const json = JSON.stringify(cr.Properties.Configuration);
    for (const field of [
      'textDataDeliveryEnabled\\":true',
      'imageDataDeliveryEnabled\\":false',
      'embeddingDataDeliveryEnabled\\":false',
      'logGroupName',
      id(logging.deliveryRole),
    ]) {
      expect(json).toContain(field);
    }
    expect(build({ takeOver: true, takeOverKey: 'my.key' }).template.findResources('Custom::BedrockInvocationLogging')).toEqual({
      [resource[0]]: expect.objectContaining({ Properties: expect.objectContaining({ TakeOver: 'true', TakeOverKey: 'my.key' }) }),
    });
  });

  test('the function runs through the provider framework as a custom-resource caller', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('invocation logging'),
      TracingConfig: { Mode: 'Active' },
      MemorySize: 256,
      Timeout: 60,
    });
  });

  test('fails when the retention is infinite', () => {
    expect(() => build({ retention: logs.RetentionDays.INFINITE })).toThrow('retention must be finite (the logs hold prompts and answers), got INFINITE');
  });

  test.each([
    ['AwsSolutions', new AwsSolutionsChecks()],
    ['Serverless', new ServerlessChecks()],
  ])('cdk-nag %s: no unacknowledged finding', (_pack, checks) => {
    const report = checks.validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});
