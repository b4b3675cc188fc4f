import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { BedrockFake } from './bedrock-fake';

/** The one model below ground 4, as the stack writes it into ROUTING_POLICY. */
export const PROMPT_MODEL_ID = 'us.amazon.nova-lite-v1:0';
export const PROMPT_ROUTING = {
  targets: [{ alias: 'nova-lite', modelId: PROMPT_MODEL_ID, price: { inputPerMTok: 0.06, outputPerMTok: 0.24 } }],
  defaultAlias: 'nova-lite',
  fallbacks: {},
};

export const PROMPT_ENV = {
  ROUTING_POLICY: JSON.stringify(PROMPT_ROUTING),
  MAX_TOKENS: '1024',
  TEMPERATURE: '0.5',
  MAX_QUERY_CHARS: '8000',
  BEDROCK_MAX_ATTEMPTS: '3',
  BEDROCK_ATTEMPT_TIMEOUT_MS: '1000',
};

/** Ground 7: the session and feedback stores' settings, as SessionStore and Feedback write them. */
export const STORE_ENV = {
  SESSION_HISTORY_TURNS: '3',
  SESSION_HISTORY_CHARS: '2000',
  SESSION_TTL_DAYS: '30',
  SESSION_MAX_TURNS_RETURNED: '5',
  FEEDBACK_WINDOW_DAYS: '7',
  FEEDBACK_RETENTION_DAYS: '365',
  FEEDBACK_MAX_COMMENT_CHARS: '500',
  // A stuck local DynamoDB is given up on quickly.
  DYNAMODB_ATTEMPT_TIMEOUT_MS: '300',
};

/**
 * STORE_ENV for tests of rival writers, not of timeouts (sessions-faults.test.ts and
 * feedback-store.test.ts cover those): on a busy 2-core machine the local DynamoDB can take more
 * than 300 ms under a burst of concurrent requests, and an attempt that times out after its write
 * landed becomes an SDK retry or a 503, which is the timeout path, not the one under test.
 */
export const CONTENTION_STORE_ENV = { ...STORE_ENV, DYNAMODB_ATTEMPT_TIMEOUT_MS: '5000' };
const STORE_KEYS = ['SESSIONS_TABLE', 'FEEDBACK_TABLE', ...Object.keys(STORE_ENV)];

/** Settings of grounds 1-3 (and 7); unset unless a test asks for them. */
const GROUND_KEYS = [
  'TENANTS',
  'PROMPT_ID',
  'PROMPT_VERSION',
  'KNOWLEDGE_BASE_ID',
  'DEFAULT_TOP_K',
  'MAX_TOP_K',
  'MIN_SCORE',
  'GUARDRAIL_ID',
  'GUARDRAIL_VERSION',
  ...STORE_KEYS,
];

export type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * Loads `lambda/<entry>` (e.g. 'chat-stream/handler') as a fresh module instance, as Lambda does
 * per container (module-scope clients read the environment once), with `env` set and every other
 * ground's settings unset.
 */
export function loadLambdaHandler<T>(entry: string, env: Record<string, string>): T {
  for (const key of [...GROUND_KEYS, 'CACHE_ENDPOINT', 'MODEL_ALIAS']) delete process.env[key];
  Object.assign(process.env, env);
  let handler!: T;
  jest.isolateModules(() => {
    handler = (require(`../../lambda/${entry}`) as { handler: T }).handler;
  });
  return handler;
}

/** Starts the Bedrock fake and loads the prompt handler pointed at it (module-scope clients). */
export async function startPromptHandler(env: Record<string, string> = {}): Promise<{ fake: BedrockFake; handler: Handler }> {
  const fake = await BedrockFake.start();
  fake.exportEndpoints();
  for (const key of GROUND_KEYS) delete process.env[key];
  Object.assign(process.env, PROMPT_ENV, env);
  let handler!: Handler;
  jest.isolateModules(() => {
    // The cached grounds' entry when a cache is configured, as the stack deploys it.
    handler = (require(env.CACHE_ENDPOINT ? '../../lambda/prompt/handler-cached' : '../../lambda/prompt/handler') as { handler: Handler }).handler;
  });
  return { fake, handler };
}

/** Ground 7 tables as lib/constructs/sessions and lib/constructs/feedback define their keys. */
export { FEEDBACK_TABLE_DEFINITION, SESSIONS_TABLE_DEFINITION } from './dynamo-memory';

/** Two tenants as the stack writes TENANTS (keys: API key ids or machine client ids). */
export const TWO_TENANTS = { 'key-acme': { tenant: 'acme', tier: 'standard' }, 'key-globex': { tenant: 'globex', tier: 'standard' } };

/**
 * Loads `lambda/<dir>/handler.ts` (module-scope clients read the current environment) and the
 * Powertools metrics instance it publishes through, so tests can see which metrics it adds.
 */
export function loadRouteHandler(dir: 'sessions' | 'feedback'): { handler: Handler; metrics: import('@aws-lambda-powertools/metrics').Metrics } {
  let loaded!: { handler: Handler; metrics: import('@aws-lambda-powertools/metrics').Metrics };
  jest.isolateModules(() => {
    const { metrics } = require('../../lambda/shared/observability') as typeof import('../../lambda/shared/observability');
    loaded = { handler: (require(`../../lambda/${dir}/handler`) as { handler: Handler }).handler, metrics };
  });
  return loaded;
}
