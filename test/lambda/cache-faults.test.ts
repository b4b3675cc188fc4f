import { type CacheFailure, type EmbeddingPort, ResponseCache } from '../../lambda/shared/cache/cache';
import { hashedEmbeddings } from '../../lambda/shared/cache/hashed-embeddings';
import type { CacheScope } from '../../lambda/shared/cache/keys';
import { ValkeyCacheStore } from '../../lambda/shared/cache/valkey-store';
import { type RedisServer, startRedisServer } from '../support/redis-server';

/**
 * The cache fails open: with the server killed, paused or absent, lookups answer `none` within the
 * timeout, stores return without throwing, and each failure reaches `onCacheError`. Timings are
 * asserted only against generous bounds (a loaded CI machine); the outcomes are exact.
 */
const SCOPE: CacheScope = { tenant: 'tenant-a', modelId: 'model-1', promptVersion: '1', guardrailVersion: '1' };
const CLEAN = { guardrail: { input: 'none', output: 'none' } } as const;
const TIMEOUT_MS = 50;
/** Far below a model call, far above the 50 ms budget: fails only if the cache waits for a dead server. */
const GENEROUS_MS = 1_000;

let server: RedisServer;
let store: ValkeyCacheStore;
let failures: CacheFailure[];
let cache: ResponseCache<{ text: string }>;
const embeddings: EmbeddingPort = hashedEmbeddings(256);

beforeEach(async () => {
  server = await startRedisServer();
  failures = [];
  store = new ValkeyCacheStore({ host: server.host, port: server.port, commandTimeoutMs: TIMEOUT_MS, maxReconnectDelayMs: 100 });
  cache = new ResponseCache(
    { ttlSeconds: 60, timeoutMs: TIMEOUT_MS, semantic: { dimensions: 256, threshold: 0.8 } },
    { store, embeddings, onCacheError: (f) => failures.push(f) },
  );
});

afterEach(async () => {
  // Server first: the client's sockets then close from the far end, leaving no timers behind.
  await server.stop();
  store.disconnect();
});

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Set-up, not under test: on a busy machine a fresh connection's first commands can miss the 50 ms
 * timeout (the cache fails open, so the entry is simply not there), so store until the entry is
 * found exactly, and by meaning when `similar` is given, then count failures afresh.
 */
async function primed(query: string, similar?: string): Promise<void> {
  await eventually(async () => {
    await cache.store(SCOPE, { query }, { text: 'Object storage.' }, CLEAN);
    if ((await cache.lookup(SCOPE, { query })).source !== 'exact') return false;
    return similar === undefined || (await cache.lookup(SCOPE, { query: similar })).source === 'semantic';
  });
  failures.length = 0;
}

test('server killed mid-run: lookups miss at once, stores do not throw, failures are reported, and the cache recovers', async () => {
  await primed('What is S3?', 'what is s3');

  await server.kill();
  for (let i = 0; i < 20; i++) {
    const { value, ms } = await timed(() => cache.lookup(SCOPE, { query: 'What is S3?' }));
    expect(value).toEqual({ source: 'none', degraded: true });
    expect(ms).toBeLessThan(GENEROUS_MS);
  }
  const { value: stored, ms } = await timed(() => cache.store(SCOPE, { query: 'Another' }, { text: 'B' }, CLEAN));
  expect(stored).toEqual({ exact: false, semantic: false });
  expect(ms).toBeLessThan(GENEROUS_MS);
  expect(failures.length).toBeGreaterThanOrEqual(22);
  expect(new Set(failures.map((f) => f.operation))).toEqual(new Set(['exact-lookup', 'exact-store', 'semantic-store']));

  // Back up (empty: it saves nothing): the client reconnects by itself.
  await server.restart();
  // Each step may miss the 50 ms timeout on a busy machine while the client reconnects: retried until it holds.
  await eventually(async () => (await cache.store(SCOPE, { query: 'What is S3?' }, { text: 'again' }, CLEAN)).exact);
  await eventually(async () => {
    const found = await cache.lookup(SCOPE, { query: 'What is S3?' });
    return found.source === 'exact' && found.answer.text === 'again';
  });
});

test('server paused (no replies): lookups miss within the timeout, reported as timeouts, and work again after', async () => {
  await primed('What is S3?');
  server.pause();
  try {
    for (let i = 0; i < 5; i++) {
      const { value, ms } = await timed(() => cache.lookup(SCOPE, { query: 'What is S3?' }));
      expect(value).toEqual({ source: 'none', degraded: true });
      expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
      expect(ms).toBeLessThan(GENEROUS_MS);
    }
    const { value: stored, ms } = await timed(() => cache.store(SCOPE, { query: 'Another' }, { text: 'B' }, CLEAN));
    expect(stored).toEqual({ exact: false, semantic: false });
    expect(ms).toBeLessThan(GENEROUS_MS);
    expect(failures.filter((f) => f.operation === 'exact-lookup').map((f) => f.reason)).toEqual(Array(5).fill('timeout'));
  } finally {
    server.resume();
  }
  // Late replies to the timed-out commands are matched to them and dropped; new commands are answered.
  await eventually(async () => (await cache.lookup(SCOPE, { query: 'What is S3?' })).source === 'exact');
});

test('server paused during the semantic lookup: a miss within the timeout', async () => {
  await primed('What is S3?');
  // Pause right after the exact lookup has been answered, while the embedding is being made.
  const pausing: EmbeddingPort = {
    async embed(text, signal) {
      server.pause();
      return embeddings.embed(text, signal);
    },
  };
  const c = new ResponseCache(
    { ttlSeconds: 60, timeoutMs: TIMEOUT_MS, semantic: { dimensions: 256, threshold: 0.8 } },
    { store, embeddings: pausing, onCacheError: (f) => failures.push(f) },
  );
  try {
    const { value, ms } = await timed(() => c.lookup(SCOPE, { query: 'what is s3' }));
    expect(value).toMatchObject({ source: 'none', degraded: true, embedding: expect.any(Array) });
    expect(ms).toBeLessThan(GENEROUS_MS);
    expect(failures).toEqual([expect.objectContaining({ operation: 'semantic-lookup', reason: 'timeout' })]);
  } finally {
    server.resume();
  }
});

test('server down from the start: the first lookup misses, and the cache works once the server is up', async () => {
  await server.kill();
  const { value, ms } = await timed(() => cache.lookup(SCOPE, { query: 'q' }));
  expect(value).toEqual({ source: 'none', degraded: true });
  expect(ms).toBeLessThan(GENEROUS_MS);
  expect(failures[0]).toMatchObject({ operation: 'exact-lookup', reason: 'error' });

  await server.restart();
  await eventually(async () => (await cache.store(SCOPE, { query: 'q' }, { text: 'A' }, CLEAN)).exact);
  await eventually(async () => (await cache.lookup(SCOPE, { query: 'q' })).source === 'exact');
});

test('a throwing error callback does not break the request', async () => {
  const c = new ResponseCache<{ text: string }>(
    { ttlSeconds: 60, timeoutMs: TIMEOUT_MS },
    {
      store,
      onCacheError: () => {
        throw new Error('metrics down');
      },
    },
  );
  await server.kill();
  expect(await c.lookup(SCOPE, { query: 'q' })).toEqual({ source: 'none', degraded: true });
});

test('fails (does not skip) when redis-server cannot be started', async () => {
  await expect(startRedisServer({ binary: '/nonexistent/redis-server' })).rejects.toThrow(/redis-server not found .*apt-get install redis-server/);
});
