import { hashedEmbeddings } from '../../lambda/shared/cache/hashed-embeddings';
import { type CacheFailure, type EmbeddingPort, ResponseCache, type ResponseCacheSettings } from '../../lambda/shared/cache/cache';
import type { CacheScope } from '../../lambda/shared/cache/keys';
import { ValkeyCacheStore } from '../../lambda/shared/cache/valkey-store';
import { type RedisServer, startRedisServer } from '../support/redis-server';

interface Answer {
  readonly text: string;
}

const SCOPE: CacheScope = { tenant: 'tenant-a', modelId: 'amazon.nova-lite-v1:0', promptVersion: '3', guardrailVersion: '2' };
const CLEAN = { guardrail: { input: 'none', output: 'none' } } as const;
const DIMENSIONS = 64;

/**
 * Embeddings with chosen similarities: `base:<n>` is a fixed random unit vector, and
 * `near:<n>:<s>` is a unit vector at cosine exactly `s` to it (in a direction fixed per text).
 */
function controlledEmbeddings(): EmbeddingPort & { calls: number } {
  const port = {
    calls: 0,
    async embed(text: string) {
      port.calls++;
      const [kind, n, s] = text.split(':');
      const base = randomUnit(Number(n) + 1);
      if (kind === 'base') return base;
      const noise = randomUnit(hashText(text));
      const along = noise.reduce((sum, x, i) => sum + x * base[i], 0);
      const orthogonal = normalize(noise.map((x, i) => x - along * base[i]));
      const similarity = Number(s);
      return base.map((x, i) => similarity * x + Math.sqrt(1 - similarity ** 2) * orthogonal[i]);
    },
  };
  return port;
}

function randomUnit(seed: number): number[] {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
  return normalize(Array.from({ length: DIMENSIONS }, next));
}

const normalize = (v: number[]) => {
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
};
const hashText = (text: string) => [...text].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0, 2166136261);

let server: RedisServer;
let store: ValkeyCacheStore;
let failures: CacheFailure[];

beforeAll(async () => {
  server = await startRedisServer();
  // Generous budgets: these tests are about behaviour, the fault tests about timeouts.
  store = new ValkeyCacheStore({ host: server.host, port: server.port, commandTimeoutMs: 1_000 });
});

afterAll(async () => {
  await store?.quit();
  await server?.stop();
});

beforeEach(async () => {
  failures = [];
  await server.command('FLUSHALL');
});

afterEach(() => {
  // Every test here runs on a healthy server: any absorbed failure is a bug.
  expect(failures).toEqual([]);
});

function cache(settings: Partial<ResponseCacheSettings> = {}, embeddings?: EmbeddingPort): ResponseCache<Answer> {
  return new ResponseCache<Answer>({ ttlSeconds: 60, timeoutMs: 1_000, ...settings }, { store, embeddings, onCacheError: (f) => failures.push(f) });
}

const semanticSettings = (threshold: number) => ({ semantic: { dimensions: DIMENSIONS, threshold, bands: 24, bitsPerBand: 6, embeddingTimeoutMs: 1_000 } });

describe('exact cache', () => {
  test('misses, then hits the stored answer', async () => {
    const c = cache();
    expect(await c.lookup(SCOPE, { query: 'What is S3?' })).toEqual({ source: 'none', degraded: false });
    expect(await c.store(SCOPE, { query: 'What is S3?' }, { text: 'Object storage.' }, CLEAN)).toEqual({ exact: true, semantic: false });
    expect(await c.lookup(SCOPE, { query: 'What is S3?' })).toEqual({ source: 'exact', answer: { text: 'Object storage.' } });
  });

  test.each([
    ['tenant', { ...SCOPE, tenant: 'tenant-b' }],
    ['model', { ...SCOPE, modelId: 'amazon.nova-pro-v1:0' }],
    ['prompt version', { ...SCOPE, promptVersion: '4' }],
    ['guardrail version', { ...SCOPE, guardrailVersion: '3' }],
    ['no guardrail version', { ...SCOPE, guardrailVersion: undefined }],
  ])('a different %s misses', async (_name, scope) => {
    const c = cache();
    await c.store(SCOPE, { query: 'What is S3?' }, { text: 'Object storage.' }, CLEAN);
    expect((await c.lookup(scope, { query: 'What is S3?' })).source).toBe('none');
    expect((await c.lookup(SCOPE, { query: 'What is S3?' })).source).toBe('exact');
  });

  test.each([
    ['maxTokens', { maxTokens: 100 }],
    ['temperature', { temperature: 0.9 }],
    ['variables', { variables: { language: 'French' } }],
    ['topK', { topK: 3 }],
    ['filter', { filter: { team: 'ops' } }],
    ['filter value type', { filter: { year: 2024 } }],
  ])('a different %s misses', async (_name, fields) => {
    const c = cache();
    const stored = { query: 'What is S3?', filter: { year: '2024' } };
    await c.store(SCOPE, stored, { text: 'Object storage.' }, CLEAN);
    expect((await c.lookup(SCOPE, { ...stored, ...fields })).source).toBe('none');
  });

  test('whitespace and Unicode composition variants hit; case variants do not', async () => {
    const c = cache();
    await c.store(SCOPE, { query: 'Où est le café? Ask  about\tS3' }, { text: 'ici' }, CLEAN);
    for (const query of ['  Où est le café? Ask about S3\n', 'Où est le cafe\u0301? Ask\u00a0about \u2003S3', 'Ou\u0300 est le café?\r\nAsk about S3']) {
      expect(await c.lookup(SCOPE, { query })).toEqual({ source: 'exact', answer: { text: 'ici' } });
    }
    expect((await c.lookup(SCOPE, { query: 'où est le café? ask about s3' })).source).toBe('none');
  });

  test('variables and filters hit in any key order; an omitted value equals its default', async () => {
    const c = cache({ requestDefaults: { temperature: 0.2, maxTokens: 512, topK: 5 } });
    await c.store(SCOPE, { query: 'q', variables: { a: '1', b: '2' }, filter: { x: 1, y: true } }, { text: 'A' }, CLEAN);
    expect(
      (await c.lookup(SCOPE, { query: 'q', variables: { b: '2', a: '1' }, filter: { y: true, x: 1 }, temperature: 0.2, maxTokens: 512, topK: 5 })).source,
    ).toBe('exact');
  });

  test('an entry expires after the configured TTL', async () => {
    const c = cache({ ttlSeconds: 1 });
    await c.store(SCOPE, { query: 'short-lived' }, { text: 'A' }, CLEAN);
    const [key] = (await store.client.keys('genai:exact:*')) as string[];
    expect(await store.client.ttl(key)).toBe(1);
    expect((await c.lookup(SCOPE, { query: 'short-lived' })).source).toBe('exact');
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect((await c.lookup(SCOPE, { query: 'short-lived' })).source).toBe('none');
  });

  test('keys are genai:exact:<sha256>, with no request text in them', async () => {
    await cache().store(SCOPE, { query: 'secret question' }, { text: 'A' }, CLEAN);
    expect(await store.client.keys('*')).toEqual([expect.stringMatching(/^genai:exact:[0-9a-f]{64}$/)]);
  });

  test('a stored value it cannot read is a miss, reported as corrupt', async () => {
    const c = cache();
    await c.store(SCOPE, { query: 'q' }, { text: 'A' }, CLEAN);
    const [key] = (await store.client.keys('genai:exact:*')) as string[];
    await store.client.set(key, 'not json');
    expect((await c.lookup(SCOPE, { query: 'q' })).source).toBe('none');
    expect(failures.splice(0)).toEqual([expect.objectContaining({ operation: 'exact-lookup', reason: 'corrupt' })]);
  });
});

describe('store policy', () => {
  test.each([
    ['blocked', { guardrail: { input: 'none', output: 'blocked' } }, 'blocked'],
    ['blocked input', { guardrail: { input: 'blocked', output: 'not-checked' } }, 'blocked'],
    ['ungrounded', { guardrail: { input: 'none', output: 'ungrounded' } }, 'ungrounded'],
    ['masked output (PII)', { guardrail: { input: 'none', output: 'masked' } }, 'pii'],
    ['masked input (PII)', { guardrail: { input: 'masked', output: 'none' } }, 'pii'],
    ['flagged as PII-bearing', { containsPii: true }, 'pii'],
    ['without passages', { noPassagesFound: true }, 'no-passages'],
  ] as const)('refuses a %s answer and writes nothing', async (_name, outcome, reason) => {
    const embeddings = controlledEmbeddings();
    const c = cache(semanticSettings(0.9), embeddings);
    expect(await c.store(SCOPE, { query: 'base:1' }, { text: 'A' }, outcome)).toEqual({ refused: reason, exact: false, semantic: false });
    expect(await server.command('DBSIZE')).toBe(':0\r\n');
    expect((await c.lookup(SCOPE, { query: 'base:1' })).source).toBe('none');
  });

  test('does not store an answer that came from the cache', async () => {
    const c = cache();
    await c.store(SCOPE, { query: 'q' }, { text: 'A' }, CLEAN);
    const hit = await c.lookup(SCOPE, { query: 'q' });
    expect(await c.store(SCOPE, { query: 'q' }, { text: 'A' }, CLEAN, hit)).toEqual({ refused: 'from-cache', exact: false, semantic: false });
  });

  test('stores answers without a guardrail, or that it did not check', async () => {
    const c = cache();
    expect((await c.store(SCOPE, { query: 'q1' }, { text: 'A' }, {})).exact).toBe(true);
    expect((await c.store(SCOPE, { query: 'q2' }, { text: 'A' }, { guardrail: { input: 'not-checked', output: 'not-checked' } })).exact).toBe(true);
  });
});

describe('semantic cache', () => {
  test('a near-duplicate hits, with its similarity; the embedding of the lookup is reused by store', async () => {
    const embeddings = controlledEmbeddings();
    const c = cache(semanticSettings(0.9), embeddings);
    const miss = await c.lookup(SCOPE, { query: 'base:1' });
    expect(miss).toMatchObject({ source: 'none', degraded: false, embedding: expect.any(Array) });
    expect(await c.store(SCOPE, { query: 'base:1' }, { text: 'A' }, CLEAN, miss)).toEqual({ exact: true, semantic: true });
    expect(embeddings.calls).toBe(1);

    const hit = await c.lookup(SCOPE, { query: 'near:1:0.95' });
    expect(hit).toEqual({ source: 'semantic', answer: { text: 'A' }, similarity: expect.closeTo(0.95, 4) });
  });

  test('the exact cache answers before the semantic one', async () => {
    const embeddings = controlledEmbeddings();
    const c = cache(semanticSettings(0.9), embeddings);
    await c.store(SCOPE, { query: 'base:1' }, { text: 'A' }, CLEAN);
    const calls = embeddings.calls;
    expect((await c.lookup(SCOPE, { query: 'base:1' })).source).toBe('exact');
    expect(embeddings.calls).toBe(calls);
  });

  test('misses below the threshold', async () => {
    const c = cache(semanticSettings(0.9), controlledEmbeddings());
    await c.store(SCOPE, { query: 'base:1' }, { text: 'A' }, CLEAN);
    expect((await c.lookup(SCOPE, { query: 'near:1:0.8' })).source).toBe('none');
    expect((await c.lookup(SCOPE, { query: 'base:2' })).source).toBe('none');
  });

  test('the threshold comes from the configuration (both sides of it)', async () => {
    const strict = cache(semanticSettings(0.9), controlledEmbeddings());
    const loose = cache(semanticSettings(0.85), controlledEmbeddings());
    await strict.store(SCOPE, { query: 'base:1' }, { text: 'A' }, CLEAN);
    // Same hashing parameters: both caches read the same buckets.
    expect((await strict.lookup(SCOPE, { query: 'near:1:0.87' })).source).toBe('none');
    expect(await loose.lookup(SCOPE, { query: 'near:1:0.87' })).toMatchObject({ source: 'semantic', similarity: expect.closeTo(0.87, 4) });
    expect((await loose.lookup(SCOPE, { query: 'near:1:0.83' })).source).toBe('none');
    expect((await strict.lookup(SCOPE, { query: 'near:1:0.91' })).source).toBe('semantic');
  });

  test('returns the most similar of several candidates', async () => {
    const c = cache(semanticSettings(0.8), controlledEmbeddings());
    await c.store(SCOPE, { query: 'near:1:0.9' }, { text: 'far' }, CLEAN);
    await c.store(SCOPE, { query: 'near:1:0.99' }, { text: 'close' }, CLEAN);
    expect(await c.lookup(SCOPE, { query: 'base:1' })).toMatchObject({ source: 'semantic', answer: { text: 'close' } });
  });

  test('never hits across tenants, models, prompt versions or request parameters', async () => {
    const c = cache(semanticSettings(0.9), controlledEmbeddings());
    await c.store(SCOPE, { query: 'base:1', variables: { language: 'English' } }, { text: 'A' }, CLEAN);
    for (const scope of [
      { ...SCOPE, tenant: 'tenant-b' },
      { ...SCOPE, modelId: 'other' },
      { ...SCOPE, promptVersion: '9' },
      { ...SCOPE, guardrailVersion: '9' },
    ]) {
      expect((await c.lookup(scope, { query: 'near:1:0.99', variables: { language: 'English' } })).source).toBe('none');
    }
    expect((await c.lookup(SCOPE, { query: 'near:1:0.99', variables: { language: 'French' } })).source).toBe('none');
    expect((await c.lookup(SCOPE, { query: 'near:1:0.99', variables: { language: 'English' }, maxTokens: 10 })).source).toBe('none');
    expect((await c.lookup(SCOPE, { query: 'near:1:0.99', variables: { language: 'English' } })).source).toBe('semantic');
  });

  test('keeps each bucket within maxPerBucket members', async () => {
    const maxPerBucket = 5;
    const c = cache({ semantic: { dimensions: DIMENSIONS, threshold: 0.9, bands: 4, bitsPerBand: 4, maxPerBucket } }, controlledEmbeddings());
    // Near-duplicates of one vector crowd the same buckets.
    for (let i = 0; i < 40; i++) await c.store(SCOPE, { query: `near:1:0.99${i}` }, { text: `A${i}` }, CLEAN);
    const lists = ((await store.client.keys('genai:sem:*')) as string[]).filter((k) => !k.includes(':e:'));
    expect(lists.length).toBeGreaterThanOrEqual(4);
    const lengths = await Promise.all(lists.map((k) => store.client.llen(k)));
    expect(Math.max(...lengths)).toBe(maxPerBucket);
    // Storing the same request again moves it to the head instead of adding a second member.
    await c.store(SCOPE, { query: 'near:1:0.9939' }, { text: 'again' }, CLEAN);
    const members = await Promise.all(lists.map((k) => store.client.lrange(k, 0, -1)));
    for (const list of members) expect(new Set(list).size).toBe(list.length);
    // The newest entries stay reachable.
    expect((await c.lookup(SCOPE, { query: 'near:1:0.9939' })).source).toBe('exact');
    expect((await c.lookup(SCOPE, { query: 'base:1' })).source).toBe('semantic');
  });

  test('bucket and entry keys share one hash tag per scope and carry the TTL', async () => {
    const c = cache({ ttlSeconds: 120, ...semanticSettings(0.9) }, controlledEmbeddings());
    await c.store(SCOPE, { query: 'base:1' }, { text: 'A' }, CLEAN);
    const keys = ((await store.client.keys('genai:sem:*')) as string[]).sort();
    expect(keys).toHaveLength(24 + 1);
    const tags = new Set(keys.map((k) => /^genai:sem:\{([A-Za-z0-9_-]+)\}:/.exec(k)?.[1]));
    expect(tags.size).toBe(1);
    for (const key of keys) expect(await store.client.ttl(key)).toBeGreaterThan(110);
  });

  test('works with the hashed bag-of-words stand-in: a reworded question hits, another question does not', async () => {
    const c = cache({ semantic: { dimensions: 256, threshold: 0.75 } }, hashedEmbeddings(256));
    await c.store(SCOPE, { query: 'How do I reset my password?' }, { text: 'Use the reset link.' }, CLEAN);
    expect((await c.lookup(SCOPE, { query: 'how can i reset the password' })).source).toBe('semantic');
    expect((await c.lookup(SCOPE, { query: 'How do I delete my account?' })).source).toBe('none');
  });

  test('an embedding of the wrong size is a miss, reported', async () => {
    const c = cache({ semantic: { dimensions: 32, threshold: 0.9 } }, controlledEmbeddings());
    expect(await c.lookup(SCOPE, { query: 'base:1' })).toMatchObject({ source: 'none', degraded: true });
    expect(await c.store(SCOPE, { query: 'base:1' }, { text: 'A' }, CLEAN)).toEqual({ exact: true, semantic: false });
    expect(failures.splice(0).map((f) => f.operation)).toEqual(['semantic-lookup', 'semantic-store']);
  });

  test('a slow embedding model is a miss within its budget, reported as a timeout', async () => {
    const slow: EmbeddingPort = { embed: (_text, signal) => new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted')))) };
    const c = cache({ semantic: { dimensions: DIMENSIONS, threshold: 0.9, embeddingTimeoutMs: 30 } }, slow);
    expect(await c.lookup(SCOPE, { query: 'q' })).toEqual({ source: 'none', degraded: true });
    expect(failures.splice(0)).toEqual([expect.objectContaining({ operation: 'embedding', reason: 'timeout' })]);
  });
});

describe('configuration', () => {
  test('fails when the semantic cache has no embeddings port', () => {
    expect(() => cache(semanticSettings(0.9))).toThrow('the semantic cache needs an embeddings port');
  });

  test.each([
    [{ threshold: 1.5 }, 'threshold must be in (0, 1], got 1.5'],
    [{ bitsPerBand: 40 }, 'bitsPerBand must be an integer between 1 and 32, got 40'],
    [{ maxPerBucket: 0 }, 'maxPerBucket must be an integer between 1 and 10000, got 0'],
  ])('fails on invalid semantic settings %j', (semantic, message) => {
    expect(() => cache({ semantic }, controlledEmbeddings())).toThrow(message);
  });

  test('fails on a TTL below one second', () => {
    expect(() => cache({ ttlSeconds: 0 })).toThrow('ttlSeconds must be a positive integer, got 0');
  });

  test('fails on an empty tenant rather than sharing answers across tenants', async () => {
    await expect(cache().lookup({ ...SCOPE, tenant: '' }, { query: 'q' })).rejects.toThrow('cache scope needs a tenant');
  });
});
