import { AUDIENCE_KEY, SHARED_AUDIENCE, tenantAudience } from '../../contracts/tenant-documents';

/**
 * The metadata filter of a Retrieve, as Bedrock's RetrievalFilter union has it (one member per
 * object; andAll and orAll take at least 2 filters):
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent-runtime_RetrievalFilter.html.
 * Assignable to the SDK's type, without the SDK, so the cores and their tests can build it.
 */
export type FilterValue = string | number | boolean | (string | number | boolean)[];

export interface FilterAttribute {
  readonly key: string;
  readonly value: FilterValue;
}

export type RetrievalFilter =
  | { readonly equals: FilterAttribute }
  | { readonly notEquals: FilterAttribute }
  | { readonly greaterThan: FilterAttribute }
  | { readonly greaterThanOrEquals: FilterAttribute }
  | { readonly lessThan: FilterAttribute }
  | { readonly lessThanOrEquals: FilterAttribute }
  | { readonly in: FilterAttribute }
  | { readonly notIn: FilterAttribute }
  | { readonly startsWith: FilterAttribute }
  | { readonly listContains: FilterAttribute }
  | { readonly stringContains: FilterAttribute }
  | { readonly andAll: RetrievalFilter[] }
  | { readonly orAll: RetrievalFilter[] };

/**
 * What a caller may retrieve: the shared documents, and its tenant's when it has one. A caller
 * without a tenant (grounds 2-3, where there are no tenants, or an IAM caller at ground 4+) gets
 * the shared documents only, never another tenant's; a document without the attribute (indexed
 * before its sidecar was written) matches neither and is retrieved by no one until it is.
 */
export function tenantScope(tenant: string | undefined): RetrievalFilter {
  const shared: RetrievalFilter = { equals: { key: AUDIENCE_KEY, value: SHARED_AUDIENCE } };
  return tenant === undefined ? shared : { orAll: [shared, { equals: { key: AUDIENCE_KEY, value: tenantAudience(tenant) } }] };
}

/**
 * The filter every Retrieve carries: the caller's scope AND-ed with the client's filter, so the
 * client's filter can narrow the scope and never widen it, whatever it holds (the audience key
 * included: `audience = shared` narrows to the shared documents, another tenant's audience to nothing).
 */
export function scopedFilter(tenant: string | undefined, client?: RetrievalFilter): RetrievalFilter {
  const scope = tenantScope(tenant);
  return client === undefined ? scope : { andAll: [scope, client] };
}

/** The prompt route's client filter (metadata key → value, every pair must hold) as a RetrievalFilter. */
export function equalityFilter(pairs: Readonly<Record<string, string | number | boolean>> | undefined): RetrievalFilter | undefined {
  const equals: RetrievalFilter[] = Object.entries(pairs ?? {}).map(([key, value]) => ({ equals: { key, value } }));
  if (equals.length === 0) return undefined;
  return equals.length === 1 ? equals[0] : { andAll: equals };
}
