import { App, Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { MAX_CHAT_MESSAGES, MODEL_PRICE_ENV } from '../../contracts/model-call';
import { USAGE_DIMENSION_SETS, USAGE_METRICS, USAGE_UNITS } from '../../contracts/usage';
import { MODEL_CATALOG } from '../../lib/config/models';
import { AgentRoute } from '../../lib/constructs/agent/agent-route';
import { ModelApi } from '../../lib/constructs/api/model-api';
import { Observability } from '../../lib/constructs/observability/observability';
import { BedrockModel } from '../../lib/constructs/shared/bedrock-model';
import { BlueprintFunction, METRICS_NAMESPACE } from '../../lib/constructs/shared/blueprint-function';
import { chatRequestSchema } from '../../lambda/chat-stream/core';
import { completionRequestSchema } from '../../lambda/openai/core';
import type { StreamingHandler } from '../../lambda/shared/stream';
import { apiEvent, lambdaContext } from '../support/api-event';
import { agentUsage, BedrockFake, type Operation } from '../support/bedrock-fake';
import { installLocalStreamingRuntime, invokeStreaming, localContext } from '../support/local-streaming';
import { PROMPT_ENV, TWO_TENANTS, loadLambdaHandler } from '../support/prompt-handler';
import { CDK_JSON_CONTEXT } from '../support/synth';
import * as z from 'zod/mini';
import { jsonObject, parseJson } from '../support/json';

/**
 * Defect 6 of issue 10: one usage record for every route that calls a model, and budget alarms
 * that read it. The handlers run with Powertools metrics on; their EMF lines are read from the
 * console and compared with the metrics the Observability construct's cost alarms read.
 */

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
const Emf = z.looseObject({
  _aws: z.object({
    CloudWatchMetrics: z.array(
      z.object({ Namespace: z.string(), Dimensions: z.array(z.array(z.string())), Metrics: z.array(z.object({ Name: z.string(), Unit: z.string() })) }),
    ),
  }),
});

const PRICE = { inputPerMTok: 0.06, outputPerMTok: 0.24 };
const ROUTING = { targets: [{ alias: 'nova-lite', modelId: 'us.amazon.nova-lite-v1:0', price: PRICE }], defaultAlias: 'nova-lite', fallbacks: {} };
const COMMON = {
  MAX_TOKENS: '1024',
  TEMPERATURE: '0.5',
  MAX_QUERY_CHARS: '8000',
  BEDROCK_MAX_ATTEMPTS: '2',
  BEDROCK_ATTEMPT_TIMEOUT_MS: '2000',
  TENANTS: JSON.stringify(TWO_TENANTS),
};

let fake: BedrockFake;
let lines: string[] = [];
const saved = { ...process.env };
const handlers: { prompt?: Handler; chat?: StreamingHandler; openai?: StreamingHandler; agent?: Handler } = {};
const AGENT_ENV = { AGENT_ID: 'AGENT12345', AGENT_ALIAS_ID: 'ALIAS12345', MAX_INPUT_CHARS: '4000' };

beforeAll(async () => {
  fake = await BedrockFake.start();
  fake.exportEndpoints();
  installLocalStreamingRuntime();
  // Metrics on, written through the global console (POWERTOOLS_DEV), in the stack's namespace.
  Object.assign(process.env, { POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_DEV: 'true', POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE });
  handlers.prompt = loadLambdaHandler<Handler>('prompt/handler', { ...PROMPT_ENV, ...COMMON, ROUTING_POLICY: JSON.stringify(ROUTING) });
  handlers.chat = loadLambdaHandler<StreamingHandler>('chat-stream/handler', {
    ...COMMON,
    MODEL_ID: 'us.amazon.nova-lite-v1:0',
    MODEL_ALIAS: 'nova-lite',
    MODEL_PRICE: JSON.stringify(PRICE),
  });
  handlers.openai = loadLambdaHandler<StreamingHandler>('openai/handler', { ...COMMON, ROUTING_POLICY: JSON.stringify(ROUTING) });
  // The agent's model alias and price as AgentRoute writes them (checked below against the synthesized function).
  handlers.agent = loadLambdaHandler<Handler>('agent/handler', { ...COMMON, ...AGENT_ENV, MODEL_ALIAS: 'nova-lite', [MODEL_PRICE_ENV]: JSON.stringify(PRICE) });
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
const emfWith = (metricName: string): z.infer<typeof Emf>[] =>
  lines
    .filter((l) => l.startsWith('{"_aws"'))
    .map((l) => parseJson(Emf, l))
    .filter((e) => e._aws.CloudWatchMetrics[0].Metrics.some((m) => m.Name === metricName));

const askAgent = async (body: unknown = { input: 'What does ground 6 add?' }) => {
  const res = await handlers.agent!(asAcme('agent', body), lambdaContext());
  return { statusCode: res.statusCode, json: parseJson(jsonObject, res.body) };
};

/** Each route, and the Bedrock operation through which it reaches the model. */
const ROUTES: [string, () => Promise<number>, Operation[]][] = [
  ['POST /prompt', async () => (await handlers.prompt!(asAcme('prompt', { query: 'What does ground 4 add?' }), lambdaContext())).statusCode, ['Converse']],
  [
    'POST /chat/stream',
    async () =>
      (await invokeStreaming(handlers.chat!, asAcme('chat/stream', { messages: [{ role: 'user', content: 'What does ground 4 add?' }] }), localContext()))
        .statusCode,
    ['ConverseStream'],
  ],
  [
    'POST /v1/chat/completions',
    async () =>
      (
        await invokeStreaming(
          handlers.openai!,
          asAcme('v1/chat/completions', { messages: [{ role: 'user', content: 'What does ground 4 add?' }] }),
          localContext(),
        )
      ).statusCode,
    ['Converse', 'ConverseStream'],
  ],
  [
    'POST /v1/chat/completions (stream)',
    async () =>
      (
        await invokeStreaming(
          handlers.openai!,
          asAcme('v1/chat/completions', { messages: [{ role: 'user', content: 'What does ground 4 add?' }], stream: true }),
          localContext(),
        )
      ).statusCode,
    ['Converse', 'ConverseStream'],
  ],
  ['POST /agent', async () => (await askAgent()).statusCode, ['InvokeAgent']],
];

describe('one usage record from every route that calls a model', () => {
  test.each(ROUTES)(
    '%s: CostUsd, InputTokens and OutputTokens under {Model, Tenant} and {Model}, in the stack namespace, priced from the catalog',
    async (_route, call, operations) => {
      expect(await call()).toBe(200);
      const records = emfWith(USAGE_METRICS.cost);
      expect(records.map((r) => r._aws.CloudWatchMetrics[0].Dimensions)).toEqual(USAGE_DIMENSION_SETS.map((set) => [[...set]]));
      const upstream = fake.requests.find((r) => operations.includes(r.operation))!;
      expect(upstream).toBeDefined();
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
    },
  );
});

describe('the budget alarms read the record the routes publish', () => {
  test('every CostUsd metric of every budget alarm has the namespace and a dimension set of the usage record; per tenant and in total', async () => {
    const stack = new Stack(new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false }), 'Usage');
    const api = new apigateway.RestApi(stack, 'Api');
    const fn = new BlueprintFunction(stack, 'Prompt', {
      handlerDir: 'prompt',
      description: 'prompt',
      memorySize: 256,
      timeout: Duration.seconds(29),
      logRetention: logs.RetentionDays.ONE_MONTH,
      invokedBy: 'api-gateway',
    });
    api.root.addMethod('POST', new apigateway.LambdaIntegration(fn));
    new Observability(stack, 'Observability', {
      api,
      functions: [fn],
      models: [new BedrockModel(MODEL_CATALOG['nova-lite'], 'us')],
      tenants: ['acme', 'globex'],
    });
    const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')) as {
      Properties: { Metrics?: { MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions: { Name: string; Value: string }[] } } }[] };
    }[];
    const read = alarms.flatMap((a) => (a.Properties.Metrics ?? []).map((m) => m.MetricStat?.Metric).filter((m) => m?.MetricName === USAGE_METRICS.cost));
    // What the routes publish, for the same call as above.
    await ROUTES[1][1]();
    const published = emfWith(USAGE_METRICS.cost);
    const matches = (metric: NonNullable<(typeof read)[number]>) =>
      published.some(
        (r) =>
          r._aws.CloudWatchMetrics[0].Namespace === metric.Namespace &&
          r._aws.CloudWatchMetrics[0].Dimensions.some((set) => JSON.stringify([...set].sort()) === JSON.stringify(metric.Dimensions.map((d) => d.Name).sort())),
      );
    expect(read.length).toBe(3);
    for (const metric of read) expect(matches(metric!)).toBe(true);
    // Per tenant (acme, globex) and in total (every tenant, and callers without one).
    expect(read.map((m) => m!.Dimensions.map((d) => `${d.Name}=${d.Value}`).join(','))).toEqual([
      'Model=nova-lite,Tenant=acme',
      'Model=nova-lite,Tenant=globex',
      'Model=nova-lite',
    ]);
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

describe('POST /agent: one record per answer, from the usage its trace reports', () => {
  const traceId = 'trace-1';
  /** A trace event of one model call of the agent, in the step `step` (TracePart.trace member). */
  const modelCall = (step: 'preProcessingTrace' | 'orchestrationTrace' | 'postProcessingTrace', inputTokens: number, outputTokens: number) => ({
    [step]: { modelInvocationOutput: { traceId, rawResponse: { content: '(model output)' }, metadata: { usage: { inputTokens, outputTokens } } } },
  });
  const usageLines = () => emfWith(USAGE_METRICS.cost);

  test('the default fake answer reports its one model call: the record carries exactly that usage', async () => {
    const input = 'What does ground 6 add?';
    expect((await askAgent({ input })).statusCode).toBe(200);
    const expected = agentUsage(input, `fake agent answer to: ${input}`);
    expect(usageLines().map((r) => [r.InputTokens, r.OutputTokens])).toEqual(USAGE_DIMENSION_SETS.map(() => [expected.inputTokens, expected.outputTokens]));
  });

  test('the usage of each model call of an answer (pre-processing, orchestration steps, post-processing) is summed into one record; same answer', async () => {
    fake.enqueue('InvokeAgent', {
      kind: 'answer',
      override: {
        chunks: [{ text: '42' }],
        traces: [
          modelCall('preProcessingTrace', 100, 10),
          { orchestrationTrace: { modelInvocationInput: { traceId, type: 'ORCHESTRATION', text: '(prompt)' } } },
          modelCall('orchestrationTrace', 1_200, 80),
          {
            orchestrationTrace: {
              invocationInput: { traceId, invocationType: 'ACTION_GROUP', actionGroupInvocationInput: { actionGroupName: 'compute', function: 'calculate' } },
            },
          },
          modelCall('orchestrationTrace', 1_500, 120),
          modelCall('postProcessingTrace', 300, 40),
        ],
      },
    });
    const res = await askAgent({ input: 'What is 6 * 7?', sessionId: 'conv-usage' });
    expect(res.statusCode).toBe(200);
    // The body has the fields it always had, and no usage.
    expect(res.json).toEqual({
      sessionId: 'conv-usage',
      answer: '42',
      citations: [],
      traceId,
      actions: ['calculate'],
      blocked: false,
      requestId: expect.any(String),
    });

    const records = usageLines();
    expect(records).toHaveLength(USAGE_DIMENSION_SETS.length);
    expect(fake.count('InvokeAgent')).toBe(1);
    for (const record of records) {
      expect(record).toMatchObject({ Model: 'nova-lite', InputTokens: 3_100, OutputTokens: 250 });
      expect(record.CostUsd).toBeCloseTo((3_100 * PRICE.inputPerMTok + 250 * PRICE.outputPerMTok) / 1_000_000, 12);
    }
    expect(records[0].Tenant).toBe('acme');
  });

  test.each([
    ['no trace at all', []],
    [
      'traces without a model output (input, guardrail)',
      [
        { orchestrationTrace: { modelInvocationInput: { traceId, type: 'ORCHESTRATION', text: '(prompt)' } } },
        { guardrailTrace: { action: 'NONE', traceId: 'g-1' } },
      ],
    ],
    ['a model output without metadata', [{ orchestrationTrace: { modelInvocationOutput: { traceId, rawResponse: { content: '(model output)' } } } }]],
  ])('no usage reported (%s): the agent answers and no usage record is published', async (_case, traces) => {
    fake.enqueue('InvokeAgent', { kind: 'answer', override: { chunks: [{ text: 'hello' }], traces } });
    const res = await askAgent();
    expect(res.statusCode).toBe(200);
    expect(res.json.answer).toBe('hello');
    // The route's own metrics were flushed: the missing record is not missing output.
    expect(emfWith('AgentTurns')).toHaveLength(1);
    expect(usageLines()).toHaveLength(0);
  });

  test("AgentRoute writes the agent model's alias and catalog price where the function reads them (MODEL_ALIAS, MODEL_PRICE); without a model, none", () => {
    const stack = new Stack(new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false }), 'AgentUsage');
    const agent = (id: string, model?: BedrockModel) => ({
      agentId: `AGENT${id}`,
      aliasId: `ALIAS${id}`,
      ...(model ? { model } : {}),
      grantInvoke: (grantee: iam.IGrantable) =>
        iam.Grant.addToPrincipal({
          grantee,
          actions: ['bedrock:InvokeAgent'],
          resourceArns: [`arn:aws:bedrock:us-east-1:123456789012:agent-alias/AGENT${id}/ALIAS${id}`],
        }),
    });
    const api = () => {
      const modelApi = new ModelApi(stack, `Api${stack.node.children.length}`);
      modelApi.acknowledgeNoWebAcl('Test fixture: the route alone');
      return modelApi;
    };
    const priced = new AgentRoute(stack, 'Priced', { api: api(), agent: agent('1', new BedrockModel(MODEL_CATALOG['nova-lite'], 'us')) });
    const unpriced = new AgentRoute(stack, 'Unpriced', { api: api(), agent: agent('2') });
    const template = Template.fromStack(stack);
    const variables = (route: AgentRoute) =>
      template.toJSON().Resources[stack.getLogicalId(route.agentFunction.node.defaultChild as never)].Properties.Environment.Variables as Record<
        string,
        string
      >;

    const catalog = MODEL_CATALOG['nova-lite'];
    if (catalog.kind !== 'text') throw new Error('nova-lite is a text model');
    expect(variables(priced).MODEL_ALIAS).toBe('nova-lite');
    expect(JSON.parse(variables(priced)[MODEL_PRICE_ENV])).toEqual({ inputPerMTok: catalog.price.inputPerMTok, outputPerMTok: catalog.price.outputPerMTok });
    // The handler above runs with these very values.
    expect(JSON.parse(variables(priced)[MODEL_PRICE_ENV])).toEqual(PRICE);
    expect(variables(unpriced)).not.toHaveProperty('MODEL_ALIAS');
    expect(variables(unpriced)).not.toHaveProperty(MODEL_PRICE_ENV);
  });
});
