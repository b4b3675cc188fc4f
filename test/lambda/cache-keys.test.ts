import {
  bucketKey,
  type CacheableRequest,
  type CacheScope,
  entryId,
  entryKey,
  exactHash,
  exactKey,
  KEY_SCHEMA,
  normalizeQuery,
  normalizeRequest,
  semanticScope,
} from '../../lambda/shared/cache/keys';

/**
 * The cache keys alone (cache.test.ts drives them through a real server): what must change a key
 * (everything an answer depends on) and what must not (spelling variants of the same request).
 */
const SCOPE: CacheScope = { tenant: 'acme', modelId: 'amazon.nova-lite-v1:0', promptVersion: '3', guardrailVersion: '2' };
const INDEX = 'd256-b16-r8-s1';
const exact = (request: CacheableRequest, scope: CacheScope = SCOPE) => exactKey(scope, normalizeRequest(request));
const semantic = (request: CacheableRequest, scope: CacheScope = SCOPE, index = INDEX) => semanticScope(scope, normalizeRequest(request), index);

describe('normalizeQuery', () => {
  test('composes Unicode (NFC), folds every run of whitespace to one space, trims', () => {
    expect(normalizeQuery('  Cafe\u0301 \t au\u00a0\u00a0lait \n')).toBe('Caf\u00e9 au lait');
    expect(normalizeQuery('a  b')).toBe('a b');
  });

  test('keeps case and compatibility characters: they can change the question', () => {
    expect(normalizeQuery('US x²')).toBe('US x²');
  });
});

describe('normalizeRequest', () => {
  test('fixed field order, sorted maps, missing values as null', () => {
    expect(normalizeRequest({ query: 'q' })).toEqual({ query: 'q', maxTokens: null, temperature: null, variables: [], topK: null, filter: [] });
    expect(
      normalizeRequest({
        query: ' q ',
        maxTokens: 10,
        temperature: 0.5,
        topK: 3,
        variables: { b: '2', a: 'Cafe\u0301  ', c: '3' },
        filter: { z: 1, y: 'x', x: true },
      }),
    ).toEqual({
      query: 'q',
      maxTokens: 10,
      temperature: 0.5,
      // Values are NFC only: layout inside a variable may matter.
      variables: [
        ['a', 'Caf\u00e9  '],
        ['b', '2'],
        ['c', '3'],
      ],
      topK: 3,
      filter: [
        ['x', true],
        ['y', 'x'],
        ['z', 1],
      ],
    });
  });

  test("a missing value takes the function's default; a given one wins over it", () => {
    const defaults = { maxTokens: 512, temperature: 0.2, topK: 5 };
    expect(normalizeRequest({ query: 'q' }, defaults)).toMatchObject({ maxTokens: 512, temperature: 0.2, topK: 5 });
    expect(normalizeRequest({ query: 'q', maxTokens: 7, temperature: 0, topK: 1 }, defaults)).toMatchObject({ maxTokens: 7, temperature: 0, topK: 1 });
  });
});

describe('exact keys', () => {
  // Pinned values: sha256 of JSON [KEY_SCHEMA, [tenant, modelId, promptVersion, guardrailVersion], normalized request], computed apart from the code.
  test('genai:exact:<sha256 hex>; the derivation is pinned (change it only with KEY_SCHEMA)', () => {
    expect(KEY_SCHEMA).toBe(1);
    expect(exact({ query: 'How do grounds upgrade?' })).toBe('genai:exact:562d9f91c6e4d7c15f494f53c0165cebf0497d487bca2716f4ab02e0b5125e86');
    expect(exactHash(SCOPE, normalizeRequest({ query: 'How do grounds upgrade?' }))).toBe('562d9f91c6e4d7c15f494f53c0165cebf0497d487bca2716f4ab02e0b5125e86');
  });

  test('spelling variants of one request share a key', () => {
    const key = exact({ query: 'Café au lait', variables: { a: '1', b: '2' }, filter: { x: 1, y: 'y' } });
    expect(exact({ query: '  Cafe\u0301   au lait ', variables: { b: '2', a: '1' }, filter: { y: 'y', x: 1 } })).toBe(key);
  });

  test.each<[string, CacheableRequest]>([
    ['maxTokens', { query: 'q', maxTokens: 100 }],
    ['temperature', { query: 'q', temperature: 0.7 }],
    ['topK', { query: 'q', topK: 4 }],
    ['a variable', { query: 'q', variables: { language: 'French' } }],
    ['a filter', { query: 'q', filter: { year: 2024 } }],
    ['the query', { query: 'Q' }],
  ])('requests that differ only in %s have different keys', (_field, request) => {
    expect(exact(request)).not.toBe(exact({ query: 'q' }));
  });

  test('a filter value keeps its JSON type: the number 3 and the string "3" are different requests', () => {
    expect(exact({ query: 'q', filter: { n: 3 } })).not.toBe(exact({ query: 'q', filter: { n: '3' } }));
  });

  test.each<[string, CacheScope]>([
    ['tenant', { ...SCOPE, tenant: 'globex' }],
    ['model', { ...SCOPE, modelId: 'amazon.nova-micro-v1:0' }],
    ['prompt version', { ...SCOPE, promptVersion: '4' }],
    ['guardrail version', { ...SCOPE, guardrailVersion: '3' }],
    ['no prompt version', { ...SCOPE, promptVersion: undefined }],
    ['no guardrail version', { ...SCOPE, guardrailVersion: undefined }],
  ])('another %s is another key', (_field, scope) => {
    expect(exact({ query: 'q' }, scope)).not.toBe(exact({ query: 'q' }));
    expect(semantic({ query: 'q' }, scope)).not.toBe(semantic({ query: 'q' }));
  });

  test('fails on an empty tenant or model id rather than sharing answers', () => {
    expect(() => exact({ query: 'q' }, { ...SCOPE, tenant: '' })).toThrow('cache scope needs a tenant, got an empty string');
    expect(() => exact({ query: 'q' }, { ...SCOPE, modelId: '' })).toThrow('cache scope needs a modelId, got an empty string');
    expect(() => semantic({ query: 'q' }, { ...SCOPE, tenant: '' })).toThrow('cache scope needs a tenant');
  });
});

describe('semantic keys', () => {
  test('the scope is 22 base64url characters of everything but the query; pinned', () => {
    expect(semantic({ query: 'How do grounds upgrade?' })).toBe('p29eKZj2gHoUWmuBBsNPQ_');
    expect(semantic({ query: 'an entirely different question' })).toBe('p29eKZj2gHoUWmuBBsNPQ_');
  });

  test.each<[string, CacheableRequest]>([
    ['maxTokens', { query: 'q', maxTokens: 100 }],
    ['temperature', { query: 'q', temperature: 0.7 }],
    ['topK', { query: 'q', topK: 4 }],
    ['a variable', { query: 'q', variables: { language: 'French' } }],
    ['a filter', { query: 'q', filter: { year: 2024 } }],
  ])('%s changes the scope', (_field, request) => {
    expect(semantic(request)).not.toBe(semantic({ query: 'q' }));
  });

  test('other hashing parameters start other buckets', () => {
    expect(semantic({ query: 'q' }, SCOPE, 'd512-b16-r8-s1')).not.toBe(semantic({ query: 'q' }));
  });

  test("one scope's keys share one hash tag (one cluster slot)", () => {
    expect(bucketKey('S', 3, 'abc')).toBe('genai:sem:{S}:3:abc');
    expect(entryKey('S', 'id1')).toBe('genai:sem:{S}:e:id1');
  });

  test('an entry id is the first 64 bits of the exact hash, in base64url', () => {
    expect(entryId('562d9f91c6e4d7c15f494f53c0165cebf0497d487bca2716f4ab02e0b5125e86')).toBe('Vi2fkcbk18E');
    expect(entryId('ffffffffffffffff00')).toBe('__________8');
  });
});
