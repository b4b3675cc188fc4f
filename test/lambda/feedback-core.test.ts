import { parseRequest } from '../../lambda/shared/validation';
import { feedbackRequestSchema, ratingCounts } from '../../lambda/feedback/core';
import { refusal as refusalOf } from '../support/refusal';

/**
 * The feedback function's core, called directly: the body `POST /feedback` accepts (read through
 * the same parseRequest as the handler, so the messages are the client's) and the counters a
 * write adds. The handler tests (feedback.test.ts, feedback-bad-input.test.ts) run it against
 * DynamoDB Local.
 */

const schema = feedbackRequestSchema(10);

const refusal = (body: unknown): string => refusalOf(schema, body);

describe('feedbackRequestSchema', () => {
  test('accepts a rating with and without a comment, the comment up to the limit', () => {
    expect(parseRequest(schema, { requestId: 'req-1', rating: 'up' })).toEqual({ requestId: 'req-1', rating: 'up' });
    expect(parseRequest(schema, { requestId: 'A-9', rating: 'down', comment: '0123456789' })).toEqual({
      requestId: 'A-9',
      rating: 'down',
      comment: '0123456789',
    });
    expect(parseRequest(schema, { requestId: 'x'.repeat(128), rating: 'up', comment: '' })).toEqual({ requestId: 'x'.repeat(128), rating: 'up', comment: '' });
  });

  test('fails when the comment is longer than the limit, naming it', () => {
    expect(refusal({ requestId: 'req-1', rating: 'up', comment: '01234567890' })).toBe('comment must be at most 10 characters');
    expect(parseRequest(feedbackRequestSchema(11), { requestId: 'req-1', rating: 'up', comment: '01234567890' }).comment).toBe('01234567890');
  });

  test('fails when the requestId is not one an answer carries', () => {
    const message = 'requestId must be the requestId of an answer (1-128 letters, digits or -)';
    expect(refusal({ requestId: '', rating: 'up' })).toBe(message);
    expect(refusal({ requestId: 'req#1', rating: 'up' })).toBe(message);
    expect(refusal({ requestId: 'x'.repeat(129), rating: 'up' })).toBe(message);
    expect(refusal({ rating: 'up' })).toBe('requestId is required');
  });

  test('fails when the rating is missing or not up/down, with a message for each', () => {
    expect(refusal({ requestId: 'req-1' })).toBe('rating is required');
    expect(refusal({ requestId: 'req-1', rating: 'meh' })).toBe('rating must be one of "up", "down"');
    expect(refusal({ requestId: 'req-1', rating: null })).toBe('rating must be one of "up", "down"');
  });

  test('fails when the body has a field it does not know', () => {
    expect(refusal({ requestId: 'req-1', rating: 'up', stars: 5 })).toBe('unknown field: "stars"');
  });
});

describe('ratingCounts', () => {
  test('a first rating counts once, up or down', () => {
    expect(ratingCounts('recorded', 'up', undefined)).toEqual(['FeedbackUp']);
    expect(ratingCounts('recorded', 'down', undefined)).toEqual(['FeedbackDown']);
  });

  test('a changed rating counts the new rating and a change', () => {
    expect(ratingCounts('changed', 'down', 'up')).toEqual(['FeedbackDown', 'FeedbackChanged']);
    expect(ratingCounts('changed', 'up', 'down')).toEqual(['FeedbackUp', 'FeedbackChanged']);
  });

  test('a retry counts nothing', () => {
    expect(ratingCounts('unchanged', 'up', 'up')).toEqual([]);
    expect(ratingCounts('unchanged', 'down', undefined)).toEqual([]);
  });

  test('a comment-only edit (same rating as before) counts nothing', () => {
    expect(ratingCounts('changed', 'up', 'up')).toEqual([]);
    expect(ratingCounts('changed', 'down', 'down')).toEqual([]);
  });
});
