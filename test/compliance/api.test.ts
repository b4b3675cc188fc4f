import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { acknowledgementsIn } from '../../lib/checks';
import { API_STAGE } from '../../lib/compliance/api';
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
