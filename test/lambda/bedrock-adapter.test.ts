import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { converseModel, createBedrockRuntime, guardrail } from '../../lambda/shared/bedrock';
import { HttpError, toHttpError } from '../../lambda/shared/http';
import type { GuardrailVerdict, ModelReply, ModelRequest } from '../../lambda/shared/model';
import { jsonObject, parseJson } from '../support/json';
import { answering, answeringHttp } from '../support/sdk-client';

/**
 * lambda/shared/bedrock.ts on its own, in process: Converse and ApplyGuardrail through a real
 * BedrockRuntimeClient whose `send` (or, for the client's own settings and errors, whose request
 * handler) answers from memory. The handler tests reach the same code through the Bedrock fake.
 */

const REQUEST: ModelRequest = {
  modelId: 'us.amazon.nova-lite-v1:0',
  messages: [
    { role: 'user', text: 'Hi' },
    { role: 'assistant', text: 'Hello' },
    { role: 'user', text: 'Bye?' },
  ],
  maxTokens: 64,
  temperature: 0.2,
};

const client = () => new BedrockRuntimeClient({ region: 'us-east-1' });

afterEach(() => jest.restoreAllMocks());

/** The reply the caller sees, or the HttpError it is refused with as `status message`. */
async function outcome<T>(call: Promise<T>): Promise<T | string> {
  try {
    return await call;
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return `${error.statusCode} ${error.message}`;
  }
}

describe('createBedrockRuntime', () => {
  const settings = { maxAttempts: 2, attemptTimeoutMs: 5_000 };

  test('retries a failed call until maxAttempts calls were made, then hands the caller the SDK error', async () => {
    const runtime = createBedrockRuntime(settings);
    const sent = answeringHttp(runtime, () => ({ status: 500, headers: { 'x-amzn-errortype': 'InternalServerException' }, body: { message: 'boom' } }));
    const error: unknown = await converseModel(runtime)
      .converse(REQUEST)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatchObject({ method: 'POST', hostname: 'bedrock-runtime.us-east-1.amazonaws.com', path: '/model/us.amazon.nova-lite-v1%3A0/converse' });
    expect((error as Error).name).toBe('InternalServerException');
    expect(toHttpError(error).error).toMatchObject({ statusCode: 502, message: 'The model failed to answer' });
  });

  test('retries in standard mode even where AWS_RETRY_MODE asks for adaptive (which would hold calls back after throttling)', async () => {
    const before = process.env.AWS_RETRY_MODE;
    process.env.AWS_RETRY_MODE = 'adaptive';
    try {
      const runtime = createBedrockRuntime(settings);
      const strategy = (await runtime.config.retryStrategy()) as { mode?: string };
      expect(strategy.mode).toBe('standard');
      expect(await runtime.config.maxAttempts()).toBe(2);
    } finally {
      if (before === undefined) delete process.env.AWS_RETRY_MODE;
      else process.env.AWS_RETRY_MODE = before;
    }
  });

  /**
   * The request handler resolves its options on its first request; a call whose signal is already
   * aborted reaches it (and ends there, with no connection), after which the options are readable.
   */
  async function handlerOptions(attemptTimeoutMs: number) {
    const runtime = createBedrockRuntime({ maxAttempts: 1, attemptTimeoutMs });
    const error: unknown = await converseModel(runtime)
      .converse(REQUEST, AbortSignal.abort())
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    const handler = runtime.config.requestHandler as { httpHandlerConfigs(): Record<string, unknown> };
    return { error, options: handler.httpHandlerConfigs() };
  }

  test('cuts each attempt at attemptTimeoutMs (an error, not a warning) and its connection at 3 s at most', async () => {
    const { error, options } = await handlerOptions(5_000);
    expect(options).toMatchObject({ requestTimeout: 5_000, connectionTimeout: 3_000, throwOnRequestTimeout: true });
    // The caller's abort, as a timeout of the SDK, is answered 504.
    expect(toHttpError(error).error).toMatchObject({ statusCode: 504, message: 'The model did not answer in time' });
  });

  test('an attempt timeout under 3 s also bounds the connection', async () => {
    const { options } = await handlerOptions(1_200);
    expect(options).toMatchObject({ requestTimeout: 1_200, connectionTimeout: 1_200 });
  });

  test.each([
    [400, 'ValidationException', 400, 'The model rejected the request; shorten the query or lower maxTokens'],
    [429, 'ThrottlingException', 429, 'The model is busy; retry after the delay in Retry-After'],
    [429, 'ServiceQuotaExceededException', 429, 'The model is busy; retry after the delay in Retry-After'],
    [403, 'AccessDeniedException', 500, 'The service is not configured correctly; the operator has been alerted'],
    [404, 'ResourceNotFoundException', 500, 'The service is not configured correctly; the operator has been alerted'],
    [408, 'ModelTimeoutException', 504, 'The model did not answer in time'],
    [424, 'ModelErrorException', 502, 'The model failed to answer'],
    [429, 'ModelNotReadyException', 503, 'The model is unavailable; try again later'],
    [503, 'ServiceUnavailableException', 503, 'The model is unavailable; try again later'],
  ])('Bedrock’s %i %s reaches the caller as the SDK raised it, answered %i', async (status, type, answered, message) => {
    const runtime = createBedrockRuntime({ maxAttempts: 1, attemptTimeoutMs: 5_000 });
    answeringHttp(runtime, () => ({ status, headers: { 'x-amzn-errortype': type }, body: { message: 'account 123456789012 role x' } }));
    const error: unknown = await converseModel(runtime)
      .converse(REQUEST)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as Error).name).toBe(type);
    const mapped = toHttpError(error).error;
    expect(mapped).toMatchObject({ statusCode: answered, message });
    if (answered === 429) expect(mapped.headers).toEqual({ 'Retry-After': '2' });
  });

  test('a Converse reply read from the wire', async () => {
    const runtime = createBedrockRuntime({ maxAttempts: 1, attemptTimeoutMs: 5_000 });
    const sent = answeringHttp(runtime, () => ({
      status: 200,
      body: {
        output: { message: { role: 'assistant', content: [{ text: 'Hi ' }, { text: 'there' }] } },
        stopReason: 'end_turn',
        usage: { inputTokens: 7, outputTokens: 2, totalTokens: 9 },
        metrics: { latencyMs: 42 },
      },
    }));
    expect(await converseModel(runtime).converse(REQUEST)).toEqual({
      text: 'Hi there',
      stopReason: 'end_turn',
      usage: { inputTokens: 7, outputTokens: 2, totalTokens: 9 },
      latencyMs: 42,
    });
    expect(parseJson(jsonObject, sent[0]!.body)).toEqual({
      messages: [
        { role: 'user', content: [{ text: 'Hi' }] },
        { role: 'assistant', content: [{ text: 'Hello' }] },
        { role: 'user', content: [{ text: 'Bye?' }] },
      ],
      inferenceConfig: { maxTokens: 64, temperature: 0.2 },
    });
  });
});

describe('converseModel', () => {
  const USAGE = { inputTokens: 12, outputTokens: 3 };
  const reply = (content: unknown, more: object = {}) => ({
    output: { message: { role: 'assistant', content } },
    stopReason: 'end_turn',
    usage: USAGE,
    ...more,
  });

  async function converse(out: object, request: ModelRequest = REQUEST, signal?: AbortSignal): Promise<ModelReply | string> {
    const c = client();
    answering(c, () => out);
    return outcome(converseModel(c).converse(request, signal));
  }

  test('sends the model id, the turns in order, the caps and the caller’s signal; no system blocks unless given', async () => {
    const c = client();
    const sent = answering(c, () => reply([{ text: 'ok' }]));
    const signal = new AbortController().signal;
    await converseModel(c).converse(REQUEST, signal);
    expect(sent).toEqual([
      {
        command: 'ConverseCommand',
        input: {
          modelId: 'us.amazon.nova-lite-v1:0',
          messages: [
            { role: 'user', content: [{ text: 'Hi' }] },
            { role: 'assistant', content: [{ text: 'Hello' }] },
            { role: 'user', content: [{ text: 'Bye?' }] },
          ],
          inferenceConfig: { maxTokens: 64, temperature: 0.2 },
        },
        abortSignal: signal,
      },
    ]);
    expect(sent[0]!.input).not.toHaveProperty('system', expect.anything());
  });

  test('sends each system text as a block, then a cache point when the system is to be cached', async () => {
    const c = client();
    const sent = answering(c, () => reply([{ text: 'ok' }]));
    await converseModel(c).converse({ ...REQUEST, system: ['Be brief.', 'Cite sources.'], cacheSystem: true });
    await converseModel(c).converse({ ...REQUEST, system: ['Be brief.'], cacheSystem: false });
    await converseModel(c).converse({ ...REQUEST, system: ['Be brief.'] });
    expect(sent.map((s) => (s.input as { system?: unknown }).system)).toEqual([
      [{ text: 'Be brief.' }, { text: 'Cite sources.' }, { cachePoint: { type: 'default' } }],
      [{ text: 'Be brief.' }],
      [{ text: 'Be brief.' }],
    ]);
  });

  test('answers the text blocks joined, other blocks left out, the stop reason and the usage with its total', async () => {
    const content = [{ reasoningContent: { reasoningText: { text: 'hmm' } } }, { text: 'Hello, ' }, null, { toolUse: { name: 'x' } }, { text: 'world' }];
    expect(
      await converse(reply(content, { stopReason: 'max_tokens', usage: { inputTokens: 12, outputTokens: 3, totalTokens: 99 }, metrics: { latencyMs: 321 } })),
    ).toEqual({
      text: 'Hello, world',
      stopReason: 'max_tokens',
      usage: { inputTokens: 12, outputTokens: 3, totalTokens: 15 },
      latencyMs: 321,
    });
  });

  test('a reply with no text block is an empty answer', async () => {
    expect(await converse(reply([{ toolUse: { name: 'x' } }]))).toMatchObject({ text: '', stopReason: 'end_turn' });
  });

  test('when Bedrock reports no latency, the time the call took', async () => {
    const now = jest.spyOn(performance, 'now');
    now.mockReturnValueOnce(1_000.2).mockReturnValueOnce(1_250.6);
    expect(await converse(reply([{ text: 'ok' }]))).toMatchObject({ latencyMs: 250 });
    now.mockReturnValueOnce(1_000).mockReturnValueOnce(1_250);
    expect(await converse(reply([{ text: 'ok' }], { metrics: {} }))).toMatchObject({ latencyMs: 250 });
  });

  test.each([
    ['no output', { stopReason: 'end_turn', usage: USAGE }],
    ['no message', { output: {}, stopReason: 'end_turn', usage: USAGE }],
    ['content that is not a list', reply('Hello')],
    ['no stop reason', reply([{ text: 'ok' }], { stopReason: undefined })],
    ['a stop reason that is not a string', reply([{ text: 'ok' }], { stopReason: 1 })],
    ['no usage', reply([{ text: 'ok' }], { usage: undefined })],
    ['input tokens that are not a whole number', reply([{ text: 'ok' }], { usage: { inputTokens: 1.5, outputTokens: 3 } })],
    ['no output tokens', reply([{ text: 'ok' }], { usage: { inputTokens: 12 } })],
    ['output tokens given as a string', reply([{ text: 'ok' }], { usage: { inputTokens: 12, outputTokens: '3' } })],
  ])('fails 502 when the reply has %s', async (_, out) => {
    expect(await converse(out)).toBe('502 The model returned a malformed answer');
  });
});

describe('guardrail', () => {
  async function apply(out: object, source: 'INPUT' | 'OUTPUT' = 'OUTPUT'): Promise<GuardrailVerdict | string> {
    const c = client();
    answering(c, () => out);
    return outcome(guardrail(c, 'gr-123', '4').apply(source, [{ text: 'x' }]));
  }

  test('sends the pinned guardrail, the source and every block, qualified only when the caller says so, with the caller’s signal', async () => {
    const c = client();
    const sent = answering(c, () => ({ action: 'NONE', outputs: [] }));
    const signal = new AbortController().signal;
    await guardrail(c, 'gr-123', '4').apply(
      'OUTPUT',
      [{ text: 'the answer' }, { text: 'a source', qualifier: 'grounding_source' }, { text: 'the question', qualifier: 'query' }],
      signal,
    );
    expect(sent).toEqual([
      {
        command: 'ApplyGuardrailCommand',
        input: {
          guardrailIdentifier: 'gr-123',
          guardrailVersion: '4',
          source: 'OUTPUT',
          content: [
            { text: { text: 'the answer' } },
            { text: { text: 'a source', qualifiers: ['grounding_source'] } },
            { text: { text: 'the question', qualifiers: ['query'] } },
          ],
        },
        abortSignal: signal,
      },
    ]);
    expect((sent[0]!.input as { content: { text: object }[] }).content[0]!.text).not.toHaveProperty('qualifiers');
  });

  test('NONE: nothing to report, no outputs', async () => {
    expect(await apply({ action: 'NONE', assessments: [] })).toEqual({ intervened: false, ungrounded: false, blocked: false, output: undefined, outputs: [] });
  });

  test('masked personal data: intervened, not blocked, the masked text as output', async () => {
    const assessments = [{ sensitiveInformationPolicy: { piiEntities: [{ type: 'PHONE', match: '555-0100', action: 'ANONYMIZED', detected: true }] } }];
    expect(await apply({ action: 'GUARDRAIL_INTERVENED', assessments, outputs: [{ text: 'Call ' }, { text: '{PHONE}' }] })).toEqual({
      intervened: true,
      ungrounded: false,
      blocked: false,
      output: 'Call {PHONE}',
      outputs: ['Call ', '{PHONE}'],
    });
  });

  test('a blocked content filter: blocked, not ungrounded, the blocked message as output', async () => {
    const assessments = [{ contentPolicy: { filters: [{ type: 'VIOLENCE', confidence: 'HIGH', action: 'BLOCKED', detected: true }] } }];
    expect(await apply({ action: 'GUARDRAIL_INTERVENED', assessments, outputs: [{ text: 'Sorry.' }] })).toEqual({
      intervened: true,
      ungrounded: false,
      blocked: true,
      output: 'Sorry.',
      outputs: ['Sorry.'],
    });
  });

  test('a blocked topic found anywhere in the assessments blocks; a topic merely named BLOCKED does not', async () => {
    const topics = (second: string) => [
      { name: 'BLOCKED', type: 'DENY', action: 'NONE', detected: true },
      { name: 'Investing', type: 'DENY', action: second, detected: true },
    ];
    const verdict = (second: string) =>
      apply({ action: 'GUARDRAIL_INTERVENED', assessments: [{}, { topicPolicy: { topics: topics(second) } }], outputs: [{ text: 'No.' }] });
    expect(await verdict('BLOCKED')).toMatchObject({ blocked: true, ungrounded: false });
    expect(await verdict('NONE')).toMatchObject({ blocked: false, intervened: true });
  });

  test('a blocked grounding or relevance filter: ungrounded and blocked, whichever assessment holds it', async () => {
    const assessments = [
      { wordPolicy: { customWords: [] } },
      { contextualGroundingPolicy: {} },
      { contextualGroundingPolicy: { filters: [{ type: 'GROUNDING', threshold: 0.7, score: 0.9, action: 'NONE', detected: false }] } },
      {
        contextualGroundingPolicy: {
          filters: [
            { type: 'GROUNDING', threshold: 0.7, score: 0.9, action: 'NONE', detected: false },
            { type: 'RELEVANCE', threshold: 0.5, score: 0.1, action: 'BLOCKED', detected: true },
          ],
        },
      },
    ];
    expect(await apply({ action: 'GUARDRAIL_INTERVENED', assessments, outputs: [{ text: 'Not grounded.' }] })).toEqual({
      intervened: true,
      ungrounded: true,
      blocked: true,
      output: 'Not grounded.',
      outputs: ['Not grounded.'],
    });
  });

  test('grounding filters that all passed leave a block by another policy grounded', async () => {
    const assessments = [
      { contextualGroundingPolicy: { filters: [{ type: 'GROUNDING', threshold: 0.7, score: 0.9, action: 'NONE', detected: false }] } },
      { contentPolicy: { filters: [{ type: 'INSULTS', confidence: 'HIGH', action: 'BLOCKED', detected: true }] } },
    ];
    expect(await apply({ action: 'GUARDRAIL_INTERVENED', assessments, outputs: [{ text: 'Sorry.' }] })).toMatchObject({ ungrounded: false, blocked: true });
  });

  test('a grounding filter that did not act (action NONE on the guardrail) reports ungrounded without blocking', async () => {
    const assessments = [{ contextualGroundingPolicy: { filters: [{ type: 'GROUNDING', threshold: 0.7, score: 0.1, action: 'BLOCKED', detected: true }] } }];
    expect(await apply({ action: 'NONE', assessments })).toMatchObject({ intervened: false, ungrounded: true, blocked: false });
  });

  test('outputs other than text read as empty, in place; none at all as no output', async () => {
    expect(await apply({ action: 'GUARDRAIL_INTERVENED', assessments: [], outputs: [{ text: 'a' }, null, {}, { text: 'b' }] })).toMatchObject({
      output: 'ab',
      outputs: ['a', '', '', 'b'],
    });
    expect(await apply({ action: 'GUARDRAIL_INTERVENED', assessments: [], outputs: [{}] })).toMatchObject({ output: undefined, outputs: [''] });
    expect(await apply({ action: 'GUARDRAIL_INTERVENED' })).toEqual({ intervened: true, ungrounded: false, blocked: false, output: undefined, outputs: [] });
  });

  test.each([['GUARDRAIL_BLOCKED'], [undefined], ['none']])('fails 502 when the action is %p', async (action) => {
    expect(await apply({ action, outputs: [] })).toBe('502 The guardrail returned a malformed answer');
  });
});
