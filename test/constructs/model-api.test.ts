import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ModelApi } from '../../lib/constructs/api/model-api';
import { CDK_JSON_CONTEXT } from '../support/synth';

function build(props: ConstructorParameters<typeof ModelApi>[2] = {}, extend?: (stack: Stack, api: ModelApi) => void) {
  const stack = new Stack(new App({ context: CDK_JSON_CONTEXT }), 'Test');
  const api = new ModelApi(stack, 'Api', props);
  api.restApi.root.addMethod('GET'); // a method so the deployment is valid
  extend?.(stack, api);
  return { stack, api, template: Template.fromStack(stack) };
}

describe('ModelApi', () => {
  const { template } = build();

  test('a regional REST API whose methods require IAM (SigV4) by default', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'GET', AuthorizationType: 'AWS_IAM' });
  });

  test('stage: tracing, JSON access logs, ERROR execution logs without bodies, stage-wide throttling', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"') },
      MethodSettings: [
        {
          HttpMethod: '*',
          ResourcePath: '/*',
          DataTraceEnabled: false,
          LoggingLevel: 'ERROR',
          MetricsEnabled: true,
          ThrottlingRateLimit: 10,
          ThrottlingBurstLimit: 20,
        },
      ],
    });
    const [stage] = Object.values(template.findResources('AWS::ApiGateway::Stage'));
    expect(JSON.stringify(stage.Properties.AccessLogSetting.DestinationArn)).toMatch(/ApiAccessLogs[0-9A-F]{8}/);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('validates bodies and parameters', () => {
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true, ValidateRequestParameters: true });
  });

  test('a GET route requires its path parameters, checked by the same validator, and keeps the API authorization', () => {
    const { template: t } = build({}, (stack, api) => {
      const fn = new lambda.Function(stack, 'Fn', {
        runtime: lambda.Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler=async()=>({})'),
      });
      api.addGetRoute('things/{id}', fn);
    });
    t.resourceCountIs('AWS::ApiGateway::RequestValidator', 1);
    t.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'AWS_IAM',
      RequestParameters: { 'method.request.path.id': true },
      RequestValidatorId: { Ref: Match.stringLikeRegexp('^ApiBodyValidator') },
      Integration: { Type: 'AWS_PROXY', TimeoutInMillis: 29000 },
    });
  });

  test("API Gateway's own errors are JSON with the request id; throttled answers carry Retry-After", () => {
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX', 'THROTTLED']) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseTemplates: { 'application/json': '{"error":$context.error.messageString,"requestId":"$context.requestId"}' },
      });
    }
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'THROTTLED',
      ResponseParameters: { 'gatewayresponse.header.Retry-After': "'1'" },
    });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'BAD_REQUEST_BODY',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('^\\{"error":"Request body does not match') },
    });
  });

  test('throttling follows the props', () => {
    build({ throttleRateLimit: 100, throttleBurstLimit: 200 }).template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 })],
    });
  });

  test('grantInvoke allows execute-api:Invoke on this API stage only', () => {
    const { template: withCaller } = build({}, (stack, api) => api.grantInvoke(new iam.User(stack, 'Caller')));
    withCaller.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'execute-api:Invoke',
            Resource: {
              'Fn::Join': [
                '',
                Match.arrayWith([':execute-api:', { Ref: Match.stringLikeRegexp('^Api') }, '/', { Ref: Match.stringLikeRegexp('Stage') }, '/*/*']),
              ],
            },
          },
        ],
      },
    });
  });

  test.each([
    [{ throttleRateLimit: 0 }, 'throttleRateLimit must be a positive integer, got 0'],
    [{ throttleBurstLimit: 1.5 }, 'throttleBurstLimit must be a positive integer, got 1.5'],
  ])('fails when %j', (props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});
