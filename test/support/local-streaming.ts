import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { ResponseStream, StreamingHandler } from '../../lambda/shared/stream';
import * as z from 'zod/mini';
import { parseJson } from './json';

/**
 * Runs a streaming handler on a developer machine or in tests: never bundled (no handler imports
 * it). It stands in for the two things the Lambda Node.js runtime and API Gateway provide:
 * - the `awslambda` global: `streamifyResponse`, and `HttpResponseStream.from`, which (as in the
 *   runtime) writes the status and headers as a JSON prelude followed by 8 NUL bytes;
 * - API Gateway's REST proxy in STREAM mode: an HTTP request becomes an APIGatewayProxyEvent, and
 *   the prelude becomes the status line and headers, the rest is sent as it is written.
 */

const PRELUDE_END = Buffer.alloc(8);

/** Installs the `awslambda` global, before a streaming handler module is loaded. */
export function installLocalStreamingRuntime(): void {
  (globalThis as { awslambda?: unknown }).awslambda = {
    streamifyResponse: (handler: StreamingHandler) => handler,
    HttpResponseStream: {
      from(stream: ResponseStream, metadata: { statusCode: number; headers?: Record<string, string> }) {
        stream.setContentType?.('application/vnd.awslambda.http-integration-response');
        stream.write(JSON.stringify(metadata));
        stream.write(PRELUDE_END);
        return stream;
      },
    },
  };
}

export interface StreamedResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  /** Body chunks in the order and grouping the handler wrote them. */
  readonly chunks: readonly string[];
  readonly body: string;
}

/**
 * A response stream that splits the prelude from the body. `onHead` fires once with the status
 * and headers; `onChunk` with each body write.
 */
export class PreludeSplitter extends Writable {
  private head: Buffer | undefined = Buffer.alloc(0);

  constructor(
    private readonly onHead: (statusCode: number, headers: Record<string, string>) => void,
    private readonly onChunk: (chunk: Buffer) => void,
  ) {
    super();
  }

  setContentType(): void {}

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    let data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    if (this.head) {
      this.head = Buffer.concat([this.head, data]);
      const end = this.head.indexOf(PRELUDE_END);
      if (end < 0) return callback();
      const meta = parseJson(
        z.object({ statusCode: z.number(), headers: z.optional(z.record(z.string(), z.string())) }),
        this.head.subarray(0, end).toString('utf8'),
      );
      data = this.head.subarray(end + PRELUDE_END.length);
      this.head = undefined;
      this.onHead(meta.statusCode, meta.headers ?? {});
    }
    if (data.length) this.onChunk(data);
    callback();
  }
}

/** A Lambda context whose remaining time counts down from `timeoutMs`. */
export function localContext(timeoutMs = 60_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:local',
    memoryLimitInMB: '1024',
    awsRequestId: `local-${Math.random().toString(36).slice(2, 10)}`,
    logGroupName: '/aws/lambda/local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Invokes a streaming handler once and collects what it wrote. */
export async function invokeStreaming(handler: StreamingHandler, event: APIGatewayProxyEvent, context: Context = localContext()): Promise<StreamedResponse> {
  let statusCode = 0;
  let headers: Record<string, string> = {};
  const chunks: string[] = [];
  const stream = new PreludeSplitter(
    (status, h) => ((statusCode = status), (headers = h)),
    (chunk) => chunks.push(chunk.toString('utf8')),
  );
  const finished = new Promise<void>((resolve, reject) => stream.on('finish', resolve).on('error', reject));
  await handler(event, stream, context);
  await finished;
  return { statusCode, headers, chunks, body: chunks.join('') };
}

export interface LocalServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves a streaming handler on 127.0.0.1, as API Gateway would with `{proxy+}` under `stage`. */
export async function serveLocally(handler: StreamingHandler, options: { stage?: string; timeoutMs?: number } = {}): Promise<LocalServer> {
  const stage = options.stage ?? 'local';
  const server = http.createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
      const event = toProxyEvent(req.method ?? 'GET', url, headers, Buffer.concat(body).toString('utf8'), stage);
      const stream = new PreludeSplitter(
        (statusCode, h) => res.writeHead(statusCode, h),
        (chunk) => res.write(chunk),
      );
      stream.on('finish', () => res.end());
      Promise.resolve(handler(event, stream, localContext(options.timeoutMs))).catch((error: unknown) => {
        // The runtime answers 502 when a streaming handler throws before writing.
        if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ message: 'Internal server error' }));
        console.error(error);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function toProxyEvent(method: string, url: URL, headers: Record<string, string>, body: string, stage: string): APIGatewayProxyEvent {
  const query = Object.fromEntries(url.searchParams);
  return {
    resource: '/{proxy+}',
    path: url.pathname,
    httpMethod: method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: null,
    pathParameters: { proxy: url.pathname.slice(1) },
    stageVariables: null,
    body: body === '' ? null : body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      identity: {} as APIGatewayProxyEvent['requestContext']['identity'],
      path: `/${stage}${url.pathname}`,
      stage,
      requestId: `local-${Math.random().toString(36).slice(2, 10)}`,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: '/{proxy+}',
    },
  };
}
