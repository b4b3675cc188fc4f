import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { ModelApi } from '../../lib/constructs/api/model-api';
import { SessionStore, type SessionStoreProps } from '../../lib/constructs/sessions/session-store';
import { CDK_JSON_CONTEXT } from '../support/synth';

function build(props: SessionStoreProps = {}, opts: { api?: boolean } = {}) {
  const app = new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Test');
  const api = opts.api === false ? undefined : new ModelApi(stack, 'Api');
  api?.acknowledgeNoWebAcl('Test fixture: the block alone, without the gateway that adds the web ACL');
  const store = new SessionStore(stack, 'Sessions', { ...props, ...(api ? { api } : {}) });
  return { stack, store, template: Template.fromStack(stack) };
}

/** A function outside the store, granted read-write (the prompt function's place). */
function withPromptFunction() {
  const app = new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Test');
  const store = new SessionStore(stack, 'Sessions', { historyTurns: 4, historyChars: 3000, ttl: Duration.days(14) });
  const fn = new lambda.Function(stack, 'Prompt', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  store.grantReadWrite(fn);
  return { stack, store, template: Template.fromStack(stack) };
}

/** Every IAM statement that grants a DynamoDB action, actions sorted and resources as a list. */
function dynamoStatements(template: Template): { Action: string[]; Resource: unknown[] }[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
    .filter((st) => JSON.stringify(st.Action).includes('dynamodb:'))
    .map((st) => ({ Action: [st.Action].flat().sort(), Resource: [st.Resource].flat() }));
}

describe('SessionStore', () => {
  const { template, stack, store } = build({ tenants: [{ apiKeyId: 'key-1', name: 'acme', tier: 'basic' }] });

  test('table: on-demand, PITR, TTL on expiresAt, AWS-managed KMS encryption, deletion protection, retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [
          { AttributeName: 'sessionId', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('GET /sessions/{id}: a Lambda proxy method with the API default authorization and a required, validated path parameter', () => {
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{id}' });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'AWS_IAM',
      RequestParameters: { 'method.request.path.id': true },
      RequestValidatorId: Match.anyValue(),
      Integration: { Type: 'AWS_PROXY', TimeoutInMillis: 29_000 },
    });
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestParameters: true });
    expect(store.method).toBeDefined();
  });

  test('the read function gets the table, the window settings and the tenant directory', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SESSIONS_TABLE: { Ref: Match.stringLikeRegexp('^SessionsTable') },
          SESSION_HISTORY_TURNS: '10',
          SESSION_HISTORY_CHARS: '12000',
          SESSION_TTL_DAYS: '30',
          SESSION_MAX_TURNS_RETURNED: '50',
          TENANTS: '{"key-1":{"tenant":"acme","tier":"basic"}}',
        }),
      },
    });
  });

  test('the read function may only GetItem and Query, on this table only', () => {
    const tableArn = { 'Fn::GetAtt': [stack.resolve((store.table.node.defaultChild as unknown as { logicalId: string }).logicalId), 'Arn'] };
    expect(dynamoStatements(template)).toEqual([{ Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: [tableArn] }]);
  });

  test('grantReadWrite: GetItem, Query, UpdateItem, PutItem on the table ARN only, and the store settings in the environment', () => {
    const { template: t, stack: s, store: st } = withPromptFunction();
    const tableArn = { 'Fn::GetAtt': [s.resolve((st.table.node.defaultChild as unknown as { logicalId: string }).logicalId), 'Arn'] };
    expect(dynamoStatements(t)).toEqual([{ Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], Resource: [tableArn] }]);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          SESSIONS_TABLE: Match.anyValue(),
          SESSION_HISTORY_TURNS: '4',
          SESSION_HISTORY_CHARS: '3000',
          SESSION_TTL_DAYS: '14',
          SESSION_MAX_TURNS_RETURNED: '50',
        },
      },
    });
  });

  test('without an API: the table only, no function, no route', () => {
    const { template: t, store: s } = build({}, { api: false });
    t.resourceCountIs('AWS::DynamoDB::Table', 1);
    t.resourceCountIs('AWS::Lambda::Function', 0);
    expect(s.method).toBeUndefined();
  });

  test.each([
    [{ ttl: Duration.days(0) }, 'ttl (days) must be an integer between 1 and 365, got 0'],
    [{ ttl: Duration.hours(36) }, 'ttl (days) must be an integer between 1 and 365, got 1.5'],
    [{ historyTurns: 51 }, 'historyTurns must be an integer between 0 and 50, got 51'],
    [{ historyChars: 60_001 }, 'historyChars must be an integer between 100 and 60000, got 60001'],
    [{ maxTurnsReturned: 0 }, 'maxTurnsReturned must be an integer between 1 and 200, got 0'],
  ])('fails when %o', (props, message) => {
    expect(() => build(props as SessionStoreProps, { api: false })).toThrow(message);
  });

  test('a token value is not validated at synth', () => {
    const stack = new Stack(new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false }), 'Tok');
    const turns = new CfnParameter(stack, 'Turns', { type: 'Number' }).valueAsNumber;
    expect(() => new SessionStore(stack, 'Sessions', { historyTurns: turns })).not.toThrow();
  });

  test.each([
    ['AwsSolutions', new AwsSolutionsChecks()],
    ['Serverless', new ServerlessChecks()],
  ])('cdk-nag %s: no unacknowledged finding', (_pack, checks) => {
    const report = checks.validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});
