import * as z from 'zod/mini';
import { jsonRoute } from '../shared/api';
import { createDynamoDb } from '../shared/dynamo';
import { readEnv } from '../shared/env';
import { callerOf, tenantDirectoryFrom } from '../shared/identity';
import { sessionSettings, storeEnv } from '../shared/sessions-env';
import { SessionStore } from '../shared/sessions-store';
import { SESSION_ID_PATTERN } from '../../contracts/ids';
import { parseRequest } from '../shared/validation';

const env = readEnv(
  z.object({
    SESSIONS_TABLE: z.string().check(z.minLength(1)),
    /** The same tenant directory as the prompt function, so callers resolve to the same owner. */
    TENANTS: z.optional(z.string()),
    ...storeEnv(),
  }),
);
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
