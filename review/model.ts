import * as fs from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';

/**
 * What the review reads: the synthesized stacks of one `cdk synth`, each resource placed in the
 * architecture block that created it. A block is a direct child of the stack in the construct tree
 * (`Ground7-FullSystem/KnowledgeBase/...` belongs to the knowledge base), read from the
 * `aws:cdk:path` metadata every resource carries.
 */

/** An architecture block, in the order of the request path, then the blocks beside it. */
export interface BlockSpec {
  /** The construct id the grounds give the block (the second segment of `aws:cdk:path`). */
  readonly id: string;
  /** The name an architect reads. */
  readonly name: string;
  /** Request path (client to model), beside it (agent, predictive ML) or operations (watching, orchestrating). */
  readonly lane: 'request' | 'beside' | 'operations' | 'shared';
}

export const BLOCKS: readonly BlockSpec[] = [
  { id: 'Auth', name: 'Auth', lane: 'request' },
  { id: 'Api', name: 'API', lane: 'request' },
  { id: 'Gateway', name: 'Gateway and router', lane: 'request' },
  { id: 'ModelCall', name: 'Model call', lane: 'request' },
  { id: 'Cache', name: 'Response cache', lane: 'request' },
  { id: 'Guardrail', name: 'Guardrail', lane: 'request' },
  { id: 'Prompt', name: 'Prompt templates', lane: 'request' },
  { id: 'KnowledgeBase', name: 'Knowledge base', lane: 'request' },
  { id: 'AgentRoute', name: 'Agent route', lane: 'beside' },
  { id: 'Agent', name: 'Agent', lane: 'beside' },
  { id: 'Sessions', name: 'Sessions', lane: 'beside' },
  { id: 'Feedback', name: 'Feedback', lane: 'beside' },
  { id: 'PredictiveMl', name: 'Predictive ML', lane: 'beside' },
  { id: 'Network', name: 'Isolated network', lane: 'operations' },
  { id: 'Observability', name: 'Observability', lane: 'operations' },
  { id: 'InvocationLogging', name: 'Model invocation logging', lane: 'operations' },
  { id: 'DocumentPipeline', name: 'Document pipeline', lane: 'operations' },
  { id: 'Shared', name: 'CDK deployment helpers', lane: 'shared' },
];

const BLOCK_BY_ID = new Map(BLOCKS.map((b) => [b.id, b]));

export interface ReviewResource {
  readonly logicalId: string;
  readonly type: string;
  /** The id of the block that created it (`Shared` for the CDK's own stack-level providers). */
  readonly block: string;
  /** The construct path below the stack, e.g. `KnowledgeBase/Bucket/Resource`. */
  readonly path: string;
  readonly properties: Record<string, unknown>;
  readonly deletionPolicy: string | undefined;
  readonly updateReplacePolicy: string | undefined;
}

export interface ReviewBlock extends BlockSpec {
  readonly resources: readonly ReviewResource[];
}

export interface ReviewStack {
  /** The stack's artifact id and name, e.g. `Ground3-Guardrails`. */
  readonly id: string;
  /** 0-7 for a ground, undefined for the PredictiveMl stack. */
  readonly ground: number | undefined;
  readonly description: string;
  readonly template: CfnTemplate;
  readonly resources: readonly ReviewResource[];
  /** The blocks that have resources in this stack, in BLOCKS order. */
  readonly blocks: readonly ReviewBlock[];
}

const record = z.record(z.string(), z.unknown());

export const cfnResourceSchema = z.looseObject({
  Type: z.string(),
  Properties: record.optional(),
  Metadata: record.optional(),
  DependsOn: z.union([z.string(), z.array(z.string())]).optional(),
  DeletionPolicy: z.string().optional(),
  UpdateReplacePolicy: z.string().optional(),
  Condition: z.string().optional(),
});
export type CfnResource = z.infer<typeof cfnResourceSchema>;

export const cfnTemplateSchema = z.looseObject({
  Description: z.string().optional(),
  Resources: z.record(z.string(), cfnResourceSchema),
  Outputs: record.optional(),
  Parameters: record.optional(),
  Conditions: record.optional(),
});
export type CfnTemplate = z.infer<typeof cfnTemplateSchema>;

const manifestSchema = z.looseObject({
  artifacts: z.record(z.string(), z.looseObject({ type: z.string(), properties: z.looseObject({ templateFile: z.string().optional() }).optional() })),
});

/** Every stack of the cloud assembly in `outdir`, grounds first (0-7), then the others by name. */
export function loadReviewStacks(outdir: string): ReviewStack[] {
  const manifest = readJson(manifestSchema, path.join(outdir, 'manifest.json'));
  const stacks = Object.entries(manifest.artifacts).flatMap(([id, a]) => {
    const file = a.type === 'aws:cloudformation:stack' ? a.properties?.templateFile : undefined;
    return file ? [reviewStack(id, readJson(cfnTemplateSchema, path.join(outdir, file)))] : [];
  });
  return stacks.sort((a, b) => (a.ground ?? 99) - (b.ground ?? 99) || a.id.localeCompare(b.id));
}

/** One stack's review model, from its id and template (tests build them from templates in memory). */
export function reviewStack(id: string, template: CfnTemplate): ReviewStack {
  const match = /^Ground(\d+)-/.exec(id);
  const resources = Object.entries(template.Resources ?? {})
    .filter(([, r]) => r.Type !== 'AWS::CDK::Metadata')
    .map(([logicalId, r]): ReviewResource => {
      const cdkPath = typeof r.Metadata?.['aws:cdk:path'] === 'string' ? r.Metadata['aws:cdk:path'] : `${id}/${logicalId}`;
      const below = cdkPath.split('/').slice(1).join('/');
      const first = below.split('/')[0];
      return {
        logicalId,
        type: r.Type,
        block: BLOCK_BY_ID.has(first) ? first : 'Shared',
        path: below,
        properties: r.Properties ?? {},
        deletionPolicy: r.DeletionPolicy,
        updateReplacePolicy: r.UpdateReplacePolicy,
      };
    });
  const blocks = BLOCKS.map((b) => ({ ...b, resources: resources.filter((r) => r.block === b.id) })).filter((b) => b.resources.length > 0);
  return { id, ground: match ? Number(match[1]) : undefined, description: template.Description ?? '', template, resources, blocks };
}

/** The AWS service a resource type belongs to, as an architect names it (`AWS::Lambda::Function` → Lambda). */
export function serviceOf(type: string): string {
  if (type.startsWith('Custom::')) return 'CloudFormation custom resource';
  const [, service] = type.split('::');
  return SERVICE_NAMES[service] ?? service;
}

const SERVICE_NAMES: Record<string, string> = {
  ApiGateway: 'API Gateway',
  Bedrock: 'Amazon Bedrock',
  CloudWatch: 'CloudWatch',
  Cognito: 'Cognito',
  DynamoDB: 'DynamoDB',
  EC2: 'VPC',
  ElastiCache: 'ElastiCache',
  Events: 'EventBridge',
  IAM: 'IAM',
  KMS: 'KMS',
  Lambda: 'Lambda',
  Logs: 'CloudWatch Logs',
  S3: 'S3',
  S3Vectors: 'S3 Vectors',
  SageMaker: 'SageMaker',
  SNS: 'SNS',
  SQS: 'SQS',
  StepFunctions: 'Step Functions',
  WAFv2: 'WAF',
};

/** Resource types that hold data (what a replacement or a deletion would lose). */
export const STATEFUL_TYPES: ReadonlySet<string> = new Set([
  'AWS::DynamoDB::Table',
  'AWS::DynamoDB::GlobalTable',
  'AWS::OpenSearchServerless::Collection',
  'AWS::S3::Bucket',
  'AWS::S3Vectors::VectorBucket',
  'AWS::S3Vectors::Index',
  'AWS::Logs::LogGroup',
  'AWS::KMS::Key',
  'AWS::Cognito::UserPool',
  'AWS::SQS::Queue',
  'AWS::ElastiCache::ServerlessCache',
  'AWS::Bedrock::KnowledgeBase',
  'AWS::SageMaker::ModelPackageGroup',
]);

function readJson<T extends z.ZodType>(schema: T, file: string): z.output<T> {
  return schema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
}
