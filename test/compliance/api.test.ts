import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { acknowledgementsIn } from '../../lib/checks';
import { API_SECURITY_POLICY, API_STAGE, API_TLS } from '../../lib/compliance/api';
import { RegulatedProfile } from '../../lib/compliance/regulated-profile';
import { buildApp } from '../support/synth';

/** The stage acknowledgements hold only while what makes their rules not apply is true of the API. */
function acknowledged(build: (api: apigateway.RestApi, fn: lambda.Function) => void): string[] {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Fixture');
  const api = new apigateway.RestApi(stack, 'Api');
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler=async()=>({})'),
  });
  build(api, fn);
  RegulatedProfile.applyTo(stack, [API_STAGE]);
  app.synth();
  return acknowledgementsIn(app)
    .map((a) => a.id)
    .sort();
}

test('a stage whose methods all integrate Lambda, without a cache: both rules acknowledged in both packs', () => {
  expect(acknowledged((api, fn) => api.root.addMethod('POST', new apigateway.LambdaIntegration(fn)))).toEqual([
    'HIPAA.Security-APIGWCacheEnabledAndEncrypted',
    'HIPAA.Security-APIGWSSLEnabled',
    'NIST.800.53.R5-APIGWCacheEnabledAndEncrypted',
    'NIST.800.53.R5-APIGWSSLEnabled',
  ]);
});

test('an HTTP backend keeps the client-certificate rule; a cache cluster keeps the cache rule', () => {
  const http = acknowledged((api, fn) => {
    api.root.addMethod('POST', new apigateway.LambdaIntegration(fn));
    api.root.addResource('legacy').addMethod('GET', new apigateway.HttpIntegration('https://example.com/'));
  });
  expect(http.filter((id) => id.includes('SSL'))).toEqual([]);
  const cached = acknowledged((api, fn) => {
    api.root.addMethod('POST', new apigateway.LambdaIntegration(fn));
    (api.deploymentStage.node.defaultChild as apigateway.CfnStage).cacheClusterEnabled = true;
  });
  expect(cached.filter((id) => id.includes('Cache'))).toEqual([]);
});

test('regulated access logs name the caller: IAM caller and user ARN, API key id, the token subject and client; WAF blocks large bodies', () => {
  const { app, stacks } = buildApp({ compliance: 'regulated', ground: 4 });
  app.synth();
  const template = Template.fromStack(stacks[0]);
  const [stage] = Object.values(template.findResources('AWS::ApiGateway::Stage'));
  const format: unknown = JSON.parse(stage.Properties.AccessLogSetting.Format);
  expect(format).toMatchObject({
    caller: '$context.identity.caller',
    userArn: '$context.identity.userArn',
    apiKeyId: '$context.identity.apiKeyId',
    tokenSubject: '$context.authorizer.claims.sub',
    tokenClient: '$context.authorizer.claims.client_id',
  });
  expect(JSON.stringify(format)).not.toContain('$context.identity.apiKey"');
  const [acl] = Object.values(template.findResources('AWS::WAFv2::WebACL'));
  const coreRuleSet = acl.Properties.Rules.find((r: { Name: string }) => r.Name === 'AWSManagedRulesCommonRuleSet');
  expect(coreRuleSet.Statement.ManagedRuleGroupStatement.RuleActionOverrides).toBeUndefined();
});

describe('API TLS', () => {
  function restApi(build: (stack: Stack) => apigateway.RestApi): Record<string, unknown> {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Fixture');
    build(stack).root.addMethod('GET', new apigateway.MockIntegration());
    RegulatedProfile.applyTo(stack, [API_TLS]);
    const [api] = Object.values(Template.fromStack(stack).findResources('AWS::ApiGateway::RestApi'));
    return api.Properties as Record<string, unknown>;
  }

  test.each([0, 7])('regulated ground %i: the API accepts TLS 1.3 and 1.2 with FIPS cipher suites only, in strict endpoint access mode', (ground) => {
    const { app, stacks } = buildApp({ compliance: 'regulated', ground });
    app.synth();
    const template = Template.fromStack(stacks[0]);
    const apis = Object.values(template.findResources('AWS::ApiGateway::RestApi'));
    expect(apis.length).toBeGreaterThan(0);
    for (const api of apis) {
      expect(api.Properties).toMatchObject({ SecurityPolicy: 'SecurityPolicy_TLS13_1_2_FIPS_PFS_PQ_2025_09', EndpointAccessMode: 'STRICT' });
    }
    expect(API_SECURITY_POLICY).toBe('SecurityPolicy_TLS13_1_2_FIPS_PFS_PQ_2025_09');
    const [stage] = Object.values(template.findResources('AWS::ApiGateway::Stage'));
    expect(JSON.parse(stage.Properties.AccessLogSetting.Format)).toMatchObject({ tlsVersion: '$context.tlsVersion', cipherSuite: '$context.cipherSuite' });
  });

  test('the standard profile keeps API Gateway defaults (no security policy, no access mode)', () => {
    const { app, stacks } = buildApp({ ground: 0 });
    app.synth();
    for (const api of Object.values(Template.fromStack(stacks[0]).findResources('AWS::ApiGateway::RestApi'))) {
      expect([api.Properties.SecurityPolicy, api.Properties.EndpointAccessMode]).toEqual([undefined, undefined]);
    }
  });

  test('a private API gets the policy; an edge-optimized one, whose policies are another list, and an API with a policy of its own are left alone', () => {
    const strict = { SecurityPolicy: API_SECURITY_POLICY, EndpointAccessMode: 'STRICT' };
    expect(
      restApi((s) => new apigateway.RestApi(s, 'Private', { endpointTypes: [apigateway.EndpointType.PRIVATE], policy: new iam.PolicyDocument() })),
    ).toMatchObject(strict);
    expect(restApi((s) => new apigateway.RestApi(s, 'Edge', { endpointTypes: [apigateway.EndpointType.EDGE] })).SecurityPolicy).toBeUndefined();
    expect(restApi((s) => new apigateway.RestApi(s, 'Default')).SecurityPolicy).toBeUndefined();
    const own = restApi((s) => {
      const api = new apigateway.RestApi(s, 'Own', { endpointTypes: [apigateway.EndpointType.REGIONAL] });
      (api.node.defaultChild as apigateway.CfnRestApi).securityPolicy = 'TLS_1_2';
      return api;
    });
    expect([own.SecurityPolicy, own.EndpointAccessMode]).toEqual(['TLS_1_2', undefined]);
  });
});
