import * as z from 'zod/mini';
import type { FeedbackOutcome, Rating } from '../shared/feedback-store';
import { REQUEST_ID_PATTERN } from '../../contracts/ids';
import { FEEDBACK_METRICS, type FeedbackMetric } from '../../contracts/metrics';

/** The body of `POST /feedback`. API Gateway checks the same shape; this is the authoritative check. */
export function feedbackRequestSchema(maxCommentChars: number) {
  return z.strictObject({
    requestId: z.string().check(z.regex(REQUEST_ID_PATTERN, 'must be the requestId of an answer (1-128 letters, digits or -)')),
    // A missing enum is an invalid_value issue, which parseRequest would word as "must be one of".
    rating: z.enum(['up', 'down'], { error: (issue) => (issue.input === undefined ? 'is required' : 'must be one of "up", "down"') }),
    comment: z.optional(z.string().check(z.maxLength(maxCommentChars))),
  });
}

export interface FeedbackRequest {
  readonly requestId: string;
  readonly rating: Rating;
  readonly comment?: string;
}

/**
 * The rating counters one write adds: a rating given for the first time or changed counts once
 * (FeedbackUp or FeedbackDown); a retry or a comment-only edit counts nothing. A changed rating
 * also counts FeedbackChanged. Counters only go up, so a period's thumbs-down rate is over the
 * ratings given in it.
 */
export function ratingCounts(outcome: FeedbackOutcome, rating: Rating, previous: Rating | undefined): FeedbackMetric[] {
  if (outcome === 'unchanged' || previous === rating) return [];
  return [rating === 'up' ? FEEDBACK_METRICS.up : FEEDBACK_METRICS.down, ...(previous ? [FEEDBACK_METRICS.changed] : [])];
}
