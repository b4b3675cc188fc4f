import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type ChatDeps, type ChatEvent, openChat } from '../shared/guarded-chat';
import { createBedrockRuntime, guardrail } from '../shared/bedrock';
import { readEnv } from '../shared/env';
import { openAiEnvSchema } from '../../contracts/env';
import { callerOf } from '../shared/identity';
import { logger, metrics } from '../shared/observability';
import { costOf, validatePolicy } from '../shared/router';
import type { RoutingPolicy } from '../../contracts/routing';
import { converseStreamModel, streamingRoute } from '../shared/stream';
import { parseRequest } from '../shared/validation';
import { recordUsage } from '../shared/usage';
import { NO_TENANT, USAGE_DIMENSIONS } from '../../contracts/usage';
import { GUARDRAIL_METRICS } from '../../contracts/metrics';
import { completion, completionChunks, completionRequestSchema, type CompletionSettings, openAiError, openAiErrorFrame, toModelRequest } from './core';

const env = readEnv(openAiEnvSchema);

const policy: RoutingPolicy = env.ROUTING_POLICY;
validatePolicy(policy);
const runtime = createBedrockRuntime({ maxAttempts: env.BEDROCK_MAX_ATTEMPTS, attemptTimeoutMs: env.BEDROCK_ATTEMPT_TIMEOUT_MS });
const settings: CompletionSettings = { policy, maxTokens: env.MAX_TOKENS, temperature: env.TEMPERATURE, maxMessageChars: env.MAX_QUERY_CHARS };
const guardrailWindow = { guardrailWindowChars: env.GUARDRAIL_WINDOW_CHARS ?? 1_000 };
const deps: ChatDeps = {
  model: converseStreamModel(runtime),
  ...(env.GUARDRAIL_ID && env.GUARDRAIL_VERSION ? { guardrail: guardrail(runtime, env.GUARDRAIL_ID, env.GUARDRAIL_VERSION) } : {}),
};
const requestSchema = completionRequestSchema(settings);

/**
 * `POST /v1/chat/completions`, OpenAI-compatible: `stream: true` answers Server-Sent Events of
 * `chat.completion.chunk`, otherwise one `chat.completion`. Errors use OpenAI's envelope, with the
 * status and message of the shared mapper (so a throttled model is a 429 with Retry-After).
 * Fallback to another model is not attempted on this route yet (see shared/router.ts).
 */
export const handler = streamingRoute(
  async ({ body, requestId, signal, event }) => {
    const request = parseRequest(requestSchema, body);
    // The tenant comes from what API Gateway checked (token, API key), never from the body.
    const caller = callerOf(event, env.TENANTS ?? {});
    const routed = toModelRequest(request, settings, caller);
    const events = await openChat(routed.request, guardrailWindow, deps, signal);
    const meta = { id: `chatcmpl-${requestId}`, created: Math.floor(Date.now() / 1000), model: routed.alias };
    if (!request.stream) {
      const answer = await completion(events, meta);
      record(routed.alias, caller.tenant, answer.done);
      return { kind: 'json', body: answer.body };
    }
    const frames = completionChunks(events, meta, request.stream_options?.include_usage === true, (done) => record(routed.alias, caller.tenant, done));
    return { kind: 'stream', contentType: 'text/event-stream; charset=utf-8', frames };
  },
  { json: openAiError, frame: openAiErrorFrame },
);

function record(alias: string, tenant: string | undefined, done: Extract<ChatEvent, { type: 'done' }>): void {
  // The usage record of every model route (contracts/usage.ts); none when the guardrail stopped
  // the model before it reported usage.
  if (done.usage) recordUsage({ model: alias, tenant, usage: done.usage, costUsd: costOf(done.usage, policy.targets.find((t) => t.alias === alias)!.price) });
  metrics.addDimensions({ [USAGE_DIMENSIONS.model]: alias, [USAGE_DIMENSIONS.tenant]: tenant ?? NO_TENANT });
  if (done.guardrail && done.guardrail.output !== 'none') metrics.addMetric(GUARDRAIL_METRICS.output, MetricUnit.Count, 1);
  logger.info('completed', { alias, tenant, stopReason: done.stopReason, ...done.usage, guardrail: done.guardrail });
}
