import { HttpError } from '../../lambda/shared/http';
import type { GuardrailContent, GuardrailVerdict, ModelMessage, ModelRequest, Passage, PromptTemplate } from '../../lambda/shared/model';
import type { CacheableRequest, CacheLookup, CacheScope } from '../../lambda/shared/cache';
import { parseRequest } from '../../lambda/shared/validation';
import {
  answerPrompt,
  BlockedInput,
  fill,
  NO_PASSAGES,
  type PromptAnswer,
  type PromptDeps,
  type PromptSettings,
  promptRequestSchema,
  resolveVariables,
  templateFromPrompt,
} from '../../lambda/prompt/core';
import type { RoutingPolicy } from '../../contracts/routing';

/**
 * The prompt path's core with in-memory ports (no SDK, no server): what reaches the model, the
 * guardrail, the knowledge base, the cache and the conversation, and what the client gets back.
 * The handler tests (prompt-grounds, prompt-handler, prompt-cache) run the same path through the
 * real clients against local fakes.
 */

const PRICE = { inputPerMTok: 1, outputPerMTok: 3 };
const ONE_MODEL: RoutingPolicy = { targets: [{ alias: 'lite', modelId: 'amazon.nova-lite-v1:0', price: PRICE }], defaultAlias: 'lite', fallbacks: {} };
const ROUTED: RoutingPolicy = {
  targets: [
    { alias: 'lite', modelId: 'amazon.nova-lite-v1:0', price: PRICE },
    { alias: 'micro', modelId: 'amazon.nova-micro-v1:0', price: { inputPerMTok: 0.5, outputPerMTok: 1 } },
    { alias: 'big', modelId: 'anthropic.claude', price: PRICE },
  ],
  defaultAlias: 'lite',
  byTier: { basic: 'micro' },
  longPrompt: { minChars: 20, alias: 'big' },
  fallbacks: { lite: ['micro'] },
};
const SETTINGS: PromptSettings = { routing: ONE_MODEL, maxTokens: 1000, temperature: 0.3, maxQueryChars: 200 };
const RETRIEVAL = { defaultTopK: 4, maxTopK: 10, minScore: 0.5 };
const USAGE = { inputTokens: 1000, outputTokens: 500, totalTokens: 1500 };
/** (1000 × 1 + 500 × 3) / 1e6 */
const COST = 0.0025;

const TEMPLATE: PromptTemplate = {
  version: '7',
  system: 'You answer in {{language}} for {{product}}.',
  cacheSystem: true,
  user: 'Passages:\n{{context}}\n\nQuestion: {{ query }}',
  variables: ['language', 'product'],
  defaults: { language: 'English' },
};

interface Calls {
  model: ModelRequest[];
  guardrail: { source: 'INPUT' | 'OUTPUT'; content: readonly GuardrailContent[] }[];
  retrieve: { query: string; topK: number; filter: unknown }[];
  lookup: { scope: CacheScope; request: CacheableRequest }[];
  store: unknown[][];
  history: number;
  append: { question: string; answer: PromptAnswer }[];
  load: number;
}

interface Fakes {
  /** Replies in turn; an Error is thrown. Default: an answer naming the last message. */
  replies?: (string | Error)[];
  passages?: Passage[];
  inputVerdict?: Partial<GuardrailVerdict>;
  outputVerdict?: Partial<GuardrailVerdict>;
  lookup?: CacheLookup<PromptAnswer>;
  history?: ModelMessage[];
}

function setup(fakes: Fakes = {}, with_: { prompt?: boolean; knowledge?: boolean; guardrail?: boolean; cache?: boolean } = {}) {
  const calls: Calls = { model: [], guardrail: [], retrieve: [], lookup: [], store: [], history: 0, append: [], load: 0 };
  const replies = [...(fakes.replies ?? [])];
  const verdict = (v: Partial<GuardrailVerdict> | undefined): GuardrailVerdict => ({ blocked: false, ungrounded: false, intervened: false, ...v });
  const deps: PromptDeps = {
    model: {
      converse: async (request) => {
        calls.model.push(request);
        const next = replies.shift();
        if (next instanceof Error) throw next;
        return { text: next ?? `answer to: ${request.messages.at(-1)!.text}`, stopReason: 'end_turn', usage: USAGE, latencyMs: 42 };
      },
    },
    ...(with_.prompt ? { prompt: { load: async () => (calls.load++, TEMPLATE) } } : {}),
    ...(with_.knowledge
      ? {
          knowledge: {
            retrieve: async (query: string, topK: number, filter: unknown) => {
              calls.retrieve.push({ query, topK, filter });
              return fakes.passages ?? [];
            },
          },
        }
      : {}),
    ...(with_.guardrail
      ? {
          guardrail: {
            apply: async (source: 'INPUT' | 'OUTPUT', content: readonly GuardrailContent[]) => {
              calls.guardrail.push({ source, content });
              return verdict(source === 'INPUT' ? fakes.inputVerdict : fakes.outputVerdict);
            },
          },
        }
      : {}),
    ...(with_.cache
      ? {
          cache: {
            lookup: async (scope: CacheScope, request: CacheableRequest) => {
              calls.lookup.push({ scope, request });
              return fakes.lookup ?? { source: 'none', degraded: false };
            },
            store: async (...args: unknown[]) => {
              calls.store.push(args);
              return { exact: true, semantic: false };
            },
          },
        }
      : {}),
  };
  const conversation = {
    history: async () => (calls.history++, fakes.history ?? []),
    append: async (question: string, answer: PromptAnswer) => {
      calls.append.push({ question, answer });
    },
  };
  return { calls, deps, conversation };
}

const statusOf = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpError);
  return { status: (error as HttpError).statusCode, message: (error as HttpError).message };
};

const throttled = () => Object.assign(new Error('slow down'), { name: 'ThrottlingException' });

describe('ground 0: the model alone', () => {
  test('the query is the one message; the settings cap and temper the answer; the answer says what answered and at what cost', async () => {
    const { calls, deps } = setup();
    const answer = await answerPrompt({ query: 'hello' }, SETTINGS, deps);
    expect(calls.model).toEqual([{ modelId: 'amazon.nova-lite-v1:0', messages: [{ role: 'user', text: 'hello' }], maxTokens: 1000, temperature: 0.3 }]);
    expect(answer).toEqual({
      text: 'answer to: hello',
      model: 'lite',
      modelId: 'amazon.nova-lite-v1:0',
      fallbackFrom: [],
      costUsd: COST,
      stopReason: 'end_turn',
      usage: USAGE,
      latencyMs: 42,
    });
  });

  test('a request may ask for fewer tokens and another temperature, 0 included', async () => {
    const { calls, deps } = setup();
    await answerPrompt({ query: 'q', maxTokens: 5, temperature: 0 }, SETTINGS, deps);
    expect(calls.model[0]).toMatchObject({ maxTokens: 5, temperature: 0 });
  });
});

describe('ground 4: routing', () => {
  const settings = { ...SETTINGS, routing: ROUTED };

  test.each([
    [{ query: 'short' }, {}, 'lite', 'amazon.nova-lite-v1:0'],
    [{ query: 'short' }, { tier: 'basic' as const }, 'micro', 'amazon.nova-micro-v1:0'],
    [{ query: 'a question of twenty+' }, { tier: 'basic' as const }, 'big', 'anthropic.claude'],
    [{ query: 'a question of twenty+', model: 'micro' }, {}, 'micro', 'amazon.nova-micro-v1:0'],
  ])('%j from %j goes to %s', async (request, caller, alias, modelId) => {
    const { calls, deps } = setup();
    const answer = await answerPrompt(request, settings, deps, undefined, caller);
    expect(answer).toMatchObject({ model: alias, modelId });
    expect(calls.model.map((r) => r.modelId)).toEqual([modelId]);
  });

  test("the tenant's inference profile replaces the target's model id, in the call and in the cache scope", async () => {
    const { calls, deps } = setup({}, { cache: true });
    const answer = await answerPrompt({ query: 'q' }, settings, deps, undefined, { tenant: 'acme', modelIds: { lite: 'arn:profile/acme-lite' } });
    expect(calls.model[0].modelId).toBe('arn:profile/acme-lite');
    expect(calls.lookup[0].scope).toEqual({ tenant: 'acme', modelId: 'arn:profile/acme-lite', promptVersion: undefined, guardrailVersion: undefined });
    expect(answer.modelId).toBe('arn:profile/acme-lite');
  });

  test('the cache scope names the model the policy chose, not the first target', async () => {
    const { calls, deps } = setup({}, { cache: true });
    await answerPrompt({ query: 'q' }, settings, deps, undefined, { tenant: 'acme', tier: 'basic' });
    expect(calls.lookup[0].scope.modelId).toBe('amazon.nova-micro-v1:0');
  });

  test('a throttled model falls back; the answer names the model that answered and the one that failed, at its price', async () => {
    const { calls, deps } = setup({ replies: [throttled()] });
    const answer = await answerPrompt({ query: 'q' }, settings, deps);
    expect(calls.model.map((r) => r.modelId)).toEqual(['amazon.nova-lite-v1:0', 'amazon.nova-micro-v1:0']);
    expect(answer).toMatchObject({ model: 'micro', modelId: 'amazon.nova-micro-v1:0', fallbackFrom: ['lite'], costUsd: (1000 * 0.5 + 500 * 1) / 1e6 });
  });

  test('an unknown model is a 400 before the session, the prompt or any model is read', async () => {
    const { calls, deps, conversation } = setup({}, { prompt: true, guardrail: true });
    expect(await statusOf(answerPrompt({ query: 'q', model: 'gpt' }, settings, deps, undefined, { conversation }))).toEqual({
      status: 400,
      message: 'model must be one of lite, micro, big',
    });
    expect([calls.history, calls.load, calls.guardrail.length, calls.model.length]).toEqual([0, 0, 0, 0]);
  });
});

describe('ground 1: the prompt template', () => {
  test('system and user texts are filled; defaults fill what the request leaves out; the version is reported', async () => {
    const { calls, deps } = setup({}, { prompt: true });
    const answer = await answerPrompt({ query: 'Why?', variables: { product: 'Blueprint' } }, SETTINGS, deps);
    expect(calls.model[0]).toEqual({
      modelId: 'amazon.nova-lite-v1:0',
      system: ['You answer in English for Blueprint.'],
      cacheSystem: true,
      messages: [{ role: 'user', text: 'Passages:\nNo knowledge base is connected.\n\nQuestion: Why?' }],
      maxTokens: 1000,
      temperature: 0.3,
    });
    expect(answer.promptVersion).toBe('7');
    expect(answer).not.toHaveProperty('citations');
  });

  test('an unknown or missing variable is a 400 before the guardrail or the model is called', async () => {
    const { calls, deps } = setup({}, { prompt: true, guardrail: true });
    expect(await statusOf(answerPrompt({ query: 'q', variables: { product: 'x', tone: 'dry' } }, SETTINGS, deps))).toEqual({
      status: 400,
      message: 'unknown variable: tone; allowed: language, product',
    });
    expect(await statusOf(answerPrompt({ query: 'q' }, SETTINGS, deps))).toEqual({ status: 400, message: 'variables.product is required' });
    expect([calls.guardrail.length, calls.model.length]).toEqual([0, 0]);
  });
});

const SHARED_ONLY = { equals: { key: 'audience', value: 'shared' } };

describe('ground 2: retrieval', () => {
  const settings = { ...SETTINGS, retrieval: RETRIEVAL };
  const passages: Passage[] = [
    { text: 'Grounds upgrade in place.', source: 's3://kb/a.md', score: 0.9 },
    { text: 'x'.repeat(501), source: 's3://kb/b.md', score: 0.5 },
    { text: 'Too far off.', source: 's3://kb/c.md', score: 0.49 },
  ];

  test('passages at or above the minimum score are the context and the citations (cut at 500 characters)', async () => {
    const { calls, deps } = setup({ passages }, { prompt: true, knowledge: true });
    const answer = await answerPrompt({ query: 'How?', variables: { product: 'P' }, topK: 3, filter: { year: 2024 } }, settings, deps);
    // No tenant (grounds 2-3): the shared documents, narrowed by the client's filter.
    expect(calls.retrieve).toEqual([{ query: 'How?', topK: 3, filter: { andAll: [SHARED_ONLY, { equals: { key: 'year', value: 2024 } }] } }]);
    expect(calls.model[0].messages).toEqual([
      {
        role: 'user',
        text: `Passages:\n[1] (source: s3://kb/a.md)\nGrounds upgrade in place.\n\n[2] (source: s3://kb/b.md)\n${'x'.repeat(501)}\n\nQuestion: How?`,
      },
    ]);
    expect(answer.citations).toEqual([
      { source: 's3://kb/a.md', passage: 'Grounds upgrade in place.', score: 0.9 },
      { source: 's3://kb/b.md', passage: `${'x'.repeat(500)}…`, score: 0.5 },
    ]);
    expect(answer.noPassagesFound).toBe(false);
  });

  test('a passage of exactly 500 characters is cited whole; the default topK applies', async () => {
    const { calls, deps } = setup({ passages: [{ text: 'y'.repeat(500), source: 's', score: 1 }] }, { knowledge: true });
    const answer = await answerPrompt({ query: 'q' }, settings, deps);
    expect(calls.retrieve).toEqual([{ query: 'q', topK: 4, filter: SHARED_ONLY }]);
    expect(answer.citations).toEqual([{ source: 's', passage: 'y'.repeat(500), score: 1 }]);
  });

  test('nothing found: the model is told not to invent, the client is told nothing was found', async () => {
    const { calls, deps } = setup({ passages: [passages[2]] }, { prompt: true, knowledge: true });
    const answer = await answerPrompt({ query: 'q', variables: { product: 'P' } }, settings, deps);
    expect(calls.model[0].messages[0].text).toBe(`Passages:\n${NO_PASSAGES}\n\nQuestion: q`);
    expect(NO_PASSAGES).toBe('No passages were found in the knowledge base for this query. Say so; do not invent an answer from it.');
    expect(answer).toMatchObject({ citations: [], noPassagesFound: true });
  });

  test("a tenant's caller retrieves the shared documents and its tenant's, the client's filter AND-ed: it narrows, never widens", async () => {
    const { calls, deps } = setup({ passages }, { knowledge: true });
    await answerPrompt({ query: 'q', filter: { audience: 'tenant:globex', year: 2024 } }, settings, deps, undefined, { tenant: 'Acme' });
    expect(calls.retrieve[0].filter).toEqual({
      andAll: [
        { orAll: [SHARED_ONLY, { equals: { key: 'audience', value: 'tenant:acme' } }] },
        { andAll: [{ equals: { key: 'audience', value: 'tenant:globex' } }, { equals: { key: 'year', value: 2024 } }] },
      ],
    });
  });

  test('a knowledge base without retrieval settings is not queried', async () => {
    const { calls, deps } = setup({ passages }, { knowledge: true });
    const answer = await answerPrompt({ query: 'q' }, SETTINGS, deps);
    expect(calls.retrieve).toEqual([]);
    expect(answer).not.toHaveProperty('citations');
    expect(answer).not.toHaveProperty('noPassagesFound');
  });
});

describe('ground 3: the guardrail', () => {
  const settings = { ...SETTINGS, retrieval: RETRIEVAL, guardrailVersion: '2' };
  const passage: Passage = { text: 'Grounds upgrade in place.', source: 's3://kb/a.md', score: 0.9 };

  test('checked both ways: the input texts in one call; the answer with its grounding source and query', async () => {
    const { calls, deps } = setup({ passages: [passage] }, { prompt: true, knowledge: true, guardrail: true });
    const answer = await answerPrompt({ query: 'How?', variables: { product: 'P', language: 'French' } }, settings, deps);
    expect(calls.guardrail).toEqual([
      { source: 'INPUT', content: [{ text: 'How?' }, { text: 'P' }, { text: 'French' }] },
      {
        source: 'OUTPUT',
        content: [
          { text: 'Grounds upgrade in place.', qualifier: 'grounding_source' },
          { text: 'How?', qualifier: 'query' },
          { text: answer.text, qualifier: 'guard_content' },
        ],
      },
    ]);
    expect(answer.guardrail).toEqual({ input: 'none', output: 'none' });
    expect(answer.citations).toHaveLength(1);
  });

  test('several passages are one grounding source, separated by a blank line', async () => {
    const second: Passage = { text: 'Second passage.', source: 's3://kb/b.md', score: 0.8 };
    const { calls, deps } = setup({ passages: [passage, second] }, { knowledge: true, guardrail: true });
    await answerPrompt({ query: 'q' }, settings, deps);
    expect(calls.guardrail[1].content[0]).toEqual({ text: 'Grounds upgrade in place.\n\nSecond passage.', qualifier: 'grounding_source' });
  });

  test('without passages, the answer alone is checked, unqualified', async () => {
    const { calls, deps } = setup({ replies: ['plain'] }, { guardrail: true });
    await answerPrompt({ query: 'q' }, SETTINGS, deps);
    expect(calls.guardrail[1]).toEqual({ source: 'OUTPUT', content: [{ text: 'plain', qualifier: undefined }] });
  });

  test('masked input: the model, the cache key and the conversation see only the masked texts', async () => {
    const { calls, deps, conversation } = setup(
      { inputVerdict: { intervened: true, outputs: ['my card is {CARD}', 'P', '{NAME}'], output: 'joined' } },
      { prompt: true, guardrail: true, cache: true },
    );
    const answer = await answerPrompt({ query: 'my card is 4111', variables: { product: 'P', language: 'Bob' } }, settings, deps, undefined, {
      conversation,
    });
    expect(calls.model[0].system).toEqual(['You answer in {NAME} for P.']);
    expect(calls.model[0].messages).toEqual([{ role: 'user', text: 'Passages:\nNo knowledge base is connected.\n\nQuestion: my card is {CARD}' }]);
    expect(calls.lookup[0].request).toEqual({
      query: 'my card is {CARD}',
      maxTokens: undefined,
      temperature: undefined,
      variables: { product: 'P', language: '{NAME}' },
      topK: undefined,
      filter: undefined,
    });
    expect(calls.append.map((a) => a.question)).toEqual(['my card is {CARD}']);
    expect(answer.guardrail).toEqual({ input: 'masked', output: 'none' });
  });

  test('blocked input: a 422, and no model, cache or conversation is touched', async () => {
    const { calls, deps, conversation } = setup(
      { inputVerdict: { blocked: true, intervened: true, outputs: ['Not allowed.'] } },
      { guardrail: true, cache: true },
    );
    const error = await answerPrompt({ query: 'bad' }, settings, deps, undefined, { conversation }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlockedInput);
    expect(error).toMatchObject({ statusCode: 422, message: 'Not allowed.' });
    expect([calls.model.length, calls.lookup.length, calls.store.length, calls.append.length]).toEqual([0, 0, 0, 0]);
  });

  test.each([
    ['masked', { intervened: true, output: 'The answer with {EMAIL}' }, 'The answer with {EMAIL}', 1],
    ['blocked', { intervened: true, blocked: true, output: 'Sorry, I cannot answer that.' }, 'Sorry, I cannot answer that.', 0],
    ['blocked', { intervened: true, blocked: true }, 'The answer was withheld by the usage policy', 0],
    ['ungrounded', { intervened: true, ungrounded: true, blocked: true, output: 'Not supported by the sources.' }, 'Not supported by the sources.', 0],
  ])('output %s: the raw model text never reaches the client; citations only when not blocked (%j)', async (outcome, verdict, text, citations) => {
    const { deps } = setup({ passages: [passage], replies: ['raw model text'], outputVerdict: verdict }, { knowledge: true, guardrail: true });
    const answer = await answerPrompt({ query: 'q' }, settings, deps);
    expect(answer.text).toBe(text);
    expect(answer.guardrail).toEqual({ input: 'none', output: outcome });
    expect(answer.citations).toHaveLength(citations);
    expect(answer.noPassagesFound).toBe(false);
  });

  test('no guardrail at this ground: the answer carries no guardrail outcome', async () => {
    const { deps } = setup();
    expect(await answerPrompt({ query: 'q' }, SETTINGS, deps)).not.toHaveProperty('guardrail');
  });
});

describe('ground 5: the response cache', () => {
  const settings = { ...SETTINGS, guardrailVersion: '2' };
  const cached: PromptAnswer = {
    text: 'cached',
    model: 'lite',
    modelId: 'amazon.nova-lite-v1:0',
    fallbackFrom: ['x'],
    costUsd: 0.5,
    stopReason: 'end_turn',
    usage: USAGE,
    latencyMs: 7,
  };

  test('a hit is served without a model call, at no cost, and says where it came from', async () => {
    const { calls, deps, conversation } = setup({ lookup: { source: 'semantic', answer: cached, similarity: 0.97 } }, { cache: true });
    const answer = await answerPrompt({ query: 'q' }, settings, deps, undefined, { conversation });
    expect(answer).toEqual({ ...cached, costUsd: 0, fallbackFrom: [], cache: 'semantic' });
    expect(calls.model).toEqual([]);
    expect(calls.append).toEqual([{ question: 'q', answer }]);
  });

  test("a miss asks the model and stores the answer under the caller's scope and the request's parameters", async () => {
    const lookup: CacheLookup<PromptAnswer> = { source: 'none', degraded: false };
    const { calls, deps } = setup({ lookup }, { prompt: true, guardrail: true, cache: true });
    const request = { query: ' Why? ', maxTokens: 9, temperature: 0.1, variables: { product: 'P' }, topK: 2, filter: { a: 1 } };
    const answer = await answerPrompt(request, { ...settings, retrieval: RETRIEVAL }, deps, undefined, { tenant: 'acme' });
    const scope = { tenant: 'acme', modelId: 'amazon.nova-lite-v1:0', promptVersion: '7', guardrailVersion: '2' };
    const cacheable = { query: ' Why? ', maxTokens: 9, temperature: 0.1, variables: { product: 'P' }, topK: 2, filter: { a: 1 } };
    expect(calls.lookup).toEqual([{ scope, request: cacheable }]);
    const { cache: _none, ...stored } = answer;
    expect(calls.store).toEqual([[scope, cacheable, stored, { guardrail: { input: 'none', output: 'none' }, noPassagesFound: undefined }, lookup]]);
    expect(answer.cache).toBe('none');
    expect(calls.model).toHaveLength(1);
  });

  test('an anonymous caller (no tenant below ground 4) shares the anonymous scope; no variables stays unset', async () => {
    const { calls, deps } = setup({}, { cache: true });
    await answerPrompt({ query: 'q' }, SETTINGS, deps);
    expect(calls.lookup[0]).toEqual({
      scope: { tenant: 'anonymous', modelId: 'amazon.nova-lite-v1:0', promptVersion: undefined, guardrailVersion: undefined },
      request: { query: 'q', maxTokens: undefined, temperature: undefined, variables: undefined, topK: undefined, filter: undefined },
    });
  });
});

describe('ground 7: conversations', () => {
  const history: ModelMessage[] = [
    { role: 'user', text: 'Who are you?' },
    { role: 'assistant', text: 'A helper.' },
  ];

  test('earlier turns come before the question; the turn is appended; the cache is neither read nor written', async () => {
    const { calls, deps, conversation } = setup({ history }, { cache: true });
    const answer = await answerPrompt({ query: 'And now?' }, SETTINGS, deps, undefined, { conversation });
    expect(calls.model[0].messages).toEqual([...history, { role: 'user', text: 'And now?' }]);
    expect([calls.lookup.length, calls.store.length]).toEqual([0, 0]);
    expect(calls.append).toEqual([{ question: 'And now?', answer }]);
    expect(answer).not.toHaveProperty('cache');
  });

  test('with a template, the earlier turns come before the filled user text', async () => {
    const { calls, deps, conversation } = setup({ history }, { prompt: true });
    await answerPrompt({ query: 'And now?', variables: { product: 'P' } }, SETTINGS, deps, undefined, { conversation });
    expect(calls.model[0].messages).toEqual([...history, { role: 'user', text: 'Passages:\nNo knowledge base is connected.\n\nQuestion: And now?' }]);
  });

  test('a new conversation (no earlier turns) still uses the cache, and stores the turn', async () => {
    const { calls, deps, conversation } = setup({ history: [] }, { cache: true });
    const answer = await answerPrompt({ query: 'First?' }, SETTINGS, deps, undefined, { conversation });
    expect([calls.lookup.length, calls.store.length]).toEqual([1, 1]);
    expect(calls.append).toEqual([{ question: 'First?', answer }]);
  });
});

describe('resolveVariables', () => {
  const template = (variables: string[], defaults: Record<string, string> = {}): PromptTemplate => ({ ...TEMPLATE, variables, defaults });

  test('request values over defaults', () => {
    expect(resolveVariables(template(['a', 'b'], { a: 'A', b: 'B' }), { b: 'given' })).toEqual({ a: 'A', b: 'given' });
  });

  test('names up to five unknown variables and what is allowed', () => {
    const given = Object.fromEntries(['u1', 'u2', 'u3', 'u4', 'u5', 'u6'].map((n) => [n, 'x']));
    expect(() => resolveVariables(template(['a']), given)).toThrow('unknown variables: u1, u2, u3, u4, u5; allowed: a');
    expect(() => resolveVariables(template([]), { u: 'x' })).toThrow('unknown variable: u; allowed: none');
  });
});

describe('fill', () => {
  test('one pass over {{name}}: values are data, never expanded again; unknown names stay', () => {
    expect(fill('{{a}}-{{ b }}-{{c}}-{{constructor}}-{{1x}}', { a: '{{b}}', b: 'B' })).toBe('{{b}}-B-{{c}}-{{constructor}}-{{1x}}');
    expect(fill('{{ long_Name2 }}', { long_Name2: 'v' })).toBe('v');
  });
});

describe('templateFromPrompt (GetPrompt, CHAT variant)', () => {
  const prompt = (chat: unknown, metadata?: unknown) => ({ variants: [{ templateConfiguration: { chat }, metadata }] });
  const chat = {
    system: [{ text: 'Rule one.' }, { cachePoint: { type: 'default' } }, { text: 'Rule two.' }],
    messages: [{ content: [{ text: 'Context: {{context}} ' }, { text: 7 }, { text: 'Q: {{query}} in {{language}}' }] }],
    inputVariables: [{ name: 'query' }, { name: 'context' }, { name: 'language' }, {}],
  };

  test('system blocks joined, user text joined, query and context not variables, defaults from metadata, cache point kept', () => {
    expect(
      templateFromPrompt(
        prompt(chat, [{ key: 'default.language', value: 'English' }, { key: 'owner', value: 'team' }, { key: 'default.tone', value: 3 }, { value: 'no key' }]),
        '5',
      ),
    ).toStrictEqual({
      version: '5',
      system: 'Rule one.\n\nRule two.',
      user: 'Context: {{context}} Q: {{query}} in {{language}}',
      cacheSystem: true,
      variables: ['language'],
      defaults: { language: 'English' },
    });
    expect(templateFromPrompt(prompt({ ...chat, system: [{ text: 'Only.' }] }), '1')).toMatchObject({ cacheSystem: false, defaults: {} });
  });

  test.each([
    ['no variant', {}],
    ['no template configuration', { variants: [{}] }],
    ['no system', prompt({ ...chat, system: undefined })],
    ['no messages', prompt({ ...chat, messages: undefined })],
    ['an empty message list', prompt({ ...chat, messages: [] })],
    ['a message without content', prompt({ ...chat, messages: [{}] })],
    ['no system text', prompt({ ...chat, system: [{ cachePoint: {} }] })],
    ['no user text', prompt({ ...chat, messages: [{ content: [{}] }] })],
    ['no input variables', prompt({ ...chat, inputVariables: undefined })],
    ['not an object', null],
  ])('fails on %s', (_case, value) => {
    expect(() => templateFromPrompt(value, '1')).toThrow('prompt version is not a CHAT template with system and user text');
  });
});

describe('promptRequestSchema (the body of POST /prompt)', () => {
  const ground = (settings: PromptSettings, features: { variables: boolean; sessions?: boolean }) => (body: unknown) =>
    parseRequest(promptRequestSchema(settings, features), body);
  const message = (parse: (body: unknown) => unknown, body: unknown) => {
    try {
      parse(body);
    } catch (error) {
      return (error as Error).message;
    }
    return 'accepted';
  };
  const full = ground({ ...SETTINGS, routing: ROUTED, retrieval: RETRIEVAL }, { variables: true, sessions: true });
  const plain = ground(SETTINGS, { variables: false });

  test('a full request at the top ground is accepted as given', () => {
    const body = {
      query: 'q'.repeat(200),
      maxTokens: 1000,
      temperature: 1,
      model: 'm'.repeat(64),
      sessionId: 'a'.repeat(16),
      variables: { aB_1: 'v'.repeat(1000) },
      topK: 10,
      filter: { 'a.b-c_1': 'x'.repeat(256), n: 1, b: true, d: 2, e: 3 },
    };
    expect(full(body)).toEqual(body);
    expect(full({ query: 'q', maxTokens: 1, temperature: 0, topK: 1 })).toEqual({ query: 'q', maxTokens: 1, temperature: 0, topK: 1 });
  });

  test.each([
    [{ query: '' }, 'query must be at least 1 characters; query must not be blank'],
    [{ query: '   ' }, 'query must not be blank'],
    [{ query: 'q'.repeat(201) }, 'query must be at most 200 characters'],
    [{ query: 'q', maxTokens: 0 }, 'maxTokens must be at least 1'],
    [{ query: 'q', maxTokens: 1001 }, 'maxTokens must be at most 1000'],
    [{ query: 'q', maxTokens: 1.5 }, 'maxTokens must be an integer'],
    [{ query: 'q', maxTokens: 'ten' }, 'maxTokens must be an integer'],
    [{ query: 'q', temperature: -0.1 }, 'temperature must be at least 0'],
    [{ query: 'q', temperature: 1.1 }, 'temperature must be at most 1'],
    [{ query: 'q', model: 'm'.repeat(65) }, 'model must be at most 64 characters'],
    [{ query: 'q', sessionId: 'short' }, 'sessionId must be 16-64 letters, digits, _ or -'],
    [{ query: 'q', variables: { Bad: 'x' } }, 'variables.Bad must be a variable name'],
    [{ query: 'q', variables: { 'a-b': 'x' } }, 'variables.<key> must be a variable name'],
    [{ query: 'q', variables: { ['a'.repeat(41)]: 'x' } }, 'variables.<key> must be a variable name'],
    [{ query: 'q', variables: { a: 'v'.repeat(1001) } }, 'variables.a must be at most 1000 characters'],
    [{ query: 'q', variables: JSON.parse('{"__proto__":"x"}') }, 'variables has a key that must be a variable name'],
    [{ query: 'q', topK: 0 }, 'topK must be at least 1'],
    [{ query: 'q', topK: 11 }, 'topK must be at most 10'],
    [{ query: 'q', topK: 2.5 }, 'topK must be an integer'],
    [{ query: 'q', topK: 'all' }, 'topK must be an integer'],
    [{ query: 'q', filter: {} }, 'filter must hold 1 to 5 keys'],
    [{ query: 'q', filter: { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 } }, 'filter must hold 1 to 5 keys'],
    [{ query: 'q', filter: { 'a b': 1 } }, 'filter.<key> must be a metadata key of letters, digits, _ . -'],
    [{ query: 'q', filter: { a: 'x'.repeat(257) } }, 'filter.a must be at most 256 characters'],
    [{ query: 'q', filter: JSON.parse('{"__proto__":1}') }, 'filter has a key that must be a metadata key other than __proto__'],
    [{ query: 'q', other: 1 }, 'unknown field: "other"'],
  ])('%j: %s', (body, expected) => {
    expect(message(full, body)).toBe(expected);
  });

  test('fields appear with the grounds that use them', () => {
    for (const field of [{ model: 'lite' }, { sessionId: 'a'.repeat(16) }, { variables: { a: 'x' } }, { topK: 1 }, { filter: { a: 1 } }]) {
      expect(message(plain, { query: 'q', ...field })).toBe(`unknown field: ${JSON.stringify(Object.keys(field)[0])}`);
    }
  });
});
