import * as http from 'node:http';
import { hashedEmbedding } from '../../lambda/shared/cache/hashed-embeddings';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { closeServer, readBody } from './http';
import { filterProblem, matchesFilter } from './retrieval-filter-eval';

/**
 * A loopback fake of the Bedrock HTTP APIs. The real `@aws-sdk` clients talk to it through an
 * endpoint override (`AWS_ENDPOINT_URL_BEDROCK_RUNTIME`, `AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME`),
 * so request serialization, signing, retries and error parsing are the SDK's own.
 *
 * Each operation is one entry of OPERATIONS (a route and a default answer computed from
 * `data`); ConverseStream and InvokeAgent answer in event-stream frames. Tests script faults per
 * operation with `enqueue` (consumed one request at a time) or `setDefault`.
 */

export type Operation =
  | 'Converse'
  | 'InvokeModel'
  | 'ConverseStream'
  | 'ApplyGuardrail'
  | 'Retrieve'
  | 'GetPrompt'
  | 'StartIngestionJob'
  | 'GetIngestionJob'
  | 'ListIngestionJobs'
  | 'InvokeAgent';

/** A retrieved passage as the fake's Retrieve returns it. */
export interface FakePassage {
  readonly text: string;
  readonly uri: string;
  readonly score: number;
  readonly metadata?: Record<string, unknown>;
}

/** What the fake knows: prompts by id, passages to retrieve, ingestion jobs started. */
export interface FakeData {
  /** GetPrompt answers, by prompt id (the part after `prompt/` in the ARN). */
  prompts: Map<string, Record<string, unknown>>;
  passages: FakePassage[];
  /** Status GetIngestionJob reports for every job. */
  jobStatus: 'STARTING' | 'IN_PROGRESS' | 'COMPLETE' | 'FAILED';
  jobs: { ingestionJobId: string; knowledgeBaseId: string; dataSourceId: string }[];
  /** When set, ApplyGuardrail judges the text it is sent (see GuardrailPolicy); else it answers NONE. */
  guardrailPolicy?: GuardrailPolicy;
}

/**
 * A guardrail the fake applies to ApplyGuardrail content: any block matching `block` blocks the
 * whole request (one output: `blockedMessage`); otherwise every match of `mask` is replaced by
 * `{EMAIL}`-style `maskWith`, with one output per content block (`perBlockOutputs`, the default) or
 * one output of the blocks joined (to exercise callers that must not assume the alignment).
 */
export interface GuardrailPolicy {
  readonly block: RegExp;
  readonly mask: RegExp;
  readonly maskWith: string;
  readonly blockedMessage: string;
  readonly perBlockOutputs?: boolean;
}

/** The texts of an ApplyGuardrail request's content blocks, in order. */
export function guardrailTexts(req: RecordedRequest): string[] {
  const body = req.body as { content?: { text?: { text?: string } }[] };
  return (body.content ?? []).map((c) => c.text?.text ?? '');
}

export interface RecordedRequest {
  readonly operation: Operation;
  /** Path and query parameters, decoded, e.g. `modelId` for Converse. */
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
  | { readonly kind: 'hang' }
  /**
   * ConverseStream and InvokeAgent: answer 200, send `afterChunks` text chunks, then an exception
   * frame of `type` (the event-stream member name, e.g. `throttlingException`,
   * `modelStreamErrorException`, `dependencyFailedException`).
   */
  | { readonly kind: 'stream-error'; readonly afterChunks: number; readonly type: string; readonly message?: string; readonly delayMs?: number };

export const throttle = (message = 'Too many requests, please wait before trying again.'): Behaviour => ({
  kind: 'error',
  status: 429,
  type: 'ThrottlingException',
  message,
});

interface OperationSpec {
  readonly method: string;
  readonly path: RegExp;
  readonly answer: (req: RecordedRequest, data: FakeData) => Record<string, unknown> | FakeError;
  /** The answer is an `application/vnd.amazon.eventstream` body this writer builds from the answer. */
  readonly eventStream?: (res: http.ServerResponse, req: RecordedRequest, answer: Record<string, unknown>, error?: StreamError) => Promise<void>;
}

interface StreamError {
  readonly afterChunks: number;
  readonly type: string;
  readonly message?: string;
}

/** A citation of an InvokeAgent chunk: the span of the chunk it supports and the passages it rests on. */
export interface FakeCitation {
  readonly text: string;
  readonly references: readonly { readonly text: string; readonly uri: string }[];
}

/**
 * The default InvokeAgent answer (override any field with `{ kind: 'answer', override }`): trace
 * events first, then one `chunk` event per entry (with its citations as `attribution`), then the
 * `returnControl` event when one is set (an action waiting for the caller's confirmation).
 */
export interface AgentAnswer {
  readonly chunks: readonly { readonly text: string; readonly citations?: readonly FakeCitation[] }[];
  /** `trace` members of TracePart events (e.g. `{ orchestrationTrace: {...} }`). */
  readonly traces: readonly Record<string, unknown>[];
  readonly returnControl?: { readonly invocationId: string; readonly invocationInputs: readonly Record<string, unknown>[] };
  readonly chunkDelayMs?: number;
}

/**
 * The default ConverseStream answer (override any field with `{ kind: 'answer', override }`):
 * the text is sent as one contentBlockDelta per chunk, `chunkDelayMs` apart.
 */
export interface StreamAnswer {
  readonly chunks: readonly string[];
  readonly stopReason: string;
  readonly usage: { inputTokens: number; outputTokens: number; totalTokens: number };
  readonly chunkDelayMs?: number;
}

/** An answer that is an AWS error (for example GetPrompt of an unknown prompt). */
class FakeError {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly message: string,
  ) {}
}

const INGESTION = '/knowledgebases/(?<knowledgeBaseId>[^/]+)/datasources/(?<dataSourceId>[^/]+)/ingestionjobs/';

const OPERATIONS: Record<Operation, OperationSpec> = {
  Converse: {
    method: 'POST',
    path: /^\/model\/(?<modelId>[^/]+)\/converse$/,
    answer: (req) => {
      const body = req.body as { messages?: { content?: { text?: string }[] }[]; inferenceConfig?: { maxTokens?: number } };
      const prompt =
        body.messages
          ?.at(-1)
          ?.content?.map((c) => c.text ?? '')
          .join('') ?? '';
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
  ConverseStream: {
    method: 'POST',
    path: /^\/model\/(?<modelId>[^/]+)\/converse-stream$/,
    eventStream: (res, _req, answer, error) => sendEventStream(res, answer as unknown as StreamAnswer, error),
    answer: (req) => {
      const body = req.body as { messages?: { content?: { text?: string }[] }[] };
      const prompt =
        body.messages
          ?.at(-1)
          ?.content?.map((c) => c.text ?? '')
          .join('') ?? '';
      const text = `fake answer to: ${prompt.slice(0, 60)}`;
      const inputTokens = Math.ceil(prompt.length / 4);
      const outputTokens = Math.ceil(text.length / 4);
      // Word-sized chunks, as models stream them.
      const answer: StreamAnswer = {
        chunks: text.match(/\S+\s*|\s+/g) ?? [],
        stopReason: 'end_turn',
        usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
      };
      return { ...answer };
    },
  },
  InvokeAgent: {
    method: 'POST',
    path: /^\/agents\/(?<agentId>[^/]+)\/agentAliases\/(?<agentAliasId>[^/]+)\/sessions\/(?<sessionId>[^/]+)\/text$/,
    eventStream: (res, req, answer, error) => sendAgentStream(res, req, answer as unknown as AgentAnswer, error),
    // An answer citing the first passage of `data.passages`; a confirmation reply is acknowledged.
    answer: (req, data) => {
      const body = req.body as {
        inputText?: string;
        sessionState?: { returnControlInvocationResults?: { functionResult?: { function?: string; confirmationState?: string } }[] };
      };
      const result = body.sessionState?.returnControlInvocationResults?.[0]?.functionResult;
      const text = result
        ? `fake agent: ${result.function} ${result.confirmationState === 'CONFIRM' ? 'done' : 'cancelled'}`
        : `fake agent answer to: ${(body.inputText ?? '').slice(0, 60)}`;
      const passage = data.passages[0];
      const traceId = `fake-trace-${req.params.sessionId.slice(0, 8)}-0`;
      const answer: AgentAnswer = {
        chunks: [{ text, citations: passage && !result ? [{ text, references: [{ text: passage.text, uri: passage.uri }] }] : [] }],
        traces: [
          { orchestrationTrace: { modelInvocationInput: { traceId, type: 'ORCHESTRATION', text: '(prompt)' } } },
          // The model call's output carries its token usage (OrchestrationModelInvocationOutput.metadata.usage).
          {
            orchestrationTrace: {
              modelInvocationOutput: { traceId, rawResponse: { content: text }, metadata: { usage: agentUsage(body.inputText ?? text, text) } },
            },
          },
        ],
      };
      return { ...answer };
    },
  },
  InvokeModel: {
    method: 'POST',
    path: /^\/model\/(?<modelId>[^/]+)\/invoke$/,
    // Titan Text Embeddings v2 shape; the vector is the deterministic hashed embedding of the text.
    answer: (req) => {
      const body = req.body as { inputText?: string; dimensions?: number };
      return { embedding: hashedEmbedding(body.inputText ?? '', body.dimensions ?? 256), inputTextTokenCount: Math.ceil((body.inputText ?? '').length / 4) };
    },
  },
  ApplyGuardrail: {
    method: 'POST',
    path: /^\/guardrail\/(?<guardrailIdentifier>[^/]+)\/version\/(?<guardrailVersion>[^/]+)\/apply$/,
    answer: (req, data) => {
      const usage = {
        topicPolicyUnits: 1,
        contentPolicyUnits: 1,
        wordPolicyUnits: 1,
        sensitiveInformationPolicyUnits: 1,
        sensitiveInformationPolicyFreeUnits: 0,
        contextualGroundingPolicyUnits: 0,
      };
      const policy = data.guardrailPolicy;
      const texts = guardrailTexts(req);
      const matches = (re: RegExp, text: string) => new RegExp(re.source, re.flags.replace('g', '')).test(text);
      if (policy && texts.some((t) => matches(policy.block, t))) {
        return {
          action: 'GUARDRAIL_INTERVENED',
          outputs: [{ text: policy.blockedMessage }],
          assessments: [{ contentPolicy: { filters: [{ type: 'PROMPT_ATTACK', confidence: 'HIGH', action: 'BLOCKED' }] } }],
          usage,
        };
      }
      if (policy && texts.some((t) => matches(policy.mask, t))) {
        const masked = texts.map((t) =>
          t.replace(new RegExp(policy.mask.source, policy.mask.flags.includes('g') ? policy.mask.flags : `${policy.mask.flags}g`), policy.maskWith),
        );
        return {
          action: 'GUARDRAIL_INTERVENED',
          outputs: policy.perBlockOutputs === false ? [{ text: masked.join('') }] : masked.map((text) => ({ text })),
          assessments: [{ sensitiveInformationPolicy: { piiEntities: [{ type: 'EMAIL', match: 'x', action: 'ANONYMIZED' }] } }],
          usage,
        };
      }
      return { action: 'NONE', outputs: [], assessments: [], usage };
    },
  },
  Retrieve: {
    method: 'POST',
    path: /^\/knowledgebases\/(?<knowledgeBaseId>[^/]+)\/retrieve$/,
    answer: (req, data) => {
      // The filter as the service applies it (retrieval-filter-eval.ts): a malformed one is a 400, the rest narrows the passages.
      const filter = (req.body as { retrievalConfiguration?: { vectorSearchConfiguration?: { filter?: unknown } } }).retrievalConfiguration
        ?.vectorSearchConfiguration?.filter;
      const problem = filter === undefined ? undefined : filterProblem(filter);
      if (problem) return new FakeError(400, 'ValidationException', `fake: ${problem}`);
      return {
        retrievalResults: data.passages
          .filter((p) => filter === undefined || matchesFilter(p.metadata ?? {}, filter))
          .map((p) => ({
            content: { text: p.text, type: 'TEXT' },
            location: { type: 'S3', s3Location: { uri: p.uri } },
            score: p.score,
            metadata: p.metadata ?? {},
          })),
      };
    },
  },
  GetPrompt: {
    method: 'GET',
    path: /^\/prompts\/(?<promptIdentifier>[^/]+)\/$/,
    answer: (req, data) => {
      const id = req.params.promptIdentifier.split('/').pop()!.split(':')[0];
      return data.prompts.get(id) ?? new FakeError(404, 'ResourceNotFoundException', `fake: no prompt ${id}`);
    },
  },
  StartIngestionJob: {
    method: 'PUT',
    path: new RegExp(`^${INGESTION}$`),
    answer: (req, data) => {
      const job = {
        ingestionJobId: `JOB${String(data.jobs.length + 1).padStart(7, '0')}`,
        knowledgeBaseId: req.params.knowledgeBaseId,
        dataSourceId: req.params.dataSourceId,
      };
      data.jobs.push(job);
      return { ingestionJob: { ...job, status: 'STARTING', startedAt: new Date().toISOString(), updatedAt: new Date().toISOString() } };
    },
  },
  ListIngestionJobs: {
    method: 'POST',
    path: new RegExp(`^${INGESTION}$`),
    answer: (_req, data) => ({
      ingestionJobSummaries: data.jobs.map((j) => ({ ...j, status: data.jobStatus, startedAt: new Date().toISOString(), updatedAt: new Date().toISOString() })),
    }),
  },
  GetIngestionJob: {
    method: 'GET',
    path: new RegExp(`^${INGESTION}(?<ingestionJobId>[^/]+)$`),
    answer: (req, data) => ({
      ingestionJob: {
        ingestionJobId: req.params.ingestionJobId,
        knowledgeBaseId: req.params.knowledgeBaseId,
        dataSourceId: req.params.dataSourceId,
        status: data.jobStatus,
        failureReasons: data.jobStatus === 'FAILED' ? ['fake: the embedding model was throttled'] : undefined,
        statistics: {
          numberOfDocumentsScanned: 3,
          numberOfNewDocumentsIndexed: data.jobStatus === 'COMPLETE' ? 3 : 0,
          numberOfDocumentsFailed: data.jobStatus === 'FAILED' ? 3 : 0,
        },
        startedAt: new Date().toISOString(),
        updatedAt: new Date().toISOString(),
      },
    }),
  },
};

export class BedrockFake {
  /** Every request received, in order. */
  public readonly requests: RecordedRequest[] = [];
  /** State behind the default answers; tests set prompts, passages and job status here. */
  public readonly data: FakeData = { prompts: new Map(), passages: [], jobStatus: 'COMPLETE', jobs: [] };
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
    env.AWS_ENDPOINT_URL_BEDROCK_AGENT = this.url;
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
    this.data.prompts.clear();
    this.data.passages = [];
    this.data.jobStatus = 'COMPLETE';
    this.data.jobs.length = 0;
    this.data.guardrailPolicy = undefined;
    this.releaseHung();
  }

  count(operation: Operation): number {
    return this.requests.filter((r) => r.operation === operation).length;
  }

  async stop(): Promise<void> {
    this.releaseHung();
    await closeServer(this.server);
  }

  private releaseHung(): void {
    for (const res of this.hung) res.destroy();
    this.hung.clear();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const [rawPath, query = ''] = (req.url ?? '/').split('?');
    const path = rawPath;
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
    const params = Object.fromEntries(Object.entries(match.m!.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]));
    for (const [k, v] of new URLSearchParams(query)) params[k] = v;
    const recorded: RecordedRequest = { operation: match.operation, params, headers: req.headers, body };
    this.requests.push(recorded);

    const behaviour = this.queues.get(match.operation)?.shift() ?? this.defaults.get(match.operation) ?? { kind: 'answer' };
    if (behaviour.kind === 'hang') {
      this.hung.add(res);
      res.on('close', () => this.hung.delete(res));
      return;
    }
    if (behaviour.delayMs) await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
    if (res.destroyed) return;
    if (match.spec.eventStream && (behaviour.kind === 'answer' || behaviour.kind === 'stream-error')) {
      const answer = match.spec.answer(recorded, this.data) as Record<string, unknown>;
      await match.spec.eventStream(
        res,
        recorded,
        behaviour.kind === 'answer' ? { ...answer, ...behaviour.override } : answer,
        behaviour.kind === 'stream-error' ? behaviour : undefined,
      );
      return;
    }
    switch (behaviour.kind) {
      case 'answer': {
        const answer = match.spec.answer(recorded, this.data);
        if (answer instanceof FakeError) send(res, answer.status, { message: answer.message }, answer.type);
        else send(res, 200, { ...answer, ...behaviour.override });
        return;
      }
      case 'stream-error':
        send(res, 500, { message: 'fake: stream-error is a behaviour of event-stream operations' }, 'InternalServerException');
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

/**
 * Writes a ConverseStream answer as AWS event-stream frames, the binary framing the SDK's
 * event-stream codec reads: messageStart, contentBlockDelta per chunk, contentBlockStop,
 * messageStop, metadata; or, for a stream error, an exception frame after `afterChunks` deltas.
 */
async function sendEventStream(res: http.ServerResponse, answer: StreamAnswer, error?: { afterChunks: number; type: string; message?: string }): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'fake-request-id' });
  const event = (type: string, payload: unknown) =>
    res.write(eventFrame({ ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' }, payload));
  event('messageStart', { role: 'assistant' });
  const chunks = error ? answer.chunks.slice(0, error.afterChunks) : answer.chunks;
  for (const text of chunks) {
    if (answer.chunkDelayMs) await new Promise((resolve) => setTimeout(resolve, answer.chunkDelayMs));
    if (res.destroyed) return;
    event('contentBlockDelta', { contentBlockIndex: 0, delta: { text } });
  }
  if (error) {
    res.end(
      eventFrame(
        { ':exception-type': error.type, ':content-type': 'application/json', ':message-type': 'exception' },
        { message: error.message ?? `fake ${error.type}` },
      ),
    );
    return;
  }
  event('contentBlockStop', { contentBlockIndex: 0 });
  event('messageStop', { stopReason: answer.stopReason });
  event('metadata', { usage: answer.usage, metrics: { latencyMs: 1 } });
  res.end();
}

/** Token usage of one fake agent model call, as a trace's `modelInvocationOutput.metadata.usage`. */
export function agentUsage(input: string, output: string): { inputTokens: number; outputTokens: number } {
  return { inputTokens: Math.ceil(input.length / 4), outputTokens: Math.ceil(output.length / 4) };
}

/**
 * Writes an InvokeAgent answer as event-stream frames: `trace` events (TracePart), `chunk` events
 * (PayloadPart: base64 bytes and attribution), then `returnControl`; or, for a stream error, an
 * exception frame after `afterChunks` chunks. The session id comes back in its header, as the service sends it.
 */
async function sendAgentStream(res: http.ServerResponse, req: RecordedRequest, answer: AgentAnswer, error?: StreamError): Promise<void> {
  const { agentId, agentAliasId, sessionId } = req.params;
  res.writeHead(200, {
    'content-type': 'application/vnd.amazon.eventstream',
    'x-amzn-requestid': 'fake-agent-request-id',
    'x-amz-bedrock-agent-session-id': sessionId,
    'x-amzn-bedrock-agent-content-type': 'application/json',
  });
  const event = (type: string, payload: unknown) =>
    res.write(eventFrame({ ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' }, payload));
  for (const trace of answer.traces) event('trace', { agentId, agentAliasId, sessionId, agentVersion: '1', trace });
  const chunks = error ? answer.chunks.slice(0, error.afterChunks) : answer.chunks;
  for (const chunk of chunks) {
    if (answer.chunkDelayMs) await new Promise((resolve) => setTimeout(resolve, answer.chunkDelayMs));
    if (res.destroyed) return;
    const citations = (chunk.citations ?? []).map((c) => ({
      generatedResponsePart: { textResponsePart: { text: c.text, span: { start: 0, end: Math.max(0, c.text.length - 1) } } },
      retrievedReferences: c.references.map((r) => ({
        content: { text: r.text, type: 'TEXT' },
        location: { type: 'S3', s3Location: { uri: r.uri } },
        metadata: {},
      })),
    }));
    event('chunk', { bytes: Buffer.from(chunk.text, 'utf8').toString('base64'), ...(citations.length ? { attribution: { citations } } : {}) });
  }
  if (error) {
    res.end(
      eventFrame(
        { ':exception-type': error.type, ':content-type': 'application/json', ':message-type': 'exception' },
        { message: error.message ?? `fake ${error.type}` },
      ),
    );
    return;
  }
  if (answer.returnControl) event('returnControl', answer.returnControl);
  res.end();
}

/**
 * One event-stream message: prelude (total length, headers length, prelude CRC32), headers
 * (name length, name, type 7 = string, value length, value), JSON payload, message CRC32.
 */
export function eventFrame(headers: Record<string, string>, payload: unknown): Buffer {
  const headerBytes = Buffer.concat(
    Object.entries(headers).map(([name, value]) => {
      const n = Buffer.from(name, 'utf8');
      const v = Buffer.from(value, 'utf8');
      const h = Buffer.alloc(1 + n.length + 1 + 2 + v.length);
      h.writeUInt8(n.length, 0);
      n.copy(h, 1);
      h.writeUInt8(7, 1 + n.length);
      h.writeUInt16BE(v.length, 2 + n.length);
      v.copy(h, 4 + n.length);
      return h;
    }),
  );
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  const total = 12 + headerBytes.length + body.length + 4;
  const frame = Buffer.alloc(total);
  frame.writeUInt32BE(total, 0);
  frame.writeUInt32BE(headerBytes.length, 4);
  frame.writeUInt32BE(zlib.crc32(frame.subarray(0, 8)), 8);
  headerBytes.copy(frame, 12);
  body.copy(frame, 12 + headerBytes.length);
  frame.writeUInt32BE(zlib.crc32(frame.subarray(0, total - 4)), total - 4);
  return frame;
}
