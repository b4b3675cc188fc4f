/**
 * The few operations the caches need from a Redis-compatible server. `valkey-store.ts` implements
 * them with iovalkey; tests could use any other implementation.
 *
 * Every multi-key operation is called with keys of one hash slot (see `keys.ts`), so it works on
 * a cluster-mode server such as ElastiCache Serverless.
 */
export interface CacheStore {
  get(key: string): Promise<string | null>;
  /** SET with EX. */
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** MGET. */
  getMany(keys: readonly string[]): Promise<(string | null)[]>;
  /** LRANGE 0 count-1 of each list, in one round trip. */
  readLists(keys: readonly string[], count: number): Promise<string[][]>;
  /**
   * In one atomic round trip (MULTI): SET `entry` EX ttl, and in each list remove `member`, push it
   * at the head, trim the list to `maxPerList` members and refresh its TTL. The trim is what bounds
   * a bucket's memory: the oldest members fall off.
   */
  putBounded(
    entry: { readonly key: string; readonly value: string },
    lists: readonly string[],
    member: string,
    maxPerList: number,
    ttlSeconds: number,
  ): Promise<void>;
  /**
   * Resolves once the store can take operations without a one-off set-up (DeferredStore loads its
   * client here); ResponseCache awaits it before starting a round's timer. Never rejects.
   * @default always ready
   */
  ready?(): Promise<void>;
}
