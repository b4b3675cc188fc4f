import { z } from 'zod';

const int = (min: number, max: number) => z.int().min(min).max(max);

/** Ground 7: conversation history (sessions table). Every key has a default. */
export const sessionsSchema = z.strictObject({
  /** A session is deleted this long after its last turn (DynamoDB TTL, and checked on read). */
  ttlDays: int(1, 365).default(30).describe('A session is deleted this long after its last turn (DynamoDB TTL, and checked on read).'),
  /** Most earlier turns (a question and its answer) sent to the model with a new question. */
  historyTurns: int(0, 50).default(10).describe('Most earlier turns (a question and its answer) sent to the model with a new question.'),
  /**
   * Most characters of earlier turns sent to the model; older turns are dropped first. Each stored
   * message is cut to this length too, which keeps a turn item far below DynamoDB's 400 KB.
   */
  historyChars: int(100, 60_000)
    .default(12_000)
    .describe('Most characters of earlier turns sent to the model; older turns are dropped first. Each stored message is cut to this length too.'),
  /** Most turns `GET /sessions/{id}` returns (the newest; `truncated` says when there were more). */
  maxTurnsReturned: int(1, 200).default(50).describe('Most turns `GET /sessions/{id}` returns (the newest; `truncated` says when there were more).'),
});

/** Ground 7: human feedback on answers (feedback table, metrics, alarm). Every key has a default. */
export const feedbackSchema = z.strictObject({
  /** How long after an answer it can be rated (its record then expires unless rated). */
  windowDays: int(1, 90).default(7).describe('How long after an answer it can be rated (its record then expires unless rated).'),
  /** How long a rating is kept for evaluation, counted from when it was given. */
  retentionDays: int(1, 3_650).default(365).describe('How long a rating is kept for evaluation, counted from when it was given.'),
  /** Longest accepted comment. */
  maxCommentChars: int(1, 4_000).default(1_000).describe('Longest accepted comment.'),
  /** The alarm fires when this share of ratings in a period is thumbs-down. */
  thumbsDownAlarmRate: z.number().gt(0).max(1).default(0.3).describe('The alarm fires when this share of ratings in a period is thumbs-down.'),
  /** Fewer ratings than this in a period never fire the alarm (one bad vote is not a trend). */
  alarmMinRatings: int(1, 10_000).default(20).describe('Fewer ratings than this in a period never fire the alarm (one bad vote is not a trend).'),
  /** Period of the thumbs-down rate alarm. */
  alarmPeriodMinutes: int(5, 1_440).default(60).describe('Period of the thumbs-down rate alarm.'),
});

export type SessionsConfig = z.infer<typeof sessionsSchema>;
export type FeedbackConfig = z.infer<typeof feedbackSchema>;
