import type { CacheStore } from '../../lambda/shared/cache/store';

/** One call a cache made to its store, with its arguments as given. */
export interface StoreCall {
  readonly op: 'get' | 'set' | 'getMany' | 'readLists' | 'putBounded';
  readonly args: unknown[];
}

/**
 * A CacheStore in memory that records every call: the caches' tests see what is stored, under
 * which key and with which TTL, without a server. TTLs are recorded, not enforced. Lists behave as
 * `putBounded` documents (member moved to the head, trimmed to `maxPerList`).
 */
export class InMemoryCacheStore implements CacheStore {
  readonly values = new Map<string, string>();
  readonly lists = new Map<string, string[]>();
  readonly calls: StoreCall[] = [];

  get(key: string): Promise<string | null> {
    this.calls.push({ op: 'get', args: [key] });
    return Promise.resolve(this.values.get(key) ?? null);
  }

  set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.calls.push({ op: 'set', args: [key, value, ttlSeconds] });
    this.values.set(key, value);
    return Promise.resolve();
  }

  getMany(keys: readonly string[]): Promise<(string | null)[]> {
    this.calls.push({ op: 'getMany', args: [[...keys]] });
    return Promise.resolve(keys.map((k) => this.values.get(k) ?? null));
  }

  readLists(keys: readonly string[], count: number): Promise<string[][]> {
    this.calls.push({ op: 'readLists', args: [[...keys], count] });
    return Promise.resolve(keys.map((k) => (this.lists.get(k) ?? []).slice(0, count)));
  }

  putBounded(
    entry: { readonly key: string; readonly value: string },
    lists: readonly string[],
    member: string,
    maxPerList: number,
    ttlSeconds: number,
  ): Promise<void> {
    this.calls.push({ op: 'putBounded', args: [entry, [...lists], member, maxPerList, ttlSeconds] });
    this.values.set(entry.key, entry.value);
    for (const list of lists) this.lists.set(list, [member, ...(this.lists.get(list) ?? []).filter((m) => m !== member)].slice(0, maxPerList));
    return Promise.resolve();
  }
}
