import { App, CfnResource, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { diffMarkdown, stackDiff } from '../../review/diff';
import { cfnTemplateSchema, type ReviewStack, reviewStack } from '../../review/model';
import { buildApp } from '../support/synth';

/** `aws:cdk:path` metadata, as `cdk synth` writes it: the review places each resource in its block from it. */
const PATH_METADATA = { 'aws:cdk:enable-path-metadata': true };

function review(stack: Stack): ReviewStack {
  return reviewStack(stack.node.id, cfnTemplateSchema.parse(Template.fromStack(stack).toJSON()));
}

interface Variant {
  /** Adds `GET /history` (IAM, API key). */
  readonly historyRoute?: boolean;
  /** `table.grantReadData(fn)`. */
  readonly grant?: boolean;
  /** The sessions table's partition key (KeySchema requires replacement). @default 'sessionId' */
  readonly sessionKey?: string;
  /** Leaves the sessions table out. */
  readonly noTable?: boolean;
  readonly tableRemoval?: RemovalPolicy;
  readonly chatAuth?: apigateway.AuthorizationType;
  readonly groundTag?: string;
  /** A cdk-nag style suppression in the function's metadata. */
  readonly nagMetadata?: boolean;
  readonly code?: string;
}

/** A small stack with the blocks' construct ids (Api, ModelCall, Sessions), synthesized in a fresh App. */
function fixture(id: string, v: Variant = {}): ReviewStack {
  const app = new App({ context: PATH_METADATA, analyticsReporting: false });
  const stack = new Stack(app, id, { stackName: 'GenAiBlueprint' });
  const fn = new lambda.Function(stack, 'ModelCall', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline(v.code ?? 'exports.handler = async () => ({ statusCode: 200 });'),
  });
  const api = new apigateway.RestApi(stack, 'Api', { deploy: true });
  const integration = new apigateway.LambdaIntegration(fn);
  api.root.addResource('chat').addMethod('POST', integration, { authorizationType: v.chatAuth ?? apigateway.AuthorizationType.IAM });
  if (v.historyRoute)
    api.root.addResource('history').addMethod('GET', integration, { authorizationType: apigateway.AuthorizationType.IAM, apiKeyRequired: true });
  if (!v.noTable) {
    const table = new dynamodb.Table(stack, 'Sessions', {
      partitionKey: { name: v.sessionKey ?? 'sessionId', type: dynamodb.AttributeType.STRING },
      removalPolicy: v.tableRemoval ?? RemovalPolicy.RETAIN,
    });
    if (v.grant) table.grantReadData(fn);
  }
  if (v.nagMetadata && fn.node.defaultChild instanceof CfnResource) {
    fn.node.defaultChild.addMetadata('cdk_nag', { rules_to_suppress: [{ id: 'AwsSolutions-L1', reason: 'fixture' }] });
  }
  Tags.of(stack).add('ground', v.groundTag ?? '0');
  return review(stack);
}

describe('the diff between two stacks', () => {
  const base = fixture('Fixture');

  test('a stack against itself changes nothing', () => {
    const diff = stackDiff(base, fixture('Fixture'));
    expect([diff.added, diff.removed, diff.replaced, diff.modified, diff.tagsOnly, diff.metadataOnly, diff.grantsGained]).toEqual([[], [], [], [], [], [], []]);
    expect(diffMarkdown(diff)).toContain('None: no resource that holds data is replaced or removed.');
  });

  test('a new route is named with its path, verb and authentication', () => {
    const diff = stackDiff(base, fixture('Fixture', { historyRoute: true }));
    expect(diff.routesAdded).toEqual([
      { api: 'Api', path: '/history', verb: 'GET', authorization: 'AWS_IAM', apiKeyRequired: true, scopes: [], authorizer: undefined },
    ]);
    const md = diffMarkdown(diff);
    expect(md).toContain('- Route added: `GET /history`: IAM (SigV4), API key required');
    // CDK names the deployment after the API's definition: a new route publishes a new one.
    expect(md).toMatch(/- `Api\/Deployment` \(API Gateway Deployment\): `ApiDeployment\w+` → `ApiDeployment\w+` \(a new API deployment/);
    expect(md).toContain('- API Gateway Method: `Api/Default/history/GET`');
  });

  test('a route that loses its authentication is shown as public', () => {
    const md = diffMarkdown(stackDiff(base, fixture('Fixture', { chatAuth: apigateway.AuthorizationType.NONE })));
    expect(md).toContain('- Authentication changed on `POST /chat`: IAM (SigV4), no API key → **public**, no authentication, no API key');
  });

  test('a new grant is named: principal, actions and resource', () => {
    const diff = stackDiff(base, fixture('Fixture', { grant: true }));
    const read = diff.grantsGained.find((g) => g.actions.includes('dynamodb:GetItem'));
    expect(read).toMatchObject({ principal: '`ModelCall` (Lambda Function)', effect: 'Allow', resources: ['Sessions'] });
    expect(read?.actions).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:Scan', 'dynamodb:BatchGetItem']));
    expect(diff.grantsLost).toEqual([]);
    const md = diffMarkdown(diff);
    expect(md).toMatch(/^- `ModelCall` \(Lambda Function\) may now .*`dynamodb:GetItem`.* on `Sessions`$/m);
    // The same grant taken away reads the other way round.
    expect(diffMarkdown(stackDiff(fixture('Fixture', { grant: true }), base))).toMatch(
      /^- `ModelCall` \(Lambda Function\) may no longer .*`dynamodb:GetItem`.* on `Sessions`$/m,
    );
  });

  test('a data store replaced by a key schema change is flagged first, and says what Retain keeps', () => {
    const diff = stackDiff(base, fixture('Fixture', { sessionKey: 'id' }));
    expect(diff.replaced.map((r) => [r.resource.path, r.causes])).toEqual([['Sessions/Resource', expect.arrayContaining(['KeySchema'])]]);
    expect(diff.dataAtRisk).toMatchObject([{ change: 'replaced', retained: true, resource: { type: 'AWS::DynamoDB::Table' } }]);
    const md = diffMarkdown(diff);
    const risk = md.indexOf('## ⚠ Data at risk');
    expect(risk).toBeGreaterThan(0);
    expect(risk).toBeLessThan(md.indexOf('## Routes and authentication'));
    expect(md).toContain('- **replaced**: `Sessions` (DynamoDB Table): UpdateReplacePolicy Retain keeps the old one in the account');
    expect(md).toMatch(/- `Sessions` \(DynamoDB Table\): replaced because .*KeySchema.* changed/);
  });

  test('a data store without Retain that is removed is flagged as deleted with its data', () => {
    const below = fixture('Fixture', { tableRemoval: RemovalPolicy.DESTROY });
    const diff = stackDiff(below, fixture('Fixture', { noTable: true }));
    expect(diff.dataAtRisk).toMatchObject([{ change: 'removed', retained: false }]);
    expect(diffMarkdown(diff)).toContain('- **removed**: `Sessions` (DynamoDB Table): deleted with its data (no DeletionPolicy Retain).');
  });

  test('tag-only changes are summarised in one line, not listed', () => {
    const diff = stackDiff(base, fixture('Fixture', { groundTag: '1' }));
    // The RestApi's tags go into the hash CDK names its deployment after: a new deployment, and the stage follows it.
    expect(diff.modified.map((m) => [m.resource.path, m.changes])).toEqual([
      ['Api/DeploymentStage.prod/Resource', ['DeploymentId follows `Api/Deployment` to its new logical id', 'Tags']],
    ]);
    expect(diff.tagsOnly.map((r) => r.path)).toEqual(expect.arrayContaining(['Api/Resource', 'ModelCall/Resource', 'Sessions/Resource']));
    const md = diffMarkdown(diff);
    expect(md).toContain(`- ${diff.tagsOnly.length} resources: tags only`);
    expect(md).not.toContain('`Sessions` (DynamoDB Table)');
    expect(md).not.toContain('`ModelCall` (Lambda Function)');
  });

  test('a metadata-only change (a cdk-nag suppression) is summarised in one line, not listed', () => {
    const diff = stackDiff(base, fixture('Fixture', { nagMetadata: true }));
    expect([diff.modified, diff.tagsOnly, diff.recreated]).toEqual([[], [], []]);
    expect(diff.metadataOnly.map((r) => r.path)).toEqual(['ModelCall/Resource']);
    const md = diffMarkdown(diff);
    expect(md).toContain('- 1 resource: CDK metadata only');
    expect(md).not.toContain('`ModelCall` (Lambda Function)');
  });

  test('a change of function code is a change, said in words', () => {
    const diff = stackDiff(base, fixture('Fixture', { code: 'exports.handler = async () => ({ statusCode: 204 });' }));
    expect(diff.modified.map((m) => [m.resource.path, m.changes])).toEqual([['ModelCall/Resource', ['function code changed']]]);
    expect(diffMarkdown(diff)).toContain('- `ModelCall` (Lambda Function): function code changed');
  });

  test('the cost slot shows the change of idle floor and of cost per 1,000 requests', () => {
    const md = diffMarkdown(stackDiff(base, base), { cost: { idleBelow: 1.2, idleAbove: 6.5, per1kBelow: 0.0123, per1kAbove: 0.0151 } });
    expect(md).toContain('| Idle floor (USD a month) | $1.20 | $6.50 | +$5.30 |');
    expect(md).toContain('| Cost per 1,000 requests (USD) | $0.012 | $0.015 | +$0.0028 |');
    expect(diffMarkdown(stackDiff(base, base))).not.toContain('## Cost');
  });
});

describe('the diff between real grounds', () => {
  const { stacks } = buildApp(PATH_METADATA);
  const ground = (n: number) => review(stacks[n]);
  const [g3, g4, g6, g7] = [3, 4, 6, 7].map(ground);

  test('ground 4 over ground 3 adds the WAF web ACL, the usage plan and the API key, and requires API keys', () => {
    const diff = stackDiff(g3, g4);
    expect(diff.added.filter((r) => r.block === 'Gateway').map((r) => r.type)).toEqual(
      expect.arrayContaining(['AWS::WAFv2::WebACL', 'AWS::WAFv2::WebACLAssociation', 'AWS::ApiGateway::UsagePlan', 'AWS::ApiGateway::ApiKey']),
    );
    const md = diffMarkdown(diff);
    expect(md).toMatch(/^- Added: WAF web ACL `Gateway\/WebAcl` \(rules: .*RateLimitPerIp.*\)$/m);
    expect(md).toMatch(/^- Added: usage plan `Gateway\/\w+\/UsagePlan`, throttle \d+ requests\/s \(burst \d+\), quota \d+ per day$/m);
    expect(md).toMatch(/^- Added: API key `Gateway\/\w+\/ApiKey`$/m);
    expect(md).toContain('- Authentication changed on `POST /prompt`: IAM (SigV4), no API key → IAM (SigV4), API key required');
    expect(diff.dataAtRisk).toEqual([]);
  });

  test('ground 7 over ground 6 names Cognito as an authentication change on every route', () => {
    const diff = stackDiff(g6, g7);
    const md = diffMarkdown(diff);
    expect(md).toContain('- Added: Cognito user pool `Auth/UserPool`: callers authenticate with Cognito');
    expect(md).toContain('- Added: API authorizer `Auth/Authorizer` (COGNITO_USER_POOLS)');
    expect(diff.routesChanged.length).toBeGreaterThan(0);
    for (const c of diff.routesChanged)
      expect([c.before.authorization, c.after.authorization, c.after.authorizer]).toEqual(['AWS_IAM', 'COGNITO_USER_POOLS', 'Auth/Authorizer']);
    expect(md).toContain('- Authentication changed on `POST /prompt`: IAM (SigV4), API key required → Cognito user pool, authorizer `Auth/Authorizer`');
    expect(diff.newDataStores.map((r) => r.path)).toContain('Auth/UserPool/Resource');
    expect(diff.dataAtRisk).toEqual([]);
  });

  test('the page does not depend on the order of the template', () => {
    const reversed = reviewStack(g7.id, { ...g7.template, Resources: Object.fromEntries(Object.entries(g7.template.Resources).reverse()) });
    expect(diffMarkdown(stackDiff(g6, reversed))).toBe(diffMarkdown(stackDiff(g6, g7)));
  });
});
