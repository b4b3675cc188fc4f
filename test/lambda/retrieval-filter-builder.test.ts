import { equalityFilter, type RetrievalFilter, scopedFilter, tenantScope } from '../../lambda/shared/retrieval-filter';
import { filterProblem } from '../support/retrieval-filter-eval';

/**
 * The filter builder (lambda/shared/retrieval-filter.ts) by example, each filter compared whole.
 * retrieval-filter.test.ts holds the properties (generated client filters judged by the fake's
 * semantics, and through the prompt core against the fake knowledge base); this file is the
 * module's direct test, fast enough to run for every mutant (docs/mutation.md).
 */

const SHARED = { equals: { key: 'audience', value: 'shared' } };
const of = (tenant: string) => ({ equals: { key: 'audience', value: `tenant:${tenant}` } });

describe('tenantScope and scopedFilter', () => {
  test('a caller without a tenant is scoped to the shared documents', () => {
    expect(tenantScope(undefined)).toEqual(SHARED);
    expect(scopedFilter(undefined)).toEqual(SHARED);
    expect(scopedFilter(undefined, undefined)).toEqual(SHARED);
  });

  test("a tenant's caller: the shared documents or its own (the name lower-cased, as ingestion writes it)", () => {
    expect(tenantScope('Acme')).toEqual({ orAll: [SHARED, of('acme')] });
    expect(scopedFilter('globex')).toEqual({ orAll: [SHARED, of('globex')] });
  });

  test('an empty tenant name is a tenant, not the absence of one (its scope is never the shared documents alone)', () => {
    expect(tenantScope('')).toEqual({ orAll: [SHARED, of('')] });
  });

  test('a client filter is AND-ed after the scope, whatever it names (the audience key included)', () => {
    const client: RetrievalFilter = { orAll: [of('globex'), { notEquals: { key: 'audience', value: 'x' } }] };
    expect(scopedFilter('acme', client)).toEqual({ andAll: [{ orAll: [SHARED, of('acme')] }, client] });
    expect(scopedFilter(undefined, { equals: { key: 'audience', value: 'shared' } })).toEqual({ andAll: [SHARED, SHARED] });
  });

  test('every filter it builds is one the service accepts', () => {
    for (const f of [scopedFilter(undefined), scopedFilter('a'), scopedFilter('a', { equals: { key: 'k', value: 1 } })])
      expect(filterProblem(f)).toBeUndefined();
  });
});

describe('equalityFilter: the prompt route’s key/value filter', () => {
  test('nothing for no pairs', () => {
    expect(equalityFilter(undefined)).toBeUndefined();
    expect(equalityFilter({})).toBeUndefined();
  });

  test('one pair is one equals (andAll needs at least two filters)', () => {
    expect(equalityFilter({ topic: 'cost' })).toEqual({ equals: { key: 'topic', value: 'cost' } });
    expect(filterProblem(equalityFilter({ topic: 'cost' })!)).toBeUndefined();
  });

  test('two or more pairs: all of them must hold, in the order given, strings, numbers and booleans as they are', () => {
    expect(equalityFilter({ topic: 'cost', year: 2026 })).toEqual({
      andAll: [{ equals: { key: 'topic', value: 'cost' } }, { equals: { key: 'year', value: 2026 } }],
    });
    const three = equalityFilter({ topic: 'cost', year: 2026, draft: false });
    expect(three).toEqual({
      andAll: [{ equals: { key: 'topic', value: 'cost' } }, { equals: { key: 'year', value: 2026 } }, { equals: { key: 'draft', value: false } }],
    });
    expect(filterProblem(three!)).toBeUndefined();
  });
});
