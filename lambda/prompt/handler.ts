import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod/mini';
import { jsonRoute } from '../shared/api';
import { converseModel, createBedrockRuntime } from '../shared/bedrock';
import { intFromEnv, numberFromEnv, readEnv } from '../shared/env';
import { logger, metrics } from '../shared/observability';
import { parseRequest } from '../shared/validation';
import { answerPrompt, promptRequestSchema, type PromptSettings } from './core';

const env = readEnv(
  z.object({
    MODEL_ID: z.string().check(z.minLength(1)),
    MAX_TOKENS: intFromEnv(),
    TEMPERATURE: numberFromEnv(),
    MAX_QUERY_CHARS: intFromEnv(),
    BEDROCK_MAX_ATTEMPTS: intFromEnv(),
    BEDROCK_ATTEMPT_TIMEOUT_MS: intFromEnv(),
  }),
);

const settings: PromptSettings = {
  modelId: env.MODEL_ID,
  maxTokens: env.MAX_TOKENS,
  temperature: env.TEMPERATURE,
  maxQueryChars: env.MAX_QUERY_CHARS,
};
const requestSchema = promptRequestSchema(settings);
const model = converseModel(
  createBedrockRuntime({ maxAttempts: env.BEDROCK_MAX_ATTEMPTS, attemptTimeoutMs: env.BEDROCK_ATTEMPT_TIMEOUT_MS }),
);

/** `POST /prompt`: one model call. */
export const handler = jsonRoute(async ({ body, signal }) => {
  const request = parseRequest(requestSchema, body);
  const answer = await answerPrompt(request, settings, { model }, signal);
  metrics.addDimension('ModelId', answer.modelId);
  metrics.addMetric('InputTokens', MetricUnit.Count, answer.usage.inputTokens);
  metrics.addMetric('OutputTokens', MetricUnit.Count, answer.usage.outputTokens);
  metrics.addMetric('ModelLatency', MetricUnit.Milliseconds, answer.latencyMs);
  logger.info('answered', { modelId: answer.modelId, stopReason: answer.stopReason, ...answer.usage, latencyMs: answer.latencyMs });
  return { body: { ...answer } };
});
