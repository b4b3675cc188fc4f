import { createHash } from 'node:crypto';

/**
 * What an answer depends on besides the request itself. Every cache key (exact and semantic)
 * is derived from all four, so a new prompt version, guardrail version or model never serves an
 * answer made under the old one, and one tenant never reads another's answers.
 */
export interface CacheScope {
  /** The authenticated tenant (from the API key or token, never from the body). */
  readonly tenant: string;
  /** Model or inference profile id that answered. */
  readonly modelId: string;
  /** Pinned prompt version (ground 1+). @default none */
  readonly promptVersion?: string;
  /** Pinned guardrail version (ground 3+). @default none */
  readonly guardrailVersion?: string;
}

/** The request fields that change an answer (the body of `POST /prompt`). */
export interface CacheableRequest {
  readonly query: string;
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly variables?: Readonly<Record<string, string>>;
  readonly topK?: number;
  readonly filter?: Readonly<Record<string, string | number | boolean>>;
}

/** Values the function uses when a request omits them, so `{}` and `{temperature: <default>}` share a key. */
export interface RequestDefaults {
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly topK?: number;
}

/** A request in canonical form: fixed field order, sorted maps, missing values as null. */
export interface NormalizedRequest {
  readonly query: string;
  readonly maxTokens: number | null;
  readonly temperature: number | null;
  readonly variables: readonly (readonly [string, string])[];
  readonly topK: number | null;
  readonly filter: readonly (readonly [string, string | number | boolean])[];
}

/**
 * Bump when the key derivation or the stored value format changes: old keys become unreachable and
 * expire by TTL, instead of being read in a format the code no longer understands.
 */
export const KEY_SCHEMA = 1;

/**
 * Free text typed by people: Unicode NFC (the same characters in composed or decomposed form are one
 * text), every run of Unicode whitespace to one space, trimmed.
 *
 * Deliberately not lowercased and not NFKC: case and compatibility characters can carry meaning
 * (`US` vs `us`, `Polish` vs `polish`, `x²` vs `x2`, identifiers in code questions), and an exact
 * hit must be an answer to the same question. Case and wording variants are the semantic cache's job.
 */
export function normalizeQuery(query: string): string {
  return query.normalize('NFC').replace(/\s+/gu, ' ').trim();
}

/**
 * Variables are values an application fills into the prompt template, where layout may matter
 * (code, addresses): only NFC, no whitespace changes. Maps are sorted by key.
 */
export function normalizeRequest(request: CacheableRequest, defaults: RequestDefaults = {}): NormalizedRequest {
  return {
    query: normalizeQuery(request.query),
    maxTokens: request.maxTokens ?? defaults.maxTokens ?? null,
    temperature: request.temperature ?? defaults.temperature ?? null,
    variables: sortedEntries(request.variables ?? {}).map(([name, value]) => [name, value.normalize('NFC')] as const),
    topK: request.topK ?? defaults.topK ?? null,
    // Values keep their JSON type: a metadata filter on the number 3 and on the string "3" differ.
    filter: sortedEntries(request.filter ?? {}),
  };
}

function sortedEntries<V>(record: Readonly<Record<string, V>>): [string, V][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function scopeTuple(scope: CacheScope): [string, string, string | null, string | null] {
  if (!scope.tenant) throw new Error('cache scope needs a tenant, got an empty string');
  if (!scope.modelId) throw new Error('cache scope needs a modelId, got an empty string');
  return [scope.tenant, scope.modelId, scope.promptVersion ?? null, scope.guardrailVersion ?? null];
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Hex SHA-256 of everything an exact answer depends on. */
export function exactHash(scope: CacheScope, request: NormalizedRequest): string {
  // Arrays, not objects, so the serialization cannot depend on property order.
  return sha256(JSON.stringify([KEY_SCHEMA, scopeTuple(scope), request])).toString('hex');
}

/** `genai:exact:<sha256 of {tenant, model, prompt version, guardrail version, normalized request}>` */
export function exactKey(scope: CacheScope, request: NormalizedRequest): string {
  return `genai:exact:${exactHash(scope, request)}`;
}

/**
 * The semantic cache matches on the meaning of the query only, so everything else that changes the
 * answer (scope, generation and retrieval parameters, template variables) goes into the bucket
 * scope: "summarize in French" never hits an answer made with `language=English`. `index` names the
 * hashing parameters (dimensions, bands, bits, seed), so changing them starts fresh buckets.
 */
export function semanticScope(scope: CacheScope, request: NormalizedRequest, index: string): string {
  const { query: _query, ...parameters } = request;
  return sha256(JSON.stringify([KEY_SCHEMA, scopeTuple(scope), parameters, index]))
    .toString('base64url')
    .slice(0, 22);
}

/**
 * Semantic keys of one scope share the hash tag `{<scope>}`, so they live in one cluster slot:
 * ElastiCache Serverless speaks the cluster protocol, and the multi-key reads (bucket pipeline, MGET)
 * and the MULTI that appends an entry would fail with CROSSSLOT otherwise. The price is that one
 * scope's semantic traffic lands on one shard.
 */
export function bucketKey(scope: string, band: number, signature: string): string {
  return `genai:sem:{${scope}}:${band}:${signature}`;
}

export function entryKey(scope: string, id: string): string {
  return `genai:sem:{${scope}}:e:${id}`;
}

/** A short entry id (64 bits of the exact hash): unique within a scope for any realistic size. */
export function entryId(exact: string): string {
  return Buffer.from(exact.slice(0, 16), 'hex').toString('base64url');
}
