import { MODEL_CATALOG, type ModelAlias } from '../lib/config/models';
import { SAGEMAKER_PRICES } from '../lib/config/predictive-ml';

/**
 * The price table of the review's cost sheets and of `npm run cost`: USD, on-demand, list prices
 * without free tiers or discounts.
 *
 * Every price names where its figure comes from. `assumed: true` marks a figure that was not read
 * on an AWS page (or a verbatim copy of one) in the search corpus on the date given: it comes from
 * a third-party page (named in `source`), from the project's model catalog, or from memory of the
 * AWS pricing page; `reason` says which. Re-check every assumed figure on the AWS page before
 * quoting a bill. All figures were looked up on 2026-12-04.
 */

/** us-east-1: the Region of the default `model.inference` geography (`us`); eu-central-1: the EU Region priced beside it. */
export const PRICING_REGIONS = ['us-east-1', 'eu-central-1'] as const;
export type PricingRegion = (typeof PRICING_REGIONS)[number];

export const HOURS_PER_MONTH = 730;

const READ = '2026-12-04';

export interface PriceSource {
  readonly url: string;
  /** The day the figure was read. */
  readonly read: string;
  /** `aws`: an AWS page or a verbatim copy of one; `third-party`: someone else's page quoting AWS. */
  readonly publisher: 'aws' | 'third-party';
}

export interface Price {
  readonly service: string;
  readonly item: string;
  /** What one unit is, e.g. `web ACL-month`, `1M requests`. */
  readonly unit: string;
  readonly usd: Readonly<Record<PricingRegion, number>>;
  readonly source?: PriceSource;
  /** Set when the figure is not read on an AWS page; `reason` says where it comes from. */
  readonly assumed?: true;
  readonly reason?: string;
}

const aws = (url: string): PriceSource => ({ url, read: READ, publisher: 'aws' });
const thirdParty = (url: string): PriceSource => ({ url, read: READ, publisher: 'third-party' });
const same = (usd: number): Record<PricingRegion, number> => ({ 'us-east-1': usd, 'eu-central-1': usd });
const both = (us: number, eu: number): Record<PricingRegion, number> => ({ 'us-east-1': us, 'eu-central-1': eu });

const EU_FROM_MEMORY = 'the eu-central-1 figure is from memory of the AWS pricing page (not in the search corpus)';
const EU_SAME = 'eu-central-1 assumed equal to us-east-1 (no EU figure found in the search corpus)';

export const PRICES = {
  // WAF: AWS's own blog says WAF prices are the same in every Region; the figures themselves only on third-party pages.
  wafWebAcl: {
    service: 'WAF',
    item: 'web ACL',
    unit: 'web ACL-month',
    usd: same(5),
    source: thirdParty('https://c3x.dev/blog/aws-waf-cost-explained/'),
    assumed: true,
    reason:
      'figure on third-party pages (c3x.dev, awsnegotiations.com); same in every Region per ' +
      'aws.amazon.com/blogs/networking-and-content-delivery/cost-effective-ways-for-securing-your-web-applications-using-aws-waf/',
  },
  wafRule: {
    service: 'WAF',
    item: 'rule (a managed rule group counts as one rule)',
    unit: 'rule-month',
    usd: same(1),
    source: thirdParty('https://c3x.dev/blog/aws-waf-cost-explained/'),
    assumed: true,
    reason: 'figure on third-party pages; awsnegotiations.com says managed groups may count as several rules, c3x.dev as one (taken here)',
  },
  wafRequests: {
    service: 'WAF',
    item: 'requests inspected',
    unit: '1M requests',
    usd: same(0.6),
    source: thirdParty('https://c3x.dev/blog/aws-waf-cost-explained/'),
    assumed: true,
    reason: 'figure on third-party pages (c3x.dev, awsnegotiations.com)',
  },
  interfaceEndpointHour: {
    service: 'VPC (PrivateLink)',
    item: 'interface endpoint, per AZ',
    unit: 'endpoint AZ-hour',
    usd: both(0.01, 0.012),
    source: thirdParty('https://awsnegotiations.com/privatelink-cost-analysis.html'),
    assumed: true,
    reason:
      `us-east-1 figure on a third-party page; aws.amazon.com/privatelink/pricing/ confirms billing per endpoint per AZ-hour (partial hours billed ` +
      `as full); ${EU_FROM_MEMORY}`,
  },
  interfaceEndpointGb: {
    service: 'VPC (PrivateLink)',
    item: 'data processed by interface endpoints (first 1 PB)',
    unit: 'GB',
    usd: same(0.01),
    source: aws('https://aws.amazon.com/privatelink/pricing/'),
    assumed: true,
    reason: `read on a verbatim copy of the AWS page (968880.n0h2l.group/privatelink/pricing); ${EU_SAME}`,
  },
  valkeyStorageGbHour: {
    service: 'ElastiCache Serverless (Valkey)',
    item: 'data stored (metered at 100 MB at least)',
    unit: 'GB-hour',
    usd: same(0.0837),
    source: aws('https://aws.amazon.com/elasticache/pricing/'),
    assumed: true,
    reason:
      `the AWS page (aws.eu/it/elasticache/pricing) says Valkey is 33% below Redis OSS and meters 100 MB at least; the Redis OSS rate ` +
      `($0.125/GB-hour, AWS Database blog, quoted by usage.ai and gomomento.com) x 0.67; ${EU_SAME}`,
  },
  valkeyEcpu: {
    service: 'ElastiCache Serverless (Valkey)',
    item: 'ElastiCache processing units (1 per KB read or written)',
    unit: '1M ECPUs',
    usd: same(0.00227),
    source: aws('https://aws.amazon.com/elasticache/pricing/'),
    assumed: true,
    reason: `Redis OSS rate ($0.0034/1M ECPUs, quoted by usage.ai and gomomento.com from AWS) x 0.67 (the AWS page's 33% lower); ${EU_SAME}`,
  },
  kmsKey: {
    service: 'KMS',
    item: 'customer managed key (each automatic rotation adds $1/month, from the second backing key)',
    unit: 'key-month',
    usd: same(1),
    source: aws('https://aws.amazon.com/kms/pricing/'),
  },
  kmsRequests: {
    service: 'KMS',
    item: 'symmetric key requests',
    unit: '10,000 requests',
    usd: same(0.03),
    source: thirdParty('https://www.wring.co/blog/aws-kms-pricing-guide'),
    assumed: true,
    reason: `figure on third-party pages (wring.co, factualminds.com); ${EU_SAME}`,
  },
  backupDynamoDbGbMonth: {
    service: 'AWS Backup',
    item: 'DynamoDB backup storage (warm)',
    unit: 'GB-month',
    usd: same(0.1),
    source: thirdParty('https://www.factualminds.com/blog/aws-backup-pricing-vaults-cross-region-restores/'),
    assumed: true,
    reason:
      'figure on a third-party page (factualminds.com, us-east-1); aws.amazon.com/backup/pricing/ confirms billing per GB-month of backup storage, ' +
      `a full first copy then incremental changes, no minimum fee (its table is not in the corpus); ${EU_SAME}`,
  },
  backupS3GbMonth: {
    service: 'AWS Backup',
    item: 'S3 backup storage (warm; objects under 128 KB billed as 128 KB, plus GET requests)',
    unit: 'GB-month',
    usd: same(0.05),
    source: thirdParty('https://cloudburn.io/blog/aws-backup-pricing'),
    assumed: true,
    reason:
      'warm backup storage at $0.05/GB-month in us-east-1 on a third-party page (cloudburn.io) and from memory of the AWS page for S3; ' +
      `aws.amazon.com/backup/pricing/ gives the 128 KB minimum and the GET requests; ${EU_SAME}`,
  },
  cloudwatchAlarmMetric: {
    service: 'CloudWatch',
    item: 'standard-resolution alarm, per metric it reads',
    unit: 'alarm metric-month',
    usd: same(0.1),
    source: thirdParty('https://c3x.dev/resources/aws/aws_cloudwatch_metric_alarm'),
    assumed: true,
    reason:
      `figure on a third-party page; aws.amazon.com/cloudwatch/pricing/ (free tier: 10 alarm metrics) is in the corpus without its paid rates; ` + `${EU_SAME}`,
  },
  cloudwatchDashboard: {
    service: 'CloudWatch',
    item: 'dashboard',
    unit: 'dashboard-month',
    usd: same(3),
    source: thirdParty('https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/'),
    assumed: true,
    reason: `figure on a third-party page (free tier: 3 dashboards, per the AWS page); ${EU_SAME}`,
  },
  cloudwatchCustomMetric: {
    service: 'CloudWatch',
    item: 'custom metric (first 10,000)',
    unit: 'metric-month',
    usd: same(0.3),
    source: thirdParty('https://signoz.io/guides/cloudwatch-pricing'),
    assumed: true,
    reason: `figure on a third-party page; ${EU_SAME}`,
  },
  logsIngestion: {
    service: 'CloudWatch Logs',
    item: 'log data ingested (standard class)',
    unit: 'GB',
    usd: both(0.5, 0.63),
    source: thirdParty('https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/'),
    assumed: true,
    reason: `us-east-1 figure on a third-party page; ${EU_FROM_MEMORY}`,
  },
  logsStorage: {
    service: 'CloudWatch Logs',
    item: 'log data stored',
    unit: 'GB-month',
    usd: both(0.03, 0.0324),
    assumed: true,
    reason: 'from memory of the AWS pricing page (not in the search corpus)',
  },
  cognitoPlusMau: {
    service: 'Cognito',
    item: 'user pool Plus plan, monthly active user (no free tier on Plus)',
    unit: 'MAU',
    usd: same(0.02),
    source: aws('https://raw.githubusercontent.com/api-evangelist/amazon-cognito/refs/heads/main/plans/amazon-cognito-plans-pricing.yml'),
    assumed: true,
    reason: `a verbatim transcription (2026-09-20) of the worked examples on aws.amazon.com/cognito/pricing/; ${EU_SAME}`,
  },
  cognitoM2mClient: {
    service: 'Cognito',
    item: 'app client with the client-credentials grant (machine to machine)',
    unit: 'app client-month',
    usd: same(6),
    assumed: true,
    reason:
      'from memory of aws.amazon.com/cognito/pricing/ (not in the search corpus; the AWS docs say M2M app clients are billed, without the rate); ' +
      'token requests are billed on top',
  },
  restApiRequests: {
    service: 'API Gateway',
    item: 'REST API calls (first 333M)',
    unit: '1M requests',
    usd: both(3.5, 3.7),
    source: aws('https://docs.aws.amazon.com/whitepapers/latest/best-practices-api-gateway-private-apis-integration/cost-optimization.html'),
    assumed: true,
    reason: `us-east-1 figure in an AWS whitepaper; ${EU_FROM_MEMORY}`,
  },
  lambdaRequests: {
    service: 'Lambda',
    item: 'requests',
    unit: '1M requests',
    usd: same(0.2),
    source: thirdParty('https://cloudchipr.com/blog/aws-lambda-pricing'),
    assumed: true,
    reason: `figure on third-party pages (cloudchipr.com, lambda docs mirror); ${EU_SAME}`,
  },
  lambdaArmGbSecond: {
    service: 'Lambda',
    item: 'duration, arm64 (first 7.5 billion GB-s)',
    unit: 'GB-second',
    usd: same(0.0000133334),
    source: thirdParty('https://cloudchipr.com/blog/aws-lambda-pricing'),
    assumed: true,
    reason: `figure on a third-party page, US East (N. Virginia); ${EU_SAME}`,
  },
  lambdaX86GbSecond: {
    service: 'Lambda',
    item: 'duration, x86_64 (first 6 billion GB-s)',
    unit: 'GB-second',
    usd: same(0.0000166667),
    source: thirdParty('https://cloudchipr.com/blog/aws-lambda-pricing'),
    assumed: true,
    reason: `figure on a third-party page, US East (N. Virginia); ${EU_SAME}`,
  },
  dynamoWrite: {
    service: 'DynamoDB',
    item: 'on-demand write request units',
    unit: '1M WRU',
    usd: both(0.625, 0.7625),
    source: thirdParty('https://airbyte.com/data-engineering-resources/dynamodb-pricing'),
    assumed: true,
    reason: `us-east-1 figure (after the November 2024 cut) on a third-party page; ${EU_FROM_MEMORY}`,
  },
  dynamoRead: {
    service: 'DynamoDB',
    item: 'on-demand read request units',
    unit: '1M RRU',
    usd: both(0.125, 0.1525),
    source: thirdParty('https://airbyte.com/data-engineering-resources/dynamodb-pricing'),
    assumed: true,
    reason: `us-east-1 figure on a third-party page; ${EU_FROM_MEMORY}`,
  },
  dynamoStorage: {
    service: 'DynamoDB',
    item: 'table storage (standard class)',
    unit: 'GB-month',
    usd: both(0.25, 0.306),
    assumed: true,
    reason: 'from memory of the AWS pricing page (not in the search corpus)',
  },
  dynamoPitr: {
    service: 'DynamoDB',
    item: 'point-in-time recovery (continuous backups)',
    unit: 'GB-month',
    usd: both(0.2, 0.244),
    assumed: true,
    reason: 'from memory of the AWS pricing page (not in the search corpus)',
  },
  s3Storage: {
    service: 'S3',
    item: 'S3 Standard storage (first 50 TB)',
    unit: 'GB-month',
    usd: both(0.023, 0.0245),
    assumed: true,
    reason: 'from memory of aws.amazon.com/s3/pricing/ (the page is in the corpus without its tables)',
  },
  s3Put: {
    service: 'S3',
    item: 'PUT, COPY, POST, LIST requests',
    unit: '1,000 requests',
    usd: both(0.005, 0.0054),
    assumed: true,
    reason: 'from memory of aws.amazon.com/s3/pricing/',
  },
  s3VectorsStorage: {
    service: 'S3 Vectors',
    item: 'vector storage (logical: 4 bytes per dimension + key + metadata)',
    unit: 'GB-month',
    usd: same(0.06),
    source: thirdParty('https://www.exploreagentic.ai/insights/s3-vectors-enterprise-rag/'),
    assumed: true,
    reason: `figure on third-party pages (exploreagentic.ai, najib.digital) quoting AWS's example; ${EU_SAME}`,
  },
  s3VectorsPut: {
    service: 'S3 Vectors',
    item: 'PUT (vectors written)',
    unit: 'GB',
    usd: same(0.2),
    source: thirdParty('https://www.exploreagentic.ai/insights/s3-vectors-enterprise-rag/'),
    assumed: true,
    reason: `figure on third-party pages; ${EU_SAME}`,
  },
  s3VectorsQuery: {
    service: 'S3 Vectors',
    item: 'QueryVectors calls (a per-TB data-processed charge comes on top; ~0 for a small index)',
    unit: '1M calls',
    usd: same(2.5),
    source: thirdParty('https://www.oflight.co.jp/en/columns/aws-s3-vectors-ai-rag-cost-reduction-guide-2026'),
    assumed: true,
    reason: `figure on third-party pages (oflight.co.jp, aws-facts.md §4); ${EU_SAME}`,
  },
  guardrailContent: {
    service: 'Bedrock Guardrails',
    item: 'content filters (text), per policy check',
    unit: '1,000 text units',
    usd: same(0.15),
    source: thirdParty('https://hivebook.wiki/wiki/aws-bedrock-guardrails-content-filters-pii-masking-grounding-checks-for-fms'),
    assumed: true,
    reason: `figure on third-party pages citing the AWS price cut of December 2024 (a text unit holds up to 1,000 characters); ${EU_SAME}`,
  },
  guardrailTopics: {
    service: 'Bedrock Guardrails',
    item: 'denied topics, per policy check',
    unit: '1,000 text units',
    usd: same(0.15),
    source: thirdParty('https://hivebook.wiki/wiki/aws-bedrock-guardrails-content-filters-pii-masking-grounding-checks-for-fms'),
    assumed: true,
    reason: `figure on third-party pages; ${EU_SAME}`,
  },
  guardrailPii: {
    service: 'Bedrock Guardrails',
    item: 'sensitive information filters (managed PII types; custom regex free)',
    unit: '1,000 text units',
    usd: same(0.1),
    source: thirdParty('https://hivebook.wiki/wiki/aws-bedrock-guardrails-content-filters-pii-masking-grounding-checks-for-fms'),
    assumed: true,
    reason: `figure on third-party pages; ${EU_SAME}`,
  },
  guardrailGrounding: {
    service: 'Bedrock Guardrails',
    item: 'contextual grounding check',
    unit: '1,000 text units',
    usd: same(0.1),
    source: thirdParty('https://hivebook.wiki/wiki/aws-bedrock-guardrails-content-filters-pii-masking-grounding-checks-for-fms'),
    assumed: true,
    reason: `figure on third-party pages, marked uncertain in aws-facts.md §4; ${EU_SAME}`,
  },
  knowledgeBaseRetrieve: {
    service: 'Bedrock Knowledge Bases',
    item: 'Retrieve (no charge of its own: the query embedding and the vector store are billed)',
    unit: 'request',
    usd: same(0),
    source: thirdParty('https://coderlegion.com/3357/evaluating-amazon-bedrock-knowledge-base-integration'),
    assumed: true,
    reason: 'third-party pages say the knowledge base has no fee of its own; the AWS page was not found saying so',
  },
  stepFunctionsTransitions: {
    service: 'Step Functions',
    item: 'standard workflow state transitions',
    unit: '1,000 transitions',
    usd: same(0.025),
    source: aws('https://aws.amazon.com/step-functions/pricing/'),
  },
  sqsRequests: {
    service: 'SQS',
    item: 'standard queue requests',
    unit: '1M requests',
    usd: same(0.4),
    source: thirdParty('https://cloudburn.io/blog/amazon-sqs-pricing'),
    assumed: true,
    reason: `figure on third-party pages; ${EU_SAME}`,
  },
  snsPublishes: {
    service: 'SNS',
    item: 'standard topic publishes',
    unit: '1M publishes',
    usd: same(0.5),
    source: thirdParty('https://www.factualminds.com/blog/amazon-sns-pricing-publishes-fanout-protocols/'),
    assumed: true,
    reason: `figure on third-party pages; ${EU_SAME}`,
  },
  sagemakerServerlessGbSecond: {
    service: 'SageMaker',
    item: 'Serverless Inference compute',
    unit: 'GB-second',
    usd: same(SAGEMAKER_PRICES.serverlessPerGbSecond),
    assumed: true,
    reason: `lib/config/predictive-ml.ts SAGEMAKER_PRICES (list price, marked unverified there); ${EU_SAME}`,
  },
  sagemakerServerlessGb: {
    service: 'SageMaker',
    item: 'Serverless Inference data processed (in + out)',
    unit: 'GB',
    usd: same(SAGEMAKER_PRICES.serverlessPerGbProcessed),
    assumed: true,
    reason: `lib/config/predictive-ml.ts SAGEMAKER_PRICES (unverified there); ${EU_SAME}`,
  },
  textractDetectText: {
    service: 'Textract',
    item: 'DetectDocumentText (first 1M pages a month)',
    unit: '1,000 pages',
    usd: same(1.5),
    source: thirdParty('https://awsnegotiations.com/textract-pricing-analysis.html'),
    assumed: true,
    reason:
      'from memory of aws.amazon.com/textract/pricing/ (the page is in the corpus without its tables; awsnegotiations.com gives only ratios: ' +
      'AnalyzeDocument ~10x)',
  },
  textractAnalyzeTables: {
    service: 'Textract',
    item: 'AnalyzeDocument, tables (first 1M pages a month)',
    unit: '1,000 pages',
    usd: same(15),
    source: thirdParty('https://awsnegotiations.com/textract-pricing-analysis.html'),
    assumed: true,
    reason: 'from memory of aws.amazon.com/textract/pricing/; consistent with the ~10x ratio on awsnegotiations.com',
  },
  textractAnalyzeForms: {
    service: 'Textract',
    item: 'AnalyzeDocument, forms (first 1M pages a month)',
    unit: '1,000 pages',
    usd: same(50),
    assumed: true,
    reason: 'from memory of aws.amazon.com/textract/pricing/ (not in the search corpus)',
  },
} as const satisfies Record<string, Price>;

export type PriceId = keyof typeof PRICES;

/** SageMaker instance-hour prices of the instance types the configuration may name (training and hosting). */
export function sagemakerInstancePrice(instanceType: string): Price {
  const usd = SAGEMAKER_PRICES.instancePerHour[instanceType];
  if (usd === undefined) {
    throw new Error(`no price for SageMaker instance type ${instanceType}; known: ${Object.keys(SAGEMAKER_PRICES.instancePerHour).join(', ')}`);
  }
  return {
    service: 'SageMaker',
    item: `${instanceType} instance`,
    unit: 'instance-hour',
    usd: same(usd),
    source: thirdParty('https://www.wring.co/blog/aws-sagemaker-inference-guide'),
    assumed: true,
    reason: `lib/config/predictive-ml.ts SAGEMAKER_PRICES (aws-facts.md §4, third-party pages; ml.m5.large unverified); ${EU_SAME}`,
  };
}

/** Token prices of a catalog model (lib/config/models.ts), as two prices: input and output per 1M tokens. */
export function modelPrices(alias: ModelAlias): { readonly input: Price; readonly output: Price | undefined } {
  const model = MODEL_CATALOG[alias];
  const reason = `lib/config/models.ts MODEL_CATALOG (us-east-1 list prices from aws-facts.md §4, third-party pages); ${EU_SAME}`;
  const source = thirdParty(
    alias.startsWith('claude') ? 'https://clauder-navi.com/en/bedrock-claude-cost/' : 'https://www.swfte.com/de/blog/amazon-nova-pro-pricing',
  );
  const price = (kind: string, usd: number): Price => ({
    service: 'Amazon Bedrock',
    item: `${model.displayName} ${kind} tokens`,
    unit: '1M tokens',
    usd: same(usd),
    source,
    assumed: true,
    reason,
  });
  return {
    input: price('input', model.price.inputPerMTok),
    output: model.kind === 'text' ? price('output', model.price.outputPerMTok) : undefined,
  };
}

export function priceOf(price: Price, region: PricingRegion): number {
  return price.usd[region];
}
