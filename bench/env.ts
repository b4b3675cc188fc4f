import * as path from 'node:path';
import { CHURN_DATASET } from '../contracts/dataset';
import { PROMPT_ENV } from '../test/support/prompt-handler';

export const ROOT = path.join(__dirname, '..');
/** Everything the bench writes (gitignored). */
export const OUT_DIR = path.join(ROOT, '.bench');

/**
 * What the Lambda environment would hold, minus real credentials: a region, fake keys (signing
 * needs some), and Powertools silenced so log/metric output does not land in the timings.
 */
export const LAMBDA_ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE',
  AWS_SECRET_ACCESS_KEY: 'fake-secret-for-loopback-bench-only',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_TRACE_ENABLED: 'false',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/**
 * Settings each handler reads at module load (the stack sets them in the real function). A new
 * handler needs an entry here, or its cold-load run fails loudly on invalid environment.
 */
export const HANDLER_ENV: Record<string, Record<string, string>> = {
  prompt: PROMPT_ENV,
  // Ground 5+: the same route with its cache configured as the stack writes it (the client connects on first use: no I/O at load).
  'prompt-cached': { ...PROMPT_ENV, CACHE_ENDPOINT: '127.0.0.1', CACHE_PORT: '6379', CACHE_NAME: 'bench-cache', CACHE_USER_ID: 'bench-user' },
  // Ground 4's streamed routes.
  'chat-stream': {
    MODEL_ID: 'us.amazon.nova-lite-v1:0',
    MODEL_PRICE: JSON.stringify({ inputPerMTok: 0.06, outputPerMTok: 0.24 }),
    MAX_TOKENS: PROMPT_ENV.MAX_TOKENS,
    TEMPERATURE: PROMPT_ENV.TEMPERATURE,
    MAX_QUERY_CHARS: PROMPT_ENV.MAX_QUERY_CHARS,
    BEDROCK_MAX_ATTEMPTS: PROMPT_ENV.BEDROCK_MAX_ATTEMPTS,
    BEDROCK_ATTEMPT_TIMEOUT_MS: PROMPT_ENV.BEDROCK_ATTEMPT_TIMEOUT_MS,
  },
  openai: PROMPT_ENV,
  // Ground 2's ingestion function (lambda/ingest/handler.ts); AWS_REGION comes from LAMBDA_ENV.
  ingest: {
    KNOWLEDGE_BASE_ID: 'KB12345678',
    DATA_SOURCE_ID: 'DS12345678',
    QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/ingest-checks',
    CHECK_DELAY_SECONDS: '60',
    MAX_CHECKS: '30',
    BEDROCK_MAX_ATTEMPTS: '3',
    BEDROCK_ATTEMPT_TIMEOUT_MS: '1000',
  },
  // Ground 6.
  agent: { AGENT_ID: 'AGENT12345', AGENT_ALIAS_ID: 'ALIAS12345', MAX_INPUT_CHARS: '4000', BEDROCK_MAX_ATTEMPTS: '2', BEDROCK_ATTEMPT_TIMEOUT_MS: '25000' },
  'agent-actions': { TABLE_NAME: 'agent-data' },
  // Ground 7.
  sessions: {
    SESSIONS_TABLE: 'sessions',
    SESSION_HISTORY_TURNS: '10',
    SESSION_HISTORY_CHARS: '12000',
    SESSION_TTL_DAYS: '30',
    SESSION_MAX_TURNS_RETURNED: '50',
  },
  feedback: { FEEDBACK_TABLE: 'feedback', FEEDBACK_WINDOW_DAYS: '7', FEEDBACK_RETENTION_DAYS: '365', FEEDBACK_MAX_COMMENT_CHARS: '1000' },
  'invocation-logging': {},
  // The PredictiveMl stack.
  predict: { ENDPOINT_NAME: 'genai-churn', DATASET: JSON.stringify(CHURN_DATASET), SAGEMAKER_MAX_ATTEMPTS: '3', SAGEMAKER_ATTEMPT_TIMEOUT_MS: '12000' },
  'training-gate': { ENDPOINT_NAME: 'genai-churn', METRIC_NAME: 'validation:auc', THRESHOLD: '0.8' },
  'endpoint-teardown': {},
};

/** The bench's own environment plus `extra`, with any ambient AWS identity removed. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.AWS_SESSION_TOKEN;
  delete env.AWS_PROFILE;
  return env;
}
