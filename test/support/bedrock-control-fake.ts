import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jsonObject, parseJson } from './json';
import { closeServer, readBody } from './http';

/**
 * A loopback fake of the Bedrock control plane's model invocation logging API (one setting per
 * account and Region). The real `@aws-sdk/client-bedrock` reaches it through the SDK's endpoint
 * override (`AWS_ENDPOINT_URL_BEDROCK`), so serialization, retries and error parsing are the SDK's.
 */

export type LoggingOperation = 'Get' | 'Put' | 'Delete';

export interface ScriptedError {
  readonly status: number;
  readonly type: string;
  readonly message: string;
}

export class BedrockControlFake {
  /** The account's configuration, as the API returns it; undefined when logging is off. */
  public config: Record<string, unknown> | undefined;
  /** Every call, in order. */
  public readonly calls: { operation: LoggingOperation; body?: unknown }[] = [];
  private readonly errors = new Map<LoggingOperation, ScriptedError[]>();
  private readonly server = http.createServer((req, res) => void this.handle(req, res));

  public get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  public async stop(): Promise<void> {
    await closeServer(this.server);
  }

  /** The next `times` calls of `operation` fail with this error. */
  public failNext(operation: LoggingOperation, error: ScriptedError, times = 1): void {
    this.errors.set(operation, [...(this.errors.get(operation) ?? []), ...Array.from({ length: times }, () => error)]);
  }

  public reset(config?: Record<string, unknown>): void {
    this.config = config;
    this.calls.length = 0;
    this.errors.clear();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const text = await readBody(req);
    const operation = ({ GET: 'Get', PUT: 'Put', DELETE: 'Delete' } as const)[req.method as 'GET' | 'PUT' | 'DELETE'];
    if (!operation || new URL(req.url ?? '/', 'http://x').pathname !== '/logging/modelinvocations') {
      return send(res, 404, { message: `no such route: ${req.method} ${req.url}` }, 'UnknownOperationException');
    }
    const body = text ? parseJson(jsonObject, text) : undefined;
    this.calls.push({ operation, ...(body ? { body } : {}) });
    const error = this.errors.get(operation)?.shift();
    if (error) return send(res, error.status, { message: error.message }, error.type);
    switch (operation) {
      case 'Get':
        return send(res, 200, this.config ? { loggingConfig: this.config } : {});
      case 'Put': {
        const config = body?.loggingConfig as Record<string, unknown> | undefined;
        if (!config) return send(res, 400, { message: 'loggingConfig is required' }, 'ValidationException');
        this.config = config;
        return send(res, 200, {});
      }
      case 'Delete':
        this.config = undefined;
        return send(res, 200, {});
    }
  }
}

function send(res: http.ServerResponse, status: number, body: unknown, errorType?: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': 'fake-request-id', ...(errorType ? { 'x-amzn-errortype': errorType } : {}) });
  res.end(JSON.stringify(body));
}
