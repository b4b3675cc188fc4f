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
 * logs the IAM caller and user, not the key id or the token's claims). Never the key itself. And the
 * TLS version and cipher suite of the request (`$context.tlsVersion`, `$context.cipherSuite`: the
 * variables the security policies page names for monitoring them).
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

/**
 * The enhanced security policy of the regulated profile's REST APIs: TLS 1.3 and 1.2 with FIPS-validated
 * cryptography (AWS-LC), forward secrecy and post-quantum hybrid key exchange. Listed for Regional and
 * private REST APIs ("Supported security policies",
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-security-policies-list.html);
 * edge-optimized APIs have a list of their own, so an EDGE API is left as it is. An enhanced policy
 * needs an endpoint access mode ("Security policies for REST APIs in API Gateway",
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-security-policies.html):
 * STRICT, the one AWS recommends, refuses a request that does not come from the API's own endpoint type
 * or whose SNI host is not the API's. Both properties update without interruption (CloudFormation
 * resource specification, AWS::ApiGateway::RestApi), so the switch of a deployed stack keeps the API.
 */
export const API_SECURITY_POLICY = 'SecurityPolicy_TLS13_1_2_FIPS_PFS_PQ_2025_09';

/** The endpoint types the policy above is listed for. */
const TLS_POLICY_ENDPOINT_TYPES: readonly string[] = [apigateway.EndpointType.REGIONAL, apigateway.EndpointType.PRIVATE];

/** The endpoint types of `api` as the template will have them (an API without a configuration is edge-optimized). */
function endpointTypes(api: apigateway.CfnRestApi): unknown[] {
  const config = Stack.of(api).resolve(api.endpointConfiguration) as { types?: unknown[] } | undefined;
  return config?.types ?? [apigateway.EndpointType.EDGE];
}

/**
 * API TLS (no rule of the two packs asks; issue 14): every REST API without a security policy of its
 * own accepts only TLS 1.3 and 1.2 with FIPS cipher suites (API_SECURITY_POLICY), in STRICT endpoint
 * access mode. The access log records the TLS version and cipher suite of each request.
 */
export const API_TLS: IRegulatedControl = {
  rules: [],
  visit(node: IConstruct): void {
    if (!(node instanceof apigateway.CfnRestApi) || node.securityPolicy !== undefined) return;
    const types = endpointTypes(node);
    if (types.length === 0 || !types.every((t) => typeof t === 'string' && TLS_POLICY_ENDPOINT_TYPES.includes(t))) return;
    node.securityPolicy = API_SECURITY_POLICY;
    node.endpointAccessMode = apigateway.EndpointAccessMode.STRICT;
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
    // What the client negotiated (API_TLS); AccessLogField has no accessor for these two.
    tlsVersion: '$context.tlsVersion',
    cipherSuite: '$context.cipherSuite',
  }),
).toString();
