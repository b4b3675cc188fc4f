/**
 * The shapes of the ids that cross the API: API Gateway's request models (lib/constructs) check
 * them, and the functions (lambda/) check them again. Dependency-free.
 */

/** What a client may send as a session id (new ones are 32 characters): `sessionId` of `POST /prompt`, `/sessions/{id}`. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/** The client's conversation id on `POST /agent`; the agent's session id is derived from it and the caller. */
export const AGENT_SESSION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,100}$/;

/** API Gateway request ids (and Lambda's, which stand in for them): what `POST /prompt` returns as `requestId`, and `POST /feedback` takes. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9-]{1,128}$/;

/** Tenant names, as the configuration allows them; `#` can never appear, so table keys cannot be forged. */
export const TENANT_NAME_PATTERN = /^[A-Za-z0-9-]{1,64}$/;
