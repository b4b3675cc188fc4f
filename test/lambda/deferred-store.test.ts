import { DeferredStore } from '../../lambda/shared/cache/deferred-store';
import type { CacheStore } from '../../lambda/shared/cache/store';
import { InMemoryCacheStore } from '../support/memory-cache-store';

/**
 * DeferredStore (lambda/shared/cache/deferred-store.ts) in process, its loads controlled by the
 * test (no clock): nothing loads before the first operation, one load serves every caller, every
 * operation reaches the loaded store with its arguments, and a failed load fails the operations
 * waiting on it and is tried again by the next one.
 */

/** A load the test resolves or rejects when it chooses, counting how often it was started. */
function controlledLoad() {
  const pending: { resolve: (store: CacheStore) => void; reject: (error: Error) => void }[] = [];
  const load = () => new Promise<CacheStore>((resolve, reject) => pending.push({ resolve, reject }));
  return { load, pending };
}

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

test('loads nothing until the first operation, then once for every concurrent caller', async () => {
  const inner = new InMemoryCacheStore();
  const { load, pending } = controlledLoad();
  const store = new DeferredStore(load);
  expect(pending).toHaveLength(0);

  const ops = Promise.all([store.set('genai:a', '1', 60), store.get('genai:a'), store.ready(), store.getMany(['genai:a'])]);
  await settle();
  expect(pending).toHaveLength(1);
  expect(inner.calls).toEqual([]);
  pending[0]!.resolve(inner);
  expect(await ops).toEqual([undefined, '1', undefined, ['1']]);
  // In the order they were called, once the store was made.
  expect(inner.calls.map((c) => c.op)).toEqual(['set', 'get', 'getMany']);

  expect(await store.get('genai:a')).toBe('1');
  await store.ready();
  expect(pending).toHaveLength(1);
});

test('every operation reaches the loaded store with its arguments and returns its answer', async () => {
  const inner = new InMemoryCacheStore();
  const store = new DeferredStore(() => Promise.resolve(inner));
  await store.set('genai:k', 'v', 60);
  expect(await store.get('genai:k')).toBe('v');
  expect(await store.get('genai:none')).toBeNull();
  expect(await store.getMany(['genai:k', 'genai:none'])).toEqual(['v', null]);
  await store.putBounded({ key: 'genai:e', value: 'entry' }, ['genai:l1', 'genai:l2'], 'm1', 3, 120);
  await store.putBounded({ key: 'genai:f', value: 'entry' }, ['genai:l1'], 'm2', 3, 120);
  expect(await store.readLists(['genai:l1', 'genai:l2', 'genai:l3'], 1)).toEqual([['m2'], ['m1'], []]);
  expect(inner.calls).toEqual([
    { op: 'set', args: ['genai:k', 'v', 60] },
    { op: 'get', args: ['genai:k'] },
    { op: 'get', args: ['genai:none'] },
    { op: 'getMany', args: [['genai:k', 'genai:none']] },
    { op: 'putBounded', args: [{ key: 'genai:e', value: 'entry' }, ['genai:l1', 'genai:l2'], 'm1', 3, 120] },
    { op: 'putBounded', args: [{ key: 'genai:f', value: 'entry' }, ['genai:l1'], 'm2', 3, 120] },
    { op: 'readLists', args: [['genai:l1', 'genai:l2', 'genai:l3'], 1] },
  ]);
});

test('ready() resolves once the store is made, and the operations after it load nothing more', async () => {
  const inner = new InMemoryCacheStore();
  const { load, pending } = controlledLoad();
  const store = new DeferredStore(load);
  let ready = false;
  const readying = store.ready().then(() => (ready = true));
  await settle();
  expect(pending).toHaveLength(1);
  expect(ready).toBe(false);
  pending[0]!.resolve(inner);
  await readying;
  await store.set('genai:a', '1', 60);
  expect(pending).toHaveLength(1);
  expect(inner.values.get('genai:a')).toBe('1');
});

test('a failed load fails every operation waiting on it with its error, ready() still resolves, and the next call loads again', async () => {
  const inner = new InMemoryCacheStore();
  const { load, pending } = controlledLoad();
  const store = new DeferredStore(load);
  const failure = new Error('module failed to load');

  const waiting = [
    store.get('genai:a'),
    store.set('genai:a', '1', 60),
    store.getMany(['genai:a']),
    store.readLists(['genai:l'], 1),
    store.putBounded({ key: 'genai:e', value: 'v' }, ['genai:l'], 'm', 1, 60),
  ].map((op) =>
    op.then(
      () => 'done',
      (error: unknown) => error,
    ),
  );
  const readying = store.ready();
  await settle();
  expect(pending).toHaveLength(1);
  pending[0]!.reject(failure);
  expect(await Promise.all(waiting)).toEqual([failure, failure, failure, failure, failure]);
  await expect(readying).resolves.toBeUndefined();

  // The next call starts a new load; until it succeeds, the failure is not remembered.
  const retried = store.set('genai:a', '1', 60);
  await settle();
  expect(pending).toHaveLength(2);
  pending[1]!.resolve(inner);
  await retried;
  expect(inner.values.get('genai:a')).toBe('1');
  expect(await store.get('genai:a')).toBe('1');
  expect(pending).toHaveLength(2);
});

test('a load that fails again is tried again by every call, one load per call', async () => {
  let loads = 0;
  const store = new DeferredStore(() => Promise.reject(new Error(`load ${++loads} failed`)));
  await expect(store.get('genai:a')).rejects.toThrow('load 1 failed');
  await store.ready();
  expect(loads).toBe(2);
  await expect(store.getMany(['genai:a'])).rejects.toThrow('load 3 failed');
});

test('a load that throws before returning a promise fails like one that rejects: ready() resolves, the call fails, the next loads again', async () => {
  const inner = new InMemoryCacheStore();
  let loads = 0;
  const store = new DeferredStore(() => {
    if (++loads <= 2) throw new Error(`load ${loads} threw`);
    return Promise.resolve(inner);
  });
  await expect(store.ready()).resolves.toBeUndefined();
  await expect(store.get('genai:a')).rejects.toThrow('load 2 threw');
  await store.set('genai:a', '1', 60);
  expect(loads).toBe(3);
  expect(inner.values.get('genai:a')).toBe('1');
});
