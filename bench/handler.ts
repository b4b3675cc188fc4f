import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { apiEvent, lambdaContext } from '../test/support/api-event';
import { BedrockFake, type FakePassage, type Operation } from '../test/support/bedrock-fake';
import { type Handler, PROMPT_MODEL_ID } from '../test/support/prompt-handler';
import { startRedisServer } from '../test/support/redis-server';
import { startLocalDynamoDb } from '../test/support/dynamodb-local';
import { FEEDBACK_TABLE_DEFINITION, SESSIONS_TABLE_DEFINITION } from '../test/support/prompt-handler';
import { bundleFile, shippedMode } from './bundles';
import { childEnv, HANDLER_ENV, LAMBDA_ENV, ROOT } from './env';
import { mean, msSince, percentile } from './stats';
import * as z from 'zod/mini';
import { jsonObject, parseJson } from '../test/support/json';
import { AUDIENCE_KEY, SHARED_AUDIENCE } from '../contracts/tenant-documents';

export interface LatencyFigures {
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

/** Fake calls a request makes, by operation (only the operations it makes). */
export type CallCounts = Partial<Record<Operation, number>>;

export interface GroundHandlerFigures {
  readonly ground: number;
  /** Ground 5: `miss` or `exact hit`. */
  readonly path?: string;
  /** Settings this ground adds to the ground-0 environment (values as the bench sets them). */
  readonly env: Readonly<Record<string, string>>;
  /** Fake calls per request, as counted on the fake (bare calls excluded) and checked. */
  readonly fakeCallsPerRequest: CallCounts;
  /** Fake calls once per container (module instance), counted and checked. */
  readonly fakeCallsPerContainer: CallCounts;
  /** Whole handler call, including every loopback HTTP round trip to the fake. */
  readonly handlerMs: LatencyFigures;
  /** A bare Converse call with the same client set-up over the same fake. */
  readonly bareRoundTripMs: LatencyFigures;
  /**
   * Handler minus one bare round trip, percentile by percentile: what the request path adds to the
   * model call. From ground 2 on it includes the extra loopback round trips (Retrieve, ApplyGuardrail).
   */
  readonly overheadMs: { readonly p50: number; readonly p99: number };
  /**
   * Percentiles of the per-pair differences (each handler call minus the bare call right after
   * it). A difference of two p99s is mostly noise and can even go negative; this one is not.
   */
  readonly pairedOverheadMs: { readonly p50: number; readonly p99: number };
}

export interface HandlerResults {
  readonly calls: number;
  readonly warmup: number;
  readonly grounds: GroundHandlerFigures[];
}

/** What each ground adds to the request path: its settings and the fake calls they cost. */
interface GroundRequestPath {
  readonly ground: number;
  /** Which path of the ground (ground 5: a cache miss or a hit). @default the ground's only path */
  readonly path?: string;
  readonly env: Readonly<Record<string, string>>;
  /** Fake calls per measured request (after warm-up). */
  readonly perRequest: CallCounts;
  /** Fake calls once per container, made during warm-up. */
  readonly perContainer: CallCounts;
  /** The query of call `i` (unique queries make every call a cache miss). @default QUERY */
  readonly query?: (i: number) => string;
  /** Ground 4: the API key API Gateway reports, naming the tenant. */
  readonly apiKeyId?: string;
  /** Ground 5: the settings pointing at the real cache server. */
  readonly cache?: boolean;
  /** Ground 7: a user's verified token claims (Cognito), and one conversation the calls continue. */
  readonly claims?: Readonly<Record<string, string>>;
}

export const PROMPT_ID = 'PROMPT1234';
const GROUND1_ENV = { PROMPT_ID, PROMPT_VERSION: '1' };
const GROUND2_ENV = { ...GROUND1_ENV, KNOWLEDGE_BASE_ID: 'KB12345678', DEFAULT_TOP_K: '5', MAX_TOP_K: '10', MIN_SCORE: '0.2' };
const GROUND3_ENV = { ...GROUND2_ENV, GUARDRAIL_ID: 'gr1234abcd', GUARDRAIL_VERSION: '3' };

/** Ground 4: three routed models with a fallback chain, and a tenant whose API key calls. */
const GROUND4_ENV = {
  ...GROUND3_ENV,
  ROUTING_POLICY: JSON.stringify({
    targets: [
      { alias: 'nova-lite', modelId: PROMPT_MODEL_ID, price: { inputPerMTok: 0.06, outputPerMTok: 0.24 } },
      { alias: 'nova-micro', modelId: 'us.amazon.nova-micro-v1:0', price: { inputPerMTok: 0.035, outputPerMTok: 0.14 } },
      { alias: 'claude-haiku-4-5', modelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0', price: { inputPerMTok: 1, outputPerMTok: 5 } },
    ],
    defaultAlias: 'nova-lite',
    byTier: { basic: 'nova-micro', standard: 'nova-lite', premium: 'claude-haiku-4-5' },
    longPrompt: { minChars: 20_000, alias: 'claude-haiku-4-5' },
    fallbacks: { 'nova-lite': ['nova-micro'], 'nova-micro': ['nova-lite'] },
  }),
  TENANTS: JSON.stringify({ benchKey: { tenant: 'bench', tier: 'standard', modelIds: { 'nova-lite': PROMPT_MODEL_ID } } }),
};
/** Ground 5: exact and semantic cache (the server address is added when the bench starts it). */
const GROUND5_ENV = {
  ...GROUND4_ENV,
  CACHE_NAME: 'bench-cache',
  // An ACL user standing in for the IAM user (the handler signs a token as its password, as in AWS).
  CACHE_USER_ID: 'genai-app',
  CACHE_TLS: 'false',
  CACHE_CLUSTER: 'false',
  CACHE_TTL_SECONDS: '3600',
  CACHE_TIMEOUT_MS: '50',
  CACHE_SEMANTIC_THRESHOLD: '0.9',
  CACHE_EMBEDDING_MODEL_ID: 'amazon.titan-embed-text-v2:0',
  CACHE_EMBEDDING_DIMENSIONS: '256',
};

/** Ground 7: conversation history and answer records in DynamoDB (a local one; tables added at start). */
const GROUND7_ENV = {
  ...GROUND5_ENV,
  TENANTS: JSON.stringify({ benchKey: { tenant: 'bench', tier: 'standard' }, benchClient: { tenant: 'bench', tier: 'standard' } }),
  SESSION_HISTORY_TURNS: '10',
  SESSION_HISTORY_CHARS: '12000',
  SESSION_TTL_DAYS: '30',
  SESSION_MAX_TURNS_RETURNED: '50',
  FEEDBACK_WINDOW_DAYS: '7',
  FEEDBACK_RETENTION_DAYS: '365',
};

/** Grounds 0-7 of the prompt handler, each holding the ones below (as the stacks do). */
const REQUEST_PATHS: readonly GroundRequestPath[] = [
  { ground: 0, env: {}, perRequest: { Converse: 1 }, perContainer: {} },
  { ground: 1, env: GROUND1_ENV, perRequest: { Converse: 1 }, perContainer: { GetPrompt: 1 } },
  { ground: 2, env: GROUND2_ENV, perRequest: { Converse: 1, Retrieve: 1 }, perContainer: { GetPrompt: 1 } },
  { ground: 3, env: GROUND3_ENV, perRequest: { Converse: 1, Retrieve: 1, ApplyGuardrail: 2 }, perContainer: { GetPrompt: 1 } },
  { ground: 4, env: GROUND4_ENV, apiKeyId: 'benchKey', perRequest: { Converse: 1, Retrieve: 1, ApplyGuardrail: 2 }, perContainer: { GetPrompt: 1 } },
  // Every query new and unlike the others (only unique words, or the semantic cache would answer it):
  // input guardrail, embedding, exact + semantic lookups, the whole ground-4 path, then both cache writes.
  {
    ground: 5,
    path: 'miss',
    env: GROUND5_ENV,
    apiKeyId: 'benchKey',
    cache: true,
    query: (i) => `w${i}a w${i}b w${i}c w${i}d`,
    perRequest: { Converse: 1, Retrieve: 1, ApplyGuardrail: 2, InvokeModel: 1 },
    perContainer: { GetPrompt: 1 },
  },
  // The same query again: input guardrail, then the exact cache answers (no embedding, retrieval or model call).
  { ground: 5, path: 'exact hit', env: GROUND5_ENV, apiKeyId: 'benchKey', cache: true, perRequest: { ApplyGuardrail: 1 }, perContainer: { GetPrompt: 1 } },
  // A signed-in user continuing one conversation: its last 10 turns are loaded and the new turn
  // appended, the answer recorded for feedback (the cache is skipped: the answer depends on history).
  {
    ground: 7,
    path: 'conversation',
    env: GROUND7_ENV,
    apiKeyId: 'benchKey',
    cache: true,
    claims: { sub: 'bench-user', 'cognito:groups': 'tenant-bench', client_id: 'webClient', scope: 'genai/invoke' },
    perRequest: { Converse: 1, Retrieve: 1, ApplyGuardrail: 2 },
    perContainer: { GetPrompt: 1 },
  },
];
/** Every ground setting, cleared before a ground loads so a lower ground never inherits one. */
const GROUND_KEYS = [...Object.keys(GROUND7_ENV), 'CACHE_ENDPOINT', 'CACHE_PORT', 'SESSIONS_TABLE', 'FEEDBACK_TABLE'];
const OPERATIONS: readonly Operation[] = ['Converse', 'GetPrompt', 'Retrieve', 'ApplyGuardrail', 'InvokeModel'];

/**
 * Passages the fake retrieves: two above MIN_SCORE, one under it (dropped by the handler). All are
 * shared documents (contracts/tenant-documents.ts), so every caller's tenant scope admits them.
 */
const SHARED = { [AUDIENCE_KEY]: SHARED_AUDIENCE };
export const PASSAGES: FakePassage[] = [
  { text: 'Ground 2 stores vectors in S3 Vectors, which has no idle cost.', uri: 's3://docs/costs.md', score: 0.81, metadata: { ...SHARED, topic: 'cost' } },
  { text: 'OpenSearch Serverless costs about $175-350 per month at rest.', uri: 's3://docs/stores.md', score: 0.64, metadata: SHARED },
  { text: 'Unrelated passage about penguins.', uri: 's3://docs/penguins.md', score: 0.1, metadata: SHARED },
];

const WARMUP = 200;
const CALLS = 3_000;
export const QUERY = 'What is retrieval-augmented generation?';

export const figures = (samples: number[]): LatencyFigures => ({ p50: percentile(samples, 50), p99: percentile(samples, 99), mean: mean(samples) });

/**
 * What GetPrompt returns for the prompt version the stack deploys, from the real ManagedPrompt
 * construct. Built in a child process (bench/prompt-fixture.ts) so aws-cdk-lib stays out of this heap.
 */
export function deployedPrompt(id: string): Record<string, unknown> {
  const run = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(__dirname, 'prompt-fixture.ts'), id], {
    cwd: ROOT,
    env: childEnv(),
    encoding: 'utf8',
  });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`building the prompt fixture failed (exit ${run.status}):\n${run.stderr}`);
  return parseJson(jsonObject, run.stdout);
}

/** Environment of one ground, set before its module instance loads (the handler reads it at load). */
function setGroundEnv(env: Readonly<Record<string, string>>): void {
  for (const key of GROUND_KEYS) delete process.env[key];
  Object.assign(process.env, LAMBDA_ENV, HANDLER_ENV.prompt, env);
}

/**
 * A fresh module instance of the shipped bundle (a cold container): a copy per ground next to the
 * original, so any external `@aws-sdk/*` resolve the same way and require's cache holds no stale copy.
 */
function loadFreshHandler(name: string, cached: boolean): Handler {
  // The cached grounds deploy the prompt function's second build, with the cache client.
  const handler = cached ? 'prompt-cached' : 'prompt';
  const original = bundleFile(handler, shippedMode(handler));
  const copy = path.join(path.dirname(original), `index.${name}.js`);
  fs.copyFileSync(original, copy);
  delete require.cache[copy];
  // A fresh copy of the bundle per ground: require() is what loads a CommonJS file by path, synchronously.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads the copy by path (see above)
  return (require(copy) as { handler: Handler }).handler;
}

/** The fields of the answer that show which grounds are active; throws when they do not match. */
function checkAnswer(rp: GroundRequestPath, body: Record<string, unknown>, warm: boolean): void {
  const { ground } = rp;
  const has = (key: string) => body[key] !== undefined;
  const seen = [has('promptVersion'), has('citations'), has('guardrail'), has('cache')];
  // A conversation's later turns skip the cache, so they carry no cache field.
  const expected = [ground >= 1, ground >= 2, ground >= 3, ground >= 5 && !(rp.claims && warm)];
  if (seen.some((s, i) => s !== expected[i])) {
    throw new Error(
      `ground ${ground}: answer fields promptVersion/citations/guardrail/cache present ${seen.join('/')}, expected ${expected.join('/')}: ` +
        JSON.stringify(body),
    );
  }
  // Ground 7 continues a conversation: past the first turn the cache is not consulted at all.
  const source = rp.path === 'exact hit' && warm ? 'exact' : rp.claims && warm ? undefined : 'none';
  if (rp.cache && body.cache !== source) throw new Error(`ground ${ground} ${rp.path}: answer came from cache '${String(body.cache)}', expected '${source}'`);
  if (rp.claims && typeof body.sessionId !== 'string') throw new Error(`ground ${ground}: no sessionId in the answer: ${JSON.stringify(body)}`);
}

const countCalls = (fake: BedrockFake): CallCounts => Object.fromEntries(OPERATIONS.map((op) => [op, fake.count(op)]));

/** Calls counted on the fake over the measured `requests` (bare Converse calls removed) against what the path should make. */
function checkCalls(fake: BedrockFake, rp: GroundRequestPath, before: CallCounts, requests: number, bareCalls: number): CallCounts {
  const perRequest: CallCounts = {};
  const problems: string[] = [];
  // A cache round that overruns its budget (a GC pause, say) fails open to the model: allowed on up
  // to 1% of calls, and visible in the per-request figures.
  const tolerance = rp.cache ? Math.ceil(requests / 100) : 0;
  for (const op of OPERATIONS) {
    const seen = fake.count(op) - (before[op] ?? 0) - (op === 'Converse' ? bareCalls : 0);
    const expected = (rp.perRequest[op] ?? 0) * requests;
    if (Math.abs(seen - expected) > tolerance) problems.push(`${op}: saw ${seen}, expected ${expected}`);
    if (seen > 0) perRequest[op] = seen / requests;
  }
  if (problems.length) throw new Error(`ground ${rp.ground} ${rp.path ?? ''}: fake calls over ${requests} requests differ: ${problems.join('; ')}`);
  return perRequest;
}

/**
 * The prompt handler as shipped (the SDK-external bundle from `benchBundles`), one fresh module
 * instance per ground 0..3, against a fake Bedrock that answers at once: the figures are our code
 * plus the loopback round trips the ground makes.
 */
export async function benchPromptHandler(): Promise<HandlerResults> {
  const prompt = deployedPrompt(PROMPT_ID);
  const fake = await BedrockFake.start();
  // Ground 5 runs against a real Redis-compatible server, as the cache tests do.
  const redis = await startRedisServer({ extraArgs: ['--user', 'genai-app', 'on', 'nopass', '~genai:*', '+@all'] });
  // Ground 7 runs against a local DynamoDB, as the session and feedback tests do.
  const dynamo = await startLocalDynamoDb();
  await dynamo.createTable({ TableName: 'bench-sessions', ...SESSIONS_TABLE_DEFINITION });
  await dynamo.createTable({ TableName: 'bench-feedback', ...FEEDBACK_TABLE_DEFINITION });
  dynamo.exportEndpoint();
  try {
    fake.exportEndpoints();
    // The bare client is built once, with the ground-0 settings every ground shares.
    setGroundEnv({});
    const { createBedrockRuntime } = await import('../lambda/shared/bedrock');
    const env = HANDLER_ENV.prompt;
    const client = createBedrockRuntime({ maxAttempts: Number(env.BEDROCK_MAX_ATTEMPTS), attemptTimeoutMs: Number(env.BEDROCK_ATTEMPT_TIMEOUT_MS) });
    const converse = () =>
      new ConverseCommand({
        modelId: PROMPT_MODEL_ID,
        messages: [{ role: 'user', content: [{ text: QUERY }] }],
        inferenceConfig: { maxTokens: Number(env.MAX_TOKENS), temperature: Number(env.TEMPERATURE) },
      });
    const callBare = async (): Promise<number> => {
      const command = converse();
      const start = process.hrtime.bigint();
      const out = await client.send(command);
      const ms = msSince(start);
      if (!out.output?.message) throw new Error('bare Converse call returned no message');
      return ms;
    };

    const grounds: GroundHandlerFigures[] = [];
    for (const rp of REQUEST_PATHS) {
      fake.reset();
      fake.data.prompts.set(PROMPT_ID, prompt);
      fake.data.passages = [...PASSAGES];
      setGroundEnv({
        ...rp.env,
        ...(rp.cache ? { CACHE_ENDPOINT: redis.host, CACHE_PORT: String(redis.port) } : {}),
        ...(rp.claims ? { SESSIONS_TABLE: 'bench-sessions', FEEDBACK_TABLE: 'bench-feedback' } : {}),
      });
      if (rp.cache) await redis.command('FLUSHALL');
      const handler = loadFreshHandler(`ground${rp.ground}${rp.path ? `-${rp.path.replace(/\W+/g, '-')}` : ''}`, rp.cache === true);

      let call = 0;
      let sessionId: string | undefined;
      const callHandler = async (): Promise<number> => {
        const i = call++;
        const event = apiEvent('prompt', { query: rp.query ? rp.query(i) : QUERY, ...(sessionId ? { sessionId } : {}) });
        if (rp.apiKeyId) event.requestContext.identity = { ...event.requestContext.identity, apiKeyId: rp.apiKeyId };
        if (rp.claims) event.requestContext.authorizer = { claims: rp.claims };
        const context = lambdaContext();
        const start = process.hrtime.bigint();
        const result = await handler(event, context);
        const ms = msSince(start);
        if (result.statusCode !== 200) throw new Error(`ground ${rp.ground}: prompt handler answered ${result.statusCode}: ${result.body}`);
        // The first answer and one warm answer are checked: a path that is not what it claims fails the bench.
        if (i === 0 || i === WARMUP) checkAnswer(rp, parseJson(jsonObject, result.body), i > 0);
        if (rp.claims && i === 0) sessionId = parseJson(z.object({ sessionId: z.string() }), result.body).sessionId;
        return ms;
      };

      // Warm-up pays the cold start (GetPrompt), fills JIT caches and opens the keep-alive connections.
      for (let i = 0; i < WARMUP; i++) {
        await callHandler();
        await callBare();
      }
      const before = countCalls(fake);
      // Interleaved so drift (GC, CPU frequency, other load) hits both series alike.
      const handlerSamples: number[] = [];
      const bareSamples: number[] = [];
      for (let i = 0; i < CALLS; i++) {
        handlerSamples.push(await callHandler());
        bareSamples.push(await callBare());
      }
      const fakeCallsPerRequest = checkCalls(fake, rp, before, CALLS, CALLS);

      const paired = handlerSamples.map((h, i) => h - bareSamples[i]);
      const handlerMs = figures(handlerSamples);
      const bareRoundTripMs = figures(bareSamples);
      grounds.push({
        ground: rp.ground,
        ...(rp.path ? { path: rp.path } : {}),
        env: rp.env,
        fakeCallsPerRequest,
        fakeCallsPerContainer: rp.perContainer,
        handlerMs,
        bareRoundTripMs,
        overheadMs: { p50: handlerMs.p50 - bareRoundTripMs.p50, p99: handlerMs.p99 - bareRoundTripMs.p99 },
        pairedOverheadMs: { p50: percentile(paired, 50), p99: percentile(paired, 99) },
      });
    }
    setGroundEnv({});
    return { calls: CALLS, warmup: WARMUP, grounds };
  } finally {
    await fake.stop();
    await redis.stop();
    await dynamo.stop();
  }
}
