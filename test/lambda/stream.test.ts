import { BedrockRuntimeClient, ConverseStreamCommand, type ConverseStreamOutput } from '@aws-sdk/client-bedrock-runtime';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { Writable } from 'node:stream';
import { converseInput } from '../../lambda/shared/bedrock';
import { HttpError } from '../../lambda/shared/http';
import type { ModelRequest } from '../../lambda/shared/model';
import { logger, metrics } from '../../lambda/shared/observability';
import { converseStreamModel, type ErrorFormat, type StreamChunk, type StreamingAnswer, streamingRoute } from '../../lambda/shared/stream';
import type { ApiCall } from '../../lambda/shared/api';
import { apiEvent } from '../support/api-event';
import { installLocalStreamingRuntime, invokeStreaming, localContext } from '../support/local-streaming';

/**
 * lambda/shared/stream.ts on its own, in process: the ConverseStream adapter against an SDK client
 * whose `send` answers from memory, and streamingRoute with in-memory routes through the local
 * stand-in for the Lambda streaming runtime (test/support/local-streaming.ts, no server).
 */

const REQUEST: ModelRequest = { modelId: 'us.amazon.nova-lite-v1:0', messages: [{ role: 'user', text: 'Hi' }], maxTokens: 64, temperature: 0.2 };
const USAGE = { inputTokens: 12, outputTokens: 3, totalTokens: 15 };

describe('converseStreamModel', () => {
  /** A client whose ConverseStream answers `stream` (no stream when undefined), recording what it was sent. */
  function clientAnswering(stream: ConverseStreamOutput[] | undefined) {
    const client = new BedrockRuntimeClient({ region: 'us-east-1' });
    const sent: { input: unknown; abortSignal: unknown; isConverseStream: boolean }[] = [];
    jest.spyOn(client, 'send').mockImplementation((command, options) => {
      sent.push({
        input: command.input,
        abortSignal: (options as { abortSignal?: unknown }).abortSignal,
        isConverseStream: command instanceof ConverseStreamCommand,
      });
      return Promise.resolve({
        $metadata: {},
        stream:
          stream &&
          (async function* () {
            yield* stream;
          })(),
      });
    });
    return { client, sent };
  }

  async function chunks(stream: ConverseStreamOutput[] | undefined, signal?: AbortSignal): Promise<StreamChunk[]> {
    const { client } = clientAnswering(stream);
    const out: StreamChunk[] = [];
    for await (const chunk of await converseStreamModel(client).open(REQUEST, signal)) out.push(chunk);
    return out;
  }

  async function failure(stream: ConverseStreamOutput[] | undefined): Promise<string> {
    try {
      await chunks(stream);
      return 'no failure';
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      return `${error.statusCode} ${error.message}`;
    }
  }

  const text = (t: unknown): ConverseStreamOutput => ({ contentBlockDelta: { contentBlockIndex: 0, delta: { text: t as string } } });
  const stop = (stopReason: string): ConverseStreamOutput => ({ messageStop: { stopReason: stopReason as 'end_turn' } });
  const metadata = (usage: object, latencyMs?: number): ConverseStreamOutput => ({
    metadata: { usage: usage as never, metrics: latencyMs === undefined ? undefined : { latencyMs } },
  });

  afterEach(() => jest.restoreAllMocks());

  test('sends the Converse input of the request with the caller’s signal', async () => {
    const { client, sent } = clientAnswering([stop('end_turn'), metadata(USAGE, 5)]);
    const signal = new AbortController().signal;
    await converseStreamModel(client).open(REQUEST, signal);
    expect(sent).toEqual([{ input: converseInput(REQUEST), abortSignal: signal, isConverseStream: true }]);
  });

  test('text deltas in order, then one end with the stop reason, the usage and the latency Bedrock measured', async () => {
    expect(await chunks([{ messageStart: { role: 'assistant' } }, text('Hel'), text('lo'), stop('end_turn'), metadata(USAGE, 321)])).toEqual([
      { kind: 'text', text: 'Hel' },
      { kind: 'text', text: 'lo' },
      { kind: 'end', stopReason: 'end_turn', usage: USAGE, latencyMs: 321 },
    ]);
  });

  test('empty and non-text deltas are skipped; the total is computed from input and output tokens', async () => {
    const out = await chunks([
      text(''),
      text(undefined),
      text(7),
      { contentBlockDelta: { contentBlockIndex: 0, delta: undefined as never } },
      text('x'),
      stop('max_tokens'),
      metadata({ inputTokens: 4, outputTokens: 6, totalTokens: 99 }, 0),
    ]);
    expect(out).toEqual([
      { kind: 'text', text: 'x' },
      { kind: 'end', stopReason: 'max_tokens', usage: { inputTokens: 4, outputTokens: 6, totalTokens: 10 }, latencyMs: 0 },
    ]);
  });

  test('without Bedrock’s latency, the time measured around the call, rounded', async () => {
    let now = 1000;
    jest.spyOn(performance, 'now').mockImplementation(() => (now += 117.4));
    const out = await chunks([stop('end_turn'), metadata(USAGE)]);
    expect(out).toEqual([{ kind: 'end', stopReason: 'end_turn', usage: USAGE, latencyMs: 117 }]);
  });

  test('the last stop reason and usage win', async () => {
    const out = await chunks([
      stop('tool_use'),
      metadata({ inputTokens: 1, outputTokens: 1 }, 1),
      stop('end_turn'),
      metadata({ inputTokens: 2, outputTokens: 3 }, 9),
    ]);
    expect(out).toEqual([{ kind: 'end', stopReason: 'end_turn', usage: { inputTokens: 2, outputTokens: 3, totalTokens: 5 }, latencyMs: 9 }]);
  });

  test('a usage whose counts are not integers is no usage (nor its latency)', async () => {
    const out = await chunks([
      stop('end_turn'),
      metadata(USAGE, 4),
      metadata({ inputTokens: 1.5, outputTokens: 2 }, 8),
      metadata({ inputTokens: 1, outputTokens: '2' }, 8),
    ]);
    expect(out).toEqual([{ kind: 'end', stopReason: 'end_turn', usage: USAGE, latencyMs: 4 }]);
  });

  test.each<[string, ConverseStreamOutput[] | undefined]>([
    ['no stream at all', undefined],
    ['a stream cut before its stop', [text('Hel'), metadata(USAGE, 1)]],
    ['a stream without usage', [text('Hel'), stop('end_turn')]],
    ['a stop reason that is no string', [{ messageStop: { stopReason: 5 as never } }, metadata(USAGE, 1)]],
    ['a usage without output tokens', [stop('end_turn'), metadata({ inputTokens: 1 }, 1)]],
    ['a usage without input tokens', [stop('end_turn'), metadata({ outputTokens: 1 }, 1)]],
    ['an empty stream', []],
  ])('fails with 502 on %s', async (_name, stream) => {
    expect(await failure(stream)).toBe('502 The model returned a malformed answer');
  });

  test('the text already streamed is yielded before the failure', async () => {
    const { client } = clientAnswering([text('Hel'), text('lo')]);
    const seen: StreamChunk[] = [];
    await expect(
      (async () => {
        for await (const chunk of await converseStreamModel(client).open(REQUEST)) seen.push(chunk);
      })(),
    ).rejects.toThrow('The model returned a malformed answer');
    expect(seen).toEqual([
      { kind: 'text', text: 'Hel' },
      { kind: 'text', text: 'lo' },
    ]);
  });
});

describe('streamingRoute', () => {
  const ERRORS: ErrorFormat = {
    json: (error, requestId) => ({ error: error.message, status: error.statusCode, requestId }),
    frame: (error, requestId) => `event: error\ndata: ${error.statusCode} ${error.message} ${requestId}\n\n`,
  };
  const REQUEST_ID = 'c0ffee00-1111-2222-3333-444455556666';
  const event = (body: unknown = { q: 1 }, overrides: Partial<APIGatewayProxyEvent> = {}) => {
    const e = apiEvent('chat/stream', body, overrides);
    e.requestContext.requestId = REQUEST_ID;
    return e;
  };
  const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'X-Request-Id': REQUEST_ID };
  const STREAM_HEADERS = {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-store, no-transform',
    'X-Content-Type-Options': 'nosniff',
    'X-Request-Id': REQUEST_ID,
  };

  let warn: jest.SpyInstance;
  let error: jest.SpyInstance;
  beforeAll(() => installLocalStreamingRuntime());
  beforeEach(() => {
    warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  async function* frames(...list: (string | Error)[]): AsyncIterable<string> {
    for (const f of list) {
      if (f instanceof Error) throw f;
      yield f;
    }
  }

  test('a JSON answer: 200 by default, the JSON headers and the request id, the body as JSON; the route got the parsed body and the event', async () => {
    const calls: ApiCall[] = [];
    const handler = streamingRoute((call) => {
      calls.push(call);
      return Promise.resolve({ kind: 'json', body: { answer: 'hi' } });
    }, ERRORS);
    const e = event({ q: 'x' });
    const res = await invokeStreaming(handler, e, localContext());
    expect(res).toEqual({ statusCode: 200, headers: JSON_HEADERS, chunks: ['{"answer":"hi"}'], body: '{"answer":"hi"}' });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ body: { q: 'x' }, requestId: REQUEST_ID, event: e });
    expect(calls[0]!.signal.aborted).toBe(false);
  });

  test('a JSON answer with a status of its own', async () => {
    const handler = streamingRoute(() => Promise.resolve({ kind: 'json', statusCode: 202, body: [] }), ERRORS);
    expect(await invokeStreaming(handler, event(), localContext())).toMatchObject({ statusCode: 202, headers: JSON_HEADERS, body: '[]' });
  });

  test('a stream: 200, its content type, never cached, transformed nor sniffed, each frame written as it comes', async () => {
    const handler = streamingRoute(
      () => Promise.resolve({ kind: 'stream', contentType: 'text/event-stream', frames: frames('data: a\n\n', 'data: b\n\n') }),
      ERRORS,
    );
    expect(await invokeStreaming(handler, event(), localContext())).toEqual({
      statusCode: 200,
      headers: STREAM_HEADERS,
      chunks: ['data: a\n\n', 'data: b\n\n'],
      body: 'data: a\n\ndata: b\n\n',
    });
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
  });

  test('a request id that is not API Gateway’s format gives way to the Lambda request id', async () => {
    const handler = streamingRoute(() => Promise.resolve({ kind: 'json', body: {} }), ERRORS);
    const e = event();
    e.requestContext.requestId = 'bad id\n';
    const context = localContext();
    const res = await invokeStreaming(handler, e, context);
    expect(res.headers['X-Request-Id']).toBe(context.awsRequestId);
  });

  test('a failure before the answer is a JSON answer with its status, headers and the route’s error body; expected ones logged as warnings', async () => {
    const handler = streamingRoute(() => Promise.reject(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })), ERRORS);
    const res = await invokeStreaming(handler, event(), localContext());
    const message = 'The model is busy; retry after the delay in Retry-After';
    expect(res).toEqual({
      statusCode: 429,
      headers: { ...JSON_HEADERS, 'Retry-After': '2' },
      chunks: [JSON.stringify({ error: message, status: 429, requestId: REQUEST_ID })],
      body: JSON.stringify({ error: message, status: 429, requestId: REQUEST_ID }),
    });
    expect(warn.mock.calls).toEqual([['request failed', { statusCode: 429, reason: message, streaming: false }]]);
    expect(error).not.toHaveBeenCalled();
  });

  test('a body that is not JSON is a 400 before the route runs', async () => {
    const route = jest.fn<Promise<StreamingAnswer>, [ApiCall]>();
    const res = await invokeStreaming(streamingRoute(route, ERRORS), event('{not json'), localContext());
    expect(res.statusCode).toBe(400);
    expect(res.body).toBe(JSON.stringify({ error: 'Invalid JSON body', status: 400, requestId: REQUEST_ID }));
    expect(route).not.toHaveBeenCalled();
  });

  test('an unexpected failure is a 500 logged as an error, its text never shown', async () => {
    const bug = new TypeError('secret detail');
    const res = await invokeStreaming(
      streamingRoute(() => Promise.reject(bug), ERRORS),
      event(),
      localContext(),
    );
    expect(res).toMatchObject({
      statusCode: 500,
      headers: JSON_HEADERS,
      body: JSON.stringify({ error: 'Internal error', status: 500, requestId: REQUEST_ID }),
    });
    expect(error.mock.calls).toEqual([['request failed unexpectedly', { statusCode: 500, error: bug, streaming: false }]]);
    expect(warn).not.toHaveBeenCalled();
  });

  test('a failure once the stream has started is a last frame in the route’s format, the status already sent', async () => {
    const handler = streamingRoute(
      () => Promise.resolve({ kind: 'stream', contentType: 'text/event-stream', frames: frames('data: a\n\n', new HttpError(422, 'The answer was blocked')) }),
      ERRORS,
    );
    expect(await invokeStreaming(handler, event(), localContext())).toEqual({
      statusCode: 200,
      headers: STREAM_HEADERS,
      chunks: ['data: a\n\n', `event: error\ndata: 422 The answer was blocked ${REQUEST_ID}\n\n`],
      body: `data: a\n\nevent: error\ndata: 422 The answer was blocked ${REQUEST_ID}\n\n`,
    });
    expect(warn.mock.calls).toEqual([['request failed', { statusCode: 422, reason: 'The answer was blocked', streaming: true }]]);
  });

  test('an unexpected failure mid-stream is logged as an error, marked as streaming', async () => {
    const bug = new RangeError('x');
    const handler = streamingRoute(() => Promise.resolve({ kind: 'stream', contentType: 'text/plain', frames: frames('a', bug) }), ERRORS);
    const res = await invokeStreaming(handler, event(), localContext());
    expect(res.chunks).toEqual(['a', `event: error\ndata: 500 Internal error ${REQUEST_ID}\n\n`]);
    expect(error.mock.calls).toEqual([['request failed unexpectedly', { statusCode: 500, error: bug, streaming: true }]]);
  });

  test('the route’s signal aborts one second before the function’s own timeout', async () => {
    const waited: number[] = [];
    const handler = streamingRoute(async ({ signal }) => {
      const started = Date.now();
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      waited.push(Date.now() - started);
      throw new HttpError(504, 'The model did not answer in time');
    }, ERRORS);
    const res = await invokeStreaming(handler, event(), localContext(1_150));
    expect(res.statusCode).toBe(504);
    expect(waited[0]).toBeGreaterThanOrEqual(100);
    expect(waited[0]).toBeLessThan(1_000);
  });

  test('a function already past its margin aborts at once, one with time left does not; the timer is cleared when the answer is done', async () => {
    const seen: boolean[] = [];
    const signals: AbortSignal[] = [];
    const handler = streamingRoute(async ({ signal }) => {
      signals.push(signal);
      await new Promise((resolve) => setTimeout(resolve, 20));
      seen.push(signal.aborted);
      return { kind: 'json', body: {} };
    }, ERRORS);
    await invokeStreaming(handler, event(), localContext(500));
    await invokeStreaming(handler, event(), localContext(60_000));
    expect(seen).toEqual([true, false]);
    const quick = streamingRoute(({ signal }) => {
      signals.push(signal);
      return Promise.resolve({ kind: 'json', body: {} });
    }, ERRORS);
    await invokeStreaming(quick, event(), localContext(1_030));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(signals[2]!.aborted).toBe(false);
  });

  test('stored metrics are published once the answer ends, and nothing is published when none are stored', async () => {
    const publish = jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    const stored = jest.spyOn(metrics, 'hasStoredMetrics');
    stored.mockReturnValue(false);
    const handler = streamingRoute(() => Promise.resolve({ kind: 'json', body: {} }), ERRORS);
    await invokeStreaming(handler, event(), localContext());
    expect(publish).not.toHaveBeenCalled();
    stored.mockReturnValue(true);
    await invokeStreaming(handler, event(), localContext());
    expect(publish).toHaveBeenCalledTimes(1);
  });

  test('the logs carry the Lambda context and, for the request only, its request id', async () => {
    const addContext = jest.spyOn(logger, 'addContext');
    const append = jest.spyOn(logger, 'appendKeys');
    const reset = jest.spyOn(logger, 'resetKeys');
    const handler = streamingRoute(() => Promise.resolve({ kind: 'json', body: {} }), ERRORS);
    const context = localContext();
    await invokeStreaming(handler, event(), context);
    expect(addContext.mock.calls).toEqual([[context]]);
    expect(append.mock.calls).toEqual([[{ apiRequestId: REQUEST_ID }]]);
    expect(reset).toHaveBeenCalledTimes(1);
  });

  describe('backpressure', () => {
    /** A response stream that takes `delayMs` per write, with a small buffer, recording what it wrote. */
    function slowStream(delayMs: number, fail?: Error) {
      const written: string[] = [];
      let head = true;
      const stream = new (class extends Writable {
        setContentType(): void {}
      })({
        highWaterMark: 4,
        write(chunk: Buffer, _encoding, callback) {
          setTimeout(() => {
            if (head) head = chunk.length !== 8;
            else written.push(chunk.toString('utf8'));
            callback(fail && !head ? fail : null);
          }, delayMs);
        },
      });
      return { stream, written };
    }

    test('each frame waits until the client has taken the previous ones', async () => {
      let produced = 0;
      const { stream, written } = slowStream(5);
      const lag: number[] = [];
      const handler = streamingRoute(
        () =>
          Promise.resolve({
            kind: 'stream',
            contentType: 'text/plain',
            frames: (async function* () {
              for (let i = 0; i < 5; i++) {
                lag.push(produced - written.length);
                produced += 1;
                yield `frame-${i}`;
              }
            })(),
          }),
        ERRORS,
      );
      const finished = new Promise((resolve) => stream.on('finish', resolve));
      await handler(event(), stream as never, localContext());
      await finished;
      expect(written).toEqual(['frame-0', 'frame-1', 'frame-2', 'frame-3', 'frame-4']);
      expect(Math.max(...lag)).toBeLessThanOrEqual(1);
      // Every wait removed its listeners: none pile up over a long answer.
      expect(['drain', 'error', 'close'].map((name) => stream.listenerCount(name))).toEqual([0, 0, 0]);
    });

    test('a client that goes away ends the answer: the failed write is logged once, the handler returns', async () => {
      const { stream } = slowStream(1, new Error('EPIPE'));
      stream.on('error', () => undefined);
      const handler = streamingRoute(() => Promise.resolve({ kind: 'stream', contentType: 'text/plain', frames: frames('one frame', 'two') }), ERRORS);
      await expect(handler(event(), stream as never, localContext())).resolves.toBeUndefined();
      expect(error.mock.calls).toEqual([['request failed unexpectedly', { statusCode: 500, error: new Error('EPIPE'), streaming: true }]]);
    });

    test('a stream destroyed while a write waits (no error, only close) fails that write instead of waiting forever', async () => {
      const { stream } = slowStream(200);
      const handler = streamingRoute(
        () => Promise.resolve({ kind: 'stream', contentType: 'text/plain', frames: frames('a long frame', 'never written') }),
        ERRORS,
      );
      setTimeout(() => stream.destroy(), 30);
      await expect(handler(event(), stream as never, localContext())).resolves.toBeUndefined();
      expect(error.mock.calls).toEqual([
        ['request failed unexpectedly', { statusCode: 500, error: new Error('The response stream is closed'), streaming: true }],
      ]);
    });

    test('a frame after the stream was destroyed fails at once instead of waiting forever', async () => {
      const { stream } = slowStream(50);
      const handler = streamingRoute(
        () =>
          Promise.resolve({
            kind: 'stream',
            contentType: 'text/plain',
            frames: (async function* () {
              yield 'a long frame';
              stream.destroy();
              yield 'never written';
            })(),
          }),
        ERRORS,
      );
      await expect(handler(event(), stream as never, localContext())).resolves.toBeUndefined();
      expect(error.mock.calls).toEqual([
        ['request failed unexpectedly', { statusCode: 500, error: new Error('The response stream is closed'), streaming: true }],
      ]);
    });
  });
});
