import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createBedrockRuntime, guardrail } from '../shared/bedrock';
import { readEnv } from '../shared/env';
import { chatStreamEnvSchema } from '../../contracts/env';
import { callerOf, tenantDirectoryFrom } from '../shared/identity';
import { logger, metrics } from '../shared/observability';
import { converseStreamModel, streamingRoute } from '../shared/stream';
import { parseRequest } from '../shared/validation';
import { costOf } from '../shared/router';
import { recordUsage } from '../shared/usage';
import { MODEL_PRICE_ENV } from '../../contracts/model-call';
import { NO_TENANT, USAGE_DIMENSIONS } from '../../contracts/usage';
import { GUARDRAIL_METRICS } from '../../contracts/metrics';
import { chatRequestSchema, type ChatRequest, type ChatSettings, modelRequest } from './core';
import { type ChatDeps, type ChatEvent, openChat } from '../shared/guarded-chat';

const env = readEnv(chatStreamEnvSchema);

// The attempt timeout bounds the wait for the stream to start; once tokens flow, the deadline
// of the invocation is what ends a stalled stream.
const runtime = createBedrockRuntime({ maxAttempts: env.BEDROCK_MAX_ATTEMPTS, attemptTimeoutMs: env.BEDROCK_ATTEMPT_TIMEOUT_MS });
const settings: ChatSettings = {
  modelId: env.MODEL_ID,
  maxTokens: env.MAX_TOKENS,
  temperature: env.TEMPERATURE,
  maxMessageChars: env.MAX_QUERY_CHARS,
  guardrailWindowChars: env.GUARDRAIL_WINDOW_CHARS ?? 1_000,
};
const deps: ChatDeps = {
  model: converseStreamModel(runtime),
  ...(env.GUARDRAIL_ID && env.GUARDRAIL_VERSION ? { guardrail: guardrail(runtime, env.GUARDRAIL_ID, env.GUARDRAIL_VERSION) } : {}),
};
const requestSchema = chatRequestSchema(settings);
/** The usage record's `Model`: the catalog alias, as the prompt and OpenAI routes report it. */
const modelAlias = env.MODEL_ALIAS ?? env.MODEL_ID;
const price = env[MODEL_PRICE_ENV];
const tenants = tenantDirectoryFrom(env.TENANTS);

const sse = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;

/**
 * `POST /chat/stream`: Server-Sent Events. `data: {"delta"}` per piece of text, `data: {"replace"}`
 * when the guardrail blocks the answer, then `data: {"done": true, ...}`; a failure once the
 * stream has started is an `event: error` frame. Bad input and failures before the first token
 * are plain JSON answers with their status.
 */
export const handler = streamingRoute(
  async ({ body, requestId, signal, event }) => {
    const request = parseRequest(requestSchema, body) as ChatRequest;
    // The tenant comes from what API Gateway checked (token, API key), never from the body.
    const caller = callerOf(event, tenants);
    const profile = env.MODEL_ALIAS ? caller.modelIds?.[env.MODEL_ALIAS] : undefined;
    const events = await openChat({ ...modelRequest(request, settings), ...(profile ? { modelId: profile } : {}) }, settings, deps, signal);
    return { kind: 'stream', contentType: 'text/event-stream; charset=utf-8', frames: frames(events, requestId, caller.tenant) };
  },
  {
    json: (error, requestId) => ({ error: error.message, requestId }),
    frame: (error, requestId) => sse({ error: error.message, status: error.statusCode, requestId }, 'error'),
  },
);

async function* frames(events: AsyncIterable<ChatEvent>, requestId: string, tenant: string | undefined): AsyncGenerator<string> {
  for await (const event of events) {
    if (event.type === 'delta') yield sse({ delta: event.text });
    else if (event.type === 'replace') yield sse({ replace: event.text });
    else {
      record(event, tenant);
      yield sse({
        done: true,
        modelId: settings.modelId,
        stopReason: event.stopReason,
        usage: event.usage ?? null,
        guardrail: event.guardrail ?? null,
        requestId,
      });
    }
  }
}

function record(done: Extract<ChatEvent, { type: 'done' }>, tenant: string | undefined): void {
  // The usage record of every model route (contracts/usage.ts). A stream the guardrail stopped
  // ends before the model reports its usage: nothing to record.
  if (done.usage) recordUsage({ model: modelAlias, tenant, usage: done.usage, costUsd: costOf(done.usage, price) });
  metrics.addDimensions({ [USAGE_DIMENSIONS.model]: modelAlias, [USAGE_DIMENSIONS.tenant]: tenant ?? NO_TENANT });
  if (done.guardrail && done.guardrail.output !== 'none') metrics.addMetric(GUARDRAIL_METRICS.output, MetricUnit.Count, 1);
  logger.info('streamed', { modelId: settings.modelId, tenant, stopReason: done.stopReason, ...done.usage, guardrail: done.guardrail });
}
