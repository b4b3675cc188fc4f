/** Exact and semantic response caches (ground 5). See `cache.ts` for the policy. */
export {
  type AnswerOutcome,
  type CacheFailure,
  type CacheLookup,
  type CacheOperation,
  type CacheSource,
  CacheTimeout,
  type EmbeddingPort,
  type GuardrailOutcome,
  refusal,
  type RefusalReason,
  ResponseCache,
  type ResponseCacheDeps,
  type ResponseCacheSettings,
  type StoreResult,
} from './cache';
export { DeferredStore } from './deferred-store';
export { CorruptEntry, ExactCache } from './exact-cache';
export { hashedEmbedding, hashedEmbeddings } from './hashed-embeddings';
export {
  bucketKey,
  type CacheableRequest,
  type CacheScope,
  entryId,
  entryKey,
  exactHash,
  exactKey,
  KEY_SCHEMA,
  normalizeQuery,
  type NormalizedRequest,
  normalizeRequest,
  type RequestDefaults,
  semanticScope,
} from './keys';
export { candidateProbability, hamming, type LshParameters, type LshSignature, maxHammingFor, RandomHyperplanes } from './lsh';
export { SEMANTIC_DEFAULTS, SemanticCache, type SemanticCacheSettings, type SemanticHit, type SemanticLookup, unitVector } from './semantic-cache';
export type { CacheStore } from './store';
export { titanEmbeddings } from './titan-embeddings';
export { ValkeyCacheStore, type ValkeyStoreOptions } from './valkey-store';
