import * as z from 'zod/mini';
import { feedbackStoreEnvSchema, sessionStoreEnvSchema } from '../../contracts/env';
import { readEnv } from '../../lambda/shared/env';
import { feedbackSettings, sessionSettings } from '../../lambda/shared/sessions-env';

/**
 * lambda/shared/sessions-env.ts on its own: the session and feedback stores' settings from a
 * function's environment as readEnv parsed it. The prompt function reads them as optional (it runs
 * without the stores below ground 7) and needs each store's settings once its table is set: a
 * missing one fails the cold start naming it.
 */

const SESSION_ENV = { SESSION_HISTORY_TURNS: '6', SESSION_HISTORY_CHARS: '8000', SESSION_TTL_DAYS: '30', SESSION_MAX_TURNS_RETURNED: '50' };
const FEEDBACK_ENV = { FEEDBACK_WINDOW_DAYS: '7', FEEDBACK_RETENTION_DAYS: '365' };
/** The prompt function's view of both stores (contracts/env.ts promptEnvSchema): every setting optional. */
const promptView = z.object({ ...z.partial(sessionStoreEnvSchema).shape, ...z.partial(feedbackStoreEnvSchema).shape });
const read = (env: Record<string, string>) => readEnv(promptView, env);

describe('sessionSettings', () => {
  test('each setting from its own variable', () => {
    expect(sessionSettings(read({ SESSIONS_TABLE: 'sessions', ...SESSION_ENV }))).toEqual({
      historyTurns: 6,
      historyChars: 8000,
      ttlDays: 30,
      maxTurnsReturned: 50,
    });
  });

  test('0 is a setting like any other', () => {
    const zeros = { SESSION_HISTORY_TURNS: 0, SESSION_HISTORY_CHARS: 0, SESSION_TTL_DAYS: 0, SESSION_MAX_TURNS_RETURNED: 0 };
    expect(sessionSettings(zeros)).toEqual({ historyTurns: 0, historyChars: 0, ttlDays: 0, maxTurnsReturned: 0 });
  });

  test.each(Object.keys(SESSION_ENV))('without %s, the cold start fails naming it', (name) => {
    const { [name]: _missing, ...rest } = SESSION_ENV as Record<string, string>;
    expect(() => sessionSettings(read({ SESSIONS_TABLE: 'sessions', ...rest }))).toThrow(new Error(`Function environment is invalid: ${name} (not set)`));
  });

  test('the feedback settings are not needed', () => {
    expect(() => sessionSettings(read(SESSION_ENV))).not.toThrow();
  });
});

describe('feedbackSettings', () => {
  test('each setting from its own variable', () => {
    expect(feedbackSettings(read({ FEEDBACK_TABLE: 'feedback', ...FEEDBACK_ENV }))).toEqual({ windowDays: 7, retentionDays: 365 });
    expect(feedbackSettings({ FEEDBACK_WINDOW_DAYS: 0, FEEDBACK_RETENTION_DAYS: 0 })).toEqual({ windowDays: 0, retentionDays: 0 });
  });

  test.each(Object.keys(FEEDBACK_ENV))('without %s, the cold start fails naming it', (name) => {
    const { [name]: _missing, ...rest } = FEEDBACK_ENV as Record<string, string>;
    expect(() => feedbackSettings(read({ FEEDBACK_TABLE: 'feedback', ...SESSION_ENV, ...rest }))).toThrow(
      new Error(`Function environment is invalid: ${name} (not set)`),
    );
  });
});
