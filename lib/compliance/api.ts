import { Stack, Validations } from 'aws-cdk-lib';
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
