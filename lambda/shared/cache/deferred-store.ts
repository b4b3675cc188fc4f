import type { CacheStore } from './store';

/**
 * A CacheStore made by `load` on first use instead of at a cold start, so a function does not
 * evaluate the store's client library (iovalkey) while it starts: `load` typically `import()`s the
 * module, which esbuild keeps in the same bundle and evaluates on that call. `ready()` does the
 * loading; ResponseCache awaits it before a round's timer starts, so the one-off cost falls on the
 * first request and never on its cache budget. A failed load is tried again by the next call; until
 * then every operation fails (and the cache, failing open, is skipped).
 */
export class DeferredStore implements CacheStore {
  private loading?: Promise<CacheStore>;

  constructor(private readonly load: () => Promise<CacheStore>) {}

  /** Resolves when the store is made, or could not be (never rejects). */
  public async ready(): Promise<void> {
    await this.store().catch(() => undefined);
  }

  public async get(key: string): Promise<string | null> {
    return (await this.store()).get(key);
  }

  public async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    return (await this.store()).set(key, value, ttlSeconds);
  }

  public async getMany(keys: readonly string[]): Promise<(string | null)[]> {
    return (await this.store()).getMany(keys);
  }

  public async readLists(keys: readonly string[], count: number): Promise<string[][]> {
    return (await this.store()).readLists(keys, count);
  }

  public async putBounded(
    entry: { readonly key: string; readonly value: string },
    lists: readonly string[],
    member: string,
    maxPerList: number,
    ttlSeconds: number,
  ): Promise<void> {
    return (await this.store()).putBounded(entry, lists, member, maxPerList, ttlSeconds);
  }

  private store(): Promise<CacheStore> {
    // Called from an async function, a `load` that throws before returning a promise rejects like
    // one that fails later: `ready()` must never reject, and the next call must load again.
    return (this.loading ??= (async () => this.load())().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    }));
  }
}
