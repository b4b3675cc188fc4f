import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import { type ChatDeps, type ChatEvent, openChat } from '../shared/guarded-chat';
import { createBedrockRuntime, guardrail } from '../shared/bedrock';
import { intFromEnv, jsonFromEnv, modelCallEnv, readEnv } from '../shared/env';
import { callerOf } from '../shared/identity';
import { logger, metrics } from '../shared/observability';
import { costOf, validatePolicy } from '../shared/router';
import type { RoutingPolicy } from '../../contracts/routing';
import { converseStreamModel, streamingRoute } from '../shared/stream';
import { parseRequest } from '../shared/validation';
import { recordUsage } from '../shared/usage';
import { NO_TENANT } from '../../contracts/usage';
import { TENANT_TIERS } from '../../contracts/tenants';
import { completion, completionChunks, completionRequestSchema, type CompletionSettings, openAiError, openAiErrorFrame, toModelRequest } from './core';

const alias = z.string().check(z.minLength(1));
const routingPolicySchema = z.object({
  targets: z
    .array(z.object({ alias, modelId: z.string().check(z.minLength(1)), price: z.object({ inputPerMTok: z.number(), outputPerMTok: z.number() }) }))
    .check(z.minLength(1)),
  defaultAlias: alias,
  byTier: z.optional(z.partialRecord(z.enum(TENANT_TIERS), alias)),
  longPrompt: z.optional(z.object({ minChars: z.number(), alias })),
  fallbacks: z.record(z.string(), z.array(alias)),
});

const env = readEnv(
  z.object({
    /** JSON of a RoutingPolicy (shared/router.ts): the catalog aliases a client may name, and the default. */
    ROUTING_POLICY: jsonFromEnv(routingPolicySchema),
    /** Ground 4: JSON TenantDirectory (shared/identity.ts), as for the prompt function. */
    TENANTS: z.optional(
      jsonFromEnv(z.record(z.string(), z.object({ tenant: z.string(), tier: z.enum(TENANT_TIERS), modelIds: z.optional(z.record(z.string(), z.string())) }))),
    ),
    ...modelCallEnv(),
    GUARDRAIL_WINDOW_CHARS: z.optional(intFromEnv()),
  }),
);

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
  metrics.addDimensions({ Model: alias, Tenant: tenant ?? NO_TENANT });
  if (done.guardrail && done.guardrail.output !== 'none') metrics.addMetric('GuardrailOutputInterventions', MetricUnit.Count, 1);
  logger.info('completed', { alias, tenant, stopReason: done.stopReason, ...done.usage, guardrail: done.guardrail });
}
