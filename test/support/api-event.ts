import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

/** A REST API (v1 proxy) event as API Gateway sends it for `POST /<path>`. */
export function apiEvent(path: string, body: unknown, overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    resource: `/${path}`,
    path: `/${path}`,
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abcdef1234',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: 'POST',
      identity: {} as APIGatewayProxyEvent['requestContext']['identity'],
      path: `/v1/${path}`,
      stage: 'v1',
      requestId: `req-${Math.random().toString(36).slice(2, 10)}`,
      requestTimeEpoch: Date.now(),
      resourceId: 'res123',
      resourcePath: `/${path}`,
    },
    ...overrides,
  };
}

/** A Lambda context whose remaining time counts down from `timeoutMs`. */
export function lambdaContext(timeoutMs = 29_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'prompt',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:prompt',
    memoryLimitInMB: '1024',
    awsRequestId: `aws-${Math.random().toString(36).slice(2, 10)}`,
    logGroupName: '/aws/lambda/prompt',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface ParsedResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly json: Record<string, unknown>;
}

/** Parses a handler result, failing the test when the body is not a JSON object. */
export function parseResult(result: APIGatewayProxyResult): ParsedResult {
  const json = JSON.parse(result.body) as unknown;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`body is not a JSON object: ${result.body}`);
  return { statusCode: result.statusCode, headers: (result.headers ?? {}) as Record<string, string>, json: json as Record<string, unknown> };
}

/** Text that must never reach a client: AWS error text, stack frames, internal paths. */
export const LEAK_PATTERNS = [/Exception/, /\n\s+at /, /arn:aws/, /node_modules/, /\/var\/task/, /fake (answer|Throttling)/i, /internal\.amazon\.com/];

/** Whether `text` parses as JSON (bad-input generators keep only bodies that do not). */
export function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
