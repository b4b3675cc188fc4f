import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import { jsonRoute } from '../shared/api';
import { converseModel, createBedrockAgent, createBedrockAgentRuntime, createBedrockRuntime, guardrail, knowledgeBase, managedPrompt } from '../shared/bedrock';
import { intFromEnv, jsonFromEnv, modelCallEnv, numberFromEnv, readEnv } from '../shared/env';
import { logger, metrics } from '../shared/observability';
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { CacheFailure, ResponseCache } from '../shared/cache/cache';
import { type Caller, callerOf, tenantDirectoryFrom } from '../shared/identity';
import { createDynamoDb } from '../shared/dynamo';
import { newSessionId, SessionStore } from '../shared/sessions-store';
import { feedbackSettings, sessionSettings, storeEnv } from '../shared/sessions-env';
import { FeedbackStore } from '../shared/feedback-store';
import { validatePolicy } from '../shared/router';
import { routingPolicySchema } from '../../contracts/routing';
import { parseRequest } from '../shared/validation';
import { HttpError } from '../shared/http';
import { recordUsage } from '../shared/usage';
import { NO_TENANT } from '../../contracts/usage';
import {
  answerPrompt,
  BlockedInput,
  type ConversationPort,
  type PromptAnswer,
  type PromptDeps,
  type PromptRequest,
  promptRequestSchema,
  type PromptSettings,
  templateFromPrompt,
} from './core';

const env = readEnv(
  z.object({
    /** JSON RoutingPolicy: targets (alias, model id, prices), default, tiers, fallbacks. */
    ROUTING_POLICY: jsonFromEnv(routingPolicySchema),
    /** Ground 4: JSON {apiKeyId: {tenant, tier, modelIds?}} for the gateway's API keys (modelIds: the tenant's application inference profiles by alias). */
    TENANTS: z.optional(z.string()),
    ...modelCallEnv(),
    // Ground 1.
    PROMPT_ID: z.optional(z.string().check(z.minLength(1))),
    PROMPT_VERSION: z.optional(z.string().check(z.minLength(1))),
    // Ground 2.
    KNOWLEDGE_BASE_ID: z.optional(z.string().check(z.minLength(1))),
    DEFAULT_TOP_K: z.optional(intFromEnv()),
    MAX_TOP_K: z.optional(intFromEnv()),
    MIN_SCORE: z.optional(numberFromEnv()),
    // Ground 5 (CACHE_ENDPOINT/PORT/NAME/USER_ID come from ResponseCache.grantConnect).
    CACHE_ENDPOINT: z.optional(z.string().check(z.minLength(1))),
    CACHE_PORT: z.optional(intFromEnv()),
    CACHE_NAME: z.optional(z.string()),
    CACHE_USER_ID: z.optional(z.string()),
    CACHE_TTL_SECONDS: z.optional(intFromEnv()),
    CACHE_TIMEOUT_MS: z.optional(intFromEnv()),
    /** Set: the semantic cache is on, with this cosine threshold. */
    CACHE_SEMANTIC_THRESHOLD: z.optional(numberFromEnv()),
    CACHE_EMBEDDING_MODEL_ID: z.optional(z.string()),
    CACHE_EMBEDDING_DIMENSIONS: z.optional(intFromEnv()),
    /** Local servers only: ElastiCache Serverless always speaks TLS and the cluster protocol. */
    CACHE_TLS: z.optional(z.enum(['true', 'false'])),
    CACHE_CLUSTER: z.optional(z.enum(['true', 'false'])),
    // Ground 7 (SessionStore.grantReadWrite and Feedback.grantRecordAnswers write these).
    SESSIONS_TABLE: z.optional(z.string().check(z.minLength(1))),
    FEEDBACK_TABLE: z.optional(z.string().check(z.minLength(1))),
    ...storeEnv(),
  }),
);

const clientSettings = { maxAttempts: env.BEDROCK_MAX_ATTEMPTS, attemptTimeoutMs: env.BEDROCK_ATTEMPT_TIMEOUT_MS };
const runtime = createBedrockRuntime(clientSettings);
const routing = env.ROUTING_POLICY;
validatePolicy(routing);
const tenants = tenantDirectoryFrom(env.TENANTS);
const settings: PromptSettings = {
  routing,
  maxTokens: env.MAX_TOKENS,
  temperature: env.TEMPERATURE,
  maxQueryChars: env.MAX_QUERY_CHARS,
  guardrailVersion: env.GUARDRAIL_VERSION,
  ...(env.KNOWLEDGE_BASE_ID ? { retrieval: { defaultTopK: env.DEFAULT_TOP_K ?? 5, maxTopK: env.MAX_TOP_K ?? 10, minScore: env.MIN_SCORE ?? 0 } } : {}),
};

/**
 * A dependency fault, published at once under the `service` dimension only, so one alarm sees it
 * whatever model or tenant the request had (the request's own metrics carry Model and Tenant).
 */
function countFault(metricName: 'CacheErrors' | 'SessionStoreErrors' | 'FeedbackRecordErrors'): void {
  metrics.singleMetric().addMetric(metricName, MetricUnit.Count, 1);
}

const dynamo = env.SESSIONS_TABLE || env.FEEDBACK_TABLE ? createDynamoDb({ attemptTimeoutMs: env.DYNAMODB_ATTEMPT_TIMEOUT_MS }) : undefined;
const sessions = env.SESSIONS_TABLE ? new SessionStore(dynamo!, env.SESSIONS_TABLE, sessionSettings(env)) : undefined;
const answers = env.FEEDBACK_TABLE ? new FeedbackStore(dynamo!, env.FEEDBACK_TABLE, feedbackSettings(env)) : undefined;

/**
 * Ground 7: the request's turn in the caller's session. The turn is keyed by the API request (id
 * and receive time), so a retried request reads the same history and stores its turn once.
 */
function conversation(store: SessionStore, caller: Caller, sessionId: string, isNew: boolean, requestId: string, receivedAtMs: unknown): ConversationPort {
  const turn = { requestId, receivedAtMs: typeof receivedAtMs === 'number' && Number.isFinite(receivedAtMs) ? receivedAtMs : Date.now() };
  // History unreadable or the turn not stored fails the request (503): an answer without its
  // history would look right and be wrong, and an answer the history lacks would derail the next turn.
  const counted = <T>(work: Promise<T>) =>
    work.catch((error: unknown) => {
      if (!(error instanceof HttpError) || error.statusCode >= 500) countFault('SessionStoreErrors');
      throw error;
    });
  return {
    // A new session has no earlier turns: nothing to read.
    history: (signal) => (isNew ? Promise.resolve([]) : counted(store.history(sessionId, caller, turn, signal))),
    append: (question, answer, signal) => counted(store.append(sessionId, caller, turn, question, answer.text, answer.model, signal)),
  };
}

/** What a cached entry (handler-cached.ts) needs to build the ground-5 cache. */
export interface CacheContext {
  readonly env: PromptEnv;
  readonly runtime: BedrockRuntimeClient;
  /** Fails open: the request goes on from the model; the failure is a metric and a warning. */
  readonly onCacheError: (failure: CacheFailure) => void;
}
export type PromptEnv = typeof env;

/**
 * `POST /prompt`: [input guardrail] → [retrieve] → [prompt] → model → [output guardrail]; with
 * `makeCache` (ground 5+), the exact and semantic cache before the model. Two entries share this
 * route so that only cached grounds ship the cache client: handler.ts and handler-cached.ts.
 */
export function promptHandler(makeCache?: (context: CacheContext) => ResponseCache<PromptAnswer>) {
  if (env.CACHE_ENDPOINT && !makeCache) {
    throw new Error(
      'Function environment is invalid: CACHE_ENDPOINT is set, but this entry has no cache client (cached grounds deploy lambda/prompt/handler-cached.ts)',
    );
  }
  const onCacheError = (failure: CacheFailure) => {
    countFault('CacheErrors');
    logger.warn('cache skipped', { operation: failure.operation, reason: failure.reason });
  };
  const cache = env.CACHE_ENDPOINT && makeCache ? makeCache({ env, runtime, onCacheError }) : undefined;
  const deps: PromptDeps = {
    model: converseModel(runtime),
    ...(env.PROMPT_ID && env.PROMPT_VERSION
      ? { prompt: managedPrompt(createBedrockAgent(clientSettings), env.PROMPT_ID, env.PROMPT_VERSION, templateFromPrompt) }
      : {}),
    ...(cache ? { cache } : {}),
    ...(env.KNOWLEDGE_BASE_ID ? { knowledge: knowledgeBase(createBedrockAgentRuntime(clientSettings), env.KNOWLEDGE_BASE_ID) } : {}),
    ...(env.GUARDRAIL_ID && env.GUARDRAIL_VERSION ? { guardrail: guardrail(runtime, env.GUARDRAIL_ID, env.GUARDRAIL_VERSION) } : {}),
  };
  const requestSchema = promptRequestSchema(settings, { variables: deps.prompt !== undefined, sessions: sessions !== undefined });
  return jsonRoute(async ({ body, signal, event, requestId }) => {
    const request = parseRequest(requestSchema, body) as PromptRequest;
    // The tenant and the owner of sessions come from what API Gateway checked (token, API key), never from the body.
    const caller = callerOf(event, tenants);
    const sessionId = sessions ? (request.sessionId ?? newSessionId(caller, requestId)) : undefined;
    const answer = await answerPrompt(request, settings, deps, signal, {
      tenant: caller.tenant,
      tier: caller.tier,
      modelIds: caller.modelIds,
      ...(sessions
        ? { conversation: conversation(sessions, caller, sessionId!, request.sessionId === undefined, requestId, event.requestContext?.requestTimeEpoch) }
        : {}),
    }).catch((error: unknown) => {
      if (error instanceof BlockedInput) metrics.addMetric('GuardrailInputInterventions', MetricUnit.Count, 1);
      throw error;
    });
    if (answers) {
      // The answer stands when this record cannot be written: the client got it; only rating it
      // will fail (404). Counted and logged so the operator sees a feedback store outage.
      await answers
        .recordAnswer(
          {
            requestId,
            owner: caller,
            model: answer.model,
            modelId: answer.modelId,
            promptVersion: answer.promptVersion,
            guardrailVersion: env.GUARDRAIL_VERSION,
            cache: answer.cache,
            sessionId,
          },
          signal,
        )
        .catch((error: unknown) => {
          countFault('FeedbackRecordErrors');
          logger.warn('answer not recorded for feedback', { reason: (error as Error).message });
        });
    }
    // The usage record of every model route (contracts/usage.ts); a cache hit called no model.
    if (answer.cache === undefined || answer.cache === 'none')
      recordUsage({ model: answer.model, tenant: caller.tenant, usage: answer.usage, costUsd: answer.costUsd });
    metrics.addDimensions({ Model: answer.model, Tenant: caller.tenant ?? NO_TENANT });
    if (answer.fallbackFrom.length) metrics.addMetric('ModelFallbacks', MetricUnit.Count, answer.fallbackFrom.length);
    metrics.addMetric('ModelLatency', MetricUnit.Milliseconds, answer.latencyMs);
    if (answer.citations) metrics.addMetric('PassagesUsed', MetricUnit.Count, answer.citations.length);
    if (answer.cache) metrics.addMetric(answer.cache === 'none' ? 'CacheMisses' : 'CacheHits', MetricUnit.Count, 1);
    if (answer.guardrail && answer.guardrail.output !== 'none') metrics.addMetric('GuardrailOutputInterventions', MetricUnit.Count, 1);
    logger.info('answered', {
      tenant: caller.tenant,
      model: answer.model,
      modelId: answer.modelId,
      costUsd: answer.costUsd,
      fallbackFrom: answer.fallbackFrom,
      stopReason: answer.stopReason,
      ...answer.usage,
      latencyMs: answer.latencyMs,
      guardrail: answer.guardrail,
    });
    return { body: { ...answer, ...(sessionId ? { sessionId } : {}) } };
  });
}
