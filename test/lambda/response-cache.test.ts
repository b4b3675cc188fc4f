import { type CacheFailure, CacheTimeout, type EmbeddingPort, refusal, ResponseCache, type ResponseCacheSettings } from '../../lambda/shared/cache/cache';
import { DeferredStore } from '../../lambda/shared/cache/deferred-store';
import { CorruptEntry } from '../../lambda/shared/cache/exact-cache';
import { type CacheableRequest, type CacheScope, entryId, entryKey, exactHash, normalizeRequest, semanticScope } from '../../lambda/shared/cache/keys';
import { SEMANTIC_DEFAULTS } from '../../lambda/shared/cache/semantic-cache';
import { InMemoryCacheStore } from '../support/memory-cache-store';

/**
 * The response cache (lambda/shared/cache/cache.ts) through its ports: an in-memory CacheStore that
 * records every call, and an embeddings port that answers chosen vectors. Lookup (exact, then
 * semantic), what is stored and under which key and TTL, the store policy, and failing open: a
 * store or embedding that fails, times out (fake timers) or holds a corrupt entry makes a miss,
 * reported to `onCacheError`, never a failed request.
 */

interface Answer {
  readonly text: string;
}

const SCOPE: CacheScope = { tenant: 'tenant-a', modelId: 'amazon.nova-lite-v1:0', promptVersion: '3', guardrailVersion: '2' };
const CLEAN = { guardrail: { input: 'none', output: 'none' } } as const;
const PARIS: Answer = { text: 'Paris' };
const QUESTION: CacheableRequest = { query: 'capital of France?' };

/** Small LSH parameters for 8-dimensional vectors, as in semantic-cache.test.ts. */
const SEMANTIC = { dimensions: 8, bands: 4, bitsPerBand: 8, seed: 11 } as const;
const V1 = [1, 0.2, 0, 0.1, 0, 0, 0.3, 0];
/** cos(V1, NEAR) ≈ 0.99; cos(V1, FAR) ≈ 0 */
const NEAR = [1, 0.25, 0.05, 0.1, 0, 0, 0.3, 0.05];
const FAR = [0, 0, 1, 0, 0.5, 0.2, 0, 1];
const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0) / Math.hypot(...a) / Math.hypot(...b);

/** Embeddings by text (V1 unless named), recording every call with its signal. */
class FixedEmbeddings implements EmbeddingPort {
  readonly calls: { text: string; signal?: AbortSignal }[] = [];
  constructor(private readonly vectors: Record<string, number[]> = {}) {}
  embed(text: string, signal?: AbortSignal): Promise<number[]> {
    this.calls.push({ text, signal });
    return Promise.resolve(this.vectors[text] ?? V1);
  }
}

function setup(settings: Partial<ResponseCacheSettings> = {}, embeddings?: EmbeddingPort) {
  const store = new InMemoryCacheStore();
  const failures: CacheFailure[] = [];
  const cache = new ResponseCache<Answer>({ ttlSeconds: 600, ...settings }, { store, embeddings, onCacheError: (f) => failures.push(f) });
  return { store, failures, cache };
}

const semanticSetup = (vectors: Record<string, number[]> = {}, settings: Partial<ResponseCacheSettings> = {}) => {
  const embeddings = new FixedEmbeddings(vectors);
  return { ...setup({ semantic: SEMANTIC, ...settings }, embeddings), embeddings };
};

const exactKeyOf = (request: CacheableRequest, scope = SCOPE) => `genai:exact:${exactHash(scope, normalizeRequest(request))}`;
const never = <T>() => new Promise<T>(() => undefined);
const rejectWith = (error: unknown) => () => Promise.reject(error);

/** Whether `promise` has settled, without waiting for it. */
function tracked<T>(promise: Promise<T>) {
  const state = { settled: false, promise };
  promise.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
}

/** The outcome of a tracked promise that must have settled by now: awaiting a pending one would wait for fake time that never passes. */
function settled<T>(state: ReturnType<typeof tracked<T>>): Promise<T> {
  if (!state.settled) throw new Error('still pending after the time it was given');
  return state.promise;
}

describe('ResponseCache: settings', () => {
  test.each([0, -5, Number.NaN])('fails when timeoutMs is %p', (timeoutMs) => {
    expect(() => setup({ timeoutMs })).toThrow(`timeoutMs must be positive, got ${timeoutMs}`);
  });

  test.each([0, -1, Number.NaN])('fails when embeddingTimeoutMs is %p', (embeddingTimeoutMs) => {
    expect(() => setup({ semantic: { embeddingTimeoutMs } }, new FixedEmbeddings())).toThrow(`embeddingTimeoutMs must be positive, got ${embeddingTimeoutMs}`);
  });

  test('fails when ttlSeconds is not a positive integer', () => {
    expect(() => setup({ ttlSeconds: 0 })).toThrow('ttlSeconds must be a positive integer, got 0');
  });

  test('fails when the semantic cache has no embeddings port', () => {
    expect(() => setup({ semantic: {} })).toThrow('the semantic cache needs an embeddings port');
  });

  test('the semantic cache takes the defaults, the settings given and the TTL of the cache; without semantic settings there is none', () => {
    expect(setup().cache.semantic).toBeUndefined();
    expect(setup({ semantic: {} }, new FixedEmbeddings()).cache.semantic?.settings).toEqual({ ...SEMANTIC_DEFAULTS, ttlSeconds: 600 });
    const { cache } = setup({ ttlSeconds: 30, semantic: { threshold: 0.95, maxCandidates: 4, embeddingTimeoutMs: 900 } }, new FixedEmbeddings());
    expect(cache.semantic?.settings).toEqual({ ...SEMANTIC_DEFAULTS, threshold: 0.95, maxCandidates: 4, ttlSeconds: 30 });
  });
});

describe('ResponseCache: exact cache', () => {
  test('a miss, then the stored answer under the exact key of the scope and normalized request, with the TTL', async () => {
    const { store, cache, failures } = setup();
    expect(await cache.lookup(SCOPE, QUESTION)).toStrictEqual({ source: 'none', degraded: false });
    expect(await cache.store(SCOPE, QUESTION, PARIS, CLEAN)).toStrictEqual({ exact: true, semantic: false });
    expect(await cache.lookup(SCOPE, QUESTION)).toStrictEqual({ source: 'exact', answer: PARIS });
    const key = exactKeyOf(QUESTION);
    expect(store.calls).toEqual([
      { op: 'get', args: [key] },
      { op: 'set', args: [key, JSON.stringify({ a: PARIS }), 600] },
      { op: 'get', args: [key] },
    ]);
    expect(failures).toEqual([]);
  });

  test('the same question in another layout hits; another scope or another question does not', async () => {
    const { cache } = setup();
    await cache.store(SCOPE, QUESTION, PARIS, CLEAN);
    expect(await cache.lookup(SCOPE, { query: '  capital   of France? ' })).toEqual({ source: 'exact', answer: PARIS });
    expect(await cache.lookup({ ...SCOPE, tenant: 'tenant-b' }, QUESTION)).toEqual({ source: 'none', degraded: false });
    expect(await cache.lookup(SCOPE, { query: 'capital of Spain?' })).toEqual({ source: 'none', degraded: false });
    expect(await cache.lookup(SCOPE, { ...QUESTION, temperature: 0.5 })).toEqual({ source: 'none', degraded: false });
  });

  test('with requestDefaults, a request that spells out a default shares the key of one that omits it, both ways', async () => {
    const { cache } = setup({ requestDefaults: { temperature: 0.5 } });
    await cache.store(SCOPE, QUESTION, PARIS, CLEAN);
    expect(await cache.lookup(SCOPE, { ...QUESTION, temperature: 0.5 })).toEqual({ source: 'exact', answer: PARIS });
    await cache.store(SCOPE, { query: 'capital of Spain?', temperature: 0.5 }, { text: 'Madrid' }, CLEAN);
    expect(await cache.lookup(SCOPE, { query: 'capital of Spain?' })).toEqual({ source: 'exact', answer: { text: 'Madrid' } });
    expect(await cache.lookup(SCOPE, { ...QUESTION, temperature: 0.7 })).toEqual({ source: 'none', degraded: false });
  });

  test('an exact hit is served without embedding the question', async () => {
    const { cache, embeddings } = semanticSetup();
    await cache.store(SCOPE, QUESTION, PARIS, CLEAN);
    embeddings.calls.length = 0;
    expect(await cache.lookup(SCOPE, QUESTION)).toEqual({ source: 'exact', answer: PARIS });
    expect(embeddings.calls).toEqual([]);
  });
});

describe('ResponseCache: store policy', () => {
  test.each([
    [{ guardrail: { input: 'blocked', output: 'none' } }, 'blocked'],
    [{ guardrail: { input: 'none', output: 'blocked' } }, 'blocked'],
    [{ guardrail: { input: 'none', output: 'ungrounded' } }, 'ungrounded'],
    [{ guardrail: { input: 'ungrounded', output: 'none' } }, 'ungrounded'],
    [{ guardrail: { input: 'masked', output: 'none' } }, 'pii'],
    [{ guardrail: { input: 'none', output: 'masked' } }, 'pii'],
    [{ containsPii: true }, 'pii'],
    [{ guardrail: { input: 'none', output: 'none' }, noPassagesFound: true }, 'no-passages'],
    // The strongest reason is reported.
    [{ guardrail: { input: 'masked', output: 'blocked' }, containsPii: true, noPassagesFound: true }, 'blocked'],
    [{ guardrail: { input: 'blocked', output: 'ungrounded' } }, 'blocked'],
    [{ guardrail: { input: 'masked', output: 'ungrounded' }, noPassagesFound: true }, 'ungrounded'],
    [{ guardrail: { input: 'ungrounded', output: 'masked' } }, 'ungrounded'],
    [{ containsPii: true, noPassagesFound: true }, 'pii'],
  ] as const)('refuses %j as %s, and stores nothing', async (outcome, reason) => {
    expect(refusal(outcome)).toBe(reason);
    const { store, cache, embeddings } = semanticSetup();
    expect(await cache.store(SCOPE, QUESTION, PARIS, outcome)).toStrictEqual({ refused: reason, exact: false, semantic: false });
    expect(store.calls).toEqual([]);
    expect(embeddings.calls).toEqual([]);
  });

  test.each([
    [{}],
    [{ guardrail: { input: 'none', output: 'none' } }],
    [{ guardrail: { input: 'not-checked', output: 'not-checked' }, containsPii: false, noPassagesFound: false }],
  ] as const)('stores an answer with %j', async (outcome) => {
    expect(refusal(outcome)).toBeUndefined();
    const { cache } = semanticSetup();
    expect(await cache.store(SCOPE, QUESTION, PARIS, outcome)).toStrictEqual({ exact: true, semantic: true });
  });

  test('refuses an answer that came from the cache, exact or semantic; stores one after a miss', async () => {
    const { cache, store } = semanticSetup();
    expect(await cache.store(SCOPE, QUESTION, PARIS, CLEAN, { source: 'exact', answer: PARIS })).toStrictEqual({
      refused: 'from-cache',
      exact: false,
      semantic: false,
    });
    expect(await cache.store(SCOPE, QUESTION, PARIS, CLEAN, { source: 'semantic', answer: PARIS, similarity: 0.95 })).toStrictEqual({
      refused: 'from-cache',
      exact: false,
      semantic: false,
    });
    expect(store.calls).toEqual([]);
    expect(await cache.store(SCOPE, QUESTION, PARIS, CLEAN, { source: 'none', degraded: false })).toStrictEqual({ exact: true, semantic: true });
  });

  test('an answer from the cache is refused as such even when its outcome would be refused for another reason', async () => {
    const { cache } = setup();
    const blocked = { guardrail: { input: 'blocked', output: 'none' } } as const;
    expect(await cache.store(SCOPE, QUESTION, PARIS, blocked, { source: 'exact', answer: PARIS })).toEqual({
      refused: 'from-cache',
      exact: false,
      semantic: false,
    });
    expect(await cache.store(SCOPE, QUESTION, PARIS, blocked, { source: 'none', degraded: true })).toEqual({
      refused: 'blocked',
      exact: false,
      semantic: false,
    });
  });
});

describe('ResponseCache: semantic cache', () => {
  test('a miss embeds the normalized question once, and returns the embedding for store to reuse', async () => {
    const { cache, embeddings, failures } = semanticSetup();
    const lookup = await cache.lookup(SCOPE, { query: '  capital  of France? ' });
    expect(lookup).toStrictEqual({ source: 'none', degraded: false, embedding: V1 });
    expect(embeddings.calls.map((c) => c.text)).toEqual(['capital of France?']);
    expect(embeddings.calls[0]!.signal).toBeInstanceOf(AbortSignal);
    expect(embeddings.calls[0]!.signal!.aborted).toBe(false);

    expect(await cache.store(SCOPE, QUESTION, PARIS, CLEAN, lookup)).toStrictEqual({ exact: true, semantic: true });
    expect(embeddings.calls).toHaveLength(1);
    expect(failures).toEqual([]);
  });

  test('stores the entry under the semantic scope of the request and the id of its exact hash, with the TTL', async () => {
    const { cache, store, embeddings } = semanticSetup({}, { ttlSeconds: 45 });
    const request = { query: ' capital of  France? ', variables: { language: 'English' } };
    await cache.store(SCOPE, request, PARIS, CLEAN);
    expect(embeddings.calls.map((c) => c.text)).toEqual(['capital of France?']);
    const normalized = normalizeRequest(request);
    const scopeId = semanticScope(SCOPE, normalized, cache.semantic!.hyperplanes.id);
    const put = store.calls.find((c) => c.op === 'putBounded');
    expect(put?.args[0]).toEqual({ key: entryKey(scopeId, entryId(exactHash(SCOPE, normalized))), value: expect.any(String) });
    expect(put?.args[4]).toBe(45);
    expect(store.calls.find((c) => c.op === 'set')?.args).toEqual([`genai:exact:${exactHash(SCOPE, normalized)}`, JSON.stringify({ a: PARIS }), 45]);
  });

  test('a near question is served from the semantic cache with its similarity; a far one, another scope or other variables are not', async () => {
    const { cache } = semanticSetup({ 'capital of France?': V1, 'France capital?': NEAR, 'zebra migration?': FAR });
    await cache.store(SCOPE, QUESTION, PARIS, CLEAN);
    const near = await cache.lookup(SCOPE, { query: 'France capital?' });
    expect(near).toEqual({ source: 'semantic', answer: PARIS, similarity: expect.closeTo(cosine(V1, NEAR), 6) });
    expect(await cache.lookup(SCOPE, { query: 'zebra migration?' })).toStrictEqual({ source: 'none', degraded: false, embedding: FAR });
    expect(await cache.lookup({ ...SCOPE, tenant: 'tenant-b' }, { query: 'France capital?' })).toStrictEqual({
      source: 'none',
      degraded: false,
      embedding: NEAR,
    });
    expect(await cache.lookup(SCOPE, { query: 'France capital?', variables: { language: 'French' } })).toStrictEqual({
      source: 'none',
      degraded: false,
      embedding: NEAR,
    });
  });

  test('the semantic settings given apply: a threshold above the similarity serves nothing', async () => {
    const { cache } = semanticSetup({ 'France capital?': NEAR }, { semantic: { ...SEMANTIC, threshold: 0.999 } });
    await cache.store(SCOPE, QUESTION, PARIS, CLEAN);
    expect(await cache.lookup(SCOPE, { query: 'France capital?' })).toEqual({ source: 'none', degraded: false, embedding: NEAR });
  });

  test('store embeds the question when the lookup brought no embedding', async () => {
    const { cache, embeddings } = semanticSetup();
    expect(await cache.store(SCOPE, QUESTION, PARIS, CLEAN, { source: 'none', degraded: true })).toEqual({ exact: true, semantic: true });
    expect(embeddings.calls.map((c) => c.text)).toEqual(['capital of France?']);
    expect(await cache.lookup(SCOPE, { query: 'France capital?' })).toEqual({ source: 'semantic', answer: PARIS, similarity: expect.closeTo(1, 6) });
  });
});

describe('ResponseCache: fails open', () => {
  test('a failing exact lookup is a degraded miss, reported; the semantic cache is not consulted', async () => {
    const { cache, store, failures, embeddings } = semanticSetup();
    const down = new Error('connection lost');
    store.get = rejectWith(down);
    expect(await cache.lookup(SCOPE, QUESTION)).toStrictEqual({ source: 'none', degraded: true });
    expect(failures).toEqual([{ operation: 'exact-lookup', reason: 'error', error: down }]);
    expect(embeddings.calls).toEqual([]);
  });

  test('a corrupt exact entry is a degraded miss, reported as corrupt', async () => {
    const { cache, store, failures } = setup();
    store.values.set(exactKeyOf(QUESTION), 'not json');
    expect(await cache.lookup(SCOPE, QUESTION)).toStrictEqual({ source: 'none', degraded: true });
    expect(failures).toEqual([{ operation: 'exact-lookup', reason: 'corrupt', error: expect.any(CorruptEntry) }]);
  });

  test('a failing embedding is a degraded miss, reported; nothing is looked up', async () => {
    const down = new Error('throttled');
    const embeddings: EmbeddingPort = { embed: rejectWith(down) };
    const { cache, store, failures } = setup({ semantic: SEMANTIC }, embeddings);
    expect(await cache.lookup(SCOPE, QUESTION)).toStrictEqual({ source: 'none', degraded: true });
    expect(failures).toEqual([{ operation: 'embedding', reason: 'error', error: down }]);
    expect(store.calls.map((c) => c.op)).toEqual(['get']);
  });

  test('an embedding port that throws before returning a promise is a failure like any other', async () => {
    const down = new Error('bad client');
    const embeddings: EmbeddingPort = {
      embed: () => {
        throw down;
      },
    };
    const { cache, failures } = setup({ semantic: SEMANTIC }, embeddings);
    expect(await cache.lookup(SCOPE, QUESTION)).toStrictEqual({ source: 'none', degraded: true });
    expect(await cache.store(SCOPE, QUESTION, PARIS, CLEAN)).toStrictEqual({ exact: true, semantic: false });
    expect(failures).toEqual([
      { operation: 'embedding', reason: 'error', error: down },
      { operation: 'embedding', reason: 'error', error: down },
    ]);
  });

  test('a failing semantic lookup is a degraded miss that keeps the embedding for store', async () => {
    const { cache, store, failures } = semanticSetup();
    const down = new Error('CROSSSLOT');
    store.readLists = rejectWith(down);
    expect(await cache.lookup(SCOPE, QUESTION)).toStrictEqual({ source: 'none', degraded: true, embedding: V1 });
    expect(failures).toEqual([{ operation: 'semantic-lookup', reason: 'error', error: down }]);
  });

  test('a store that loads on first use and whose load throws (DeferredStore) is a degraded miss, not a failed request', async () => {
    const failure = new Error('cannot load the client');
    const store = new DeferredStore(() => {
      throw failure;
    });
    const failures: CacheFailure[] = [];
    const cache = new ResponseCache<Answer>({ ttlSeconds: 60 }, { store, onCacheError: (f) => failures.push(f) });
    expect(await cache.lookup(SCOPE, QUESTION)).toStrictEqual({ source: 'none', degraded: true });
    expect(await cache.store(SCOPE, QUESTION, PARIS, CLEAN)).toStrictEqual({ exact: false, semantic: false });
    expect(failures).toEqual([
      { operation: 'exact-lookup', reason: 'error', error: failure },
      { operation: 'exact-store', reason: 'error', error: failure },
    ]);
  });

  test('a failing exact store still stores the semantic entry, and the other way round', async () => {
    const down = new Error('OOM');
    const first = semanticSetup();
    first.store.set = rejectWith(down);
    expect(await first.cache.store(SCOPE, QUESTION, PARIS, CLEAN)).toStrictEqual({ exact: false, semantic: true });
    expect(first.failures).toEqual([{ operation: 'exact-store', reason: 'error', error: down }]);

    const second = semanticSetup();
    second.store.putBounded = rejectWith(down);
    expect(await second.cache.store(SCOPE, QUESTION, PARIS, CLEAN)).toStrictEqual({ exact: true, semantic: false });
    expect(second.failures).toEqual([{ operation: 'semantic-store', reason: 'error', error: down }]);
  });

  test('a failing embedding while storing skips the semantic entry only', async () => {
    const down = new Error('throttled');
    const { cache, store, failures } = setup({ semantic: SEMANTIC }, { embed: rejectWith(down) });
    expect(await cache.store(SCOPE, QUESTION, PARIS, CLEAN)).toStrictEqual({ exact: true, semantic: false });
    expect(failures).toEqual([{ operation: 'embedding', reason: 'error', error: down }]);
    expect(store.calls.map((c) => c.op)).toEqual(['set']);
  });

  test('an onCacheError that throws, or none at all, does not fail the request', async () => {
    const store = new InMemoryCacheStore();
    store.get = rejectWith(new Error('down'));
    store.set = rejectWith(new Error('down'));
    const throwing = new ResponseCache<Answer>(
      { ttlSeconds: 60 },
      {
        store,
        onCacheError: () => {
          throw new Error('metrics failed');
        },
      },
    );
    expect(await throwing.lookup(SCOPE, QUESTION)).toStrictEqual({ source: 'none', degraded: true });
    expect(await throwing.store(SCOPE, QUESTION, PARIS, CLEAN)).toStrictEqual({ exact: false, semantic: false });
    const silent = new ResponseCache<Answer>({ ttlSeconds: 60 }, { store });
    expect(await silent.lookup(SCOPE, QUESTION)).toStrictEqual({ source: 'none', degraded: true });
  });
});

describe('ResponseCache: timeouts (fake timers)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('an exact lookup gets 50 ms by default, then the request goes on as a degraded miss', async () => {
    const { cache, store, failures } = setup();
    store.get = never;
    const lookup = tracked(cache.lookup(SCOPE, QUESTION));
    await jest.advanceTimersByTimeAsync(49);
    expect(lookup.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await settled(lookup)).toStrictEqual({ source: 'none', degraded: true });
    expect(failures).toEqual([{ operation: 'exact-lookup', reason: 'timeout', error: expect.any(CacheTimeout) }]);
    expect(failures[0]!.error).toMatchObject({ name: 'CacheTimeout', message: 'cache operation took longer than 50 ms' });
  });

  test('timeoutMs sets the budget of each round: lookup, semantic lookup and each store', async () => {
    const { cache, store, failures } = semanticSetup({}, { timeoutMs: 120 });
    store.get = never;
    store.set = never;
    store.readLists = never;
    store.putBounded = never;
    const lookup = tracked(cache.lookup(SCOPE, QUESTION));
    await jest.advanceTimersByTimeAsync(119);
    expect(lookup.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await settled(lookup)).toStrictEqual({ source: 'none', degraded: true });

    store.get = (key) => Promise.resolve(store.values.get(key) ?? null);
    const semantic = tracked(cache.lookup(SCOPE, QUESTION));
    await jest.advanceTimersByTimeAsync(119);
    expect(semantic.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await settled(semantic)).toStrictEqual({ source: 'none', degraded: true, embedding: V1 });

    const stored = tracked(cache.store(SCOPE, QUESTION, PARIS, CLEAN));
    await jest.advanceTimersByTimeAsync(119);
    expect(stored.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await settled(stored)).toStrictEqual({ exact: false, semantic: false });
    expect(failures.map((f) => [f.operation, f.reason, (f.error as Error).message])).toEqual([
      ['exact-lookup', 'timeout', 'cache operation took longer than 120 ms'],
      ['semantic-lookup', 'timeout', 'cache operation took longer than 120 ms'],
      ['exact-store', 'timeout', 'cache operation took longer than 120 ms'],
      ['semantic-store', 'timeout', 'cache operation took longer than 120 ms'],
    ]);
  });

  test('the embedding gets 300 ms by default; on timeout its signal is aborted and its late answer ignored', async () => {
    let finish: (v: number[]) => void = () => undefined;
    const signals: AbortSignal[] = [];
    const embeddings: EmbeddingPort = {
      embed: (_text, signal) => {
        signals.push(signal!);
        return new Promise((resolve) => (finish = resolve));
      },
    };
    const { cache, failures } = setup({ semantic: SEMANTIC }, embeddings);
    const lookup = tracked(cache.lookup(SCOPE, QUESTION));
    await jest.advanceTimersByTimeAsync(299);
    expect(lookup.settled).toBe(false);
    expect(signals[0]!.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await settled(lookup)).toStrictEqual({ source: 'none', degraded: true });
    expect(signals[0]!.aborted).toBe(true);
    finish(V1);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(failures).toEqual([{ operation: 'embedding', reason: 'timeout', error: expect.any(CacheTimeout) }]);
    expect((failures[0]!.error as Error).message).toBe('cache operation took longer than 300 ms');
  });

  test('embeddingTimeoutMs sets the budget of the embedding, in lookup and store', async () => {
    const embeddings: EmbeddingPort = { embed: never };
    const { cache, failures } = setup({ semantic: { ...SEMANTIC, embeddingTimeoutMs: 700 } }, embeddings);
    const lookup = tracked(cache.lookup(SCOPE, QUESTION));
    await jest.advanceTimersByTimeAsync(699);
    expect(lookup.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await settled(lookup)).toStrictEqual({ source: 'none', degraded: true });

    const stored = tracked(cache.store(SCOPE, QUESTION, PARIS, CLEAN));
    await jest.advanceTimersByTimeAsync(699);
    expect(stored.settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await settled(stored)).toStrictEqual({ exact: true, semantic: false });
    expect(failures.map((f) => [f.operation, f.reason, (f.error as Error).message])).toEqual([
      ['embedding', 'timeout', 'cache operation took longer than 700 ms'],
      ['embedding', 'timeout', 'cache operation took longer than 700 ms'],
    ]);
  });

  test('an operation that ends in time, answering or failing, never has its signal aborted later', async () => {
    const signals: AbortSignal[] = [];
    let calls = 0;
    const embeddings: EmbeddingPort = {
      embed: (_text, signal) => {
        signals.push(signal!);
        if (++calls === 2) return Promise.reject(new Error('throttled'));
        if (calls === 3) throw new Error('bad client');
        return Promise.resolve(V1);
      },
    };
    const { cache } = setup({ semantic: SEMANTIC }, embeddings);
    await cache.lookup(SCOPE, QUESTION);
    await cache.lookup(SCOPE, QUESTION);
    await cache.lookup(SCOPE, QUESTION);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(signals).toHaveLength(3);
    expect(signals.map((s) => s.aborted)).toEqual([false, false, false]);
  });

  test("a store that loads on first use (DeferredStore) is made before the round's timer starts, in lookup and store", async () => {
    const loadOnce = (inner: InMemoryCacheStore) =>
      new DeferredStore(
        () =>
          new Promise((resolve) =>
            setTimeout(() => {
              resolve(inner);
            }, 200),
          ),
      );
    const failures: CacheFailure[] = [];
    const inner = new InMemoryCacheStore();
    const cache = new ResponseCache<Answer>({ ttlSeconds: 60, timeoutMs: 50 }, { store: loadOnce(inner), onCacheError: (f) => failures.push(f) });
    const lookup = tracked(cache.lookup(SCOPE, QUESTION));
    await jest.advanceTimersByTimeAsync(200);
    expect(await settled(lookup)).toStrictEqual({ source: 'none', degraded: false });

    const other = new InMemoryCacheStore();
    const storing = new ResponseCache<Answer>({ ttlSeconds: 60, timeoutMs: 50 }, { store: loadOnce(other), onCacheError: (f) => failures.push(f) });
    const stored = tracked(storing.store(SCOPE, QUESTION, PARIS, CLEAN));
    await jest.advanceTimersByTimeAsync(200);
    expect(await settled(stored)).toStrictEqual({ exact: true, semantic: false });
    expect(other.values.get(exactKeyOf(QUESTION))).toBe(JSON.stringify({ a: PARIS }));
    expect(failures).toEqual([]);
  });
});
