import { CorruptEntry, ExactCache } from '../../lambda/shared/cache/exact-cache';
import { InMemoryCacheStore } from '../support/memory-cache-store';

/**
 * The exact cache (lambda/shared/cache/exact-cache.ts) through an in-memory store: what it writes
 * for an answer, under which key and TTL, what it serves back, and which stored values it refuses.
 */

const KEY = 'genai:exact:0123abcd';

function setup(ttlSeconds = 600) {
  const store = new InMemoryCacheStore();
  return { store, cache: new ExactCache(store, ttlSeconds) };
}

describe('ExactCache: settings', () => {
  test.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('fails when ttlSeconds is %p', (ttl) => {
    expect(() => setup(ttl)).toThrow(`ttlSeconds must be a positive integer, got ${ttl}`);
  });

  test('one second is the shortest TTL', () => {
    expect(setup(1).cache.ttlSeconds).toBe(1);
  });
});

describe('ExactCache: put and get', () => {
  test('stores the answer as JSON under its key with the TTL, and serves it back', async () => {
    const { store, cache } = setup(600);
    await cache.put(KEY, { text: 'Paris', citations: [1] });
    expect(store.calls).toEqual([{ op: 'set', args: [KEY, '{"a":{"text":"Paris","citations":[1]}}', 600] }]);
    expect(await cache.get(KEY)).toEqual({ text: 'Paris', citations: [1] });
    expect(store.calls.at(-1)).toEqual({ op: 'get', args: [KEY] });
  });

  test('a key never stored is a miss', async () => {
    const { store, cache } = setup();
    await cache.put(KEY, 'answer');
    expect(await cache.get('genai:exact:other')).toBeUndefined();
    expect(store.calls.at(-1)).toEqual({ op: 'get', args: ['genai:exact:other'] });
  });

  test.each([[0], [''], [false], [null], [[]]])('a falsy answer (%p) is served as stored, not taken for a miss', async (answer) => {
    const { cache } = setup();
    await cache.put(KEY, answer);
    expect(await cache.get(KEY)).toEqual(answer);
  });
});

describe('ExactCache: corrupt entries', () => {
  test.each([
    ['not JSON', '{"a":'],
    ['JSON null', 'null'],
    ['an array', '[{"a":1}]'],
    ['a string', '"a"'],
    ['a number', '42'],
    ['an object without an answer', '{"b":1}'],
    ['an empty string', ''],
  ])('fails with CorruptEntry naming the key when the stored value is %s', async (_what, value) => {
    const { store, cache } = setup();
    store.values.set(KEY, value);
    const failure = cache.get(KEY);
    await expect(failure).rejects.toThrow(CorruptEntry);
    await expect(failure).rejects.toThrow(`cache entry ${KEY} is not a stored answer`);
    await expect(failure).rejects.toMatchObject({ name: 'CorruptEntry' });
  });

  test('a store failure is passed on as it is, not taken for a corrupt entry', async () => {
    const { store, cache } = setup();
    const down = new Error('connection lost');
    store.get = () => Promise.reject(down);
    await expect(cache.get(KEY)).rejects.toBe(down);
    store.set = () => Promise.reject(down);
    await expect(cache.put(KEY, 'answer')).rejects.toBe(down);
  });
});
