/** Resource types that hold data or identity: replacing one loses it. */
export const STATEFUL_TYPES = new Set([
  'AWS::S3::Bucket',
  'AWS::DynamoDB::Table',
  'AWS::DynamoDB::GlobalTable',
  'AWS::Logs::LogGroup',
  'AWS::KMS::Key',
  'AWS::Cognito::UserPool',
  'AWS::ElastiCache::ServerlessCache',
  'AWS::S3Vectors::VectorBucket',
  'AWS::S3Vectors::Index',
  'AWS::Bedrock::KnowledgeBase',
  'AWS::Bedrock::DataSource',
  'AWS::OpenSearchServerless::Collection',
  'AWS::SQS::Queue',
  'AWS::SNS::Topic',
]);

/** The API's definition: when one of these changes, CDK cuts a new AWS::ApiGateway::Deployment (its logical id hashes them). */
export const API_DEFINITION = new Set([
  'AWS::ApiGateway::RestApi',
  'AWS::ApiGateway::Resource',
  'AWS::ApiGateway::Method',
  'AWS::ApiGateway::Model',
  'AWS::ApiGateway::RequestValidator',
  'AWS::ApiGateway::Authorizer',
  'AWS::ApiGateway::GatewayResponse',
]);

type TemplateJson = { Resources?: Record<string, { Type: string }> };

/** Logical id → type of every stateful resource in a template. */
export function statefulResources(template: TemplateJson): Map<string, string> {
  return new Map(
    Object.entries(template.Resources ?? {})
      .filter(([, r]) => STATEFUL_TYPES.has(r.Type))
      .map(([id, r]) => [id, r.Type]),
  );
}

/** What an upgrade from `lower` to `upper` would replace or delete: stateful ids lost or retyped. */
export function upgradeLosses(lower: TemplateJson, upper: TemplateJson): string[] {
  const kept = statefulResources(upper);
  return [...statefulResources(lower)]
    .filter(([id, type]) => kept.get(id) !== type)
    .map(([id, type]) => `${id} (${type}) ${kept.has(id) ? `becomes ${kept.get(id)}` : 'is missing'}`);
}
