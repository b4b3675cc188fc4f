import { CorruptEntry, ExactCache } from './exact-cache';
import { type CacheableRequest, type CacheScope, entryId, exactHash, normalizeRequest, type RequestDefaults, semanticScope } from './keys';
import { SEMANTIC_DEFAULTS, SemanticCache, type SemanticCacheSettings } from './semantic-cache';
import type { CacheStore } from './store';

/** Text → vector; `titan-embeddings.ts` adapts Titan Text Embeddings v2. */
export interface EmbeddingPort {
  embed(text: string, signal?: AbortSignal): Promise<number[]>;
}

/** Where an answer came from; the client is told. */
export type CacheSource = 'exact' | 'semantic' | 'none';

export type CacheOperation = 'exact-lookup' | 'embedding' | 'semantic-lookup' | 'exact-store' | 'semantic-store';

/** A cache failure the request survived; report it as a metric. */
export interface CacheFailure {
  readonly operation: CacheOperation;
  /** `timeout`: no answer within the budget; `corrupt`: a stored value that could not be read. */
  readonly reason: 'timeout' | 'error' | 'corrupt';
  readonly error?: unknown;
}

export type CacheLookup<A> =
  | { readonly source: 'exact'; readonly answer: A }
  | { readonly source: 'semantic'; readonly answer: A; readonly similarity: number }
  | {
      readonly source: 'none';
      /** A cache operation failed or timed out during this lookup. */
      readonly degraded: boolean;
      /** The query's embedding, when one was made: `store` reuses it instead of embedding again. */
      readonly embedding?: readonly number[];
    };

/** What the guardrail did, as the prompt function reports it. */
export type GuardrailOutcome = 'none' | 'masked' | 'blocked' | 'ungrounded' | 'not-checked';

/** What the caller knows about an answer that decides whether it may be cached. */
export interface AnswerOutcome {
  /** @default no guardrail ran */
  readonly guardrail?: { readonly input: GuardrailOutcome; readonly output: GuardrailOutcome };
  /** The request or the answer carries personal data the caller detected otherwise. @default false */
  readonly containsPii?: boolean;
  /**
   * Retrieval found nothing: the answer says "I don't know", which would outlive the documents
   * being ingested if it were cached. @default false
   */
  readonly noPassagesFound?: boolean;
}

export type RefusalReason = 'blocked' | 'ungrounded' | 'pii' | 'no-passages' | 'from-cache';

export interface StoreResult {
  /** Why nothing was stored, when the policy refused. */
  readonly refused?: RefusalReason;
  readonly exact: boolean;
  readonly semantic: boolean;
}

export interface ResponseCacheSettings {
  /** How long an answer is served, exact and semantic. */
  readonly ttlSeconds: number;
  /**
   * Budget of one cache round (exact get; semantic bucket read + candidate fetch; each store). Past
   * it the request goes on without the cache. Keep it well under a model call. @default 50
   */
  readonly timeoutMs?: number;
  /** Values the function uses for omitted request fields, so explicit defaults share keys. @default none */
  readonly requestDefaults?: RequestDefaults;
  /** Semantic cache; needs an `EmbeddingPort`. @default exact cache only */
  readonly semantic?: Partial<Omit<SemanticCacheSettings, 'ttlSeconds'>> & {
    /** Budget of the embedding call. @default 300 */
    readonly embeddingTimeoutMs?: number;
  };
}

export interface ResponseCacheDeps {
  readonly store: CacheStore;
  /** Required with `settings.semantic`. */
  readonly embeddings?: EmbeddingPort;
  /** Called for every failure the cache absorbed (never throws into the cache). */
  readonly onCacheError?: (failure: CacheFailure) => void;
}

const DEFAULT_TIMEOUT_MS = 50;
const DEFAULT_EMBEDDING_TIMEOUT_MS = 300;

/**
 * The cache policy in front of the model. Lookup: exact key, then (on a miss) the semantic cache.
 * Store: only answers the policy allows. Fails open: no method throws for a cache failure or takes
 * much longer than its timeouts; failures go to `onCacheError` and the request proceeds as a miss.
 */
export class ResponseCache<A> {
  private readonly exact: ExactCache;
  public readonly semantic?: SemanticCache;
  private readonly timeoutMs: number;
  private readonly embeddingTimeoutMs: number;

  constructor(
    private readonly settings: ResponseCacheSettings,
    private readonly deps: ResponseCacheDeps,
  ) {
    this.timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.embeddingTimeoutMs = settings.semantic?.embeddingTimeoutMs ?? DEFAULT_EMBEDDING_TIMEOUT_MS;
    if (!(this.timeoutMs > 0)) throw new Error(`timeoutMs must be positive, got ${this.timeoutMs}`);
    if (!(this.embeddingTimeoutMs > 0)) throw new Error(`embeddingTimeoutMs must be positive, got ${this.embeddingTimeoutMs}`);
    this.exact = new ExactCache(deps.store, settings.ttlSeconds);
    if (settings.semantic) {
      if (!deps.embeddings) throw new Error('the semantic cache needs an embeddings port');
      const { embeddingTimeoutMs: _timeout, ...semantic } = settings.semantic;
      this.semantic = new SemanticCache({ ...SEMANTIC_DEFAULTS, ...semantic, ttlSeconds: settings.ttlSeconds }, deps.store);
    }
  }

  public async lookup(scope: CacheScope, request: CacheableRequest): Promise<CacheLookup<A>> {
    const normalized = normalizeRequest(request, this.settings.requestDefaults);
    const exactKey = `genai:exact:${exactHash(scope, normalized)}`;
    await this.deps.store.ready?.();
    const exact = await this.guard('exact-lookup', this.timeoutMs, () => this.exact.get(exactKey));
    if (!exact.ok) return { source: 'none', degraded: true };
    if (exact.value !== undefined) return { source: 'exact', answer: exact.value as A };
    if (!this.semantic) return { source: 'none', degraded: false };

    const embedding = await this.guard('embedding', this.embeddingTimeoutMs, (signal) => this.deps.embeddings!.embed(normalized.query, signal));
    if (!embedding.ok) return { source: 'none', degraded: true };
    const semanticScopeId = semanticScope(scope, normalized, this.semantic.hyperplanes.id);
    const found = await this.guard('semantic-lookup', this.timeoutMs, () => this.semantic!.find(semanticScopeId, embedding.value));
    if (!found.ok) return { source: 'none', degraded: true, embedding: embedding.value };
    if (found.value.hit) return { source: 'semantic', answer: found.value.hit.answer as A, similarity: found.value.hit.similarity };
    return { source: 'none', degraded: false, embedding: embedding.value };
  }

  /**
   * Stores a model answer unless the policy refuses it: anything the guardrail blocked, found
   * ungrounded or masked (PII in the request or the answer), anything the caller flags as
   * PII-bearing, answers without passages, and answers that came from the cache.
   */
  public async store(scope: CacheScope, request: CacheableRequest, answer: A, outcome: AnswerOutcome, lookup?: CacheLookup<A>): Promise<StoreResult> {
    const refused = lookup && lookup.source !== 'none' ? 'from-cache' : refusal(outcome);
    if (refused) return { refused, exact: false, semantic: false };

    const normalized = normalizeRequest(request, this.settings.requestDefaults);
    const hash = exactHash(scope, normalized);
    await this.deps.store.ready?.();
    const storeExact = this.guard('exact-store', this.timeoutMs, () => this.exact.put(`genai:exact:${hash}`, answer));
    const storeSemantic = (async () => {
      if (!this.semantic) return false;
      const known = lookup?.source === 'none' ? lookup.embedding : undefined;
      const embedding = known
        ? { ok: true as const, value: known }
        : await this.guard('embedding', this.embeddingTimeoutMs, (signal) => this.deps.embeddings!.embed(normalized.query, signal));
      if (!embedding.ok) return false;
      const scopeId = semanticScope(scope, normalized, this.semantic.hyperplanes.id);
      return (await this.guard('semantic-store', this.timeoutMs, () => this.semantic!.put(scopeId, entryId(hash), embedding.value, answer))).ok;
    })();
    const [exact, semantic] = await Promise.all([storeExact, storeSemantic]);
    return { exact: exact.ok, semantic };
  }

  /** Runs one cache operation within `ms`; any failure is reported and becomes `{ok: false}`. */
  private async guard<T>(operation: CacheOperation, ms: number, run: (signal: AbortSignal) => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
    try {
      return { ok: true, value: await withTimeout(ms, run) };
    } catch (error) {
      const reason = error instanceof CacheTimeout ? 'timeout' : error instanceof CorruptEntry ? 'corrupt' : 'error';
      try {
        this.deps.onCacheError?.({ operation, reason, error });
      } catch {
        // A failing metrics callback must not turn a cache miss into a failed request.
      }
      return { ok: false };
    }
  }
}

export function refusal(outcome: AnswerOutcome): RefusalReason | undefined {
  const g = outcome.guardrail;
  if (g?.input === 'blocked' || g?.output === 'blocked') return 'blocked';
  if (g?.output === 'ungrounded' || g?.input === 'ungrounded') return 'ungrounded';
  if (g?.input === 'masked' || g?.output === 'masked' || outcome.containsPii) return 'pii';
  if (outcome.noPassagesFound) return 'no-passages';
  return undefined;
}

export class CacheTimeout extends Error {
  constructor(ms: number) {
    super(`cache operation took longer than ${ms} ms`);
    this.name = 'CacheTimeout';
  }
}

/** Rejects after `ms` and aborts `run`'s signal; `run` may go on in the background, its outcome ignored. */
function withTimeout<T>(ms: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new CacheTimeout(ms));
      controller.abort();
    }, ms);
    let started: Promise<T>;
    try {
      started = run(controller.signal);
    } catch (error) {
      clearTimeout(timer);
      reject(error);
      return;
    }
    started.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
