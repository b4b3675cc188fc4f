import { type CacheFailure, ResponseCache } from '../../lambda/shared/cache/cache';
import { DeferredStore } from '../../lambda/shared/cache/deferred-store';
import type { CacheScope } from '../../lambda/shared/cache/keys';
import type { CacheStore } from '../../lambda/shared/cache/store';

/**
 * DeferredStore (the cached prompt function's Valkey client, loaded on first use): nothing is
 * loaded before the first operation, one load serves every caller, a failed load fails the
 * operation (the cache fails open) and is tried again, and the load never counts against the
 * budget of a cache round.
 */

const SCOPE: CacheScope = { tenant: 'tenant-a', modelId: 'amazon.nova-lite-v1:0', promptVersion: '3', guardrailVersion: '2' };
const CLEAN = { guardrail: { input: 'none', output: 'none' } } as const;

/** An in-memory store of strings (lists unused here: no semantic cache). */
function memoryStore(): CacheStore & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    values,
    get: async (key) => values.get(key) ?? null,
    set: async (key, value) => void values.set(key, value),
    getMany: async (keys) => keys.map((k) => values.get(k) ?? null),
    readLists: async (keys) => keys.map(() => []),
    putBounded: async (entry) => void values.set(entry.key, entry.value),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('loads on the first operation, once for concurrent callers', async () => {
  const inner = memoryStore();
  let loads = 0;
  const store = new DeferredStore(async () => {
    loads++;
    await sleep(10);
    return inner;
  });
  expect(loads).toBe(0);
  await Promise.all([store.set('genai:a', '1', 60), store.get('genai:a'), store.ready()]);
  expect(loads).toBe(1);
  expect(await store.getMany(['genai:a', 'genai:b'])).toEqual(['1', null]);
  expect(loads).toBe(1);
});

test('a failed load fails the operation, ready() still resolves, and the next call loads again', async () => {
  const inner = memoryStore();
  let loads = 0;
  const store = new DeferredStore(async () => {
    if (++loads === 1) throw new Error('module failed to load');
    return inner;
  });
  await expect(store.ready()).resolves.toBeUndefined();
  await store.set('genai:a', '1', 60);
  expect(loads).toBe(2);
  expect(inner.values.get('genai:a')).toBe('1');
});

test("the load is not part of a cache round's budget, and a store that cannot load fails open", async () => {
  const failures: CacheFailure[] = [];
  const slowLoad = new DeferredStore(async () => {
    // Longer than the 50 ms round: counted against the round, the lookup would time out.
    await sleep(200);
    return memoryStore();
  });
  const cache = new ResponseCache<{ text: string }>({ ttlSeconds: 60, timeoutMs: 50 }, { store: slowLoad, onCacheError: (f) => failures.push(f) });
  expect(await cache.lookup(SCOPE, { query: 'capital of France?' })).toEqual({ source: 'none', degraded: false });
  expect(await cache.store(SCOPE, { query: 'capital of France?' }, { text: 'Paris' }, CLEAN)).toEqual({ exact: true, semantic: false });
  expect(await cache.lookup(SCOPE, { query: 'capital of France?' })).toEqual({ source: 'exact', answer: { text: 'Paris' } });
  expect(failures).toEqual([]);

  const broken = new DeferredStore(() => Promise.reject(new Error('module failed to load')));
  const failing = new ResponseCache<{ text: string }>({ ttlSeconds: 60, timeoutMs: 50 }, { store: broken, onCacheError: (f) => failures.push(f) });
  expect(await failing.lookup(SCOPE, { query: 'capital of France?' })).toEqual({ source: 'none', degraded: true });
  expect(failures.map((f) => [f.operation, f.reason])).toEqual([['exact-lookup', 'error']]);
});
