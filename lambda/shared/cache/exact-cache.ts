import { isJsonObject } from '../json';
import type { CacheStore } from './store';

/** Whole answers under `genai:exact:<hash>` keys (see `keys.ts`), as JSON, with a TTL. */
export class ExactCache {
  constructor(
    private readonly store: CacheStore,
    public readonly ttlSeconds: number,
  ) {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new Error(`ttlSeconds must be a positive integer, got ${ttlSeconds}`);
  }

  /** The stored answer, or undefined on a miss. Throws `CorruptEntry` on a value it cannot read. */
  public async get(key: string): Promise<unknown> {
    const value = await this.store.get(key);
    if (value === null) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new CorruptEntry(key);
    }
    if (!isJsonObject(parsed) || parsed.a === undefined) throw new CorruptEntry(key);
    return parsed.a;
  }

  public async put(key: string, answer: unknown): Promise<void> {
    await this.store.set(key, JSON.stringify({ a: answer }), this.ttlSeconds);
  }
}

export class CorruptEntry extends Error {
  constructor(key: string) {
    super(`cache entry ${key} is not a stored answer`);
    this.name = 'CorruptEntry';
  }
}
