import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** An answer the client is meant to read: status, a message naming the problem, extra headers. */
export class HttpError extends Error {
  constructor(
    public readonly statusCode: number,
    message: string,
    public readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const JSON_HEADERS = {
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** Seconds a throttled client is asked to wait before trying again. */
export const RETRY_AFTER_SECONDS = 2;

interface AwsLikeError {
  name?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * The one error mapper of the project: every failure becomes a status and a message written here,
 * never the text of an AWS error (which can name accounts, roles and resources).
 */
export function toHttpError(error: unknown): { error: HttpError; expected: boolean } {
  if (error instanceof HttpError) return { error, expected: error.statusCode < 500 };
  const e = (error ?? {}) as AwsLikeError;
  const name = typeof e.name === 'string' ? e.name : '';
  switch (name) {
    case 'ValidationException':
      return fail(400, 'The model rejected the request; shorten the query or lower maxTokens', true);
    case 'ThrottlingException':
    case 'ServiceQuotaExceededException':
    case 'TooManyRequestsException':
      return {
        error: new HttpError(429, 'The model is busy; retry after the delay in Retry-After', {
          'Retry-After': String(RETRY_AFTER_SECONDS),
        }),
        expected: true,
      };
    case 'ModelTimeoutException':
    case 'TimeoutError':
    case 'AbortError':
    case 'RequestTimeout':
      return fail(504, 'The model did not answer in time', true);
    case 'ServiceUnavailableException':
    case 'ModelNotReadyException':
      return fail(503, 'The model is unavailable; try again later', true);
    case 'InternalServerException':
    case 'ModelErrorException':
    case 'ModelStreamErrorException':
      return fail(502, 'The model failed to answer', true);
    case 'AccessDeniedException':
    case 'ResourceNotFoundException':
    case 'UnrecognizedClientException':
    case 'ExpiredTokenException':
      return fail(500, 'The service is not configured correctly; the operator has been alerted', false);
  }
  if (e.$fault === 'server') return fail(502, 'The model failed to answer', true);
  // The SDK wraps network failures (refused, reset) in an error with $metadata but no status.
  if (e.$metadata && e.$metadata.httpStatusCode === undefined) return fail(503, 'The model is unavailable; try again later', true);
  if (e.$metadata?.httpStatusCode !== undefined && e.$metadata.httpStatusCode < 300) {
    // A 2xx whose body the SDK could not read: the upstream answered with something malformed.
    return fail(502, 'The model returned a malformed answer', true);
  }
  return fail(500, 'Internal error', false);
}

function fail(statusCode: number, message: string, expected: boolean) {
  return { error: new HttpError(statusCode, message), expected };
}

const MAX_BODY_BYTES = 256 * 1024;

/** Reads a JSON object body, answering 4xx for anything a client could have sent wrong. */
export function parseJsonBody(event: Pick<APIGatewayProxyEvent, 'body' | 'headers' | 'isBase64Encoded'>): unknown {
  const contentType = header(event.headers, 'content-type');
  if (contentType !== undefined && !/^application\/json\s*(;\s*charset=utf-8\s*)?$/i.test(contentType.trim())) {
    throw new HttpError(415, 'Content-Type must be application/json');
  }
  if (event.body === null || event.body === undefined || event.body === '') {
    throw new HttpError(400, 'Request body is required: a JSON object');
  }
  if (typeof event.body !== 'string') throw new HttpError(400, 'Request body must be a JSON object');
  let text = event.body;
  if (event.isBase64Encoded) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
      throw new HttpError(400, 'Request body is marked base64 but is not valid base64');
    }
    const bytes = Buffer.from(text, 'base64');
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new HttpError(400, 'Request body is not valid UTF-8');
    }
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new HttpError(413, `Request body must be at most ${MAX_BODY_BYTES} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'Invalid JSON body');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, 'Request body must be a JSON object');
  }
  return parsed;
}

export function header(headers: APIGatewayProxyEvent['headers'] | null | undefined, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  }
  return undefined;
}
