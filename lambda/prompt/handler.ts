import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import { jsonRoute } from '../shared/api';
import { converseModel, createBedrockAgent, createBedrockAgentRuntime, createBedrockRuntime, guardrail, knowledgeBase, managedPrompt } from '../shared/bedrock';
import { intFromEnv, numberFromEnv, readEnv } from '../shared/env';
import { logger, metrics } from '../shared/observability';
import { type RoutingPolicy, type TenantTier, validatePolicy } from '../shared/router';
import { parseRequest } from '../shared/validation';
import { answerPrompt, BlockedInput, type PromptDeps, type PromptRequest, promptRequestSchema, type PromptSettings, templateFromPrompt } from './core';

const env = readEnv(
  z.object({
    /** JSON RoutingPolicy: targets (alias, model id, prices), default, tiers, fallbacks. */
    ROUTING_POLICY: z.string().check(z.minLength(2)),
    /** Ground 4: JSON {apiKeyId: {tenant, tier, modelIds?}} for the gateway's API keys (modelIds: the tenant's application inference profiles by alias). */
    TENANTS: z.optional(z.string()),
    MAX_TOKENS: intFromEnv(),
    TEMPERATURE: numberFromEnv(),
    MAX_QUERY_CHARS: intFromEnv(),
    BEDROCK_MAX_ATTEMPTS: intFromEnv(),
    BEDROCK_ATTEMPT_TIMEOUT_MS: intFromEnv(),
    // Ground 1.
    PROMPT_ID: z.optional(z.string().check(z.minLength(1))),
    PROMPT_VERSION: z.optional(z.string().check(z.minLength(1))),
    // Ground 2.
    KNOWLEDGE_BASE_ID: z.optional(z.string().check(z.minLength(1))),
    DEFAULT_TOP_K: z.optional(intFromEnv()),
    MAX_TOP_K: z.optional(intFromEnv()),
    MIN_SCORE: z.optional(numberFromEnv()),
    // Ground 3.
    GUARDRAIL_ID: z.optional(z.string().check(z.minLength(1))),
    GUARDRAIL_VERSION: z.optional(z.string().check(z.minLength(1))),
  }),
);

const clientSettings = { maxAttempts: env.BEDROCK_MAX_ATTEMPTS, attemptTimeoutMs: env.BEDROCK_ATTEMPT_TIMEOUT_MS };
const runtime = createBedrockRuntime(clientSettings);
const routing = JSON.parse(env.ROUTING_POLICY) as RoutingPolicy;
validatePolicy(routing);
const tenants = JSON.parse(env.TENANTS ?? '{}') as Record<string, { tenant: string; tier: TenantTier; modelIds?: Record<string, string> }>;
const settings: PromptSettings = {
  routing,
  maxTokens: env.MAX_TOKENS,
  temperature: env.TEMPERATURE,
  maxQueryChars: env.MAX_QUERY_CHARS,
  ...(env.KNOWLEDGE_BASE_ID ? { retrieval: { defaultTopK: env.DEFAULT_TOP_K ?? 5, maxTopK: env.MAX_TOP_K ?? 10, minScore: env.MIN_SCORE ?? 0 } } : {}),
};
const deps: PromptDeps = {
  model: converseModel(runtime),
  ...(env.PROMPT_ID && env.PROMPT_VERSION ? { prompt: managedPrompt(createBedrockAgent(clientSettings), env.PROMPT_ID, env.PROMPT_VERSION, templateFromPrompt) } : {}),
  ...(env.KNOWLEDGE_BASE_ID ? { knowledge: knowledgeBase(createBedrockAgentRuntime(clientSettings), env.KNOWLEDGE_BASE_ID) } : {}),
  ...(env.GUARDRAIL_ID && env.GUARDRAIL_VERSION ? { guardrail: guardrail(runtime, env.GUARDRAIL_ID, env.GUARDRAIL_VERSION) } : {}),
};
const requestSchema = promptRequestSchema(settings, { variables: deps.prompt !== undefined });

/** `POST /prompt`: [input guardrail] → [retrieve] → [prompt] → model → [output guardrail]. */
export const handler = jsonRoute(async ({ body, signal, event }) => {
  const request = parseRequest(requestSchema, body) as PromptRequest;
  // The tenant comes from the API key API Gateway checked, never from the body.
  const caller = tenants[event.requestContext?.identity?.apiKeyId ?? ''];
  const answer = await answerPrompt(request, settings, deps, signal, { tier: caller?.tier, modelIds: caller?.modelIds }).catch((error: unknown) => {
    if (error instanceof BlockedInput) metrics.addMetric('GuardrailInputInterventions', MetricUnit.Count, 1);
    throw error;
  });
  metrics.addDimensions({ Model: answer.model, Tenant: caller?.tenant ?? 'none' });
  metrics.addMetric('CostUsd', MetricUnit.Count, answer.costUsd);
  if (answer.fallbackFrom.length) metrics.addMetric('ModelFallbacks', MetricUnit.Count, answer.fallbackFrom.length);
  metrics.addMetric('InputTokens', MetricUnit.Count, answer.usage.inputTokens);
  metrics.addMetric('OutputTokens', MetricUnit.Count, answer.usage.outputTokens);
  metrics.addMetric('ModelLatency', MetricUnit.Milliseconds, answer.latencyMs);
  if (answer.citations) metrics.addMetric('PassagesUsed', MetricUnit.Count, answer.citations.length);
  if (answer.guardrail && answer.guardrail.output !== 'none') metrics.addMetric('GuardrailOutputInterventions', MetricUnit.Count, 1);
  logger.info('answered', { tenant: caller?.tenant, model: answer.model, modelId: answer.modelId, costUsd: answer.costUsd, fallbackFrom: answer.fallbackFrom, stopReason: answer.stopReason, ...answer.usage, latencyMs: answer.latencyMs, guardrail: answer.guardrail });
  return { body: { ...answer } };
});
