import { HttpError } from '../../lambda/shared/http';
import {
  type AgentEvent,
  type AgentInvocation,
  type AgentPort,
  type AgentRequest,
  type AgentSettings,
  agentRequestSchemas,
  agentSessionId,
  converse,
  parseAgentRequest,
} from '../../lambda/agent/core';
import { refusal } from '../support/refusal';

/**
 * The agent route's core with an in-memory agent port (no SDK, no server): the requests it
 * accepts, what each invocation of the agent carries (session, identity, tenant scope,
 * confirmation), what the client gets from the agent's event stream, the tokens it reports, and
 * how the agent's errors reach the client. The handler tests (agent.test.ts,
 * agent-bad-input.test.ts) run the same path through the real SDK against the Bedrock fake.
 */

const SETTINGS: AgentSettings = {
  maxInputChars: 20,
  confirmable: { create_support_ticket: 'CustomerSupport', refund_order: 'Billing' },
  knowledgeBaseId: 'KB12345678',
};
const CALLER = { tenant: 'acme', principal: 'apikey:key1' };
const schemas = agentRequestSchemas(SETTINGS);

/** The message of the 400 that parseAgentRequest answers `body` with; fails when it is accepted or refused otherwise. */
function refusedRequest(body: unknown, settings: AgentSettings = SETTINGS): string {
  try {
    parseAgentRequest(settings, body);
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).statusCode).toBe(400);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(body)} to be refused`);
}

/** The HttpError a promise rejects with; fails the test when it resolves or rejects with anything else. */
async function httpErrorOf(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpError);
  return error as HttpError;
}

const sdkError = (name: string, message = `fake ${name}`) => Object.assign(new Error(message), { name });

interface Script {
  readonly events?: readonly AgentEvent[];
  readonly requestId?: string;
  /** Thrown by invoke itself (InvokeAgent refused). */
  readonly invokeError?: unknown;
  /** Thrown by the event stream after its events (a stream exception). */
  readonly streamError?: unknown;
}

async function* streamOf(events: readonly AgentEvent[], script: Script): AsyncIterable<AgentEvent> {
  for (const event of events) yield event;
  if ('streamError' in script) throw script.streamError;
}

/** An agent that records each invocation and answers as `script` says. */
function agentOf(script: Script = {}) {
  const calls: { request: AgentInvocation; signal?: AbortSignal }[] = [];
  const port: AgentPort = {
    invoke: async (request, signal) => {
      calls.push({ request, signal });
      if ('invokeError' in script) throw script.invokeError;
      return { ...(script.requestId !== undefined ? { requestId: script.requestId } : {}), events: streamOf(script.events ?? [], script) };
    },
  };
  return { port, calls };
}

const ASK: AgentRequest = { input: 'hello', sessionId: 'conv-1' };

/** One turn answering `events` (a question in conversation conv-1 by CALLER). */
async function turnOf(events: readonly AgentEvent[], script: Omit<Script, 'events'> = {}) {
  return converse(ASK, CALLER, SETTINGS, agentOf({ ...script, events }).port);
}

const encoder = new TextEncoder();
const text = (s: string): AgentEvent => ({ chunk: { bytes: encoder.encode(s) } });
const bytes = (b: number[]): AgentEvent => ({ chunk: { bytes: Uint8Array.from(b) } });
const trace = (t: Record<string, unknown>): AgentEvent => ({ trace: { trace: t } });
type Reference = NonNullable<NonNullable<NonNullable<AgentEvent['chunk']>['attribution']>['citations']>[number];
const cited = (...citations: Reference[]): AgentEvent => ({ chunk: { attribution: { citations } } });
const ref = (text: string, uri?: string) => ({ content: { text }, ...(uri !== undefined ? { location: { s3Location: { uri } } } : {}) });
const modelUsage = (step: string, usage: Record<string, unknown>): AgentEvent => trace({ [step]: { modelInvocationOutput: { metadata: { usage } } } });
const called = (fn: unknown): AgentEvent => trace({ orchestrationTrace: { invocationInput: { actionGroupInvocationInput: { function: fn } } } });

const CONFIRMATION_INPUT = {
  actionGroup: 'CustomerSupport',
  function: 'create_support_ticket',
  actionInvocationType: 'USER_CONFIRMATION',
  parameters: [
    { name: 'subject', type: 'string', value: 'Broken zipper' },
    { name: 'order_id', type: 'string', value: 'ORD-1003' },
  ],
};
const returned = (invocationInput: Record<string, unknown>, invocationId: unknown): AgentEvent => ({
  returnControl: { invocationId, invocationInputs: [{ functionInvocationInput: invocationInput }] } as AgentEvent['returnControl'],
});

/** Searches see the shared documents and the caller's tenant's (lambda/shared/retrieval-filter.ts). */
const scopedTo = (audience: string) => ({ orAll: [{ equals: { key: 'audience', value: 'shared' } }, { equals: { key: 'audience', value: audience } }] });

describe('parseAgentRequest: a new turn', () => {
  test('accepts an input, with or without a conversation id, and every limit exactly', () => {
    expect(parseAgentRequest(SETTINGS, { input: 'hello' })).toEqual({ input: 'hello' });
    expect(parseAgentRequest(SETTINGS, { input: 'x'.repeat(20), sessionId: 'a' })).toEqual({ input: 'x'.repeat(20), sessionId: 'a' });
    expect(parseAgentRequest(SETTINGS, { input: ' x ', sessionId: 'Az09._:-'.padEnd(100, 'z') })).toEqual({
      input: ' x ',
      sessionId: 'Az09._:-'.padEnd(100, 'z'),
    });
  });

  test('fails when the input is missing, empty, blank or longer than maxInputChars, naming it', () => {
    expect(refusedRequest({})).toBe('input is required');
    expect(refusedRequest({ input: '' })).toBe('input must be at least 1 characters; input must not be blank');
    expect(refusedRequest({ input: ' \n\t ' })).toBe('input must not be blank');
    expect(refusedRequest({ input: 'x'.repeat(21) })).toBe('input must be at most 20 characters');
    expect(refusedRequest({ input: 42 })).toBe('input must be a string');
    expect(parseAgentRequest({ ...SETTINGS, maxInputChars: 21 }, { input: 'x'.repeat(21) })).toEqual({ input: 'x'.repeat(21) });
  });

  test('fails when the conversation id is not 1-100 letters, digits or . _ : -', () => {
    const rule = 'sessionId must be 1-100 letters, digits or . _ : -';
    expect(refusedRequest({ input: 'hi', sessionId: '' })).toBe(rule);
    expect(refusedRequest({ input: 'hi', sessionId: 'x'.repeat(101) })).toBe(rule);
    expect(refusedRequest({ input: 'hi', sessionId: 'conv 1' })).toBe(rule);
    expect(refusedRequest({ input: 'hi', sessionId: 'conv/1' })).toBe(rule);
    expect(refusedRequest({ input: 'hi', sessionId: 'conv-1\n' })).toBe(rule);
    expect(refusedRequest({ input: 'hi', sessionId: 7 })).toBe('sessionId must be a string');
  });

  test('fails on an unknown field, and on a body that is not an object', () => {
    expect(refusedRequest({ input: 'hi', tenant: 'globex' })).toBe('unknown field: "tenant"');
    expect(refusedRequest(null)).toBe('body must be an object');
    expect(refusedRequest(undefined)).toBe('body is required');
    expect(refusedRequest('hello')).toBe('body must be an object');
    expect(refusedRequest(['confirm'])).toBe('body must be an object');
  });
});

describe('parseAgentRequest: the answer to a confirmation', () => {
  const confirm = { invocationId: 'b3c1a0de-1111-2222-3333-444455556666', function: 'refund_order', confirmed: false };

  test('a body with `confirm` is read as a confirmation, in a named conversation', () => {
    expect(parseAgentRequest(SETTINGS, { sessionId: 'conv-9', confirm })).toEqual({ sessionId: 'conv-9', confirm });
    expect(parseAgentRequest(SETTINGS, { sessionId: 'conv-9', confirm: { ...confirm, function: 'create_support_ticket', confirmed: true } })).toEqual({
      sessionId: 'conv-9',
      confirm: { ...confirm, function: 'create_support_ticket', confirmed: true },
    });
    // `input` next to `confirm` is not a turn: the confirmation's schema refuses it.
    expect(refusedRequest({ input: 'hi', sessionId: 'conv-9', confirm })).toBe('unknown field: "input"');
    // A `confirm` the body only inherits is no confirmation: the turn's schema refuses it.
    expect(refusedRequest(Object.create({ confirm }) as unknown)).toBe('input is required; unknown field: "confirm"');
  });

  test('fails without the conversation id, or with one not of the pattern', () => {
    expect(refusedRequest({ confirm })).toBe('sessionId is required');
    expect(refusedRequest({ confirm, sessionId: 'a b' })).toBe('sessionId must be 1-100 letters, digits or . _ : -');
  });

  test('fails when the invocationId is not the one of confirmationRequired', () => {
    const rule = 'confirm.invocationId must be the invocationId of confirmationRequired';
    expect(refusedRequest({ sessionId: 's', confirm: { ...confirm, invocationId: '' } })).toBe(rule);
    expect(refusedRequest({ sessionId: 's', confirm: { ...confirm, invocationId: 'a'.repeat(101) } })).toBe(rule);
    expect(refusedRequest({ sessionId: 's', confirm: { ...confirm, invocationId: 'inv_1' } })).toBe(rule);
    expect(refusedRequest({ sessionId: 's', confirm: { ...confirm, invocationId: 'inv-1\n' } })).toBe(rule);
    expect(parseAgentRequest(SETTINGS, { sessionId: 's', confirm: { ...confirm, invocationId: 'aZ9-'.padEnd(100, 'x') } })).toMatchObject({
      confirm: { invocationId: 'aZ9-'.padEnd(100, 'x') },
    });
  });

  test('only a function that requires confirmation can be confirmed, with a yes or no', () => {
    expect(refusedRequest({ sessionId: 's', confirm: { ...confirm, function: 'get_order_status' } })).toBe(
      'confirm.function must be one of "create_support_ticket", "refund_order"',
    );
    expect(refusedRequest({ sessionId: 's', confirm: { ...confirm, confirmed: 'yes' } })).toBe('confirm.confirmed must be a boolean');
    expect(refusedRequest({ sessionId: 's', confirm: { ...confirm, extra: 1 } })).toBe('confirm has unknown field: "extra"');
    expect(refusedRequest({ sessionId: 's', confirm: null })).toBe('confirm must be an object');
  });

  test('an agent with no function to confirm refuses every confirmation, naming that none is allowed', () => {
    const none = { ...SETTINGS, confirmable: {} };
    expect(refusedRequest({ sessionId: 's', confirm }, none)).toBe('confirm.function must be one of "(none)"');
    expect(refusedRequest({ sessionId: 's', confirm: { ...confirm, function: '' } }, none)).toBe('confirm.function must be one of "(none)"');
    expect(parseAgentRequest(none, { input: 'hi' })).toEqual({ input: 'hi' });
  });

  test('the schemas are the ones parseAgentRequest applies', () => {
    expect(refusal(schemas.turn, { input: ' ' })).toBe('input must not be blank');
    expect(refusal(schemas.confirm, { sessionId: 's' })).toBe('confirm is required');
  });
});

describe('agentSessionId', () => {
  test('is a hex digest (a session id Bedrock accepts), the same for the same caller and conversation', () => {
    expect(agentSessionId('apikey:key1', 'conv-1')).toMatch(/^[0-9a-f]{64}$/);
    expect(agentSessionId('apikey:key1', 'conv-1')).toBe(agentSessionId('apikey:key1', 'conv-1'));
  });

  test('differs for another caller with the same conversation id, and for another conversation', () => {
    const ids = [
      agentSessionId('apikey:key1', 'conv-1'),
      agentSessionId('apikey:key2', 'conv-1'),
      agentSessionId('apikey:key1', 'conv-2'),
      agentSessionId('apikey:key1conv-1', ''),
      agentSessionId('', 'apikey:key1conv-1'),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('converse: what the agent is asked', () => {
  test('a turn goes to the session of this caller and conversation, with the identity as session attributes and the tenant scope', async () => {
    const { port, calls } = agentOf();
    const signal = new AbortController().signal;
    const turn = await converse({ input: 'hello', sessionId: 'conv-1' }, CALLER, SETTINGS, port, signal);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.request).toStrictEqual({
      sessionId: agentSessionId('apikey:key1', 'conv-1'),
      inputText: 'hello',
      sessionAttributes: { tenant: 'acme', principal: 'apikey:key1' },
      knowledgeBase: { knowledgeBaseId: 'KB12345678', filter: scopedTo('tenant:acme') },
    });
    expect(calls[0]!.signal).toBe(signal);
    expect(turn.answer.sessionId).toBe('conv-1');
  });

  test("another tenant's caller searches its own tenant's documents", async () => {
    const { port, calls } = agentOf();
    await converse(ASK, { tenant: 'Globex', principal: 'apikey:key2' }, SETTINGS, port);
    expect(calls[0]!.request.knowledgeBase).toEqual({ knowledgeBaseId: 'KB12345678', filter: scopedTo('tenant:globex') });
    expect(calls[0]!.request.sessionAttributes).toEqual({ tenant: 'Globex', principal: 'apikey:key2' });
    expect(calls[0]!.request.sessionId).toBe(agentSessionId('apikey:key2', 'conv-1'));
  });

  test('without a knowledge base, no retrieval scope is sent', async () => {
    for (const settings of [
      { maxInputChars: 20, confirmable: {} },
      { ...SETTINGS, knowledgeBaseId: '' },
    ]) {
      const { port, calls } = agentOf();
      await converse(ASK, CALLER, settings, port);
      expect(calls[0]!.request).not.toHaveProperty('knowledgeBase');
    }
  });

  test('without a conversation id a new one is made, returned and used for the session', async () => {
    const { port, calls } = agentOf();
    const first = await converse({ input: 'hello' }, CALLER, SETTINGS, port);
    const second = await converse({ input: 'hello' }, CALLER, SETTINGS, port);
    expect(first.answer.sessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(second.answer.sessionId).not.toBe(first.answer.sessionId);
    expect(calls[0]!.request.sessionId).toBe(agentSessionId('apikey:key1', first.answer.sessionId));
    expect(calls[1]!.request.sessionId).toBe(agentSessionId('apikey:key1', second.answer.sessionId));
  });

  test("a confirmation carries the caller's answer and the function's action group, no input, and the tenant scope too", async () => {
    const { port, calls } = agentOf({ events: [text('Ticket opened.')] });
    const turn = await converse({ sessionId: 'conv-9', confirm: { invocationId: 'inv-7', function: 'refund_order', confirmed: true } }, CALLER, SETTINGS, port);
    expect(calls[0]!.request).toStrictEqual({
      sessionId: agentSessionId('apikey:key1', 'conv-9'),
      sessionAttributes: { tenant: 'acme', principal: 'apikey:key1' },
      knowledgeBase: { knowledgeBaseId: 'KB12345678', filter: scopedTo('tenant:acme') },
      confirmation: { invocationId: 'inv-7', function: 'refund_order', actionGroup: 'Billing', confirmed: true },
    });
    expect(turn.answer).toMatchObject({ sessionId: 'conv-9', answer: 'Ticket opened.' });

    await converse({ sessionId: 'conv-9', confirm: { invocationId: 'inv-8', function: 'create_support_ticket', confirmed: false } }, CALLER, SETTINGS, port);
    expect(calls[1]!.request.confirmation).toEqual({
      invocationId: 'inv-8',
      function: 'create_support_ticket',
      actionGroup: 'CustomerSupport',
      confirmed: false,
    });
  });
});

describe('converse: the answer', () => {
  test('an agent that says nothing gives an empty answer, no citations, actions, trace id or usage', async () => {
    expect(await turnOf([])).toStrictEqual({ answer: { sessionId: 'conv-1', answer: '', citations: [], actions: [], blocked: false } });
  });

  test('the text of the chunks, joined, with characters split between chunks decoded whole', async () => {
    const e = [...encoder.encode('é')];
    const turn = await turnOf([text('Refunds take '), bytes([0xf0, 0x9f]), bytes([0x98, 0x80, 0xc3]), bytes([e[1]!]), text(' 14 days.')]);
    expect(turn.answer.answer).toBe('Refunds take 😀é 14 days.');
  });

  test('a character cut off at the end of the stream is replaced, not dropped', async () => {
    expect((await turnOf([text('ok'), bytes([0xc3])])).answer.answer).toBe('ok\uFFFD');
  });

  test('chunks without text add nothing', async () => {
    const notBytes = { chunk: { bytes: 'raw' } } as unknown as AgentEvent;
    expect((await turnOf([text('a'), { chunk: {} }, notBytes, { chunk: { bytes: new Uint8Array(0) } }, text('b')])).answer.answer).toBe('ab');
  });

  test('the answer is cut at 100,000 characters', async () => {
    const long = await turnOf([text('a'.repeat(60_000)), text('b'.repeat(60_000)), text('c'.repeat(10))]);
    expect(long.answer.answer).toBe('a'.repeat(60_000) + 'b'.repeat(40_000));
    const exact = await turnOf([text('a'.repeat(99_999)), text('b'), text('c')]);
    expect(exact.answer.answer).toBe('a'.repeat(99_999) + 'b');
    // An emoji is two UTF-16 units: one across the limit is left out whole, not cut in half.
    const emoji = await turnOf([text('a'.repeat(99_999) + '😀' + 'b')]);
    expect(emoji.answer.answer).toBe('a'.repeat(99_999));
    const fits = await turnOf([text('a'.repeat(99_998) + '😀' + 'b')]);
    expect(fits.answer.answer).toBe('a'.repeat(99_998) + '😀');
  });

  test('the citations of the knowledge base, each once, text cut at 1,000 characters, at most 20', async () => {
    const turn = await turnOf([
      text('Refunds take 14 days.'),
      cited({ retrievedReferences: [ref('Refunds are processed within 14 days.', 's3://docs/refunds.md'), ref('Same text', 's3://docs/a.md')] }),
      cited({ retrievedReferences: [ref('Same text', 's3://docs/b.md'), ref('Refunds are processed within 14 days.', 's3://docs/refunds.md')] }),
      cited({ retrievedReferences: [ref('x'.repeat(1_001), 's3://docs/long.md'), ref('Same text', 's3://docs/a.md')] }),
    ]);
    expect(turn.answer.citations).toStrictEqual([
      { uri: 's3://docs/refunds.md', text: 'Refunds are processed within 14 days.' },
      { uri: 's3://docs/a.md', text: 'Same text' },
      { uri: 's3://docs/b.md', text: 'Same text' },
      { uri: 's3://docs/long.md', text: 'x'.repeat(1_000) },
    ]);

    const many = await turnOf([cited({ retrievedReferences: Array.from({ length: 25 }, (_, i) => ref(`passage ${i}`, `s3://docs/${i}.md`)) })]);
    expect(many.answer.citations).toHaveLength(20);
    expect(many.answer.citations.at(-1)).toEqual({ uri: 's3://docs/19.md', text: 'passage 19' });
  });

  test('a reference without a location or text is cited as far as it goes; a citation without references cites nothing', async () => {
    const turn = await turnOf([
      cited(
        {
          retrievedReferences: [
            ref('no location'),
            { content: { text: 'no uri' }, location: {} },
            { content: { text: 'empty uri' }, location: { s3Location: { uri: '' } } },
          ],
        },
        { retrievedReferences: [{ location: { s3Location: { uri: 's3://docs/no-content.md' } } }, { content: {}, location: { s3Location: {} } }] },
        {},
      ),
      cited({ retrievedReferences: [{ content: { text: 7 }, location: { s3Location: { uri: 42 } } }] } as unknown as Reference),
      { chunk: { attribution: {} } },
    ]);
    expect(turn.answer.citations).toStrictEqual([
      { text: 'no location' },
      { text: 'no uri' },
      { text: 'empty uri' },
      { uri: 's3://docs/no-content.md', text: '' },
      { text: '' },
    ]);
    // Alone, so that no empty citation before it hides one it would add.
    expect((await turnOf([cited({}, { retrievedReferences: [] }), { chunk: { attribution: {} } }])).answer.citations).toEqual([]);
  });

  test('the first trace id of the traces is the trace id, else the InvokeAgent request id', async () => {
    const traced = await turnOf(
      [
        trace({ preProcessingTrace: { modelInvocationInput: { traceId: 'trace-1-0' } } }),
        trace({ orchestrationTrace: { rationale: { traceId: 'trace-1-1' } } }),
      ],
      { requestId: 'req-1' },
    );
    expect(traced.answer.traceId).toBe('trace-1-0');
    expect((await turnOf([trace({ orchestrationTrace: { rationale: { text: 'thinking' } } })], { requestId: 'req-1' })).answer.traceId).toBe('req-1');
    expect((await turnOf([trace({ orchestrationTrace: { rationale: { traceId: 'trace-2' } } })])).answer.traceId).toBe('trace-2');
    expect(await turnOf([], { requestId: '' })).not.toHaveProperty('answer.traceId');
  });

  test('the trace id is looked for at most 6 levels down, past other fields, nulls and ids of other characters', async () => {
    const nested = (levels: number, leaf: Record<string, unknown>): Record<string, unknown> => (levels === 0 ? leaf : { step: nested(levels - 1, leaf) });
    const idOf = async (t: Record<string, unknown>) => (await turnOf([trace(t)], { requestId: 'req-1' })).answer.traceId;
    expect(await idOf(nested(6, { traceId: 'deep' }))).toBe('deep');
    expect(await idOf(nested(7, { traceId: 'too-deep' }))).toBe('req-1');
    expect(await idOf({ a: null, b: 'text', c: 3, d: { other: 'x' }, e: { traceId: 'found' } })).toBe('found');
    expect(await idOf({ a: { traceId: 'has space' }, b: { traceId: 'Az09._:-' } })).toBe('Az09._:-');
    expect(await idOf({ traceId: 'x'.repeat(200) })).toBe('x'.repeat(200));
    expect(await idOf({ traceId: 'x'.repeat(201) })).toBe('req-1');
    expect(await idOf({ traceId: '' })).toBe('req-1');
    expect(await idOf({ traceId: 'ok\n' })).toBe('req-1');
    expect(await idOf({ traceId: 17, step: { traceId: 'inner' } })).toBe('inner');
  });

  test('the functions the agent called, in order, at most 50', async () => {
    const turn = await turnOf([
      called('get_order_status'),
      trace({ orchestrationTrace: { invocationInput: { knowledgeBaseLookupInput: { text: 'refunds' } } } }),
      trace({ orchestrationTrace: { invocationInput: {} } }),
      trace({ orchestrationTrace: {} }),
      called(42),
      called('create_support_ticket'),
    ]);
    expect(turn.answer.actions).toEqual(['get_order_status', 'create_support_ticket']);
    const many = await turnOf(Array.from({ length: 55 }, (_, i) => called(`fn_${i}`)));
    expect(many.answer.actions).toHaveLength(50);
    expect(many.answer.actions.at(-1)).toBe('fn_49');
  });

  test('a guardrail intervention in the trace marks the answer as blocked; a guardrail that let it pass does not', async () => {
    const blocked = await turnOf([
      text('Sorry, I cannot help with that.'),
      trace({ guardrailTrace: { action: 'NONE' } }),
      trace({ guardrailTrace: { action: 'INTERVENED' } }),
      trace({ guardrailTrace: { action: 'NONE' } }),
    ]);
    expect(blocked.answer).toMatchObject({ answer: 'Sorry, I cannot help with that.', blocked: true });
    expect((await turnOf([trace({ guardrailTrace: { action: 'NONE' } }), trace({ guardrailTrace: {} })])).answer.blocked).toBe(false);
  });

  test('events that are none of chunk, trace or returnControl are ignored', async () => {
    const turn = await turnOf([{}, { trace: {} }, text('ok')], { requestId: 'req-1' });
    expect(turn).toStrictEqual({ answer: { sessionId: 'conv-1', answer: 'ok', citations: [], traceId: 'req-1', actions: [], blocked: false } });
  });
});

describe('converse: token usage', () => {
  test('the tokens of every model call of the turn are summed, from each step that reports one', async () => {
    const turn = await turnOf([
      modelUsage('preProcessingTrace', { inputTokens: 100, outputTokens: 10 }),
      modelUsage('orchestrationTrace', { inputTokens: 1000, outputTokens: 50 }),
      trace({ guardrailTrace: { action: 'NONE', metadata: { usage: { inputTokens: 7, outputTokens: 7 } } } }),
      modelUsage('orchestrationTrace', { inputTokens: 1200, outputTokens: 60 }),
      modelUsage('postProcessingTrace', { inputTokens: 300, outputTokens: 30 }),
    ]);
    expect(turn.usage).toStrictEqual({ inputTokens: 2600, outputTokens: 150, totalTokens: 2750 });
  });

  test('each step alone is counted', async () => {
    for (const step of ['preProcessingTrace', 'orchestrationTrace', 'postProcessingTrace']) {
      expect((await turnOf([modelUsage(step, { inputTokens: 3, outputTokens: 4 })])).usage).toStrictEqual({ inputTokens: 3, outputTokens: 4, totalTokens: 7 });
    }
  });

  test('a count that is missing or not a whole number of tokens counts as 0; a step with neither counts nothing', async () => {
    const one = async (usage: Record<string, unknown>) => (await turnOf([modelUsage('orchestrationTrace', usage)])).usage;
    expect(await one({ inputTokens: 5 })).toStrictEqual({ inputTokens: 5, outputTokens: 0, totalTokens: 5 });
    expect(await one({ outputTokens: 6 })).toStrictEqual({ inputTokens: 0, outputTokens: 6, totalTokens: 6 });
    expect(await one({ inputTokens: 1.5, outputTokens: 6 })).toStrictEqual({ inputTokens: 0, outputTokens: 6, totalTokens: 6 });
    expect(await one({ inputTokens: 5, outputTokens: -1 })).toStrictEqual({ inputTokens: 5, outputTokens: 0, totalTokens: 5 });
    expect(await one({ inputTokens: '5', outputTokens: 6 })).toStrictEqual({ inputTokens: 0, outputTokens: 6, totalTokens: 6 });
    expect(await one({ inputTokens: 0, outputTokens: 0 })).toStrictEqual({ inputTokens: 0, outputTokens: 0, totalTokens: 0 });
    expect(await one({ inputTokens: -1, outputTokens: 'x' })).toBeUndefined();
    expect(await one({})).toBeUndefined();
  });

  test('a step that reports no usage is passed over for the next step of the same trace', async () => {
    const turn = await turnOf([
      trace({
        preProcessingTrace: { modelInvocationOutput: { metadata: {} } },
        orchestrationTrace: { modelInvocationOutput: { metadata: { usage: { inputTokens: 'many' } } } },
        postProcessingTrace: { modelInvocationOutput: { metadata: { usage: { inputTokens: 8, outputTokens: 2 } } } },
      }),
      trace({ orchestrationTrace: { modelInvocationInput: { text: 'prompt' } }, postProcessingTrace: {} }),
    ]);
    expect(turn.usage).toStrictEqual({ inputTokens: 8, outputTokens: 2, totalTokens: 10 });
  });

  test('a turn whose traces report no tokens has no usage', async () => {
    const turn = await turnOf([
      trace({ orchestrationTrace: { rationale: { text: 'x' } } }),
      trace({ orchestrationTrace: { modelInvocationOutput: { rawResponse: { content: '...' } } } }),
      trace({ postProcessingTrace: { modelInvocationOutput: { metadata: { usage: null } } } }),
      text('ok'),
    ]);
    expect(turn).not.toHaveProperty('usage');
  });
});

describe('converse: confirmation questions', () => {
  test('a side-effecting action comes back as the function, its action group and its parameters to confirm', async () => {
    const turn = await turnOf([called('create_support_ticket'), returned(CONFIRMATION_INPUT, 'b3c1a0de-1111')], { requestId: 'req-1' });
    expect(turn.answer).toStrictEqual({
      sessionId: 'conv-1',
      answer: '',
      citations: [],
      traceId: 'req-1',
      actions: ['create_support_ticket'],
      blocked: false,
      confirmationRequired: {
        invocationId: 'b3c1a0de-1111',
        actionGroup: 'CustomerSupport',
        function: 'create_support_ticket',
        parameters: { subject: 'Broken zipper', order_id: 'ORD-1003' },
      },
    });
  });

  test('parameters that are not a name and a string value are left out; none at all is an empty list', async () => {
    const odd = [null, { name: 'n' }, { value: 'v' }, { name: 3, value: 'v' }, { name: 'count', value: 3 }, { name: 'ok', value: '' }];
    const turn = await turnOf([returned({ ...CONFIRMATION_INPUT, parameters: odd }, 'inv-1')]);
    expect(turn.answer.confirmationRequired?.parameters).toStrictEqual({ ok: '' });
    const bare = await turnOf([returned({ ...CONFIRMATION_INPUT, parameters: undefined }, 'inv-1')]);
    expect(bare.answer.confirmationRequired?.parameters).toStrictEqual({});
  });

  test('control returned in any other way is a 502 naming it', async () => {
    const message = 'The agent returned control in a way this route does not handle';
    const { parameters: _, ...noParameters } = CONFIRMATION_INPUT;
    const cases: AgentEvent[] = [
      returned(CONFIRMATION_INPUT, undefined),
      returned(CONFIRMATION_INPUT, 7),
      returned({ ...noParameters, function: undefined }, 'inv-1'),
      returned({ ...noParameters, actionGroup: 3 }, 'inv-1'),
      returned({ ...noParameters, actionInvocationType: 'RESULT' }, 'inv-1'),
      returned({ ...noParameters, actionInvocationType: undefined }, 'inv-1'),
      { returnControl: { invocationId: 'inv-1' } },
      { returnControl: { invocationId: 'inv-1', invocationInputs: [] } },
      { returnControl: { invocationId: 'inv-1', invocationInputs: [{ apiInvocationInput: { actionGroup: 'CustomerSupport' } }] } },
    ];
    for (const event of cases) {
      const error = await httpErrorOf(turnOf([text('partial'), event]));
      expect({ status: error.statusCode, message: error.message }).toEqual({ status: 502, message });
    }
  });
});

describe('converse: errors of the agent', () => {
  const confirmation: AgentRequest = { sessionId: 'conv-9', confirm: { invocationId: 'inv-7', function: 'refund_order', confirmed: true } };
  const fails = async (error: unknown, request: AgentRequest = ASK, where: 'invokeError' | 'streamError' = 'invokeError') =>
    converse(request, CALLER, SETTINGS, agentOf({ [where]: error }).port).then(
      () => {
        throw new Error('expected the turn to fail');
      },
      (e: unknown) => e,
    );
  const status = async (error: unknown, request?: AgentRequest, where?: 'invokeError' | 'streamError') => {
    const e = await fails(error, request, where);
    expect(e).toBeInstanceOf(HttpError);
    return { status: (e as HttpError).statusCode, message: (e as HttpError).message };
  };

  test('a request the agent rejects is a 400 saying what a confirmation must carry', async () => {
    for (const request of [ASK, confirmation]) {
      expect(await status(sdkError('ValidationException'), request)).toEqual({
        status: 400,
        message: 'The agent rejected the request; for a confirmation, send the invocationId and function of confirmationRequired in the same session',
      });
    }
  });

  test('a failing action or knowledge base is a 502, whether InvokeAgent or its stream reports it', async () => {
    const expected = { status: 502, message: "The agent's tools or knowledge base failed to answer; try again later" };
    for (const name of ['DependencyFailedException', 'BadGatewayException']) {
      expect(await status(sdkError(name))).toEqual(expected);
      expect(await status(sdkError(name), ASK, 'streamError')).toEqual(expected);
    }
  });

  test('a conversation busy with another request is a 409 asking to retry', async () => {
    expect(await status(sdkError('ConflictException'), confirmation, 'streamError')).toEqual({
      status: 409,
      message: 'This conversation is busy with another request; retry when it has answered',
    });
  });

  test('a confirmation for a session the agent no longer holds is a 409 asking to start over; for a new input the same error goes on unchanged', async () => {
    expect(await status(sdkError('ResourceNotFoundException'), confirmation)).toEqual({
      status: 409,
      message: 'The conversation this confirmation belongs to has expired; send the request again to get a new confirmation',
    });
    const missingAlias = sdkError('ResourceNotFoundException');
    expect(await fails(missingAlias)).toBe(missingAlias);
  });

  test('every other error goes on unchanged, for the shared mapper', async () => {
    for (const error of [sdkError('ThrottlingException'), sdkError('AccessDeniedException'), new HttpError(504, 'late'), new Error('boom'), null, 'text']) {
      expect(await fails(error)).toBe(error);
      expect(await fails(error, confirmation, 'streamError')).toBe(error);
    }
  });
});
