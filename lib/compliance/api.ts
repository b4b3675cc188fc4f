import { Stack, Tokenization, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type { IConstruct } from 'constructs';
import { type IRegulatedControl, packRules } from './control';

/**
 * The regulated profile's controls on the API stage (docs/compliance.md, "API"). Both rules ask for
 * something that does not apply to this API, so they are acknowledged on the stage, and only while
 * what makes them not apply is true of the synthesized API:
 * - APIGWSSLEnabled asks for a client certificate on the stage: API Gateway presents it to HTTP and
 *   HTTP-proxy backends so they can tell its requests from others'
 *   (docs.aws.amazon.com/apigateway/latest/developerguide/getting-started-client-side-ssl-authentication.html).
 *   Every method of this API integrates a Lambda function (AWS_PROXY), which API Gateway invokes
 *   through Lambda's own signed API under the permission the function grants it: no HTTP backend.
 * - APIGWCacheEnabledAndEncrypted asks for an encrypted API Gateway cache. The stage has no cache
 *   cluster, so it holds no response at rest; answers are cached (ground 5) in ElastiCache, encrypted.
 */
export const API_STAGE: IRegulatedControl = {
  rules: [...packRules('APIGWSSLEnabled'), ...packRules('APIGWCacheEnabledAndEncrypted')],
  visit(node: IConstruct): void {
    if (!(node instanceof apigateway.Stage) || !(node.restApi instanceof apigateway.RestApi)) return;
    const stage = node.node.defaultChild as apigateway.CfnStage;
    const methods = node.restApi.methods.map((m) => m.node.defaultChild as apigateway.CfnMethod);
    const lambdaOnly = methods.every((m) => {
      const integration = integrationOf(m);
      return integration?.type === 'AWS_PROXY' && JSON.stringify(integration.uri).includes(':lambda:path/');
    });
    if (lambdaOnly) {
      for (const id of packRules('APIGWSSLEnabled')) {
        Validations.of(node).acknowledge({
          id,
          reason:
            'Every method integrates a Lambda function (AWS_PROXY): API Gateway invokes it through the Lambda API under the function permission; ' +
            'a stage client certificate is presented only to HTTP backends, and this API has none',
        });
      }
    }
    if (!stage.cacheClusterEnabled) {
      for (const id of packRules('APIGWCacheEnabledAndEncrypted')) {
        Validations.of(node).acknowledge({
          id,
          reason:
            'The stage has no API Gateway cache cluster, so it keeps no response at rest; answers are cached (ground 5) in ElastiCache ' +
            'Serverless, encrypted at rest and in transit',
        });
      }
    }
  },
};

/** The method's integration as the template will have it (tokens resolved). */
function integrationOf(method: apigateway.CfnMethod): { type?: string; uri?: unknown } | undefined {
  const integration: unknown = Stack.of(method).resolve(method.integration);
  return typeof integration === 'object' && integration !== null ? (integration as { type?: string; uri?: unknown }) : undefined;
}

/**
 * The access log of the regulated profile records who called, not only from where: the IAM caller
 * and user ARN (SigV4, grounds 0-6), the Cognito token's subject and client (ground 7), the tenant's
 * API key id (ground 4 up), beside the standard fields (`AccessLogFormat.jsonWithStandardFields`
 * logs the IAM caller and user, not the key id or the token's claims). Never the key itself.
 */
export const ACCESS_LOG_CALLER: IRegulatedControl = {
  rules: [],
  visit(node: IConstruct): void {
    if (!(node instanceof apigateway.CfnStage)) return;
    const current = node.accessLogSetting;
    if (current === undefined || Tokenization.isResolvable(current) || current.destinationArn === undefined) return;
    node.accessLogSetting = { destinationArn: current.destinationArn, format: CALLER_LOG_FORMAT };
  },
};

const F = apigateway.AccessLogField;
export const CALLER_LOG_FORMAT = apigateway.AccessLogFormat.custom(
  JSON.stringify({
    requestId: F.contextRequestId(),
    requestTime: F.contextRequestTime(),
    httpMethod: F.contextHttpMethod(),
    resourcePath: F.contextResourcePath(),
    status: F.contextStatus(),
    protocol: F.contextProtocol(),
    responseLength: F.contextResponseLength(),
    ip: F.contextIdentitySourceIp(),
    caller: F.contextIdentityCaller(),
    user: F.contextIdentityUser(),
    userArn: F.contextIdentityUserArn(),
    apiKeyId: F.contextIdentityApiKeyId(),
    principalId: F.contextAuthorizerPrincipalId(),
    tokenSubject: F.contextAuthorizerClaims('sub'),
    tokenClient: F.contextAuthorizerClaims('client_id'),
    wafResponseCode: F.contextWafResponseCode(),
  }),
).toString();
