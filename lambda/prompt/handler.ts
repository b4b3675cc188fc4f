import { promptHandler } from './route';

/**
 * `POST /prompt` without a response cache (grounds 0-4): this bundle holds no cache client.
 * Cached grounds deploy handler-cached.ts, the same route with the Valkey client added.
 */
export const handler = promptHandler();
