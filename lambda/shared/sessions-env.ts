import type { FeedbackStoreEnvironment, SessionStoreEnvironment } from '../../contracts/env';
import type { FeedbackSettings } from './feedback-store';
import type { SessionSettings } from './sessions-store';

/**
 * The store settings as a function read them (contracts/env.ts): optional for the prompt function,
 * which runs without the stores below ground 7, and required once a table is set.
 */
type StoreEnv = { [K in Exclude<keyof SessionStoreEnvironment | keyof FeedbackStoreEnvironment, 'SESSIONS_TABLE' | 'FEEDBACK_TABLE'>]?: number };

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

/** A missing setting is a deployment bug: the cold start fails naming it, as readEnv does. */
function required(env: StoreEnv, key: keyof StoreEnv): number {
  const value = env[key];
  if (value === undefined) throw new Error(`Function environment is invalid: ${key} (not set)`);
  return value;
}
