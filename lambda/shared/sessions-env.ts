import * as z from 'zod/mini';
import { intFromEnv } from './env';
import type { FeedbackSettings } from './feedback-store';
import type { SessionSettings } from './sessions-store';

/**
 * The settings of the session and feedback stores, as SessionStore.grantReadWrite / grantRead and
 * Feedback.grantRecordAnswers write them from the configuration. Optional in the schema (the
 * prompt function runs without them below ground 7); required once the table is set.
 */
export const storeEnv = () => ({
  SESSION_HISTORY_TURNS: z.optional(intFromEnv()),
  SESSION_HISTORY_CHARS: z.optional(intFromEnv()),
  SESSION_TTL_DAYS: z.optional(intFromEnv()),
  SESSION_MAX_TURNS_RETURNED: z.optional(intFromEnv()),
  FEEDBACK_WINDOW_DAYS: z.optional(intFromEnv()),
  FEEDBACK_RETENTION_DAYS: z.optional(intFromEnv()),
  /** Socket timeout of one DynamoDB attempt. @default 1000 */
  DYNAMODB_ATTEMPT_TIMEOUT_MS: z.optional(intFromEnv()),
});

type StoreEnv = { [K in keyof ReturnType<typeof storeEnv>]?: number };

export function sessionSettings(env: StoreEnv): SessionSettings {
  return {
    historyTurns: required(env, 'SESSION_HISTORY_TURNS'),
    historyChars: required(env, 'SESSION_HISTORY_CHARS'),
    ttlDays: required(env, 'SESSION_TTL_DAYS'),
    maxTurnsReturned: required(env, 'SESSION_MAX_TURNS_RETURNED'),
  };
}

export function feedbackSettings(env: StoreEnv): FeedbackSettings {
  return { windowDays: required(env, 'FEEDBACK_WINDOW_DAYS'), retentionDays: required(env, 'FEEDBACK_RETENTION_DAYS') };
}

/** A missing setting is a deployment bug: the cold start fails naming it, like readEnv. */
function required(env: StoreEnv, key: keyof StoreEnv): number {
  const value = env[key];
  if (value === undefined) throw new Error(`Function environment is invalid: ${key}`);
  return value;
}
