import { bucketKey, entryKey } from '../../lambda/shared/cache/keys';
import { maxHammingFor } from '../../lambda/shared/cache/lsh';
import { SEMANTIC_DEFAULTS, SemanticCache, type SemanticCacheSettings, unitVector } from '../../lambda/shared/cache/semantic-cache';
import * as z from 'zod/mini';
import { parseJson } from '../support/json';
import { InMemoryCacheStore as InMemoryStore } from '../support/memory-cache-store';

const Entry = z.object({ v: z.string(), a: z.unknown() });

/**
 * The semantic cache (lambda/shared/cache/semantic-cache.ts) through its store port: an in-memory
 * CacheStore that records every call (test/support/memory-cache-store.ts). What is stored for an answer, which candidates a lookup
 * fetches, and which stored answer it serves.
 */

const SETTINGS: SemanticCacheSettings = {
  dimensions: 8,
  bands: 4,
  bitsPerBand: 8,
  seed: 11,
  threshold: 0.9,
  maxPerBucket: 5,
  maxCandidates: 3,
  ttlSeconds: 600,
};
const SCOPE = 'tenant-a:model-x';
const ID = (n: number) => `id${String(n).padStart(9, '0')}`;
const V1 = [1, 0.2, 0, 0.1, 0, 0, 0.3, 0];
/** cos(V1, NEAR) ≈ 0.99; cos(V1, FAR) ≈ 0 */
const NEAR = [1, 0.25, 0.05, 0.1, 0, 0, 0.3, 0.05];
const FAR = [0, 0, 1, 0, 0.5, 0.2, 0, 1];

const cosine = (a: number[], b: number[]) => {
  const ua = unitVector(a);
  const ub = unitVector(b);
  return ua.reduce((s, x, i) => s + x * ub[i]!, 0);
};

function setup(settings: Partial<SemanticCacheSettings> = {}) {
  const store = new InMemoryStore();
  return { store, cache: new SemanticCache({ ...SETTINGS, ...settings }, store) };
}

describe('SemanticCache: settings', () => {
  test('the defaults are Titan v2 at 256 dimensions, 16 bands of 10 bits', () => {
    expect(SEMANTIC_DEFAULTS).toEqual({ dimensions: 256, bands: 16, bitsPerBand: 10, seed: 0x5eedcace, threshold: 0.9, maxPerBucket: 32, maxCandidates: 16 });
    expect(new SemanticCache({ ...SEMANTIC_DEFAULTS, ttlSeconds: 1 }, new InMemoryStore()).hyperplanes.id).toBe(`rh1:256:16x10:${0x5eedcace}`);
  });

  test.each([
    [{ threshold: 1 }],
    [{ threshold: 0.0001 }],
    [{ maxPerBucket: 1 }],
    [{ maxPerBucket: 10_000 }],
    [{ maxCandidates: 1 }],
    [{ maxCandidates: 1_000 }],
    [{ ttlSeconds: 1 }],
  ])('accepts %j', (change) => {
    expect(setup(change).cache.settings).toEqual({ ...SETTINGS, ...change });
  });

  test.each<[Partial<SemanticCacheSettings>, string]>([
    [{ threshold: 0 }, 'threshold must be in (0, 1], got 0'],
    [{ threshold: 1.01 }, 'threshold must be in (0, 1], got 1.01'],
    [{ threshold: Number.NaN }, 'threshold must be in (0, 1], got NaN'],
    [{ maxPerBucket: 0 }, 'maxPerBucket must be an integer between 1 and 10000, got 0'],
    [{ maxPerBucket: 10_001 }, 'maxPerBucket must be an integer between 1 and 10000, got 10001'],
    [{ maxPerBucket: 2.5 }, 'maxPerBucket must be an integer between 1 and 10000, got 2.5'],
    [{ maxCandidates: 0 }, 'maxCandidates must be an integer between 1 and 1000, got 0'],
    [{ maxCandidates: 1_001 }, 'maxCandidates must be an integer between 1 and 1000, got 1001'],
    [{ maxCandidates: 2.5 }, 'maxCandidates must be an integer between 1 and 1000, got 2.5'],
    [{ ttlSeconds: 0 }, 'ttlSeconds must be a positive integer, got 0'],
    [{ ttlSeconds: 1.5 }, 'ttlSeconds must be a positive integer, got 1.5'],
    [{ bands: 0 }, 'bands must be an integer between 1 and 64, got 0'],
  ])('fails when %j', (change, message) => {
    expect(() => setup(change)).toThrow(new Error(message));
  });
});

describe('unitVector', () => {
  test('scales to length 1, as float32', () => {
    expect([...unitVector([3, 4])]).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(unitVector([0, -2])).toEqual(Float32Array.from([0, -1]));
  });

  test.each([[[0, 0]], [[]], [[1, Number.NaN]], [[1, Number.POSITIVE_INFINITY]]])('fails for %j', (embedding) => {
    expect(() => unitVector(embedding)).toThrow(new Error('embedding must be a finite, non-zero vector'));
  });
});

describe('SemanticCache.put', () => {
  test('one entry (the unit vector as base64 float32, and the answer) and one member in each band’s bucket, bounded, with the TTL', async () => {
    const { store, cache } = setup();
    await cache.put(
      SCOPE,
      ID(1),
      V1.map((x) => x * 7),
      { text: 'answer' },
    );
    const unit = unitVector(V1);
    const signature = cache.hyperplanes.sign(unit);
    expect(store.calls).toEqual([
      {
        op: 'putBounded',
        args: [
          { key: entryKey(SCOPE, ID(1)), value: JSON.stringify({ v: Buffer.from(unit.buffer).toString('base64'), a: { text: 'answer' } }) },
          signature.bands.map((name, band) => bucketKey(SCOPE, band, name)),
          ID(1) + Buffer.from(signature.sketch).toString('base64url'),
          5,
          600,
        ],
      },
    ]);
  });

  test.each([['id-short'], ['id-twelve-ch']])('fails for an id that is not 11 characters (%j)', async (id) => {
    await expect(setup().cache.put(SCOPE, id, V1, 'a')).rejects.toThrow(new Error(`entry id must be 11 characters, got ${id.length}`));
  });

  test('fails for an embedding of another dimension count', async () => {
    await expect(setup().cache.put(SCOPE, ID(1), [1, 2], 'a')).rejects.toThrow('embedding has 2 dimensions, expected 8');
  });
});

describe('SemanticCache.find', () => {
  test('nothing stored: the buckets are read (bounded), nothing fetched', async () => {
    const { store, cache } = setup();
    expect(await cache.find(SCOPE, V1)).toEqual({ bucketMembers: 0, verified: 0 });
    const signature = cache.hyperplanes.sign(unitVector(V1));
    expect(store.calls).toEqual([{ op: 'readLists', args: [signature.bands.map((name, band) => bucketKey(SCOPE, band, name)), 5] }]);
  });

  test('the same question and a near one find the stored answer with its similarity; a far one does not', async () => {
    const { store, cache } = setup();
    await cache.put(SCOPE, ID(1), V1, { text: 'stored' });
    const same = await cache.find(SCOPE, V1);
    expect(same).toEqual({ hit: { answer: { text: 'stored' }, similarity: expect.closeTo(1, 6) }, bucketMembers: 1, verified: 1 });
    const near = await cache.find(SCOPE, NEAR);
    expect(near.hit?.answer).toEqual({ text: 'stored' });
    expect(near.hit?.similarity).toBeCloseTo(cosine(V1, NEAR), 5);
    expect(cosine(V1, NEAR)).toBeGreaterThan(0.9);
    expect(await cache.find(SCOPE, FAR)).toEqual({ bucketMembers: 0, verified: 0 });
    expect(store.calls.filter((c) => c.op === 'getMany').at(-2)).toEqual({ op: 'getMany', args: [[entryKey(SCOPE, ID(1))]] });
  });

  test('another scope sees nothing', async () => {
    const { cache } = setup();
    await cache.put(SCOPE, ID(1), V1, 'a');
    expect(await cache.find('tenant-b:model-x', V1)).toEqual({ bucketMembers: 0, verified: 0 });
  });

  test('a verified candidate under the threshold is no hit', async () => {
    const { cache, store } = setup({ threshold: 0.999 });
    await cache.put(SCOPE, ID(1), V1, 'a');
    // Same buckets, but another vector stored under the entry: verified, then refused by cosine.
    const entry = parseJson(Entry, store.values.get(entryKey(SCOPE, ID(1)))!);
    const other = unitVector(NEAR);
    store.values.set(entryKey(SCOPE, ID(1)), JSON.stringify({ v: Buffer.from(other.buffer).toString('base64'), a: entry.a }));
    expect(await cache.find(SCOPE, V1)).toEqual({ bucketMembers: 1, verified: 1 });
  });

  test('a similarity exactly at the threshold is a hit', async () => {
    const { cache } = setup({ threshold: 1 });
    const axis = [1, 0, 0, 0, 0, 0, 0, 0];
    await cache.put(SCOPE, ID(1), axis, 'exact');
    expect(await cache.find(SCOPE, axis)).toEqual({ hit: { answer: 'exact', similarity: 1 }, bucketMembers: 1, verified: 1 });
  });

  test('the most similar of several stored answers wins, whatever order they come in', async () => {
    for (const order of [
      [1, 2],
      [2, 1],
    ]) {
      const { cache } = setup();
      const vectors: Record<number, number[]> = { 1: NEAR, 2: V1 };
      for (const n of order) await cache.put(SCOPE, ID(n), vectors[n]!, `answer ${n}`);
      const found = await cache.find(SCOPE, V1);
      expect(found.hit?.answer).toBe('answer 2');
      expect(found.bucketMembers).toBe(2);
    }
  });

  test('an entry in several buckets counts once; one whose sketch is too far or of another length is not fetched', async () => {
    const { store, cache } = setup();
    await cache.put(SCOPE, ID(1), V1, 'a');
    const signature = cache.hyperplanes.sign(unitVector(V1));
    const first = bucketKey(SCOPE, 0, signature.bands[0]!);
    const inverted = Buffer.from(signature.sketch.map((b) => 255 - b)).toString('base64url');
    store.lists.set(first, [...store.lists.get(first)!, ID(2) + inverted, ID(3) + Buffer.from([1, 2]).toString('base64url')]);
    store.values.set(entryKey(SCOPE, ID(2)), store.values.get(entryKey(SCOPE, ID(1)))!);
    store.values.set(entryKey(SCOPE, ID(3)), store.values.get(entryKey(SCOPE, ID(1)))!);
    expect(maxHammingFor(0.9, 32)).toBeLessThan(32);
    expect(await cache.find(SCOPE, V1)).toEqual({ hit: { answer: 'a', similarity: expect.closeTo(1, 6) }, bucketMembers: 3, verified: 1 });
    expect(store.calls.at(-1)).toEqual({ op: 'getMany', args: [[entryKey(SCOPE, ID(1))]] });
  });

  test('an entry met again in a later bucket keeps the distance of its first member', async () => {
    const { store, cache } = setup();
    await cache.put(SCOPE, ID(1), V1, 'a');
    const signature = cache.hyperplanes.sign(unitVector(V1));
    // A stale member of the same entry (from a put with another vector) in the last band's bucket.
    const last = bucketKey(SCOPE, 3, signature.bands[3]!);
    store.lists.set(last, [ID(1) + Buffer.from(signature.sketch.map((b) => 255 - b)).toString('base64url')]);
    expect(await cache.find(SCOPE, V1)).toMatchObject({ hit: { answer: 'a' }, bucketMembers: 1, verified: 1 });
  });

  test('a sketch one byte short is not compared with the query’s (even where its bytes agree)', async () => {
    const { store, cache } = setup();
    await cache.put(SCOPE, ID(1), V1, 'a');
    const signature = cache.hyperplanes.sign(unitVector(V1));
    const first = bucketKey(SCOPE, 0, signature.bands[0]!);
    store.lists.set(first, [ID(1) + Buffer.from(signature.sketch.subarray(0, 3)).toString('base64url')]);
    for (let band = 1; band < 4; band++) store.lists.delete(bucketKey(SCOPE, band, signature.bands[band]!));
    expect(await cache.find(SCOPE, V1)).toEqual({ bucketMembers: 1, verified: 0 });
  });

  test('of two equally similar answers, the newer one (first in its buckets) is served', async () => {
    const { cache } = setup();
    await cache.put(SCOPE, ID(1), V1, 'older');
    await cache.put(SCOPE, ID(2), V1, 'newer');
    expect((await cache.find(SCOPE, V1)).hit?.answer).toBe('newer');
  });

  test('at most maxCandidates are fetched, the closest by sketch first', async () => {
    const { store, cache } = setup({ maxCandidates: 2 });
    const query = unitVector(V1);
    const sketch = cache.hyperplanes.sign(query).sketch;
    const withBits = (flips: number) => {
      const copy = Uint8Array.from(sketch);
      for (let bit = 0; bit < flips; bit++) copy[bit >> 3]! ^= 1 << (bit & 7);
      return Buffer.from(copy).toString('base64url');
    };
    const bucket = bucketKey(SCOPE, 0, cache.hyperplanes.sign(query).bands[0]!);
    store.lists.set(bucket, [ID(3) + withBits(3), ID(1) + withBits(0), ID(2) + withBits(1)]);
    const found = await cache.find(SCOPE, V1);
    expect(found).toEqual({ bucketMembers: 3, verified: 2 });
    expect(store.calls.at(-1)).toEqual({ op: 'getMany', args: [[entryKey(SCOPE, ID(1)), entryKey(SCOPE, ID(2))]] });
  });

  test.each<[string, string | undefined]>([
    ['expired (missing)', undefined],
    ['not JSON', '{"v":'],
    ['JSON but no object', '[1,2]'],
    ['null', 'null'],
    ['no vector', JSON.stringify({ a: 'x' })],
    ['a vector that is no string', JSON.stringify({ v: 5, a: 'x' })],
    ['no answer', JSON.stringify({ v: Buffer.from(unitVector(V1).buffer).toString('base64') })],
    ['a vector of another length', JSON.stringify({ v: Buffer.from(unitVector([1, 2, 3]).buffer).toString('base64'), a: 'x' })],
    // V1's last coordinate is 0: read into 8 floats, its first 7 would be the stored vector itself.
    ['a vector one float short', JSON.stringify({ v: Buffer.from(unitVector(V1).buffer).subarray(0, 28).toString('base64'), a: 'x' })],
    ['a vector given as a list of bytes', JSON.stringify({ v: [...Buffer.from(unitVector(V1).buffer)], a: 'x' })],
  ])('an entry that is %s is no candidate', async (_name, value) => {
    const { store, cache } = setup();
    await cache.put(SCOPE, ID(1), V1, 'a');
    if (value === undefined) store.values.delete(entryKey(SCOPE, ID(1)));
    else store.values.set(entryKey(SCOPE, ID(1)), value);
    expect(await cache.find(SCOPE, V1)).toEqual({ bucketMembers: 1, verified: 1 });
  });

  test('an answer that is null or false is still an answer', async () => {
    for (const answer of [null, false, 0, '']) {
      const { cache } = setup();
      await cache.put(SCOPE, ID(1), V1, answer);
      expect((await cache.find(SCOPE, V1)).hit?.answer).toBe(answer);
    }
  });
});
