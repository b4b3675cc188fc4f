import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, ArnFormat, type CfnElement, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { MODEL_CATALOG } from '../../lib/config/models';
import { ModelApi } from '../../lib/constructs/api/model-api';
import { ModelGateway, type ModelGatewayProps, type Tenant, tenantConstructId } from '../../lib/constructs/gateway/model-gateway';
import { BedrockModel } from '../../lib/constructs/shared/bedrock-model';
import type { IConstruct } from 'constructs';
import { CDK_JSON_CONTEXT } from '../support/synth';
import { FIRST_CREATE, RECREATE, renderCfn } from '../support/cfn-render';

const ACME: Tenant = { name: 'acme', tier: 'premium', quota: { limit: 100_000, period: 'MONTH' }, rateLimit: 50, burstLimit: 100 };
const BETA: Tenant = { name: 'beta-labs', tier: 'basic', quota: { limit: 1_000, period: 'DAY' }, rateLimit: 2, burstLimit: 5 };
const MODEL = new BedrockModel(MODEL_CATALOG['nova-lite'], 'us');

type Overrides = Partial<ModelGatewayProps> & { requireKeys?: boolean };

function build(overrides: Overrides = {}, opts: { app?: App; stackId?: string } = {}) {
  const app = opts.app ?? new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
  const stack = new Stack(app, opts.stackId ?? 'Test');
  const api = new ModelApi(stack, 'Api');
  // A minimal route target: the gateway is under test, not the function.
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200, body: "{}" });'),
    memorySize: 256,
    timeout: Duration.seconds(10),
  });
  const method = api.addJsonRoute('prompt', fn, {
    modelName: 'PromptRequest',
    bodySchema: {
      type: apigateway.JsonSchemaType.OBJECT,
      properties: { query: { type: apigateway.JsonSchemaType.STRING, maxLength: 8000 } },
      required: ['query'],
      additionalProperties: false,
    },
  });
  const modelSourceArn = stack.formatArn({
    service: 'bedrock',
    resource: 'inference-profile',
    resourceName: MODEL.invocationId,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
  const { requireKeys = true, ...props } = overrides;
  const gateway = new ModelGateway(stack, 'Gateway', { api, tenants: [ACME, BETA], modelSourceArn, ...props });
  if (requireKeys) gateway.requireApiKeys([method]);
  const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  gateway.grantInvokeProfiles(role);
  return {
    app,
    stack,
    api,
    fn,
    method,
    gateway,
    role,
    modelSourceArn,
    // Synthesizes on first read only, so a test can add more stacks to `opts.app` before its own synth.
    get template() {
      return Template.fromStack(stack);
    },
  };
}

const logicalId = (stack: Stack, c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
const ref = (idPattern: string) => ({ Ref: Match.stringLikeRegexp(idPattern) });
const getAtt = (idPattern: string, attr: string) => ({ 'Fn::GetAtt': [Match.stringLikeRegexp(idPattern), attr] });

function webAclRules(template: Template): Record<string, Record<string, unknown>> {
  const [acl] = Object.values(template.findResources('AWS::WAFv2::WebACL'));
  return Object.fromEntries((acl.Properties.Rules as { Name: string }[]).map((r) => [r.Name, r]));
}

describe('ModelGateway', () => {
  const { template, gateway, stack, api } = build();
  const apiRef = { Ref: logicalId(stack, api.restApi) };
  const stageRef = { Ref: logicalId(stack, api.restApi.deploymentStage) };

  describe('tenants', () => {
    test("each tenant's API key id is a stack output (the value itself never is)", () => {
      const outputs = template.findOutputs('*');
      for (const tenant of ['TenantAcme', 'TenantBetaLabs']) {
        const [, output] = Object.entries(outputs).find(([id]) => id.startsWith(`Gateway${tenant}ApiKeyId`))!;
        expect(output.Value).toEqual({ Ref: expect.stringMatching(new RegExp(`^Gateway${tenant}ApiKey`)) });
      }
    });

    test('one usage plan per tenant, on the API stage, with its quota and throttle', () => {
      template.resourceCountIs('AWS::ApiGateway::UsagePlan', 2);
      for (const [t, id] of [
        [ACME, 'TenantAcme'],
        [BETA, 'TenantBetaLabs'],
      ] as const) {
        const plans = template.findResources('AWS::ApiGateway::UsagePlan', {
          Properties: {
            ApiStages: [{ ApiId: apiRef, Stage: stageRef }],
            Quota: { Limit: t.quota.limit, Period: t.quota.period },
            Throttle: { RateLimit: t.rateLimit, BurstLimit: t.burstLimit },
          },
        });
        expect(Object.keys(plans)).toEqual([expect.stringMatching(new RegExp(`^Gateway${id}UsagePlan`))]);
      }
    });

    test('one API key per tenant, generated (no value in the template), attached to its own plan only', () => {
      template.resourceCountIs('AWS::ApiGateway::ApiKey', 2);
      template.allResourcesProperties('AWS::ApiGateway::ApiKey', { Enabled: true, Value: Match.absent() });
      template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 2);
      for (const id of ['TenantAcme', 'TenantBetaLabs']) {
        template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
          KeyType: 'API_KEY',
          KeyId: ref(`^Gateway${id}ApiKey`),
          UsagePlanId: ref(`^Gateway${id}UsagePlan`),
        });
      }
    });

    test('tenant construct ids follow the documented scheme', () => {
      expect(tenantConstructId('acme')).toBe('TenantAcme');
      expect(tenantConstructId('beta-labs')).toBe('TenantBetaLabs');
      expect(tenantConstructId('Team-42-x')).toBe('TenantTeam42X');
      expect(gateway.node.tryFindChild('TenantBetaLabs')).toBeDefined();
      expect(gateway.tenantNames).toEqual(['acme', 'beta-labs']);
      expect(Object.keys(gateway.apiKeys)).toEqual(['acme', 'beta-labs']);
      expect(Object.keys(gateway.usagePlans)).toEqual(['acme', 'beta-labs']);
    });

    test('logical ids of a tenant do not move when another tenant is added before it', () => {
      const ids = (t: Template) =>
        Object.keys(t.findResources('AWS::ApiGateway::ApiKey')).concat(Object.keys(t.findResources('AWS::Bedrock::ApplicationInferenceProfile')));
      const betaOnly = ids(build({ tenants: [BETA] }).template);
      expect(ids(template)).toEqual(expect.arrayContaining(betaOnly));
    });
  });

  describe('API keys on routes', () => {
    test('requireApiKeys adds the key requirement and keeps IAM authorization', () => {
      template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'AWS_IAM', ApiKeyRequired: true });
    });

    test('requireApiKeys changes the deployment id, so the stage is redeployed with the flag', () => {
      const deploymentId = (t: Template) => Object.keys(t.findResources('AWS::ApiGateway::Deployment'))[0];
      const without = build({ requireKeys: false }).template;
      without.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', ApiKeyRequired: Match.absent() });
      expect(deploymentId(without)).not.toEqual(deploymentId(template));
    });

    test('fails when a method has no authorization', () => {
      const { api, gateway: g } = build({ requireKeys: false });
      const open = api.restApi.root.addResource('open').addMethod('GET', undefined, { authorizationType: apigateway.AuthorizationType.NONE });
      expect(() => g.requireApiKeys([open])).toThrow(
        'requireApiKeys: method GET /open has no authorization; an API key meters a caller, it does not authenticate one',
      );
    });

    test('fails when a method belongs to another API', () => {
      const { stack: s, gateway: g } = build({ requireKeys: false });
      const other = new apigateway.RestApi(s, 'Other');
      const m = other.root.addMethod('GET', undefined, { authorizationType: apigateway.AuthorizationType.IAM });
      expect(() => g.requireApiKeys([m])).toThrow("requireApiKeys: method GET / belongs to another API than this gateway's");
    });
  });

  describe('WAF', () => {
    test('a regional web ACL, allow by default, with metrics on the ACL and every rule', () => {
      template.hasResourceProperties('AWS::WAFv2::WebACL', {
        Scope: 'REGIONAL',
        DefaultAction: { Allow: {} },
        VisibilityConfig: { CloudWatchMetricsEnabled: true, MetricName: gateway.webAcl.name, SampledRequestsEnabled: false },
      });
      const rules = webAclRules(template);
      expect(Object.keys(rules).sort()).toEqual([
        'AWSManagedRulesAmazonIpReputationList',
        'AWSManagedRulesCommonRuleSet',
        'AWSManagedRulesKnownBadInputsRuleSet',
        'RateLimitPerIp',
      ]);
      for (const [name, rule] of Object.entries(rules)) {
        expect(rule.VisibilityConfig).toEqual({ CloudWatchMetricsEnabled: true, MetricName: name, SampledRequestsEnabled: false });
      }
      expect(new Set(Object.values(rules).map((r) => r.Priority)).size).toBe(4);
    });

    test('AWS managed rule groups keep their own actions', () => {
      const rules = webAclRules(template);
      for (const name of ['AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet']) {
        expect(rules[name]).toMatchObject({ OverrideAction: { None: {} }, Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: name } } });
      }
    });

    test('Core Rule Set: SizeRestrictions_BODY only counts by default (long prompts), and blocks with blockLargeBodies', () => {
      const crs = (t: Template) =>
        (webAclRules(t).AWSManagedRulesCommonRuleSet.Statement as { ManagedRuleGroupStatement: Record<string, unknown> }).ManagedRuleGroupStatement;
      expect(crs(template).RuleActionOverrides).toEqual([{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }]);
      expect(crs(build({ blockLargeBodies: true }).template).RuleActionOverrides).toBeUndefined();
      expect(crs(build({ blockLargeBodies: false }).template).RuleActionOverrides).toEqual([{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }]);
    });

    test('a per-IP rate rule blocks above 1000 requests in 5 minutes by default, and follows the prop', () => {
      expect(webAclRules(template).RateLimitPerIp).toMatchObject({
        Action: { Block: {} },
        Statement: { RateBasedStatement: { Limit: 1000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
      });
      expect(webAclRules(build({ requestsPer5MinPerIp: 250 }).template).RateLimitPerIp).toMatchObject({ Statement: { RateBasedStatement: { Limit: 250 } } });
    });

    test('the web ACL is associated with the API stage by its ARN', () => {
      template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
      template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
        WebACLArn: getAtt('^GatewayWebAcl', 'Arn'),
        ResourceArn: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':apigateway:', { Ref: 'AWS::Region' }, '::/restapis/', apiRef, '/stages/', stageRef]],
        },
      });
    });

    test('WAF logs go to an aws-waf-logs- group with retention, with the credential headers redacted', () => {
      const [wafLogs] = Object.values(template.findResources('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 30, LogGroupName: Match.anyValue() } }));
      expect(renderCfn(wafLogs.Properties.LogGroupName, FIRST_CREATE)).toMatch(/^aws-waf-logs-/);
      // Retained after a destroy: the next create of the stack must name it differently.
      expect(wafLogs.DeletionPolicy).toBe('Retain');
      expect(renderCfn(wafLogs.Properties.LogGroupName, RECREATE)).not.toBe(renderCfn(wafLogs.Properties.LogGroupName, FIRST_CREATE));
      template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
        ResourceArn: getAtt('^GatewayWebAcl', 'Arn'),
        LogDestinationConfigs: [
          {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':log-group:', ref('^GatewayWafLogs')],
            ],
          },
        ],
        RedactedFields: [{ SingleHeader: { Name: 'authorization' } }, { SingleHeader: { Name: 'x-api-key' } }],
      });
    });

    test('metricBlockedRequests: WAF BlockedRequests of this ACL, all rules, this Region', () => {
      const metric = gateway.metricBlockedRequests();
      expect(metric.namespace).toBe('AWS/WAFV2');
      expect(metric.metricName).toBe('BlockedRequests');
      expect(metric.statistic).toBe('Sum');
      expect(metric.dimensions).toEqual({ WebACL: gateway.webAcl.name, Region: stack.region, Rule: 'ALL' });
      template.hasResourceProperties('AWS::WAFv2::WebACL', { Name: gateway.webAcl.name });
      expect(gateway.metricBlockedRequests({ period: Duration.minutes(1) }).period.toMinutes()).toBe(1);
    });
  });

  describe('application inference profiles', () => {
    test('one per tenant, copying the given model source, with cost-allocation tags', () => {
      template.resourceCountIs('AWS::Bedrock::ApplicationInferenceProfile', 2);
      for (const t of [ACME, BETA]) {
        template.hasResourceProperties('AWS::Bedrock::ApplicationInferenceProfile', {
          InferenceProfileName: Match.stringLikeRegexp('^[0-9a-zA-Z]([ _-]?[0-9a-zA-Z])*$'),
          ModelSource: { CopyFrom: { 'Fn::Join': ['', Match.arrayWith([`:inference-profile/${MODEL.invocationId}`])] } },
          Tags: Match.arrayWith([
            { Key: 'app', Value: 'genai-blueprint' },
            { Key: 'tenant', Value: t.name },
          ]),
        });
      }
      const names = Object.values(template.findResources('AWS::Bedrock::ApplicationInferenceProfile')).map((r) => r.Properties.InferenceProfileName as string);
      expect(new Set(names).size).toBe(2);
      for (const n of names) expect(n.length).toBeLessThanOrEqual(64);
    });

    test('profileArnFor gives the tenant profile ARN, and fails for an unknown tenant', () => {
      expect(stack.resolve(gateway.profileArnFor('beta-labs'))).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/^GatewayTenantBetaLabsInferenceProfile/), 'InferenceProfileArn'],
      });
      expect(() => gateway.profileArnFor('gamma')).toThrow('unknown tenant "gamma"; tenants are acme, beta-labs');
    });

    test('grantInvokeProfiles: InvokeModel (Converse, the default) on the profile ARNs only, no wildcard', () => {
      const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [ref('^Caller')] } });
      const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
      expect(statements).toEqual([
        {
          Effect: 'Allow',
          Action: 'bedrock:InvokeModel',
          Resource: [
            { 'Fn::GetAtt': [expect.stringMatching(/^GatewayTenantAcmeInferenceProfile/), 'InferenceProfileArn'] },
            { 'Fn::GetAtt': [expect.stringMatching(/^GatewayTenantBetaLabsInferenceProfile/), 'InferenceProfileArn'] },
          ],
        },
      ]);
      expect(JSON.stringify(statements)).not.toContain('*');
    });

    test('grantInvokeProfiles with the copied model, streamed: its foundation models too, only through these profiles, only the stream action', () => {
      const { stack: s, gateway: g } = build();
      const caller = new iam.Role(s, 'ThroughCaller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      g.grantInvokeProfiles(caller, { throughModel: MODEL, invocation: 'streamed' });
      const policies = Template.fromStack(s).findResources('AWS::IAM::Policy', { Properties: { Roles: [ref('^ThroughCaller')] } });
      const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement);
      const profiles = [
        { 'Fn::GetAtt': [expect.stringMatching(/^GatewayTenantAcmeInferenceProfile/), 'InferenceProfileArn'] },
        { 'Fn::GetAtt': [expect.stringMatching(/^GatewayTenantBetaLabsInferenceProfile/), 'InferenceProfileArn'] },
      ];
      expect(statements).toContainEqual({
        Effect: 'Allow',
        Action: 'bedrock:InvokeModelWithResponseStream',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:bedrock:*::foundation-model/${MODEL.model.modelId}`]] },
        Condition: { StringEquals: { 'bedrock:InferenceProfileArn': profiles } },
      });
      expect(statements).toContainEqual({ Effect: 'Allow', Action: 'bedrock:InvokeModelWithResponseStream', Resource: profiles });
      expect(JSON.stringify(statements)).not.toContain('"bedrock:InvokeModel"');
    });
  });

  test('works on a plain RestApi and an explicit stage', () => {
    const s = new Stack(new App({ context: CDK_JSON_CONTEXT }), 'Plain');
    const restApi = new apigateway.RestApi(s, 'Rest', { deploy: false, defaultMethodOptions: { authorizationType: apigateway.AuthorizationType.IAM } });
    const m = restApi.root.addMethod('GET');
    const stage = new apigateway.Stage(s, 'Prod', { deployment: new apigateway.Deployment(s, 'Deployment', { api: restApi }), stageName: 'prod' });
    const g = new ModelGateway(s, 'Gateway', {
      api: restApi,
      stage,
      tenants: [ACME],
      modelSourceArn: 'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0',
    });
    g.requireApiKeys([m]);
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::ApiGateway::UsagePlan', { ApiStages: [{ ApiId: ref('^Rest'), Stage: ref('^Prod') }] });
    t.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { ResourceArn: { 'Fn::Join': ['', Match.arrayWith(['/stages/', ref('^Prod')])] } });
    t.hasResourceProperties('AWS::Bedrock::ApplicationInferenceProfile', {
      ModelSource: { CopyFrom: 'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0' },
    });
    // This API carries no acknowledgement: the association alone satisfies cdk-nag's WAF rule.
    const apig3 = new AwsSolutionsChecks().validateScope(s).violations.filter((v) => v.ruleName.startsWith('AwsSolutions-APIG3'));
    expect(apig3).toEqual([]);
  });

  test('unresolved values (CloudFormation parameters) are not validated at synth', () => {
    const s = new Stack(new App({ context: CDK_JSON_CONTEXT }), 'Tokens');
    const api = new ModelApi(s, 'Api');
    api.restApi.root.addMethod('GET');
    const num = (id: string) => new CfnParameter(s, id, { type: 'Number' }).valueAsNumber;
    const tenant: Tenant = { name: 'acme', tier: 'standard', quota: { limit: num('Quota'), period: 'WEEK' }, rateLimit: num('Rate'), burstLimit: num('Burst') };
    new ModelGateway(s, 'Gateway', {
      api,
      tenants: [tenant],
      modelSourceArn: new CfnParameter(s, 'ModelSource').valueAsString,
      requestsPer5MinPerIp: num('PerIp'),
    });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Quota: { Limit: { Ref: 'Quota' }, Period: 'WEEK' },
      Throttle: { RateLimit: { Ref: 'Rate' }, BurstLimit: { Ref: 'Burst' } },
    });
    t.hasResourceProperties('AWS::Bedrock::ApplicationInferenceProfile', { ModelSource: { CopyFrom: { Ref: 'ModelSource' } } });
    expect(JSON.stringify(t.findResources('AWS::WAFv2::WebACL'))).toContain('{"Ref":"PerIp"}');
  });

  const tenant = (over: Omit<Partial<Tenant>, 'quota'> & { quota?: Partial<Tenant['quota']> } = {}): Tenant => ({
    ...ACME,
    ...over,
    quota: { ...ACME.quota, ...over.quota },
  });
  test.each<[string, Overrides, string]>([
    ['there is no tenant', { tenants: [] }, 'tenants must hold between 1 and 50 tenants, got 0'],
    [
      'there are 51 tenants',
      { tenants: Array.from({ length: 51 }, (_, i) => tenant({ name: `t${i}` })) },
      'tenants must hold between 1 and 50 tenants, got 51',
    ],
    ['a tenant name has a space', { tenants: [tenant({ name: 'acme corp' })] }, 'tenant name must be 1-64 characters of A-Z, a-z, 0-9 and -, got "acme corp"'],
    ['a tenant name is empty', { tenants: [tenant({ name: '' })] }, 'tenant name must be 1-64 characters of A-Z, a-z, 0-9 and -, got ""'],
    [
      'a tenant name is 65 characters',
      { tenants: [tenant({ name: 'a'.repeat(65) })] },
      `tenant name must be 1-64 characters of A-Z, a-z, 0-9 and -, got "${'a'.repeat(65)}"`,
    ],
    ['a tenant name repeats', { tenants: [ACME, BETA, ACME] }, 'tenant names must be unique, got "acme" twice'],
    [
      'two tenant names map to one construct id',
      { tenants: [tenant({ name: 'a-b' }), tenant({ name: 'aB' })] },
      'tenant names "a-b" and "aB" map to the same construct id TenantAB; rename one',
    ],
    ['a quota limit is 0', { tenants: [tenant({ quota: { limit: 0 } })] }, 'tenants[acme].quota.limit must be a positive integer, got 0'],
    ['a rate limit is fractional', { tenants: [tenant({ rateLimit: 1.5 })] }, 'tenants[acme].rateLimit must be a positive integer, got 1.5'],
    ['a burst limit is 0', { tenants: [tenant({ burstLimit: 0 })] }, 'tenants[acme].burstLimit must be a positive integer, got 0'],
    ['a tier is unknown', { tenants: [tenant({ tier: 'gold' as Tenant['tier'] })] }, 'tenants[acme].tier must be one of basic, standard, premium, got "gold"'],
    [
      'a quota period is unknown',
      { tenants: [tenant({ quota: { period: 'YEAR' as Tenant['quota']['period'] } })] },
      'tenants[acme].quota.period must be one of DAY, WEEK, MONTH, got "YEAR"',
    ],
    ['requestsPer5MinPerIp is below the WAF minimum', { requestsPer5MinPerIp: 5 }, 'requestsPer5MinPerIp must be an integer between 10 and 2000000000, got 5'],
    [
      'modelSourceArn is not a model or system profile ARN',
      { modelSourceArn: 'arn:aws:s3:::bucket' },
      'modelSourceArn must be the ARN of a foundation model or a system inference profile ' +
        '(arn:<partition>:bedrock:<region>:[<account>]:foundation-model|inference-profile/<id>), got "arn:aws:s3:::bucket"',
    ],
  ])('fails when %s', (_name, overrides, message) => {
    expect(() => build(overrides)).toThrow(message);
  });

  test('fails when a tenant name is a token', () => {
    const s = new Stack(new App(), 'T');
    const api = new ModelApi(s, 'Api');
    const name = new CfnParameter(s, 'Name').valueAsString;
    expect(
      () =>
        new ModelGateway(s, 'Gateway', {
          api,
          tenants: [tenant({ name })],
          modelSourceArn: 'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0',
        }),
    ).toThrow('tenant name must be a literal string (its construct ids and tags derive from it), got a token');
  });

  test.each([
    ['AwsSolutions', new AwsSolutionsChecks()],
    ['Serverless', new ServerlessChecks()],
  ])('cdk-nag %s pack: no unacknowledged finding on the gateway and its API', (_pack, checks) => {
    const report = checks.validateScope(build().stack);
    // The route target is a bare test fixture; its findings belong to no block.
    const findings = report.violations
      .map((v) => ({ rule: v.ruleName, paths: v.violatingResources.map((r) => r.constructPath).filter((p) => !p?.startsWith('Test/Fn')) }))
      .filter((v) => v.paths.length > 0)
      .map((v) => `${v.rule}: ${v.paths.join(', ')}`);
    expect(findings).toEqual([]);
  });

  test('the template passes CloudFormation spec validation (property names, enums, ranges)', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-validate-'));
    const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined); // the control's expected report
    try {
      const app = new App({ outdir, context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: true });
      build({}, { app, stackId: 'Validated' });
      // A control with a wrong enum proves the validator ran: it must be the only finding.
      const { gateway: control } = build({}, { app, stackId: 'Control' });
      control.webAcl.addPropertyOverride('Scope', 'WORLDWIDE');
      app.synth();
      const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
      const findings = report.pluginReports.flatMap((r: { violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }) =>
        r.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName}: ${c.constructPath}`)),
      );
      expect(findings).toEqual([expect.stringContaining('Control/Gateway/WebAcl')]);
    } finally {
      quiet.mockRestore();
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
