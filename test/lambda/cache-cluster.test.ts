import { ResponseCache } from '../../lambda/shared/cache/cache';
import { hashedEmbeddings } from '../../lambda/shared/cache/hashed-embeddings';
import { ValkeyCacheStore } from '../../lambda/shared/cache/valkey-store';
import { type RedisServer, startRedisServer } from '../support/redis-server';

/**
 * ElastiCache Serverless speaks the cluster protocol. A one-node cluster still enforces CROSSSLOT
 * on multi-key commands and transactions, so this proves the semantic cache's keys share a slot.
 */
let server: RedisServer;
let store: ValkeyCacheStore;

beforeAll(async () => {
  server = await startRedisServer({ cluster: true });
  store = new ValkeyCacheStore({ host: server.host, port: server.port, cluster: true, commandTimeoutMs: 1_000 });
});

afterAll(async () => {
  await store?.quit();
  await server?.stop();
});

test('exact and semantic caches work in cluster mode', async () => {
  const failures: unknown[] = [];
  const cache = new ResponseCache<{ text: string }>(
    { ttlSeconds: 60, timeoutMs: 1_000, semantic: { dimensions: 256, threshold: 0.8, embeddingTimeoutMs: 1_000 } },
    { store, embeddings: hashedEmbeddings(256), onCacheError: (f) => failures.push(f) },
  );
  const scope = { tenant: 't', modelId: 'm' };
  expect(await cache.store(scope, { query: 'How do I rotate my access keys?' }, { text: 'A' }, {})).toEqual({ exact: true, semantic: true });
  expect((await cache.lookup(scope, { query: 'How do I rotate my access keys?' })).source).toBe('exact');
  expect((await cache.lookup(scope, { query: 'how to rotate access keys' })).source).toBe('semantic');
  expect(failures).toEqual([]);
});

test('the server really is in cluster mode (a cross-slot MGET fails)', async () => {
  await expect(store.getMany(['genai:a', 'genai:b'])).rejects.toThrow(/CROSSSLOT/);
});
