import { isJsonObject } from '../json';
import { bucketKey, entryKey } from './keys';
import { hamming, type LshParameters, maxHammingFor, RandomHyperplanes } from './lsh';
import type { CacheStore } from './store';

export interface SemanticCacheSettings extends LshParameters {
  /** Cosine similarity at or above which a stored answer is served. */
  readonly threshold: number;
  /** Members kept per bucket list; older ones fall off. Bounds memory and lookup cost. */
  readonly maxPerBucket: number;
  /** Nearest candidates (by sketch distance) whose vectors are fetched and verified. */
  readonly maxCandidates: number;
  readonly ttlSeconds: number;
}

/**
 * Defaults for Titan Text Embeddings v2 at 256 dimensions. 16 bands × 10 bits: a stored vector at
 * cosine 0.90 is a candidate with probability 0.98 (0.92 at 0.85, 0.9999 at 0.95), while an
 * unrelated one lands in a given band's bucket with probability 2^-10.
 */
export const SEMANTIC_DEFAULTS = {
  dimensions: 256,
  bands: 16,
  bitsPerBand: 10,
  seed: 0x5eed_cace,
  threshold: 0.9,
  maxPerBucket: 32,
  maxCandidates: 16,
} as const;

export interface SemanticHit {
  readonly answer: unknown;
  readonly similarity: number;
}

/** The best hit, if any, and what the lookup did (for metrics, tests and the bench). */
export interface SemanticLookup {
  readonly hit?: SemanticHit;
  /** Distinct entries found in the query's buckets. */
  readonly bucketMembers: number;
  /** Of those, fetched and verified by cosine. */
  readonly verified: number;
}

const ID_CHARS = 11; // base64url of the 64-bit entry id

/**
 * Locality-sensitive-hashing buckets in plain keys, for servers without vector search (ElastiCache
 * Serverless). An entry is one string key (vector as base64 Float32 + answer); each of its band
 * buckets is a list of `<id><sketch>` members. A lookup is two round trips: read the query's band
 * lists (pipeline), then MGET the few candidates closest by sketch, verified by exact cosine.
 */
export class SemanticCache {
  public readonly hyperplanes: RandomHyperplanes;
  private readonly maxHamming: number;

  constructor(
    public readonly settings: SemanticCacheSettings,
    private readonly store: CacheStore,
  ) {
    const { threshold, maxPerBucket, maxCandidates, ttlSeconds } = settings;
    if (!(threshold > 0 && threshold <= 1)) throw new Error(`threshold must be in (0, 1], got ${threshold}`);
    if (!Number.isInteger(maxPerBucket) || maxPerBucket < 1 || maxPerBucket > 10_000)
      throw new Error(`maxPerBucket must be an integer between 1 and 10000, got ${maxPerBucket}`);
    if (!Number.isInteger(maxCandidates) || maxCandidates < 1 || maxCandidates > 1_000)
      throw new Error(`maxCandidates must be an integer between 1 and 1000, got ${maxCandidates}`);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new Error(`ttlSeconds must be a positive integer, got ${ttlSeconds}`);
    this.hyperplanes = new RandomHyperplanes(settings);
    this.maxHamming = maxHammingFor(threshold, this.hyperplanes.sketchBits);
  }

  /** The best stored answer at or above the threshold, if any. */
  public async find(scope: string, embedding: readonly number[]): Promise<SemanticLookup> {
    const query = unitVector(embedding);
    const signature = this.hyperplanes.sign(query);
    const lists = await this.store.readLists(
      signature.bands.map((name, band) => bucketKey(scope, band, name)),
      this.settings.maxPerBucket,
    );

    const distances = new Map<string, number>();
    for (const list of lists) {
      for (const member of list) {
        const id = member.slice(0, ID_CHARS);
        if (distances.has(id)) continue;
        const sketch = Buffer.from(member.slice(ID_CHARS), 'base64url');
        distances.set(id, sketch.length === signature.sketch.length ? hamming(signature.sketch, sketch) : Infinity);
      }
    }
    const candidates = [...distances]
      .filter(([, distance]) => distance <= this.maxHamming)
      .sort((a, b) => a[1] - b[1])
      .slice(0, this.settings.maxCandidates)
      .map(([id]) => id);
    const stats = { bucketMembers: distances.size, verified: candidates.length };
    if (candidates.length === 0) return stats;

    const values = await this.store.getMany(candidates.map((id) => entryKey(scope, id)));
    let best: SemanticHit | undefined;
    for (const value of values) {
      // Missing (expired before its bucket members) or unreadable: not a candidate.
      const entry = value === null ? undefined : decodeEntry(value, query.length);
      if (!entry) continue;
      const similarity = dot(query, entry.vector);
      if (similarity >= this.settings.threshold && similarity > (best?.similarity ?? -Infinity)) best = { answer: entry.answer, similarity };
    }
    return best ? { hit: best, ...stats } : stats;
  }

  /** Stores `answer` under `embedding` in the scope; `id` identifies the request (same request, same entry). */
  public async put(scope: string, id: string, embedding: readonly number[], answer: unknown): Promise<void> {
    if (id.length !== ID_CHARS) throw new Error(`entry id must be ${ID_CHARS} characters, got ${id.length}`);
    const vector = unitVector(embedding);
    const signature = this.hyperplanes.sign(vector);
    const member = id + Buffer.from(signature.sketch).toString('base64url');
    await this.store.putBounded(
      { key: entryKey(scope, id), value: encodeEntry(vector, answer) },
      signature.bands.map((name, band) => bucketKey(scope, band, name)),
      member,
      this.settings.maxPerBucket,
      this.settings.ttlSeconds,
    );
  }
}

/** Scaled to length 1, as Float32 (the precision it is stored in). */
export function unitVector(embedding: readonly number[]): Float32Array {
  let norm = 0;
  for (const x of embedding) norm += x * x;
  norm = Math.sqrt(norm);
  if (!Number.isFinite(norm) || norm === 0) throw new Error('embedding must be a finite, non-zero vector');
  return Float32Array.from(embedding, (x) => x / norm);
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

function encodeEntry(vector: Float32Array, answer: unknown): string {
  return JSON.stringify({ v: Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64'), a: answer });
}

function decodeEntry(value: string, dimensions: number): { vector: Float32Array; answer: unknown } | undefined {
  try {
    const parsed: unknown = JSON.parse(value);
    if (!isJsonObject(parsed) || typeof parsed.v !== 'string' || parsed.a === undefined) return undefined;
    const bytes = Buffer.from(parsed.v, 'base64');
    if (bytes.length !== dimensions * 4) return undefined;
    // Copy: a Buffer's offset in its pool need not be 4-byte aligned.
    const vector = new Float32Array(dimensions);
    new Uint8Array(vector.buffer).set(bytes);
    return { vector, answer: parsed.a };
  } catch {
    return undefined;
  }
}
