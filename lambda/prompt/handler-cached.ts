import { ResponseCache } from '../shared/cache/cache';
import { titanEmbeddings } from '../shared/cache/titan-embeddings';
import { DeferredStore } from '../shared/cache/deferred-store';
import { CacheAuthTokenProvider } from '../shared/cache-auth';
import { readEnv } from '../shared/env';
import { promptCachedEnvSchema } from '../../contracts/env';
import { logger } from '../shared/observability';
import type { PromptAnswer } from './core';
import { promptHandler } from './route';

/** The prompt function's settings, with the cache's endpoint required. */
const env = readEnv(promptCachedEnvSchema);

/**
 * `POST /prompt` with the exact and semantic cache on ElastiCache (ground 5+): the Valkey client
 * logs in as the function's IAM user with a SigV4 token, and every cache failure fails open.
 * A separate entry so the grounds without a cache do not ship (or load) the cache client.
 */
export const handler = promptHandler(({ runtime, onCacheError }) => {
  const tokens = new CacheAuthTokenProvider({ cacheName: env.CACHE_NAME ?? '', userId: env.CACHE_USER_ID ?? '' });
  // The Valkey client is loaded by the first cache operation, not at a cold start (see DeferredStore).
  const store = new DeferredStore(async () => {
    const { ValkeyCacheStore } = await import('../shared/cache/valkey-store');
    return new ValkeyCacheStore({
      host: env.CACHE_ENDPOINT,
      port: env.CACHE_PORT ?? 6379,
      tls: env.CACHE_TLS !== 'false',
      cluster: env.CACHE_CLUSTER !== 'false',
      credentials: env.CACHE_USER_ID ? { username: env.CACHE_USER_ID, password: () => tokens.token() } : undefined,
      onConnectionError: (error) => logger.warn('cache connection failed', { error: error.message }),
    });
  });
  const semantic = env.CACHE_SEMANTIC_THRESHOLD !== undefined && env.CACHE_EMBEDDING_MODEL_ID && env.CACHE_EMBEDDING_DIMENSIONS;
  return new ResponseCache<PromptAnswer>(
    {
      ttlSeconds: env.CACHE_TTL_SECONDS ?? 3_600,
      timeoutMs: env.CACHE_TIMEOUT_MS,
      requestDefaults: { maxTokens: env.MAX_TOKENS, temperature: env.TEMPERATURE, topK: env.DEFAULT_TOP_K },
      ...(semantic ? { semantic: { dimensions: env.CACHE_EMBEDDING_DIMENSIONS, threshold: env.CACHE_SEMANTIC_THRESHOLD } } : {}),
    },
    {
      store,
      ...(semantic ? { embeddings: titanEmbeddings(runtime, env.CACHE_EMBEDDING_MODEL_ID!, env.CACHE_EMBEDDING_DIMENSIONS!) } : {}),
      onCacheError,
    },
  );
});
