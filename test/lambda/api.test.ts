import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { type ApiAnswer, type ApiCall, jsonRoute, requestIdOf } from '../../lambda/shared/api';
import { HttpError } from '../../lambda/shared/http';
import { logger, metrics } from '../../lambda/shared/observability';
import { apiEvent, lambdaContext, parseResult } from '../support/api-event';
import { jsonObject, parseJson } from '../support/json';

/**
 * lambda/shared/api.ts on its own, in process: jsonRoute, the adapter of every JSON route, called
 * as Lambda calls a handler, with in-memory routes (no server, no SDK). What a client sees (status,
 * headers, the JSON body and its request id), what the route is given, what is logged and when
 * metrics are published. The handler tests reach the same code through API Gateway events.
 */

const REQUEST_ID = 'c0ffee00-1111-2222-3333-444455556666';
const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'X-Request-Id': REQUEST_ID };

const event = (body: unknown = { q: 1 }, overrides: Partial<APIGatewayProxyEvent> = {}) => {
  const e = apiEvent('things', body, overrides);
  e.requestContext.requestId = REQUEST_ID;
  return e;
};
/** A context whose remaining time stays at `remainingMs` (with fake timers, the clock is the test's). */
const fixedContext = (remainingMs: number): Context => ({ ...lambdaContext(), getRemainingTimeInMillis: () => remainingMs });
const answering = (answer: ApiAnswer) => (): Promise<ApiAnswer> => Promise.resolve(answer);

let warn: jest.SpyInstance;
let error: jest.SpyInstance;
beforeEach(() => {
  warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
});
afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('jsonRoute: answers', () => {
  test('200 by default, the JSON headers and the request id, the route’s body with the request id; the route got the parsed body and the event', async () => {
    const calls: ApiCall[] = [];
    const handler = jsonRoute((call) => {
      calls.push(call);
      return Promise.resolve({ body: { answer: 'hi', n: [1, 2] } });
    });
    const e = event({ q: 'x', nested: { a: null } });
    expect(await handler(e, lambdaContext())).toEqual({
      statusCode: 200,
      headers: JSON_HEADERS,
      body: JSON.stringify({ answer: 'hi', n: [1, 2], requestId: REQUEST_ID }),
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ body: { q: 'x', nested: { a: null } }, requestId: REQUEST_ID, event: e });
    expect(calls[0]!.event).toBe(e);
    expect(calls[0]!.signal.aborted).toBe(false);
    expect(warn).not.toHaveBeenCalled();
    expect(error).not.toHaveBeenCalled();
  });

  test('an answer with a status of its own keeps it', async () => {
    const res = parseResult(await jsonRoute(answering({ statusCode: 201, body: { created: true } }))(event(), lambdaContext()));
    expect(res).toEqual({ statusCode: 201, headers: JSON_HEADERS, json: { created: true, requestId: REQUEST_ID } });
  });

  test('the request id in the body is the request’s, whatever the route put there', async () => {
    const res = parseResult(await jsonRoute(answering({ body: { requestId: 'spoofed', ok: 1 } }))(event(), lambdaContext()));
    expect(res.json).toEqual({ requestId: REQUEST_ID, ok: 1 });
  });

  test('body "json" (the default): the body is read as a JSON object before the route runs', async () => {
    const seen: unknown[] = [];
    const route = (call: ApiCall) => {
      seen.push(call.body);
      return Promise.resolve({ body: {} });
    };
    expect((await jsonRoute(route, { body: 'json' })(event({ a: 1 }), lambdaContext())).statusCode).toBe(200);
    expect((await jsonRoute(route, {})(event({ b: 2 }), lambdaContext())).statusCode).toBe(200);
    expect(seen).toEqual([{ a: 1 }, { b: 2 }]);
  });

  test('body "none" (GET routes): the body is not read, even when there is none or it is not JSON', async () => {
    const seen: unknown[] = [];
    const handler = jsonRoute(
      (call) => {
        seen.push(call.body);
        return Promise.resolve({ body: { turns: [] } });
      },
      { body: 'none' },
    );
    for (const e of [event(null, { httpMethod: 'GET', body: null }), event('{not json'), event({ a: 1 }, { headers: { 'Content-Type': 'text/plain' } })]) {
      const res = parseResult(await handler(e, lambdaContext()));
      expect(res).toEqual({ statusCode: 200, headers: JSON_HEADERS, json: { turns: [], requestId: REQUEST_ID } });
    }
    expect(seen).toEqual([undefined, undefined, undefined]);
  });
});

describe('jsonRoute: bad input is a 4xx with a JSON error naming the problem, before the route runs', () => {
  test.each<[string, Partial<APIGatewayProxyEvent>, number, string]>([
    ['no body', { body: null }, 400, 'Request body is required: a JSON object'],
    ['an empty body', { body: '' }, 400, 'Request body is required: a JSON object'],
    ['a body that is not JSON', { body: '{"q": 1' }, 400, 'Invalid JSON body'],
    ['a JSON array', { body: '[1]' }, 400, 'Request body must be a JSON object'],
    ['JSON null', { body: 'null' }, 400, 'Request body must be a JSON object'],
    ['a body marked base64 that is not', { body: '%%%', isBase64Encoded: true }, 400, 'Request body is marked base64 but is not valid base64'],
    ['another content type', { headers: { 'content-type': 'text/plain' } }, 415, 'Content-Type must be application/json'],
    ['a body over 256 KiB', { body: JSON.stringify({ q: 'x'.repeat(256 * 1024) }) }, 413, 'Request body must be at most 262144 bytes'],
  ])('%s', async (_name, overrides, status, message) => {
    const route = jest.fn<Promise<ApiAnswer>, [ApiCall]>();
    const res = parseResult(await jsonRoute(route)(event(undefined, overrides), lambdaContext()));
    expect(res).toEqual({ statusCode: status, headers: JSON_HEADERS, json: { error: message, requestId: REQUEST_ID } });
    expect(route).not.toHaveBeenCalled();
    expect(warn.mock.calls).toEqual([['request failed', { statusCode: status, reason: message }]]);
    expect(error).not.toHaveBeenCalled();
  });
});

describe('jsonRoute: failures of the route', () => {
  test('an HttpError: its status, message and headers (the request id header kept), logged as a warning', async () => {
    const handler = jsonRoute(() => Promise.reject(new HttpError(409, 'The session is taken', { 'Retry-After': '5' })));
    expect(parseResult(await handler(event(), lambdaContext()))).toEqual({
      statusCode: 409,
      headers: { ...JSON_HEADERS, 'Retry-After': '5' },
      json: { error: 'The session is taken', requestId: REQUEST_ID },
    });
    expect(warn.mock.calls).toEqual([['request failed', { statusCode: 409, reason: 'The session is taken' }]]);
    expect(error).not.toHaveBeenCalled();
  });

  test('an error whose headers name X-Request-Id cannot replace the request id', async () => {
    const handler = jsonRoute(() => Promise.reject(new HttpError(400, 'bad', { 'X-Request-Id': 'forged' })));
    expect((await handler(event(), lambdaContext())).headers).toEqual(JSON_HEADERS);
  });

  test('an AWS error is mapped by the one mapper: a throttle is a 429 with Retry-After, its own text never shown', async () => {
    const handler = jsonRoute(() =>
      Promise.reject(Object.assign(new Error('Rate exceeded for arn:aws:bedrock:us-east-1:123456789012'), { name: 'ThrottlingException' })),
    );
    const res = await handler(event(), lambdaContext());
    const message = 'The model is busy; retry after the delay in Retry-After';
    expect(parseResult(res)).toEqual({ statusCode: 429, headers: { ...JSON_HEADERS, 'Retry-After': '2' }, json: { error: message, requestId: REQUEST_ID } });
    expect(res.body).not.toMatch(/arn:aws|Rate exceeded/);
    expect(warn.mock.calls).toEqual([['request failed', { statusCode: 429, reason: message }]]);
  });

  test('an unexpected failure is a 500 logged as an error with the error itself, its text never shown', async () => {
    const bug = new TypeError('Cannot read properties of undefined (secret detail)');
    const res = await jsonRoute(() => Promise.reject(bug))(event(), lambdaContext());
    expect(parseResult(res)).toEqual({ statusCode: 500, headers: JSON_HEADERS, json: { error: 'Internal error', requestId: REQUEST_ID } });
    expect(res.body).not.toContain('secret detail');
    expect(error.mock.calls).toEqual([['request failed unexpectedly', { statusCode: 500, error: bug }]]);
    expect(warn).not.toHaveBeenCalled();
  });

  test('an HttpError of 5xx the route raised itself is logged as an error', async () => {
    const failure = new HttpError(503, 'The store is unavailable; try again later');
    const res = parseResult(await jsonRoute(() => Promise.reject(failure))(event(), lambdaContext()));
    expect(res).toEqual({ statusCode: 503, headers: JSON_HEADERS, json: { error: 'The store is unavailable; try again later', requestId: REQUEST_ID } });
    expect(error.mock.calls).toEqual([['request failed unexpectedly', { statusCode: 503, error: failure }]]);
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('jsonRoute: request ids', () => {
  test.each<[string, unknown]>([
    ['not API Gateway’s format', 'bad id\n'],
    ['empty', ''],
    ['not a string', 12345],
  ])('a request id %s gives way to the Lambda request id, in the header and the body', async (_name, id) => {
    const e = event();
    (e.requestContext as { requestId: unknown }).requestId = id;
    const context = lambdaContext();
    const res = parseResult(await jsonRoute(answering({ body: {} }))(e, context));
    expect(res.headers['X-Request-Id']).toBe(context.awsRequestId);
    expect(res.json).toEqual({ requestId: context.awsRequestId });
  });

  test('an event that is not from API Gateway (no request context, or no event at all) is answered with the Lambda request id', () => {
    const context = lambdaContext();
    const { requestContext: _dropped, ...bare } = event();
    expect(requestIdOf(bare as APIGatewayProxyEvent, context)).toBe(context.awsRequestId);
    expect(requestIdOf({} as APIGatewayProxyEvent, context)).toBe(context.awsRequestId);
    expect(requestIdOf(undefined as unknown as APIGatewayProxyEvent, context)).toBe(context.awsRequestId);
    expect(requestIdOf(null as unknown as APIGatewayProxyEvent, context)).toBe(context.awsRequestId);
    expect(requestIdOf(event(), context)).toBe(REQUEST_ID);
  });
});

describe('jsonRoute: the deadline', () => {
  /** Runs a route that waits for its signal; returns when it aborted (ms after the call, per the fake clock), or undefined. */
  async function abortedAfter(remainingMs: number, horizonMs: number): Promise<number | undefined> {
    jest.useFakeTimers({ now: 0 });
    let abortedAt: number | undefined;
    let release!: () => void;
    const handler = jsonRoute(({ signal }) => {
      signal.addEventListener('abort', () => (abortedAt = Date.now()));
      return new Promise<ApiAnswer>((resolve) => (release = () => resolve({ body: {} })));
    });
    const done = handler(event(), fixedContext(remainingMs));
    await jest.advanceTimersByTimeAsync(horizonMs);
    release();
    await done;
    return abortedAt;
  }

  test('the route’s signal aborts one second before the function’s own timeout, not before', async () => {
    expect(await abortedAfter(5_000, 3_999)).toBeUndefined();
    expect(await abortedAfter(5_000, 10_000)).toBe(4_000);
  });

  test('a function with less than the margin left aborts at once', async () => {
    expect(await abortedAfter(400, 0)).toBe(0);
    expect(await abortedAfter(1_000, 0)).toBe(0);
  });

  test('the timer is cleared when the answer is done: a signal the route kept never aborts afterwards', async () => {
    jest.useFakeTimers({ now: 0 });
    const signals: AbortSignal[] = [];
    const handlers = [
      jsonRoute(({ signal }) => {
        signals.push(signal);
        return Promise.resolve({ body: {} });
      }),
      jsonRoute(({ signal }) => {
        signals.push(signal);
        return Promise.reject(new HttpError(400, 'bad'));
      }),
    ];
    for (const handler of handlers) await handler(event(), fixedContext(5_000));
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(signals.map((s) => s.aborted)).toEqual([false, false]);
  });
});

describe('jsonRoute: logs and metrics', () => {
  /** The JSON log lines the logger writes (to stdout and stderr) while `run` runs, at INFO and above. */
  async function logLines(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
    jest.restoreAllMocks();
    const written: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
    }
    const level = logger.getLevelName();
    logger.setLogLevel('INFO');
    try {
      await run();
    } finally {
      logger.setLogLevel(level);
    }
    return written.flatMap((text) => text.split('\n').filter((line) => line.startsWith('{'))).map((line) => parseJson(jsonObject, line));
  }

  test('the logs of a request carry the Lambda context and its request id; the next request’s do not carry the previous id', async () => {
    const context = lambdaContext();
    const lines = await logLines(async () => {
      await jsonRoute(() => {
        logger.info('inside the route');
        return Promise.resolve({ body: {} });
      })(event(), context);
      await jsonRoute(() => Promise.reject(new HttpError(404, 'No such session')), { body: 'none' })(
        { ...event(), requestContext: undefined } as unknown as APIGatewayProxyEvent,
        context,
      );
      logger.info('after the requests');
    });
    expect(lines.map((l) => [l.message, l.apiRequestId, l.function_request_id, l.function_name])).toEqual([
      ['inside the route', REQUEST_ID, context.awsRequestId, context.functionName],
      ['request failed', context.awsRequestId, context.awsRequestId, context.functionName],
      ['after the requests', undefined, context.awsRequestId, context.functionName],
    ]);
    expect(lines[1]).toMatchObject({ level: 'WARN', statusCode: 404, reason: 'No such session' });
  });

  test('stored metrics are published once the answer is done, whether it succeeded or failed; nothing is published when none are stored', async () => {
    const publish = jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    const stored = jest.spyOn(metrics, 'hasStoredMetrics');
    const ok = jsonRoute(answering({ body: {} }));
    const failing = jsonRoute(() => Promise.reject(new Error('boom')));
    stored.mockReturnValue(false);
    await ok(event(), lambdaContext());
    await failing(event(), lambdaContext());
    expect(publish).not.toHaveBeenCalled();
    stored.mockReturnValue(true);
    await ok(event(), lambdaContext());
    expect(publish).toHaveBeenCalledTimes(1);
    await failing(event(), lambdaContext());
    expect(publish).toHaveBeenCalledTimes(2);
  });
});
