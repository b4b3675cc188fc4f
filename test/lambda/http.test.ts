import { header, HttpError, jsonResponse, parseJsonBody, RETRY_AFTER_SECONDS, toHttpError } from '../../lambda/shared/http';

/**
 * lambda/shared/http.ts on its own: the one error mapper (what each failure becomes, and that no
 * AWS error text reaches the client), the JSON answer, and the body reader's refusals at each of
 * their bounds. The handler tests reach the same code through API Gateway events.
 */

describe('HttpError and jsonResponse', () => {
  test('an HttpError carries its status, message and headers, named so in the logs', () => {
    const error = new HttpError(409, 'taken', { 'Retry-After': '5' });
    expect(error).toBeInstanceOf(Error);
    expect([error.name, error.statusCode, error.message, error.headers]).toEqual(['HttpError', 409, 'taken', { 'Retry-After': '5' }]);
    expect(new HttpError(400, 'x').headers).toEqual({});
  });

  test('a JSON answer: the body as JSON, never cached nor sniffed, extra headers added and winning', () => {
    expect(jsonResponse(200, { ok: true, n: [1] })).toEqual({
      statusCode: 200,
      headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' },
      body: '{"ok":true,"n":[1]}',
    });
    expect(jsonResponse(429, 'busy', { 'Retry-After': '2', 'Cache-Control': 'private' })).toEqual({
      statusCode: 429,
      headers: { 'Content-Type': 'application/json', 'Cache-Control': 'private', 'X-Content-Type-Options': 'nosniff', 'Retry-After': '2' },
      body: '"busy"',
    });
  });
});

describe('toHttpError', () => {
  const mapped = (error: unknown) => {
    const { error: http, expected } = toHttpError(error);
    return { status: http.statusCode, message: http.message, headers: http.headers, expected };
  };
  const BUSY = { status: 429, message: 'The model is busy; retry after the delay in Retry-After', headers: { 'Retry-After': '2' }, expected: true };
  const LATE = { status: 504, message: 'The model did not answer in time', headers: {}, expected: true };
  const DOWN = { status: 503, message: 'The model is unavailable; try again later', headers: {}, expected: true };
  const FAILED = { status: 502, message: 'The model failed to answer', headers: {}, expected: true };
  const MISCONFIGURED = { status: 500, message: 'The service is not configured correctly; the operator has been alerted', headers: {}, expected: false };
  const INTERNAL = { status: 500, message: 'Internal error', headers: {}, expected: false };

  test('an HttpError is kept as it is; expected below 500', () => {
    for (const [status, expected] of [
      [400, true],
      [499, true],
      [500, false],
      [503, false],
    ] as const) {
      const error = new HttpError(status, 'm');
      expect(toHttpError(error)).toEqual({ error, expected });
      expect(toHttpError(error).error).toBe(error);
    }
  });

  test.each<[string, object]>([
    ['ValidationException', { status: 400, message: 'The model rejected the request; shorten the query or lower maxTokens', headers: {}, expected: true }],
    ['ThrottlingException', BUSY],
    ['ServiceQuotaExceededException', BUSY],
    ['TooManyRequestsException', BUSY],
    ['ModelTimeoutException', LATE],
    ['TimeoutError', LATE],
    ['AbortError', LATE],
    ['RequestTimeout', LATE],
    ['ServiceUnavailableException', DOWN],
    ['ModelNotReadyException', DOWN],
    ['InternalServerException', FAILED],
    ['ModelErrorException', FAILED],
    ['ModelStreamErrorException', FAILED],
    ['AccessDeniedException', MISCONFIGURED],
    ['ResourceNotFoundException', MISCONFIGURED],
    ['UnrecognizedClientException', MISCONFIGURED],
    ['ExpiredTokenException', MISCONFIGURED],
  ])('%s, whatever its own message, status and fault say', (name, expected) => {
    const error = Object.assign(new Error('User: arn:aws:sts::123456789012:assumed-role/x is not authorized'), {
      name,
      $fault: 'client',
      $metadata: { httpStatusCode: 200 },
    });
    expect(RETRY_AFTER_SECONDS).toBe(2);
    expect(mapped(error)).toEqual(expected);
  });

  test('a server fault of another name is the model failing', () => {
    expect(mapped({ name: 'SomethingNew', $fault: 'server', $metadata: { httpStatusCode: 500 } })).toEqual(FAILED);
    expect(mapped({ name: 42, $fault: 'server' })).toEqual(FAILED);
  });

  test('a network failure (the SDK’s $metadata without a status) is the model being unavailable', () => {
    expect(mapped({ name: 'Error', $metadata: {} })).toEqual(DOWN);
    expect(mapped({ name: 'Error', $fault: 'client', $metadata: { attempts: 3 } })).toEqual(DOWN);
  });

  test('a 2xx the SDK could not read is a malformed answer; 300 and above are not', () => {
    const MALFORMED = { status: 502, message: 'The model returned a malformed answer', headers: {}, expected: true };
    expect(mapped({ name: 'SyntaxError', $metadata: { httpStatusCode: 200 } })).toEqual(MALFORMED);
    expect(mapped({ name: 'SyntaxError', $metadata: { httpStatusCode: 299 } })).toEqual(MALFORMED);
    expect(mapped({ name: 'SyntaxError', $metadata: { httpStatusCode: 300 } })).toEqual(INTERNAL);
    expect(mapped({ name: 'Unknown', $fault: 'client', $metadata: { httpStatusCode: 404 } })).toEqual(INTERNAL);
  });

  test('anything else is an internal error, its text never shown', () => {
    const errors = [new Error('secret arn:aws:iam::123456789012:role/x'), new TypeError('x is undefined'), 'ThrottlingException', 42, null, undefined, {}];
    for (const error of [...errors, { name: 42 }]) expect(mapped(error)).toEqual(INTERNAL);
  });
});

describe('parseJsonBody', () => {
  const LIMIT = 256 * 1024;
  const read = (body: unknown, headers: Record<string, string | undefined> = {}, isBase64Encoded = false) =>
    parseJsonBody({ body: body as string, headers, isBase64Encoded });
  const refusal = (body: unknown, headers: Record<string, string | undefined> = {}, isBase64Encoded = false) => {
    try {
      read(body, headers, isBase64Encoded);
      return 'accepted';
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      return `${error.statusCode} ${error.message}`;
    }
  };
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

  test('a JSON object is returned parsed', () => {
    expect(read('{"query":"hi","n":[1,2]}')).toEqual({ query: 'hi', n: [1, 2] });
    expect(read('  {}  ')).toEqual({});
  });

  test.each([
    [undefined],
    ['application/json'],
    ['Application/JSON'],
    ['application/json; charset=utf-8'],
    ['application/json;charset=UTF-8'],
    ['application/json  ;  charset=utf-8  '],
    ['  application/json'],
  ])('Content-Type %j is accepted', (contentType) => {
    expect(read('{"a":1}', { 'Content-Type': contentType })).toEqual({ a: 1 });
  });

  test.each([['text/plain'], ['application/jsonx'], ['xapplication/json'], ['application/json; charset=latin1'], ['application/json; charset=utf-8x'], ['']])(
    'Content-Type %j is refused with 415',
    (contentType) => {
      expect(refusal('{"a":1}', { 'content-type': contentType })).toBe('415 Content-Type must be application/json');
    },
  );

  test('no body, null or an empty one: 400 naming what is expected', () => {
    for (const body of [undefined, null, '']) expect(refusal(body)).toBe('400 Request body is required: a JSON object');
  });

  test('a body that is not text: 400', () => {
    expect(refusal({ a: 1 })).toBe('400 Request body must be a JSON object');
  });

  test.each([['[1]'], ['null'], ['1'], ['"text"'], ['true']])('JSON that is not an object (%s): 400', (body) => {
    expect(refusal(body)).toBe('400 Request body must be a JSON object');
  });

  test.each([['{'], ['{"a":1}x'], ["{'a':1}"], ['undefined']])('text that is not JSON (%s): 400', (body) => {
    expect(refusal(body)).toBe('400 Invalid JSON body');
  });

  describe('a base64 body (API Gateway’s binary media types)', () => {
    test('is decoded as UTF-8 and read as JSON', () => {
      expect(read(b64('{"q":"déjà vu ✓"}'), {}, true)).toEqual({ q: 'déjà vu ✓' });
      expect(read(b64('{}'), {}, true)).toEqual({});
      expect(read(b64('{"a":1}'), {}, true)).toEqual({ a: 1 });
      expect(read(b64('{"a":"+/"}'), {}, true)).toEqual({ a: '+/' });
    });

    test('text not marked base64 is read as it is', () => {
      expect(refusal(b64('{}'))).toBe('400 Invalid JSON body');
    });

    test.each([
      ['a character outside the alphabet', `@${b64('{"a":12}').slice(1)}`],
      ['garbage before valid base64', `@@@@${b64('{}')}`],
      ['garbage after valid base64', `${b64('{}')}@@@@`],
      ['a missing padding character', b64('{}').slice(0, -1)],
      ['three padding characters', `${b64('{"a":1}').slice(0, -1)}===`],
      ['padding in the middle', `e3==${b64('{}')}`],
      ['URL-safe characters', b64('{"a":"??>>"}').replace(/\+/g, '-').replace(/\//g, '_')],
    ])('refuses %s', (_name, body) => {
      expect(refusal(body, {}, true)).toBe('400 Request body is marked base64 but is not valid base64');
    });

    test('refuses bytes that are not UTF-8', () => {
      expect(refusal(Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'), {}, true)).toBe('400 Request body is not valid UTF-8');
    });
  });

  describe('the size limit, in bytes', () => {
    const object = (bytes: number, char = 'x') => `{"a":"${char.repeat((bytes - 8) / Buffer.byteLength(char))}"}`;

    test('256 KiB is accepted; one byte more is refused with 413', () => {
      expect(Buffer.byteLength(object(LIMIT))).toBe(LIMIT);
      expect(read(object(LIMIT))).toEqual({ a: 'x'.repeat(LIMIT - 8) });
      expect(refusal(object(LIMIT + 1))).toBe(`413 Request body must be at most ${LIMIT} bytes`);
    });

    test('counts UTF-8 bytes, not characters', () => {
      const text = object(LIMIT + 2, 'é');
      expect(text.length).toBeLessThan(LIMIT);
      expect(refusal(text)).toBe(`413 Request body must be at most ${LIMIT} bytes`);
    });

    test('a base64 body is measured decoded', () => {
      expect(b64(object(LIMIT)).length).toBeGreaterThan(LIMIT);
      expect(read(b64(object(LIMIT)), {}, true)).toEqual({ a: 'x'.repeat(LIMIT - 8) });
    });
  });
});

describe('header', () => {
  test('by name, in any case of the key (name given in lower case)', () => {
    expect(header({ 'Content-Type': 'a' }, 'content-type')).toBe('a');
    expect(header({ 'CONTENT-TYPE': 'b' }, 'content-type')).toBe('b');
    expect(header({ 'x-other': 'c', 'content-type': 'd' }, 'content-type')).toBe('d');
  });

  test('the first key that holds a string', () => {
    expect(header({ 'content-type': undefined, 'Content-Type': 'e' }, 'content-type')).toBe('e');
    expect(header({ 'content-type': 'f', 'Content-Type': 'g' }, 'content-type')).toBe('f');
  });

  test('nothing when there is no such header, or no headers at all', () => {
    expect(header({ 'x-other': 'c' }, 'content-type')).toBeUndefined();
    expect(header({ 'content-type': undefined }, 'content-type')).toBeUndefined();
    expect(header({}, 'content-type')).toBeUndefined();
    expect(header(null, 'content-type')).toBeUndefined();
    expect(header(undefined, 'content-type')).toBeUndefined();
    expect(header('content-type: a' as unknown as Record<string, string>, 'content-type')).toBeUndefined();
  });
});
