import { catalogEmbeddingModel, isModelAlias, MODEL_CATALOG } from '../lib/config/models';
import type { ReviewResource, ReviewStack } from './model';
import { type CostAssumptions, type RouteKind } from './assumptions';
import { HOURS_PER_MONTH, modelPrices, PRICES, priceOf, sagemakerInstancePrice, type Price, type PricingRegion } from './prices';

/**
 * A stack's cost sheet: what it costs a month with no traffic (read from the template's resources),
 * what 1,000 requests cost on each route it serves (under stated assumptions), and a month at a
 * stated volume. Deterministic: the same template and assumptions give the same Markdown.
 */

export interface CostLine {
  readonly item: string;
  /** What was counted in the template, e.g. `1 web ACL, 4 rules`. */
  readonly counted: string;
  /** Units of `price` a month (idle lines) or per request (route parts). */
  readonly quantity: number;
  readonly price: Price;
  readonly unitUsd: number;
  /** quantity × unitUsd: USD a month (idle lines) or USD per request (route parts). */
  readonly usd: number;
}

export interface RouteCost {
  readonly method: string;
  /** Resource path below the stage, e.g. `/prompt`. */
  readonly path: string;
  readonly kind: RouteKind;
  readonly memoryMb: number;
  readonly parts: readonly CostLine[];
  readonly usdPer1000: number;
  readonly monthlyRequests: number;
  readonly monthlyUsd: number;
}

export interface CostSheet {
  readonly stackId: string;
  readonly region: PricingRegion;
  readonly idle: readonly CostLine[];
  readonly idleMonthlyUsd: number;
  /** Things that cost nothing at rest, said so that nobody has to wonder. */
  readonly idleNotes: readonly string[];
  readonly routes: readonly RouteCost[];
  /** USD per 1,000 requests over all routes, weighted by the stated volume (0 when the stack serves no priced route). */
  readonly per1kUsd: number;
  readonly monthlyUsd: number;
  readonly assumptions: CostAssumptions;
}

export function costSheet(stack: ReviewStack, assumptions: CostAssumptions): CostSheet {
  const region = assumptions.region;
  const idle = idleLines(stack, region);
  const idleMonthlyUsd = sum(idle.map((l) => l.usd));
  const routes = routeCosts(stack, assumptions);
  const routesUsd = sum(routes.map((r) => r.monthlyUsd));
  const requests = sum(routes.map((r) => r.monthlyRequests));
  const per1kUsd = requests > 0 ? (routesUsd / requests) * 1000 : 0;
  return {
    stackId: stack.id,
    region,
    idle,
    idleMonthlyUsd,
    idleNotes: idleNotes(stack),
    routes,
    per1kUsd,
    monthlyUsd: idleMonthlyUsd + routesUsd,
    assumptions,
  };
}

// ---------------------------------------------------------------- idle floor

function line(item: string, counted: string, quantity: number, price: Price, region: PricingRegion): CostLine {
  const unitUsd = priceOf(price, region);
  return { item, counted, quantity, price, unitUsd, usd: quantity * unitUsd };
}

function idleLines(stack: ReviewStack, region: PricingRegion): CostLine[] {
  const lines: CostLine[] = [];
  const of = (type: string) => stack.resources.filter((r) => r.type === type);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

  const acls = of('AWS::WAFv2::WebACL');
  if (acls.length > 0) {
    const rules = sum(acls.map((a) => arrayProp(a, 'Rules').length));
    lines.push(line('WAF web ACLs', plural(acls.length, 'web ACL'), acls.length, PRICES.wafWebAcl, region));
    lines.push(line('WAF rules', `${plural(rules, 'rule')} in ${plural(acls.length, 'web ACL')}`, rules, PRICES.wafRule, region));
  }

  const endpoints = of('AWS::EC2::VPCEndpoint').filter((e) => e.properties.VpcEndpointType === 'Interface');
  if (endpoints.length > 0) {
    const azs = endpoints.map((e) => availabilityZones(stack, e));
    const endpointAzs = sum(azs);
    const counted = `${plural(endpoints.length, 'interface endpoint')} × ${[...new Set(azs)].join('/')} AZs (${endpointAzs} endpoint-AZs)`;
    lines.push(line('VPC interface endpoints', counted, endpointAzs * HOURS_PER_MONTH, PRICES.interfaceEndpointHour, region));
  }

  const caches = of('AWS::ElastiCache::ServerlessCache');
  if (caches.length > 0) {
    // Valkey is metered at 100 MB at least (the AWS pricing page); an idle cache holds less.
    const minimumGb = 0.1;
    lines.push(
      line(
        'ElastiCache Serverless minimum storage',
        `${plural(caches.length, 'serverless cache')} × ${minimumGb} GB minimum`,
        caches.length * minimumGb * HOURS_PER_MONTH,
        PRICES.valkeyStorageGbHour,
        region,
      ),
    );
  }

  const keys = of('AWS::KMS::Key');
  if (keys.length > 0) lines.push(line('KMS customer managed keys', plural(keys.length, 'key'), keys.length, PRICES.kmsKey, region));

  // AWS Backup (the regulated profile): storage per GB-month of recovery points, nothing per plan or vault.
  const backedUp = backupSelected(stack);
  for (const [type, what, price] of [
    ['AWS::DynamoDB::Table', 'table', PRICES.backupDynamoDbGbMonth],
    ['AWS::S3::Bucket', 'bucket', PRICES.backupS3GbMonth],
  ] as const) {
    const n = backedUp.filter((r) => r.type === type).length;
    if (n === 0) continue;
    // Assumed 0 GB: a new deployment has stored nothing yet; each GB its recovery points hold costs the unit price a month.
    lines.push(line(`AWS Backup storage, ${what}s (0 GB assumed at rest)`, `${plural(n, what)} in the daily backup plan`, 0, price, region));
  }

  const alarms = of('AWS::CloudWatch::Alarm');
  if (alarms.length > 0) {
    const metrics = sum(alarms.map(alarmMetrics));
    lines.push(
      line('CloudWatch alarms', `${plural(alarms.length, 'alarm')} reading ${plural(metrics, 'metric')}`, metrics, PRICES.cloudwatchAlarmMetric, region),
    );
  }

  const dashboards = of('AWS::CloudWatch::Dashboard');
  if (dashboards.length > 0) {
    lines.push(line('CloudWatch dashboards', plural(dashboards.length, 'dashboard'), dashboards.length, PRICES.cloudwatchDashboard, region));
  }

  const pools = of('AWS::Cognito::UserPool');
  if (pools.length > 0) {
    const tiers = [...new Set(pools.map((p) => String(p.properties.UserPoolTier ?? 'ESSENTIALS')))].join(', ');
    lines.push(
      line(`Cognito user pool (${tiers}), per monthly active user`, `${plural(pools.length, 'user pool')}; 0 MAU at rest`, 0, PRICES.cognitoPlusMau, region),
    );
    const machineClients = of('AWS::Cognito::UserPoolClient').filter((c) => arrayProp(c, 'AllowedOAuthFlows').includes('client_credentials'));
    if (machineClients.length > 0) {
      lines.push(
        line(
          'Cognito machine-to-machine app clients',
          plural(machineClients.length, 'client-credentials client'),
          machineClients.length,
          PRICES.cognitoM2mClient,
          region,
        ),
      );
    }
  }

  for (const hosting of endpointHosting(stack)) {
    if (hosting.kind !== 'instance') continue;
    lines.push(
      line(
        'SageMaker real-time endpoint (up once the pipeline has deployed a model)',
        `${plural(hosting.count, hosting.instanceType)} in the pipeline's endpoint config`,
        hosting.count * HOURS_PER_MONTH,
        sagemakerInstancePrice(hosting.instanceType),
        region,
      ),
    );
  }
  return lines;
}

function idleNotes(stack: ReviewStack): string[] {
  const count = (type: string) => stack.resources.filter((r) => r.type === type).length;
  const notes: string[] = [];
  const stores = [
    ['AWS::Logs::LogGroup', 'log groups'],
    ['AWS::S3::Bucket', 'S3 buckets'],
    ['AWS::S3Vectors::Index', 'vector indexes'],
    ['AWS::DynamoDB::Table', 'DynamoDB tables (on demand)'],
    ['AWS::SQS::Queue', 'SQS queues'],
  ] as const;
  const held = stores.filter(([type]) => count(type) > 0).map(([type, name]) => `${count(type)} ${name}`);
  if (held.length > 0) notes.push(`Storage only, billed per GB held (about $0 for a new deployment): ${held.join(', ')}.`);
  const free = [
    ['AWS::ApiGateway::RestApi', 'REST API'],
    ['AWS::Lambda::Function', 'Lambda functions'],
    ['AWS::StepFunctions::StateMachine', 'state machines'],
    ['AWS::Bedrock::Guardrail', 'guardrail'],
    ['AWS::Bedrock::KnowledgeBase', 'knowledge base'],
    ['AWS::Bedrock::Agent', 'agent'],
    ['AWS::Bedrock::Prompt', 'prompt'],
    ['AWS::Bedrock::ApplicationInferenceProfile', 'inference profile'],
    ['AWS::SNS::Topic', 'SNS topics'],
  ] as const;
  const unused = free.filter(([type]) => count(type) > 0).map(([type, name]) => `${count(type)} ${name}`);
  if (unused.length > 0) notes.push(`Billed per use only, nothing at rest: ${unused.join(', ')}.`);
  if (stack.resources.some((r) => r.type === 'AWS::EC2::VPCEndpoint' && r.properties.VpcEndpointType === 'Gateway')) {
    notes.push('Gateway VPC endpoints (S3, DynamoDB) have no charge.');
  }
  if (endpointHosting(stack).some((h) => h.kind === 'serverless')) {
    notes.push('The SageMaker endpoint is Serverless Inference: no charge between predictions.');
  }
  if (stack.resources.some((r) => r.type === 'AWS::Backup::BackupPlan')) {
    notes.push(
      'AWS Backup: the first recovery point of a table or bucket is a full copy, later ones hold what changed; the plan keeps 35 daily points. ' +
        'Billed per GB-month held, so about $0 for a new deployment; the plan, the vault and the selection cost nothing.',
    );
  }
  notes.push('Free tiers (CloudWatch: 10 alarm metrics and 3 dashboards per account; Lambda; API Gateway in the first year) are not subtracted.');
  return notes;
}

/** Resources of the stack that an AWS Backup selection names (by `Fn::GetAtt [id, Arn]` or `Ref`). */
function backupSelected(stack: ReviewStack): ReviewResource[] {
  const byId = new Map(stack.resources.map((r) => [r.logicalId, r]));
  const ids = stack.resources
    .filter((r) => r.type === 'AWS::Backup::BackupSelection')
    .flatMap((r) => {
      const selection = r.properties.BackupSelection;
      return isRecord(selection) && Array.isArray(selection.Resources) ? selection.Resources : [];
    })
    .flatMap((v): string[] => {
      if (!isRecord(v)) return [];
      const att = v['Fn::GetAtt'];
      if (Array.isArray(att) && typeof att[0] === 'string') return [att[0]];
      return typeof v.Ref === 'string' ? [v.Ref] : [];
    });
  return [...new Set(ids)].flatMap((id) => byId.get(id) ?? []);
}

/** The distinct Availability Zones of an interface endpoint's subnets (each subnet's AZ expression, as written). */
function availabilityZones(stack: ReviewStack, endpoint: ReviewResource): number {
  const subnets = arrayProp(endpoint, 'SubnetIds');
  const byId = new Map(stack.resources.map((r) => [r.logicalId, r]));
  const azs = subnets.map((s) => {
    const ref = isRecord(s) && typeof s.Ref === 'string' ? byId.get(s.Ref) : undefined;
    return JSON.stringify(ref?.properties.AvailabilityZone ?? s);
  });
  return new Set(azs).size;
}

/** Metrics an alarm reads: its metric, or the metric-stat entries of its metric math (expressions are free). */
function alarmMetrics(alarm: ReviewResource): number {
  if (alarm.properties.MetricName !== undefined) return 1;
  return arrayProp(alarm, 'Metrics').filter((m) => isRecord(m) && m.MetricStat !== undefined).length;
}

type Hosting = { kind: 'serverless'; memoryMb: number } | { kind: 'instance'; instanceType: string; count: number };

/**
 * How the training pipeline hosts a model (SageMaker has no endpoint resource in the template: the
 * state machine creates it), read from the endpoint config in each state machine's definition.
 */
function endpointHosting(stack: ReviewStack): Hosting[] {
  return stack.resources
    .filter((r) => r.type === 'AWS::StepFunctions::StateMachine')
    .flatMap((sm): Hosting[] => {
      const definition = flattenText(sm.properties.DefinitionString);
      const variants = /"ProductionVariants":\[(.*?)\]/.exec(definition)?.[1];
      if (variants === undefined) return [];
      const memory = /"MemorySizeInMB":(\d+)/.exec(variants);
      if (memory) return [{ kind: 'serverless', memoryMb: Number(memory[1]) }];
      const type = /"InstanceType":"(ml\.[a-z0-9.]+)"/.exec(variants);
      const count = /"InitialInstanceCount":(\d+)/.exec(variants);
      return type ? [{ kind: 'instance', instanceType: type[1], count: count ? Number(count[1]) : 1 }] : [];
    });
}

/** A definition string as text: the strings of an `Fn::Join` concatenated, tokens left out. */
function flattenText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (isRecord(value) && Array.isArray(value['Fn::Join'])) {
    const parts: unknown = value['Fn::Join'][1];
    return Array.isArray(parts) ? parts.map((p) => (typeof p === 'string' ? p : '')).join('') : '';
  }
  return '';
}

// ---------------------------------------------------------------- routes

const KIND_BY_BLOCK: Readonly<Record<string, RouteKind>> = {
  ModelCall: 'model',
  AgentRoute: 'agent',
  PredictiveMl: 'predict',
  Sessions: 'sessions',
  Feedback: 'feedback',
};

/** The block holding the table a route kind reads and writes. */
const TABLE_BLOCK: Readonly<Record<RouteKind, string | undefined>> = {
  model: 'Sessions',
  agent: 'Agent',
  predict: undefined,
  sessions: 'Sessions',
  feedback: 'Feedback',
};

interface RouteTarget {
  readonly method: string;
  readonly path: string;
  readonly kind: RouteKind;
  readonly fn: ReviewResource;
}

/** The API methods of the stack and the function each one invokes, in path order. */
function routeTargets(stack: ReviewStack): RouteTarget[] {
  const byId = new Map(stack.resources.map((r) => [r.logicalId, r]));
  return stack.resources
    .filter((r) => r.type === 'AWS::ApiGateway::Method' && r.properties.HttpMethod !== 'OPTIONS')
    .flatMap((m): RouteTarget[] => {
      const where = /Default\/(.+)\/([A-Z]+)\/Resource$/.exec(m.path);
      const fn = functionIds(m.properties.Integration)
        .map((id) => byId.get(id))
        .find((r) => r?.type === 'AWS::Lambda::Function');
      const kind = fn ? KIND_BY_BLOCK[fn.block] : undefined;
      return where && fn && kind ? [{ method: where[2], path: `/${where[1]}`, kind, fn }] : [];
    })
    .sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

/** Logical ids named by `Fn::GetAtt [id, 'Arn']` anywhere in a value. */
function functionIds(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(functionIds);
  if (!isRecord(value)) return [];
  const att = value['Fn::GetAtt'];
  if (Array.isArray(att) && typeof att[0] === 'string' && att[1] === 'Arn') return [att[0]];
  return Object.values(value).flatMap(functionIds);
}

interface GuardrailPolicies {
  /** Price ids of the policies checked on every text (content filters, denied topics, managed PII). */
  readonly perText: readonly Price[];
  readonly grounding: boolean;
}

function guardrailPolicies(stack: ReviewStack): GuardrailPolicies | undefined {
  const guardrail = stack.resources.find((r) => r.type === 'AWS::Bedrock::Guardrail');
  if (!guardrail) return undefined;
  const p = guardrail.properties;
  const perText: Price[] = [];
  if (p.ContentPolicyConfig !== undefined) perText.push(PRICES.guardrailContent);
  if (p.TopicPolicyConfig !== undefined) perText.push(PRICES.guardrailTopics);
  // Custom regex patterns are free; only managed PII entity types are billed.
  if (isRecord(p.SensitiveInformationPolicyConfig) && Array.isArray(p.SensitiveInformationPolicyConfig.PiiEntitiesConfig)) perText.push(PRICES.guardrailPii);
  return { perText, grounding: p.ContextualGroundingPolicyConfig !== undefined };
}

function routeCosts(stack: ReviewStack, a: CostAssumptions): RouteCost[] {
  const region = a.region;
  const targets = routeTargets(stack);
  const has = (type: string) => stack.resources.some((r) => r.type === type);
  const tableIn = (block: string | undefined) => block !== undefined && stack.resources.some((r) => r.type === 'AWS::DynamoDB::Table' && r.block === block);
  const ctx: RouteContext = {
    a,
    region,
    waf: has('AWS::WAFv2::WebACL'),
    knowledgeBase: has('AWS::Bedrock::KnowledgeBase'),
    cache: has('AWS::ElastiCache::ServerlessCache'),
    guardrail: guardrailPolicies(stack),
    hosting: endpointHosting(stack)[0],
  };
  const modelRoutes = targets.filter((t) => t.kind === 'model').length;
  return targets.map((t): RouteCost => {
    const route = a.routes[t.kind];
    const memoryMb = typeof t.fn.properties.MemorySize === 'number' ? t.fn.properties.MemorySize : 128;
    const arm = arrayProp(t.fn, 'Architectures').includes('arm64');
    const parts = [
      line('API Gateway request', 'REST API', 1e-6, PRICES.restApiRequests, region),
      ...(ctx.waf ? [line('WAF inspection', 'web ACL on the stage', 1e-6, PRICES.wafRequests, region)] : []),
      line('Lambda request', t.fn.logicalId, 1e-6, PRICES.lambdaRequests, region),
      line(
        `Lambda duration (${route.lambdaMs} ms × ${memoryMb} MB, ${arm ? 'arm64' : 'x86_64'})`,
        `MemorySize ${memoryMb}`,
        (route.lambdaMs / 1000) * (memoryMb / 1024),
        arm ? PRICES.lambdaArmGbSecond : PRICES.lambdaX86GbSecond,
        region,
      ),
      line('CloudWatch Logs ingestion', `${a.logBytesPerRequest} bytes per request`, a.logBytesPerRequest / 1e9, PRICES.logsIngestion, region),
      ...kindParts(t.kind, ctx),
      ...(tableIn(TABLE_BLOCK[t.kind]) ? dynamoParts(route.dynamoReadUnits, route.dynamoWriteUnits, region) : []),
    ].filter((p) => p.quantity > 0);
    const perRequest = sum(parts.map((p) => p.usd));
    const monthlyRequests = t.kind === 'model' ? route.monthlyRequests / modelRoutes : route.monthlyRequests;
    return {
      method: t.method,
      path: t.path,
      kind: t.kind,
      memoryMb,
      parts,
      usdPer1000: perRequest * 1000,
      monthlyRequests,
      monthlyUsd: perRequest * monthlyRequests,
    };
  });
}

interface RouteContext {
  readonly a: CostAssumptions;
  readonly region: PricingRegion;
  readonly waf: boolean;
  readonly knowledgeBase: boolean;
  readonly cache: boolean;
  readonly guardrail: GuardrailPolicies | undefined;
  readonly hosting: Hosting | undefined;
}

function kindParts(kind: RouteKind, ctx: RouteContext): CostLine[] {
  switch (kind) {
    case 'model':
      return modelRouteParts(ctx);
    case 'agent':
      return agentRouteParts(ctx);
    case 'predict':
      return predictParts(ctx);
    default:
      return [];
  }
}

const textUnits = (chars: number) => Math.ceil(chars / 1000);

function modelRouteParts({ a, region, knowledgeBase, cache, guardrail }: RouteContext): CostLine[] {
  const miss = cache ? 1 - a.cacheHitRate : 1;
  const alias = isModelAlias(a.model) ? a.model : 'nova-lite';
  const tokens = modelPrices(alias);
  const embedding = modelPrices('titan-embed-text-v2').input;
  const passageTokens = knowledgeBase ? a.retrievedPassages * a.tokensPerPassage : 0;
  const parts: CostLine[] = [];
  if (guardrail) {
    for (const policy of guardrail.perText) {
      parts.push(line(`Guardrail on the query: ${policy.item}`, `${a.queryChars} characters`, textUnits(a.queryChars) / 1000, policy, region));
    }
  }
  if (cache) {
    parts.push(line('Cache ECPUs (lookup, semantic buckets, fill)', 'serverless cache', a.cacheEcpuPerRequest / 1e6, PRICES.valkeyEcpu, region));
    parts.push(line('Semantic cache: query embedding', 'Titan Text Embeddings V2', a.queryEmbeddingTokens / 1e6, embedding, region));
  }
  const onMiss = cache ? ` (on a miss, ${Math.round(miss * 100)}%)` : '';
  if (knowledgeBase) {
    parts.push(
      line(
        `Retrieval: query embedding${onMiss}`,
        catalogEmbeddingModel('titan-embed-text-v2').displayName,
        (miss * a.queryEmbeddingTokens) / 1e6,
        embedding,
        region,
      ),
    );
    parts.push(line(`Retrieval: S3 Vectors query${onMiss}`, 'knowledge base on S3 Vectors', miss / 1e6, PRICES.s3VectorsQuery, region));
  }
  const input = a.inputTokens + passageTokens;
  parts.push(
    line(`Model input${onMiss}: ${input} tokens${knowledgeBase ? ` incl. ${passageTokens} retrieved` : ''}`, alias, (miss * input) / 1e6, tokens.input, region),
  );
  if (tokens.output) parts.push(line(`Model output${onMiss}: ${a.outputTokens} tokens`, alias, (miss * a.outputTokens) / 1e6, tokens.output, region));
  if (guardrail) {
    const answerUnits = textUnits(a.outputTokens * a.charsPerToken);
    for (const policy of guardrail.perText) {
      parts.push(line(`Guardrail on the answer${onMiss}: ${policy.item}`, `${answerUnits} text units`, (miss * answerUnits) / 1000, policy, region));
    }
    if (guardrail.grounding && knowledgeBase) {
      // Assumed: the grounding check is metered on the answer and its sources.
      const units = answerUnits + textUnits(passageTokens * a.charsPerToken);
      parts.push(
        line(`Guardrail contextual grounding${onMiss} (answer + sources)`, `${units} text units`, (miss * units) / 1000, PRICES.guardrailGrounding, region),
      );
    }
  }
  return parts;
}

function agentRouteParts({ a, region, knowledgeBase, guardrail }: RouteContext): CostLine[] {
  const alias = isModelAlias(a.model) ? a.model : 'nova-lite';
  const tokens = modelPrices(alias);
  const passageTokens = knowledgeBase ? a.retrievedPassages * a.tokensPerPassage : 0;
  const input = a.agentModelCalls * a.agentInputTokensPerCall + passageTokens;
  const parts: CostLine[] = [
    line(`Agent model input: ${a.agentModelCalls} calls, ${input} tokens`, `${alias} (assumed agent model)`, input / 1e6, tokens.input, region),
  ];
  if (tokens.output) {
    const output = a.agentModelCalls * a.outputTokens;
    parts.push(line(`Agent model output: ${output} tokens`, alias, output / 1e6, tokens.output, region));
  }
  if (knowledgeBase) {
    parts.push(
      line('Agent retrieval: query embedding', 'Titan Text Embeddings V2', a.queryEmbeddingTokens / 1e6, modelPrices('titan-embed-text-v2').input, region),
    );
    parts.push(line('Agent retrieval: S3 Vectors query', 'knowledge base on S3 Vectors', 1e-6, PRICES.s3VectorsQuery, region));
  }
  if (guardrail) {
    const units = textUnits(a.queryChars) + textUnits(a.outputTokens * a.charsPerToken);
    for (const policy of guardrail.perText) {
      parts.push(line(`Guardrail on query and answer: ${policy.item}`, `${units} text units`, units / 1000, policy, region));
    }
  }
  return parts;
}

function predictParts({ a, region, hosting }: RouteContext): CostLine[] {
  if (hosting?.kind !== 'serverless') return [];
  const gbSeconds = (a.predictEndpointMs / 1000) * (hosting.memoryMb / 1024);
  return [
    line(
      `SageMaker Serverless Inference (${a.predictEndpointMs} ms × ${hosting.memoryMb} MB)`,
      'endpoint config',
      gbSeconds,
      PRICES.sagemakerServerlessGbSecond,
      region,
    ),
    line('SageMaker data processed', `${a.predictBytes} bytes`, a.predictBytes / 1e9, PRICES.sagemakerServerlessGb, region),
  ];
}

function dynamoParts(reads: number, writes: number, region: PricingRegion): CostLine[] {
  return [
    line(`DynamoDB reads (${reads} RRU)`, 'on-demand table', reads / 1e6, PRICES.dynamoRead, region),
    line(`DynamoDB writes (${writes} WRU)`, 'on-demand table', writes / 1e6, PRICES.dynamoWrite, region),
  ];
}

// ---------------------------------------------------------------- Markdown

/** Money as an architect reads it: whole dollars from 100, cents from 1, two significant digits below. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '0';
  if (Math.abs(usd) >= 100) return groupThousands(Math.round(usd).toString());
  if (Math.abs(usd) >= 1) return usd.toFixed(2);
  const decimals = Math.min(8, Math.max(2, 1 - Math.floor(Math.log10(Math.abs(usd)))));
  return usd.toFixed(decimals);
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function formatCount(n: number): string {
  return Number.isInteger(n) ? groupThousands(n.toString()) : formatUsd(n);
}

/** A route part's quantity in whole units (`1 request`, not `0.000001 × 1M requests`). */
function perRequest(part: CostLine): string {
  const scaled = /^(1M|1,000|10,000) (.+)$/.exec(part.price.unit);
  if (!scaled) return `${formatCount(part.quantity)} ${part.price.unit}`;
  const factor = { '1M': 1e6, '1,000': 1e3, '10,000': 1e4 }[scaled[1]] ?? 1;
  return `${formatCount(Number((part.quantity * factor).toPrecision(6)))} ${scaled[2]}`;
}

const mark = (price: Price) => (price.assumed ? ' \\*' : '');

/** A configuration priced beside the default one (review/run.ts REVIEW_VARIANTS): its sheet is named after it. */
export interface CostSheetVariant {
  /** Named in the title: `regulated profile`, `closed network`. */
  readonly title: string;
  /** The `-c` flags it is synthesized with, as written on the command line. */
  readonly flags: string;
  /** Its page under docs/, e.g. `compliance.md`. */
  readonly doc: string;
  /** What it adds that costs money, in a few words. */
  readonly adds: string;
}

export interface CostSheetMarkdownOptions {
  /** Set for the sheet of a variant: named in the title, with a link to the standard sheet. */
  readonly variant?: CostSheetVariant;
}

export function costSheetMarkdown(sheet: CostSheet, options: CostSheetMarkdownOptions = {}): string {
  const out: string[] = [];
  const variant = options.variant;
  if (variant) {
    out.push(`# Cost: ${sheet.stackId}, ${variant.title}`, '');
    out.push(
      `Synthesized with \`${variant.flags}\` ([docs/${variant.doc}](../../${variant.doc})): ${variant.adds}, priced from the template as the ` +
        '[standard sheet](cost.md) is.',
      '',
    );
  } else {
    out.push(`# Cost: ${sheet.stackId}`, '');
  }
  out.push(
    `Region ${sheet.region}. USD, on-demand list prices, no free tiers, no taxes. A price marked \\* is assumed (not read on an AWS page); every ` +
      `price's source is listed at the end.`,
    '',
  );

  out.push('## Idle floor (no requests)', '');
  if (sheet.idle.length === 0) {
    out.push('Nothing in this stack costs money at rest.', '');
  } else {
    out.push('| Item | Counted in the template | Quantity / month | Unit price | USD / month |', '|---|---|---:|---:|---:|');
    for (const l of sheet.idle) {
      out.push(`| ${l.item} | ${l.counted} | ${formatCount(l.quantity)} ${l.price.unit} | ${l.unitUsd}${mark(l.price)} | ${formatUsd(l.usd)} |`);
    }
    out.push(`| **Idle floor** | | | | **${formatUsd(sheet.idleMonthlyUsd)}** |`, '');
  }
  for (const note of sheet.idleNotes) out.push(`- ${note}`);
  out.push('');

  out.push('## Cost per 1,000 requests', '');
  if (sheet.routes.length === 0) out.push('This stack serves no priced route.', '');
  for (const r of sheet.routes) {
    out.push(`### ${r.method} ${r.path} (${r.kind} route, function ${r.memoryMb} MB)`, '');
    out.push('| Part | Per request | Unit price | USD per 1,000 requests |', '|---|---:|---:|---:|');
    for (const p of r.parts) {
      out.push(`| ${p.item} | ${perRequest(p)} | ${p.unitUsd}${mark(p.price)} / ${p.price.unit} | ${formatUsd(p.usd * 1000)} |`);
    }
    out.push(`| **Total** | | | **${formatUsd(r.usdPer1000)}** |`, '');
  }

  out.push('## A month at the stated volume', '', '| | Requests / month | USD / month |', '|---|---:|---:|');
  out.push(`| Idle floor | | ${formatUsd(sheet.idleMonthlyUsd)} |`);
  for (const r of sheet.routes) out.push(`| ${r.method} ${r.path} | ${formatCount(Math.round(r.monthlyRequests))} | ${formatUsd(r.monthlyUsd)} |`);
  out.push(`| Requests, all routes (${formatUsd(sheet.per1kUsd)} per 1,000 on average) | | ${formatUsd(sheet.monthlyUsd - sheet.idleMonthlyUsd)} |`);
  out.push(`| **Total** | ${formatCount(Math.round(sum(sheet.routes.map((r) => r.monthlyRequests))))} | **${formatUsd(sheet.monthlyUsd)}** |`, '');

  out.push('## Assumptions', '', '```json', JSON.stringify(sheet.assumptions, null, 2), '```', '');
  const model = MODEL_CATALOG[isModelAlias(sheet.assumptions.model) ? sheet.assumptions.model : 'nova-lite'];
  out.push(
    `Model routes are priced with ${model.displayName}; a router (ground 4+) may send a request to another catalog model. The model volume is ` +
      `split evenly across the model routes the stack has.`,
    '',
  );

  out.push('## Prices used', '', '| Service | Item | Unit | USD | Source |', '|---|---|---|---:|---|');
  const prices = new Map<string, Price>();
  for (const l of [...sheet.idle, ...sheet.routes.flatMap((r) => r.parts)]) prices.set(`${l.price.service}|${l.price.item}`, l.price);
  for (const key of [...prices.keys()].sort()) {
    const p = prices.get(key)!;
    const source = [p.source ? `${p.source.url} (${p.source.publisher}, read ${p.source.read})` : undefined, p.assumed ? `assumed: ${p.reason}` : undefined]
      .filter(Boolean)
      .join('; ');
    out.push(`| ${p.service} | ${p.item} | ${p.unit} | ${priceOf(p, sheet.region)} | ${source} |`);
  }
  out.push('');
  return out.join('\n');
}

// ---------------------------------------------------------------- helpers

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function arrayProp(resource: ReviewResource, key: string): unknown[] {
  const value = resource.properties[key];
  return Array.isArray(value) ? value : [];
}

// ---------------------------------------------------------------- the deck's comparisons

export type TextractApi = 'detect-text' | 'tables' | 'forms';

export interface DocumentAssumptions {
  readonly pages: number;
  readonly wordsPerPage: number;
  /** Tokens per word of the page text (English is ~1.3 with most tokenizers; the deck's figures fit 1.0). */
  readonly tokensPerWord: number;
  /** `text`: the page's text is sent (already OCRed); `image`: the page image is sent. */
  readonly input: 'text' | 'image';
  /** Input tokens of a page image (assumed: Anthropic documents ~1,600 for a 1,092 × 1,092 px page). */
  readonly imageTokensPerPage: number;
  /** Instruction tokens sent with every page. */
  readonly promptOverheadTokens: number;
  /** Output tokens as a share of the page's text tokens (1: the model writes the extracted text back). */
  readonly outputRatio: number;
  readonly textractApi: TextractApi;
  readonly region: PricingRegion;
}

/** The assumptions that reproduce the seed deck's table (docs/cost.md): text in, the same text out, one token per word. */
export const DECK_DOCUMENT_ASSUMPTIONS: DocumentAssumptions = {
  pages: 1_000_000,
  wordsPerPage: 676,
  tokensPerWord: 1,
  input: 'text',
  imageTokensPerPage: 1_600,
  promptOverheadTokens: 0,
  outputRatio: 1,
  textractApi: 'detect-text',
  region: 'us-east-1',
};

export interface DocumentCost {
  readonly target: string;
  readonly label: string;
  readonly usd: number;
  readonly detail: string;
  readonly prices: readonly Price[];
}

const TEXTRACT_PRICE: Readonly<Record<TextractApi, Price>> = {
  'detect-text': PRICES.textractDetectText,
  tables: PRICES.textractAnalyzeTables,
  forms: PRICES.textractAnalyzeForms,
};

/** What processing `a.pages` pages costs with Textract or a catalog model (`textract` or a text model alias). */
export function documentCost(target: string, a: DocumentAssumptions): DocumentCost {
  if (target === 'textract') {
    const price = TEXTRACT_PRICE[a.textractApi];
    // Only the first-1M-pages tier is in the table: beyond it AWS charges less per page.
    return {
      target,
      label: `Amazon Textract ${a.textractApi}`,
      usd: (a.pages / 1000) * priceOf(price, a.region),
      detail: `${formatCount(a.pages)} pages × $${priceOf(price, a.region)} / 1,000 pages`,
      prices: [price],
    };
  }
  if (!isModelAlias(target) || MODEL_CATALOG[target].kind !== 'text') {
    throw new Error(`${JSON.stringify(target)} is neither textract nor a text model of the catalog (lib/config/models.ts)`);
  }
  const { input, output } = modelPrices(target);
  const textTokens = a.wordsPerPage * a.tokensPerWord;
  const inputTokens = (a.input === 'image' ? a.imageTokensPerPage : textTokens) + a.promptOverheadTokens;
  const outputTokens = textTokens * a.outputRatio;
  const usd = (a.pages * (inputTokens * priceOf(input, a.region) + outputTokens * (output ? priceOf(output, a.region) : 0))) / 1e6;
  return {
    target,
    label: MODEL_CATALOG[target].displayName,
    usd,
    detail:
      `${formatCount(a.pages)} pages × (${formatCount(inputTokens)} in × $${priceOf(input, a.region)} + ${formatCount(outputTokens)} out × ` +
      `$${output ? priceOf(output, a.region) : 0}) / 1M tokens`,
    prices: output ? [input, output] : [input],
  };
}

export interface PredictionAssumptions {
  readonly predictionsPerMonth: number;
  readonly trainingRunsPerMonth: number;
  /** Minutes one training job bills (at most predictiveMl.maxTrainingMinutes). */
  readonly trainingMinutes: number;
  readonly trainingInstanceType: string;
  readonly endpointInstanceType: string;
  readonly endpointInstanceCount: number;
  readonly serverlessMemoryMb: number;
  readonly endpointMs: number;
  readonly bytesPerPrediction: number;
  /** Foundation model route: instruction tokens plus tokens per feature (name and value) of the dataset. */
  readonly promptOverheadTokens: number;
  readonly tokensPerFeature: number;
  readonly features: number;
  readonly outputTokens: number;
  readonly region: PricingRegion;
}

export interface PredictionOption {
  readonly label: string;
  readonly usd: number;
  readonly detail: string;
}

/** The deck's predictive-ML question: a SageMaker model (serverless or instance endpoint) against foundation models, a month. */
export function predictionOptions(models: readonly string[], a: PredictionAssumptions): PredictionOption[] {
  const hour = (type: string) => priceOf(sagemakerInstancePrice(type), a.region);
  const training = a.trainingRunsPerMonth * (a.trainingMinutes / 60) * hour(a.trainingInstanceType);
  const trainingDetail = `training ${a.trainingRunsPerMonth} × ${a.trainingMinutes} min on ${a.trainingInstanceType} = $${formatUsd(training)}`;
  const gbSeconds = a.predictionsPerMonth * (a.endpointMs / 1000) * (a.serverlessMemoryMb / 1024);
  const serverless =
    gbSeconds * priceOf(PRICES.sagemakerServerlessGbSecond, a.region) +
    ((a.predictionsPerMonth * a.bytesPerPrediction) / 1e9) * priceOf(PRICES.sagemakerServerlessGb, a.region);
  const instance = a.endpointInstanceCount * HOURS_PER_MONTH * hour(a.endpointInstanceType);
  const options: PredictionOption[] = [
    {
      label: `SageMaker, Serverless Inference ${a.serverlessMemoryMb} MB`,
      usd: training + serverless,
      detail: `${trainingDetail}; inference ${formatCount(a.predictionsPerMonth)} × ${a.endpointMs} ms = $${formatUsd(serverless)}`,
    },
    {
      label: `SageMaker, real-time endpoint ${a.endpointInstanceCount} × ${a.endpointInstanceType}`,
      usd: training + instance,
      detail: `${trainingDetail}; endpoint ${a.endpointInstanceCount} × ${HOURS_PER_MONTH} h = $${formatUsd(instance)}`,
    },
  ];
  const inputTokens = a.promptOverheadTokens + a.features * a.tokensPerFeature;
  for (const alias of models) {
    if (!isModelAlias(alias) || MODEL_CATALOG[alias].kind !== 'text') throw new Error(`${JSON.stringify(alias)} is not a text model of the catalog`);
    const { input, output } = modelPrices(alias);
    const usd = (a.predictionsPerMonth * (inputTokens * priceOf(input, a.region) + a.outputTokens * (output ? priceOf(output, a.region) : 0))) / 1e6;
    options.push({
      label: `Foundation model ${MODEL_CATALOG[alias].displayName}`,
      usd,
      detail: `${formatCount(a.predictionsPerMonth)} × (${inputTokens} in + ${a.outputTokens} out) tokens`,
    });
  }
  return options;
}
