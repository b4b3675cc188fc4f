import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { jsonRoute } from '../shared/api';
import { createDynamoDb } from '../shared/dynamo';
import { readEnv } from '../shared/env';
import { feedbackEnvSchema } from '../../contracts/env';
import { FEEDBACK_DIMENSIONS, NO_PROMPT_VERSION } from '../../contracts/metrics';
import { callerOf, tenantDirectoryFrom } from '../shared/identity';
import { logger, metrics } from '../shared/observability';
import { feedbackSettings } from '../shared/sessions-env';
import { parseRequest } from '../shared/validation';
import { type FeedbackRequest, feedbackRequestSchema, ratingCounts } from './core';
import { FeedbackStore } from '../shared/feedback-store';

const env = readEnv(feedbackEnvSchema);
const store = new FeedbackStore(createDynamoDb({ attemptTimeoutMs: env.DYNAMODB_ATTEMPT_TIMEOUT_MS }), env.FEEDBACK_TABLE, feedbackSettings(env));
const tenants = tenantDirectoryFrom(env.TENANTS);
const requestSchema = feedbackRequestSchema(env.FEEDBACK_MAX_COMMENT_CHARS);

/** `POST /feedback`: rates an answer the caller received; idempotent, one rating per answer. */
export const handler = jsonRoute(async ({ body, signal, event }) => {
  const request = parseRequest(requestSchema, body) as FeedbackRequest;
  // Only the principal that received the answer may rate it: the owner comes from the token.
  const caller = callerOf(event, tenants);
  const result = await store.rate(request.requestId, caller, request.rating, request.comment, signal);
  const counts = ratingCounts(result.outcome, request.rating, result.previous);
  if (counts.length) {
    // Per model and prompt version for the dashboard; the dimension set [service] alone feeds the alarm.
    metrics.addDimensions({
      [FEEDBACK_DIMENSIONS.model]: result.feedback.model,
      [FEEDBACK_DIMENSIONS.promptVersion]: result.feedback.promptVersion ?? NO_PROMPT_VERSION,
    });
    metrics.addDimensions({});
    for (const name of counts) metrics.addMetric(name, MetricUnit.Count, 1);
  }
  logger.info('feedback', {
    outcome: result.outcome,
    rating: request.rating,
    previous: result.previous,
    model: result.feedback.model,
    promptVersion: result.feedback.promptVersion,
    commentChars: request.comment?.length ?? 0,
  });
  return {
    body: {
      outcome: result.outcome,
      ...(result.previous && result.outcome === 'changed' ? { previousRating: result.previous } : {}),
      feedback: result.feedback,
    },
  };
});
