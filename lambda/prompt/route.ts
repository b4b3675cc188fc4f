import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { jsonRoute } from '../shared/api';
import { converseModel, createBedrockRuntime, guardrail } from '../shared/bedrock';
import { lazyKnowledgeBase, lazyManagedPrompt } from './deferred-ports';
import { readEnv } from '../shared/env';
import { promptEnvSchema } from '../../contracts/env';
import { logger, metrics } from '../shared/observability';
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { CacheFailure, ResponseCache } from '../shared/cache/cache';
import { type Caller, callerOf, tenantDirectoryFrom } from '../shared/identity';
import { createDynamoDb } from '../shared/dynamo';
import { newSessionId, SessionStore } from '../shared/sessions-store';
import { feedbackSettings, sessionSettings } from '../shared/sessions-env';
import { FeedbackStore } from '../shared/feedback-store';
import { validatePolicy } from '../shared/router';
import { parseRequest } from '../shared/validation';
import { HttpError } from '../shared/http';
import { recordUsage } from '../shared/usage';
import { NO_TENANT, USAGE_DIMENSIONS } from '../../contracts/usage';
import { FAULT_METRICS, type FaultMetric, GUARDRAIL_METRICS, PROMPT_METRICS } from '../../contracts/metrics';
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

const env = readEnv(promptEnvSchema);

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
function countFault(metricName: FaultMetric): void {
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
      if (!(error instanceof HttpError) || error.statusCode >= 500) countFault(FAULT_METRICS.sessionStore);
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
  readonly runtime: BedrockRuntimeClient;
  /** Fails open: the request goes on from the model; the failure is a metric and a warning. */
  readonly onCacheError: (failure: CacheFailure) => void;
}

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
    countFault(FAULT_METRICS.cache);
    logger.warn('cache skipped', { operation: failure.operation, reason: failure.reason });
  };
  const cache = env.CACHE_ENDPOINT && makeCache ? makeCache({ runtime, onCacheError }) : undefined;
  const deps: PromptDeps = {
    model: converseModel(runtime),
    ...(env.PROMPT_ID && env.PROMPT_VERSION ? { prompt: lazyManagedPrompt(clientSettings, env.PROMPT_ID, env.PROMPT_VERSION, templateFromPrompt) } : {}),
    ...(cache ? { cache } : {}),
    ...(env.KNOWLEDGE_BASE_ID ? { knowledge: lazyKnowledgeBase(clientSettings, env.KNOWLEDGE_BASE_ID) } : {}),
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
      if (error instanceof BlockedInput) metrics.addMetric(GUARDRAIL_METRICS.input, MetricUnit.Count, 1);
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
          countFault(FAULT_METRICS.feedbackRecord);
          logger.warn('answer not recorded for feedback', { reason: (error as Error).message });
        });
    }
    // The usage record of every model route (contracts/usage.ts); a cache hit called no model.
    if (answer.cache === undefined || answer.cache === 'none')
      recordUsage({ model: answer.model, tenant: caller.tenant, usage: answer.usage, costUsd: answer.costUsd });
    metrics.addDimensions({ [USAGE_DIMENSIONS.model]: answer.model, [USAGE_DIMENSIONS.tenant]: caller.tenant ?? NO_TENANT });
    if (answer.fallbackFrom.length) metrics.addMetric(PROMPT_METRICS.modelFallbacks, MetricUnit.Count, answer.fallbackFrom.length);
    metrics.addMetric(PROMPT_METRICS.modelLatency, MetricUnit.Milliseconds, answer.latencyMs);
    if (answer.citations) metrics.addMetric(PROMPT_METRICS.passagesUsed, MetricUnit.Count, answer.citations.length);
    if (answer.cache) metrics.addMetric(answer.cache === 'none' ? PROMPT_METRICS.cacheMisses : PROMPT_METRICS.cacheHits, MetricUnit.Count, 1);
    if (answer.guardrail && answer.guardrail.output !== 'none') metrics.addMetric(GUARDRAIL_METRICS.output, MetricUnit.Count, 1);
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
