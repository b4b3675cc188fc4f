import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback fake of the Bedrock HTTP APIs. The real `@aws-sdk` clients talk to it through an
 * endpoint override (`AWS_ENDPOINT_URL_BEDROCK_RUNTIME`, `AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME`),
 * so request serialization, signing, retries and error parsing are the SDK's own.
 *
 * Each operation is one entry of OPERATIONS (a route and a default answer); Retrieve,
 * ApplyGuardrail, InvokeAgent and ConverseStream are added the same way. Tests script faults per
 * operation with `enqueue` (consumed one request at a time) or `setDefault`.
 */

export type Operation = 'Converse';

export interface RecordedRequest {
  readonly operation: Operation;
  /** Path parameters, e.g. `modelId` for Converse. */
  readonly params: Record<string, string>;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: unknown;
}

export type Behaviour =
  /** The operation's default answer, optionally with fields replaced. */
  | { readonly kind: 'answer'; readonly override?: Record<string, unknown>; readonly delayMs?: number }
  /** An AWS error as the service sends it: status, `x-amzn-errortype`, JSON message. */
  | { readonly kind: 'error'; readonly status: number; readonly type: string; readonly message?: string; readonly delayMs?: number }
  /** Bytes that are not what the API promises (bad JSON, wrong shape). */
  | { readonly kind: 'malformed'; readonly status?: number; readonly body: string; readonly delayMs?: number }
  /** Accept the request and never answer (a hung upstream). */
  | { readonly kind: 'hang' };

export const throttle = (message = 'Too many requests, please wait before trying again.'): Behaviour => ({
  kind: 'error',
  status: 429,
  type: 'ThrottlingException',
  message,
});

interface OperationSpec {
  readonly method: string;
  readonly path: RegExp;
  readonly answer: (req: RecordedRequest) => Record<string, unknown>;
}

const OPERATIONS: Record<Operation, OperationSpec> = {
  Converse: {
    method: 'POST',
    path: /^\/model\/(?<modelId>[^/]+)\/converse$/,
    answer: (req) => {
      const body = req.body as { messages?: { content?: { text?: string }[] }[]; inferenceConfig?: { maxTokens?: number } };
      const prompt = body.messages?.at(-1)?.content?.map((c) => c.text ?? '').join('') ?? '';
      const text = `fake answer to: ${prompt.slice(0, 60)}`;
      const inputTokens = Math.ceil(prompt.length / 4);
      const outputTokens = Math.ceil(text.length / 4);
      return {
        output: { message: { role: 'assistant', content: [{ text }] } },
        stopReason: 'end_turn',
        usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
        metrics: { latencyMs: 1 },
      };
    },
  },
};

export class BedrockFake {
  /** Every request received, in order. */
  public readonly requests: RecordedRequest[] = [];
  private readonly queues = new Map<Operation, Behaviour[]>();
  private readonly defaults = new Map<Operation, Behaviour>();
  private readonly hung = new Set<http.ServerResponse>();

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<BedrockFake> {
    const server = http.createServer();
    const fake = new BedrockFake(server);
    server.on('request', (req, res) => void fake.handle(req, res));
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Points the SDK clients of this process at the fake. */
  exportEndpoints(env: NodeJS.ProcessEnv = process.env): void {
    env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME = this.url;
    env.AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME = this.url;
  }

  enqueue(operation: Operation, ...behaviours: Behaviour[]): void {
    this.queues.set(operation, [...(this.queues.get(operation) ?? []), ...behaviours]);
  }

  setDefault(operation: Operation, behaviour: Behaviour | undefined): void {
    if (behaviour) this.defaults.set(operation, behaviour);
    else this.defaults.delete(operation);
  }

  /** Forgets scripted behaviour and recorded requests. */
  reset(): void {
    this.requests.length = 0;
    this.queues.clear();
    this.defaults.clear();
    this.releaseHung();
  }

  count(operation: Operation): number {
    return this.requests.filter((r) => r.operation === operation).length;
  }

  async stop(): Promise<void> {
    this.releaseHung();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private releaseHung(): void {
    for (const res of this.hung) res.destroy();
    this.hung.clear();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    const match = (Object.entries(OPERATIONS) as [Operation, OperationSpec][])
      .map(([operation, spec]) => ({ operation, spec, m: req.method === spec.method ? spec.path.exec(path) : null }))
      .find((x) => x.m);
    if (!match) {
      send(res, 404, { message: `fake: no operation for ${req.method} ${path}` }, 'UnknownOperationException');
      return;
    }
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : {};
    } catch {
      send(res, 400, { message: 'fake: request body is not JSON' }, 'ValidationException');
      return;
    }
    const recorded: RecordedRequest = { operation: match.operation, params: { ...match.m!.groups }, headers: req.headers, body };
    this.requests.push(recorded);

    const behaviour = this.queues.get(match.operation)?.shift() ?? this.defaults.get(match.operation) ?? { kind: 'answer' };
    if (behaviour.kind === 'hang') {
      this.hung.add(res);
      res.on('close', () => this.hung.delete(res));
      return;
    }
    if (behaviour.delayMs) await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
    if (res.destroyed) return;
    switch (behaviour.kind) {
      case 'answer':
        send(res, 200, { ...match.spec.answer(recorded), ...behaviour.override });
        return;
      case 'error':
        send(res, behaviour.status, { message: behaviour.message ?? `fake ${behaviour.type}` }, behaviour.type);
        return;
      case 'malformed':
        res.writeHead(behaviour.status ?? 200, { 'content-type': 'application/json' });
        res.end(behaviour.body);
        return;
    }
  }
}

function send(res: http.ServerResponse, status: number, body: unknown, errorType?: string): void {
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'x-amzn-requestid': 'fake-request-id' };
  if (errorType) headers['x-amzn-errortype'] = `${errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/`;
  res.writeHead(status, headers);
  res.end(JSON.stringify(body));
}
