import { Aws, Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { findings, fixtureStack } from './fixture';

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
