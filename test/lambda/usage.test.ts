import { App, Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Template } from 'aws-cdk-lib/assertions';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { MAX_CHAT_MESSAGES } from '../../contracts/model-call';
import { USAGE_DIMENSION_SETS, USAGE_METRICS, USAGE_UNITS } from '../../contracts/usage';
import { Observability } from '../../lib/constructs/observability/observability';
import { BlueprintFunction, METRICS_NAMESPACE } from '../../lib/constructs/shared/blueprint-function';
import { chatRequestSchema } from '../../lambda/chat-stream/core';
import { completionRequestSchema } from '../../lambda/openai/core';
import type { StreamingHandler } from '../../lambda/shared/stream';
import { apiEvent, lambdaContext } from '../support/api-event';
import { BedrockFake } from '../support/bedrock-fake';
import { installLocalStreamingRuntime, invokeStreaming, localContext } from '../support/local-streaming';
import { PROMPT_ENV, TWO_TENANTS } from '../support/prompt-handler';
import { CDK_JSON_CONTEXT } from '../support/synth';

/**
 * Defect 6 of issue 10: one usage record for every route that calls a model, and budget alarms
 * that read it. The handlers run with Powertools metrics on; their EMF lines are read from the
 * console and compared with the metrics the Observability construct's cost alarms read.
 */

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

const PRICE = { inputPerMTok: 0.06, outputPerMTok: 0.24 };
const ROUTING = { targets: [{ alias: 'nova-lite', modelId: 'us.amazon.nova-lite-v1:0', price: PRICE }], defaultAlias: 'nova-lite', fallbacks: {} };
const COMMON = { MAX_TOKENS: '1024', TEMPERATURE: '0.5', MAX_QUERY_CHARS: '8000', BEDROCK_MAX_ATTEMPTS: '2', BEDROCK_ATTEMPT_TIMEOUT_MS: '2000', TENANTS: JSON.stringify(TWO_TENANTS) };

let fake: BedrockFake;
let lines: string[] = [];
const saved = { ...process.env };
const handlers: { prompt?: Handler; chat?: StreamingHandler; openai?: StreamingHandler } = {};

function load<T>(path: string, env: Record<string, string>): T {
  for (const key of ['PROMPT_ID', 'PROMPT_VERSION', 'KNOWLEDGE_BASE_ID', 'GUARDRAIL_ID', 'GUARDRAIL_VERSION', 'SESSIONS_TABLE', 'FEEDBACK_TABLE', 'CACHE_ENDPOINT']) delete process.env[key];
  Object.assign(process.env, env);
  let handler!: T;
  jest.isolateModules(() => {
    handler = (require(path) as { handler: T }).handler;
  });
  return handler;
}

beforeAll(async () => {
  fake = await BedrockFake.start();
  fake.exportEndpoints();
  installLocalStreamingRuntime();
  // Metrics on, written through the global console (POWERTOOLS_DEV), in the stack's namespace.
  Object.assign(process.env, { POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_DEV: 'true', POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE });
  handlers.prompt = load<Handler>('../../lambda/prompt/handler', { ...PROMPT_ENV, ...COMMON, ROUTING_POLICY: JSON.stringify(ROUTING) });
  handlers.chat = load<StreamingHandler>('../../lambda/chat-stream/handler', { ...COMMON, MODEL_ID: 'us.amazon.nova-lite-v1:0', MODEL_ALIAS: 'nova-lite', MODEL_PRICE: JSON.stringify(PRICE) });
  handlers.openai = load<StreamingHandler>('../../lambda/openai/handler', { ...COMMON, ROUTING_POLICY: JSON.stringify(ROUTING) });
});
afterAll(async () => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  await fake.stop();
});
beforeEach(() => {
  fake.reset();
  lines = [];
  jest.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
});
afterEach(() => jest.restoreAllMocks());

/** A request API Gateway passed after checking tenant acme's API key. */
const asAcme = (path: string, body: unknown) => {
  const event = apiEvent(path, body);
  event.requestContext.identity = { ...event.requestContext.identity, apiKeyId: 'key-acme' };
  return event;
};
const emfWith = (metricName: string): Emf[] =>
  lines
    .filter((l) => l.startsWith('{"_aws"'))
    .map((l) => JSON.parse(l) as Emf)
    .filter((e) => e._aws.CloudWatchMetrics[0].Metrics.some((m) => m.Name === metricName));

const ROUTES: [string, () => Promise<number>][] = [
  ['POST /prompt', async () => (await handlers.prompt!(asAcme('prompt', { query: 'What does ground 4 add?' }), lambdaContext())).statusCode],
  ['POST /chat/stream', async () => (await invokeStreaming(handlers.chat!, asAcme('chat/stream', { messages: [{ role: 'user', content: 'What does ground 4 add?' }] }), localContext())).statusCode],
  ['POST /v1/chat/completions', async () => (await invokeStreaming(handlers.openai!, asAcme('v1/chat/completions', { messages: [{ role: 'user', content: 'What does ground 4 add?' }] }), localContext())).statusCode],
  [
    'POST /v1/chat/completions (stream)',
    async () => (await invokeStreaming(handlers.openai!, asAcme('v1/chat/completions', { messages: [{ role: 'user', content: 'What does ground 4 add?' }], stream: true }), localContext())).statusCode,
  ],
];

describe('one usage record from every route that calls a model', () => {
  test.each(ROUTES)('%s: CostUsd, InputTokens and OutputTokens under {Model, Tenant} and {Model}, in the stack namespace, priced from the catalog', async (_route, call) => {
    expect(await call()).toBe(200);
    const records = emfWith(USAGE_METRICS.cost);
    expect(records.map((r) => r._aws.CloudWatchMetrics[0].Dimensions)).toEqual(USAGE_DIMENSION_SETS.map((set) => [[...set]]));
    const stream = fake.requests.find((r) => r.operation === 'Converse' || r.operation === 'ConverseStream')!;
    expect(stream).toBeDefined();
    for (const record of records) {
      const [directive] = record._aws.CloudWatchMetrics;
      expect(directive.Namespace).toBe(METRICS_NAMESPACE);
      expect(directive.Metrics).toEqual(Object.values(USAGE_METRICS).map((name) => ({ Name: name, Unit: USAGE_UNITS[name] })));
      expect(record.Model).toBe('nova-lite');
      const input = record.InputTokens as number;
      const output = record.OutputTokens as number;
      expect(input).toBeGreaterThan(0);
      expect(record.CostUsd).toBeCloseTo((input * PRICE.inputPerMTok + output * PRICE.outputPerMTok) / 1_000_000, 12);
    }
    expect(records[0].Tenant).toBe('acme');
    // No other line carries a cost: one record, one shape.
    expect(emfWith(USAGE_METRICS.cost)).toHaveLength(USAGE_DIMENSION_SETS.length);
  });
});

describe('the budget alarms read the record the routes publish', () => {
  test('every CostUsd metric of every budget alarm has the namespace and a dimension set of the usage record; per tenant and in total', async () => {
    const stack = new Stack(new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false }), 'Usage');
    const api = new apigateway.RestApi(stack, 'Api');
    const fn = new BlueprintFunction(stack, 'Prompt', { handlerDir: 'prompt', description: 'prompt', memorySize: 256, timeout: Duration.seconds(29), logRetention: logs.RetentionDays.ONE_MONTH, invokedBy: 'api-gateway' });
    api.root.addMethod('POST', new apigateway.LambdaIntegration(fn));
    new Observability(stack, 'Observability', { api, functions: [fn], modelIds: ['us.amazon.nova-lite-v1:0'], modelAliases: ['nova-lite'], tenants: ['acme', 'globex'] });
    const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')) as { Properties: { Metrics?: { MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions: { Name: string; Value: string }[] } } }[] } }[];
    const read = alarms.flatMap((a) => (a.Properties.Metrics ?? []).map((m) => m.MetricStat?.Metric).filter((m) => m?.MetricName === USAGE_METRICS.cost));
    // What the routes publish, for the same call as above.
    await ROUTES[1][1]();
    const published = emfWith(USAGE_METRICS.cost);
    const matches = (metric: NonNullable<(typeof read)[number]>) =>
      published.some((r) => r._aws.CloudWatchMetrics[0].Namespace === metric.Namespace && r._aws.CloudWatchMetrics[0].Dimensions.some((set) => JSON.stringify([...set].sort()) === JSON.stringify(metric.Dimensions.map((d) => d.Name).sort())));
    expect(read.length).toBe(3);
    for (const metric of read) expect(matches(metric!)).toBe(true);
    // Per tenant (acme, globex) and in total (every tenant, and callers without one).
    expect(read.map((m) => m!.Dimensions.map((d) => `${d.Name}=${d.Value}`).join(','))).toEqual(['Model=nova-lite,Tenant=acme', 'Model=nova-lite,Tenant=globex', 'Model=nova-lite']);
  });
});

describe('one message limit for both chat routes', () => {
  const settings = { maxTokens: 1024, maxMessageChars: 100 };
  const turns = (n: number) => Array.from({ length: n }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: 'x' }));
  test.each([
    ['POST /chat/stream', chatRequestSchema(settings)],
    ['POST /v1/chat/completions', completionRequestSchema(settings)],
  ])('%s accepts up to MAX_CHAT_MESSAGES messages and refuses one more', (_route, schema) => {
    expect(schema.safeParse({ messages: turns(MAX_CHAT_MESSAGES - 1 + (MAX_CHAT_MESSAGES % 2)) }).success).toBe(true);
    expect(schema.safeParse({ messages: turns(MAX_CHAT_MESSAGES + 1) }).success).toBe(false);
  });

  test('the OpenAI route answers 400 naming the limit for one message more than API Gateway allows', async () => {
    const res = await invokeStreaming(handlers.openai!, asAcme('v1/chat/completions', { messages: turns(MAX_CHAT_MESSAGES + 1) }), localContext());
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error.message).toMatch(new RegExp(`^messages .*${MAX_CHAT_MESSAGES} items`));
    expect(fake.count('ConverseStream')).toBe(0);
  });
});
