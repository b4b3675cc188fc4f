import * as z from 'zod/mini';
import { jsonRoute } from '../shared/api';
import { createDynamoDb } from '../shared/dynamo';
import { readEnv } from '../shared/env';
import { sessionsEnvSchema } from '../../contracts/env';
import { callerOf, tenantDirectoryFrom } from '../shared/identity';
import { sessionSettings } from '../shared/sessions-env';
import { SessionStore } from '../shared/sessions-store';
import { SESSION_ID_PATTERN } from '../../contracts/ids';
import { parseRequest } from '../shared/validation';

const env = readEnv(sessionsEnvSchema);
const store = new SessionStore(createDynamoDb({ attemptTimeoutMs: env.DYNAMODB_ATTEMPT_TIMEOUT_MS }), env.SESSIONS_TABLE, sessionSettings(env));
const tenants = tenantDirectoryFrom(env.TENANTS);
const pathSchema = z.object({ id: z.string().check(z.regex(SESSION_ID_PATTERN, 'must be a session id: 16-64 letters, digits, _ or -')) });

/** `GET /sessions/{id}`: the caller's own session, newest turns (capped); 404 for any other. */
export const handler = jsonRoute(
  async ({ event, signal }) => {
    const { id } = parseRequest(pathSchema, event.pathParameters ?? {});
    const session = await store.read(id, callerOf(event, tenants), signal);
    return { body: { ...session } };
  },
  { body: 'none' },
);
