import { Aws, CfnDeletionPolicy, CfnParameter, CfnResource, Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagRuleCompliance } from 'cdk-nag';
import { RetainedResourceFixedName } from '../../lib/checks/rules/retained-resource-fixed-name';
import { findings, fixtureStack, judge } from './fixture';

const RULE = 'RetainedResourceFixedName';

describe(RULE, () => {
  test('fails for a retained log group with a literal name, or one built from the stack name and Region', () => {
    const stack = fixtureStack();
    new logs.LogGroup(stack, 'Literal', { logGroupName: '/genai-blueprint/invocations', removalPolicy: RemovalPolicy.RETAIN });
    new logs.LogGroup(stack, 'StackNamed', { logGroupName: `aws-waf-logs-${Aws.STACK_NAME}-${Aws.REGION}`, removalPolicy: RemovalPolicy.RETAIN });
    expect(findings(stack, RULE)).toEqual([`${RULE} @ Literal/Resource`, `${RULE} @ StackNamed/Resource`]);
  });

  test('fails for RetainExceptOnCreate too, and for other named types (bucket, table)', () => {
    const stack = fixtureStack();
    new s3.Bucket(stack, 'Bucket', { bucketName: 'genai-blueprint-docs', removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE });
    new dynamodb.Table(stack, 'Table', { tableName: `${Aws.STACK_NAME}-sessions`, partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    expect(findings(stack, RULE)).toEqual([`${RULE} @ Bucket/Resource`, `${RULE} @ Table/Resource`]);
  });

  test('fails for a name built from the name of a function whose own name is fixed, passes when that name is generated', () => {
    const stack = fixtureStack();
    const code = lambda.Code.fromInline('exports.handler = async () => {}');
    const named = new lambda.Function(stack, 'Named', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code, functionName: 'fixed-fn' });
    const generated = new lambda.Function(stack, 'Generated', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code });
    new logs.LogGroup(stack, 'NamedLogs', { logGroupName: `/aws/lambda/${named.functionName}`, removalPolicy: RemovalPolicy.RETAIN });
    new logs.LogGroup(stack, 'GeneratedLogs', { logGroupName: `/aws/lambda/${generated.functionName}`, removalPolicy: RemovalPolicy.RETAIN });
    expect(findings(stack, RULE)).toEqual([`${RULE} @ NamedLogs/Resource`]);
  });

  test('passes for a retained resource without a name, or whose name carries the stack id (new on each create); ignores resources that are deleted', () => {
    const stack = fixtureStack();
    const stackUuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
    new logs.LogGroup(stack, 'Generated', { removalPolicy: RemovalPolicy.RETAIN });
    new logs.LogGroup(stack, 'PerCreate', { logGroupName: `aws-waf-logs-${Aws.STACK_NAME}-${stackUuid}`, removalPolicy: RemovalPolicy.RETAIN });
    new logs.LogGroup(stack, 'Deleted', { logGroupName: '/genai-blueprint/scratch', removalPolicy: RemovalPolicy.DESTROY });
    expect(findings(stack, RULE)).toEqual([]);
  });
});

describe(`${RULE}, judged on one log group`, () => {
  /** A retained log group named `name` (a CloudFormation value), in a stack with a parameter, a named, an unnamed and a self-named queue, and a VPC. */
  function retained(name: unknown, policy = CfnDeletionPolicy.RETAIN): logs.CfnLogGroup {
    const stack = fixtureStack();
    new CfnParameter(stack, 'Env', { type: 'String' });
    new sqs.CfnQueue(stack, 'Named', { queueName: 'fixed' });
    new sqs.CfnQueue(stack, 'Generated');
    new CfnResource(stack, 'Vpc', { type: 'AWS::EC2::VPC', properties: { CidrBlock: '10.0.0.0/16' } });
    new CfnResource(stack, 'Loop', { type: 'AWS::SQS::Queue', properties: { QueueName: { 'Fn::Join': ['-', ['loop', { Ref: 'Loop' }]] } } });
    const group = new logs.CfnLogGroup(stack, 'Group');
    if (name !== undefined) group.addPropertyOverride('LogGroupName', name);
    group.cfnOptions.deletionPolicy = policy;
    return group;
  }
  const verdict = (name: unknown) => judge(RetainedResourceFixedName, retained(name));

  test.each([
    ['a literal', 'fixed'],
    ['null', null],
    [
      'the stable pseudo parameters',
      {
        'Fn::Join': ['-', [{ Ref: 'AWS::StackName' }, { Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }, { Ref: 'AWS::Partition' }, { Ref: 'AWS::URLSuffix' }]],
      },
    ],
    ['a parameter', { Ref: 'Env' }],
    ['the fixed name of another resource', { Ref: 'Named' }],
    ['another stack output', { 'Fn::ImportValue': 'Shared-Name' }],
    // The rule reads an import as another stack's output, the same on every create, whatever its export name is built from.
    ['another stack output, its export name built from the stack id', { 'Fn::ImportValue': { 'Fn::Sub': '${AWS::StackId}-Name' } }],
    ['either branch fixed', { 'Fn::If': ['IsProd', 'fixed', { 'Fn::GetAtt': ['Named', 'Arn'] }] }],
    ['the other branch fixed', { 'Fn::If': ['IsProd', { 'Fn::GetAtt': ['Named', 'Arn'] }, 'fixed'] }],
    ['a Sub of stable parts and literals', { 'Fn::Sub': '${AWS::StackName}-${Env}-${!Literal}-${Named}' }],
    ['a Sub with fixed variables', { 'Fn::Sub': ['${Prefix}-logs', { Prefix: { Ref: 'AWS::StackName' } }] }],
    ['another function of fixed values', { 'Fn::Select': [0, ['a', 'b']] }],
  ])('fails for a name made of %s', (_, name) => {
    expect(verdict(name)).toBe(NagRuleCompliance.NON_COMPLIANT);
  });

  test.each([
    ['the stack id', { 'Fn::Join': ['-', ['logs', { Ref: 'AWS::StackId' }]] }],
    ['an unknown pseudo parameter', { Ref: 'AWS::NoSuchParameter' }],
    ['the generated name of another resource', { Ref: 'Generated' }],
    ['a resource whose type has no name', { Ref: 'Vpc' }],
    ['an attribute', { 'Fn::GetAtt': ['Named', 'Arn'] }],
    ['neither branch fixed', { 'Fn::If': ['IsProd', { Ref: 'Generated' }, { 'Fn::GetAtt': ['Named', 'Arn'] }] }],
    ['a Sub of the stack id', { 'Fn::Sub': 'logs-${AWS::StackId}' }],
    ['a Sub of an attribute', { 'Fn::Sub': 'logs-${Named.Arn}' }],
    ['a Sub of a generated name', { 'Fn::Sub': '${AWS::StackName}-${Generated}' }],
    ['a Sub with a generated variable', { 'Fn::Sub': ['${AWS::StackName}-${Id}', { Id: { 'Fn::GetAtt': ['Named', 'Arn'] } }] }],
    ['its own name', { Ref: 'Group' }],
    ['the name of a resource named after itself', { Ref: 'Loop' }],
  ])('passes for a name made of %s', (_, name) => {
    expect(verdict(name)).toBe(NagRuleCompliance.COMPLIANT);
  });

  test('passes without a name; RetainExceptOnCreate is retained too; other policies and unnamed types do not apply', () => {
    expect(verdict(undefined)).toBe(NagRuleCompliance.COMPLIANT);
    expect(judge(RetainedResourceFixedName, retained('fixed', CfnDeletionPolicy.RETAIN_EXCEPT_ON_CREATE))).toBe(NagRuleCompliance.NON_COMPLIANT);
    expect(judge(RetainedResourceFixedName, retained('fixed', CfnDeletionPolicy.DELETE))).toBe(NagRuleCompliance.NOT_APPLICABLE);
    const unset = retained('fixed');
    unset.cfnOptions.deletionPolicy = undefined;
    expect(judge(RetainedResourceFixedName, unset)).toBe(NagRuleCompliance.NOT_APPLICABLE);
    const vpc = new CfnResource(fixtureStack(), 'Vpc', { type: 'AWS::EC2::VPC' });
    vpc.cfnOptions.deletionPolicy = CfnDeletionPolicy.RETAIN;
    expect(judge(RetainedResourceFixedName, vpc)).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });
});

describe(`${RULE}: the name property of each type it knows`, () => {
  // The property that names each type (CloudFormation resource reference); written out here, not read from the rule.
  test.each([
    ['AWS::Logs::LogGroup', 'LogGroupName'],
    ['AWS::S3::Bucket', 'BucketName'],
    ['AWS::S3Vectors::VectorBucket', 'VectorBucketName'],
    ['AWS::DynamoDB::Table', 'TableName'],
    ['AWS::DynamoDB::GlobalTable', 'TableName'],
    ['AWS::SQS::Queue', 'QueueName'],
    ['AWS::SNS::Topic', 'TopicName'],
    ['AWS::KMS::Alias', 'AliasName'],
    ['AWS::SecretsManager::Secret', 'Name'],
    ['AWS::SSM::Parameter', 'Name'],
    ['AWS::ECR::Repository', 'RepositoryName'],
    ['AWS::Kinesis::Stream', 'Name'],
    ['AWS::KinesisFirehose::DeliveryStream', 'DeliveryStreamName'],
    ['AWS::IAM::Role', 'RoleName'],
    ['AWS::IAM::ManagedPolicy', 'ManagedPolicyName'],
    ['AWS::Lambda::Function', 'FunctionName'],
    ['AWS::StepFunctions::StateMachine', 'StateMachineName'],
    ['AWS::Events::EventBus', 'Name'],
    ['AWS::ElastiCache::ServerlessCache', 'ServerlessCacheName'],
    ['AWS::OpenSearchServerless::Collection', 'Name'],
    ['AWS::RDS::DBInstance', 'DBInstanceIdentifier'],
    ['AWS::RDS::DBCluster', 'DBClusterIdentifier'],
    ['AWS::Cognito::UserPoolDomain', 'Domain'],
  ])('fails for a retained %s with a literal %s, passes without it', (type, property) => {
    const stack = fixtureStack();
    const named = new CfnResource(stack, 'Named', { type, properties: { [property]: 'fixed' } });
    const unnamed = new CfnResource(stack, 'Unnamed', { type, properties: {} });
    for (const r of [named, unnamed]) r.cfnOptions.deletionPolicy = CfnDeletionPolicy.RETAIN;
    expect(judge(RetainedResourceFixedName, named)).toBe(NagRuleCompliance.NON_COMPLIANT);
    expect(judge(RetainedResourceFixedName, unnamed)).toBe(NagRuleCompliance.COMPLIANT);
  });
});
