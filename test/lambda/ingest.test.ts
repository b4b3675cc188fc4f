import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import {
  type CheckMessage,
  type DocumentStorePort,
  type IngestionPort,
  type IngestMessage,
  type JobState,
  processBatch,
  type QueuePort,
} from '../../lambda/ingest/core';
import { sidecarBody } from '../../contracts/tenant-documents';
import { BedrockFake, throttle } from '../support/bedrock-fake';
import { S3Fake } from '../support/s3-fake';

const SETTINGS = { checkDelaySeconds: 120, maxChecks: 5 };

/** In-memory ingestion API: one data source, at most one running job, as the service enforces. */
class MemoryIngestion implements IngestionPort {
  readonly started: string[] = [];
  running: string | undefined;
  /** Jobs that look idle to ListIngestionJobs but make StartIngestionJob answer 409 (a race). */
  conflictOnStart = false;
  states = new Map<string, JobState>();
  async startJob() {
    if (this.running || this.conflictOnStart) return { conflict: true as const };
    const id = `JOB${this.started.length + 1}`;
    this.started.push(id);
    this.running = id;
    return { started: id };
  }
  async findRunningJob() {
    return this.running;
  }
  async getJob(id: string): Promise<JobState> {
    const state = this.states.get(id);
    if (!state) throw new Error(`no job ${id}`);
    return state;
  }
}

class MemoryQueue implements QueuePort {
  readonly sent: { message: CheckMessage; delaySeconds: number }[] = [];
  failing = false;
  async sendCheck(message: CheckMessage, delaySeconds: number) {
    if (this.failing) throw new Error('queue down');
    this.sent.push({ message, delaySeconds });
  }
}

/** In-memory documents bucket; `log` records the calls in order, with the job starts (see `watch`). */
class MemoryBucket implements DocumentStorePort {
  readonly objects = new Map<string, string>();
  readonly log: string[] = [];
  failPutOf: string | undefined;
  constructor(...keys: string[]) {
    for (const k of keys) this.objects.set(k, 'content');
  }
  async exists(key: string) {
    this.log.push(`head ${key}`);
    return this.objects.has(key);
  }
  async put(key: string, body: string) {
    this.log.push(`put ${key}`);
    if (key === this.failPutOf) throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
    this.objects.set(key, body);
  }
  async remove(key: string) {
    this.log.push(`delete ${key}`);
    this.objects.delete(key);
  }
  /** Makes `ingestion` log its job starts here, so the order of sidecars and job shows. */
  watch(ingestion: MemoryIngestion): MemoryIngestion {
    const start = ingestion.startJob.bind(ingestion);
    ingestion.startJob = async () => (this.log.push('startJob'), start());
    return ingestion;
  }
}

const uploads = (n: number): IngestMessage[] => Array.from({ length: n }, (_, i) => ({ id: `u${i}`, kind: 'upload', key: `docs/${i}.md` }));
const job = (status: JobState['status'], over: Partial<JobState> = {}): JobState => ({
  ingestionJobId: 'JOB1',
  status,
  failureReasons: [],
  documentsScanned: 3,
  documentsIndexed: status === 'COMPLETE' ? 3 : 0,
  documentsDeleted: 0,
  documentsFailed: 0,
  ...over,
});

describe('core: processBatch', () => {
  test('100 uploads in one batch start one ingestion job and schedule one delayed check', async () => {
    const ingestion = new MemoryIngestion();
    const queue = new MemoryQueue();
    const result = await processBatch(uploads(100), { ingestion, queue, documents: new MemoryBucket() }, SETTINGS);
    expect(ingestion.started).toEqual(['JOB1']);
    expect(queue.sent).toEqual([{ message: { kind: 'check', ingestionJobId: 'JOB1', checks: 0 }, delaySeconds: 120 }]);
    expect(result).toEqual({ failedMessageIds: [], events: [{ type: 'started', ingestionJobId: 'JOB1', uploads: 100 }] });
  });

  test('a job already running: no start, every upload returned to the queue', async () => {
    const ingestion = new MemoryIngestion();
    ingestion.running = 'JOB0';
    const queue = new MemoryQueue();
    const result = await processBatch(uploads(3), { ingestion, queue, documents: new MemoryBucket() }, SETTINGS);
    expect(ingestion.started).toEqual([]);
    expect(queue.sent).toEqual([]);
    expect(result.failedMessageIds).toEqual(['u0', 'u1', 'u2']);
    expect(result.events).toEqual([{ type: 'deferred', runningJobId: 'JOB0', uploads: 3 }]);
  });

  test('a conflict on start (a job started between list and start): every upload returned', async () => {
    const ingestion = new MemoryIngestion();
    ingestion.conflictOnStart = true;
    const result = await processBatch(uploads(2), { ingestion, queue: new MemoryQueue(), documents: new MemoryBucket() }, SETTINGS);
    expect(result.failedMessageIds).toEqual(['u0', 'u1']);
    expect(result.events).toEqual([{ type: 'deferred', runningJobId: undefined, uploads: 2 }]);
  });

  test('a start that fails for another reason returns the uploads and says why', async () => {
    const ingestion = new MemoryIngestion();
    ingestion.startJob = async () => {
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    };
    const result = await processBatch(uploads(2), { ingestion, queue: new MemoryQueue(), documents: new MemoryBucket() }, SETTINGS);
    expect(result.failedMessageIds).toEqual(['u0', 'u1']);
    expect(result.events).toEqual([{ type: 'start-failed', uploads: 2, error: 'ThrottlingException: Rate exceeded' }]);
  });

  test('a started job whose check cannot be queued returns the uploads, so a watched job follows', async () => {
    const queue = new MemoryQueue();
    queue.failing = true;
    const result = await processBatch(uploads(2), { ingestion: new MemoryIngestion(), queue, documents: new MemoryBucket() }, SETTINGS);
    expect(result.failedMessageIds).toEqual(['u0', 'u1']);
    expect(result.events).toEqual([
      { type: 'started', ingestionJobId: 'JOB1', uploads: 2 },
      { type: 'check-not-scheduled', ingestionJobId: 'JOB1', error: 'Error: queue down' },
    ]);
  });

  test('check of a FAILED job: a failure event with the reasons, no further check', async () => {
    const ingestion = new MemoryIngestion();
    const failed = job('FAILED', { failureReasons: ['embedding model access denied'], documentsFailed: 3 });
    ingestion.states.set('JOB1', failed);
    const queue = new MemoryQueue();
    const result = await processBatch(
      [{ id: 'c1', kind: 'check', ingestionJobId: 'JOB1', checks: 2 }],
      { ingestion, queue, documents: new MemoryBucket() },
      SETTINGS,
    );
    expect(result).toEqual({ failedMessageIds: [], events: [{ type: 'failed', job: failed }] });
    expect(queue.sent).toEqual([]);
  });

  test('check of a COMPLETE job with failed documents is a failure too', async () => {
    const ingestion = new MemoryIngestion();
    ingestion.states.set('JOB1', job('COMPLETE', { documentsFailed: 1 }));
    const result = await processBatch(
      [{ id: 'c1', kind: 'check', ingestionJobId: 'JOB1', checks: 0 }],
      { ingestion, queue: new MemoryQueue(), documents: new MemoryBucket() },
      SETTINGS,
    );
    expect(result.events.map((e) => e.type)).toEqual(['failed']);
  });

  test('check of a COMPLETE job: complete, no failure', async () => {
    const ingestion = new MemoryIngestion();
    ingestion.states.set('JOB1', job('COMPLETE'));
    const result = await processBatch(
      [{ id: 'c1', kind: 'check', ingestionJobId: 'JOB1', checks: 0 }],
      { ingestion, queue: new MemoryQueue(), documents: new MemoryBucket() },
      SETTINGS,
    );
    expect(result).toEqual({ failedMessageIds: [], events: [{ type: 'complete', job: job('COMPLETE') }] });
  });

  test('check of a running job: another delayed check, counted; after maxChecks it is reported and dropped', async () => {
    const ingestion = new MemoryIngestion();
    ingestion.states.set('JOB1', job('IN_PROGRESS'));
    const queue = new MemoryQueue();
    const again = await processBatch(
      [{ id: 'c1', kind: 'check', ingestionJobId: 'JOB1', checks: 1 }],
      { ingestion, queue, documents: new MemoryBucket() },
      SETTINGS,
    );
    expect(again.events).toEqual([{ type: 'running', ingestionJobId: 'JOB1', checks: 2 }]);
    expect(queue.sent).toEqual([{ message: { kind: 'check', ingestionJobId: 'JOB1', checks: 2 }, delaySeconds: 120 }]);
    const last = await processBatch(
      [{ id: 'c2', kind: 'check', ingestionJobId: 'JOB1', checks: 4 }],
      { ingestion, queue, documents: new MemoryBucket() },
      SETTINGS,
    );
    expect(last.events).toEqual([{ type: 'abandoned', ingestionJobId: 'JOB1', checks: 5 }]);
    expect(queue.sent).toHaveLength(1);
  });

  test('duplicate checks of one job in a batch fork no second check loop; a check that errors comes back', async () => {
    const ingestion = new MemoryIngestion();
    ingestion.states.set('JOB1', job('IN_PROGRESS'));
    const queue = new MemoryQueue();
    const result = await processBatch(
      [
        { id: 'c1', kind: 'check', ingestionJobId: 'JOB1', checks: 0 },
        { id: 'c2', kind: 'check', ingestionJobId: 'JOB1', checks: 0 },
        { id: 'c3', kind: 'check', ingestionJobId: 'UNKNOWN', checks: 0 },
      ],
      { ingestion, queue, documents: new MemoryBucket() },
      SETTINGS,
    );
    expect(queue.sent).toHaveLength(1);
    expect(result.failedMessageIds).toEqual(['c3']);
    expect(result.events).toContainEqual({ type: 'check-failed', ingestionJobId: 'UNKNOWN', error: 'Error: no job UNKNOWN' });
  });
});

describe('core: the metadata sidecar of every upload (tenant-scoped retrieval)', () => {
  const upload = (key: string, id = key): IngestMessage => ({ id, kind: 'upload', key });
  const run = async (bucket: MemoryBucket, ...messages: IngestMessage[]) => {
    const ingestion = bucket.watch(new MemoryIngestion());
    const result = await processBatch(messages, { ingestion, queue: new MemoryQueue(), documents: bucket }, SETTINGS);
    return { ingestion, result };
  };
  const audienceOf = (bucket: MemoryBucket, key: string) => bucket.objects.get(`${key}.metadata.json`);

  test("each document gets its sidecar before the job starts: a tenant's folder names the tenant, anything else is shared", async () => {
    const bucket = new MemoryBucket('tenants/acme/prices.pdf', 'handbook/faq.md');
    const { ingestion, result } = await run(bucket, upload('tenants/acme/prices.pdf'), upload('handbook/faq.md'));
    expect(audienceOf(bucket, 'tenants/acme/prices.pdf')).toBe('{"metadataAttributes":{"audience":"tenant:acme"}}');
    expect(audienceOf(bucket, 'handbook/faq.md')).toBe('{"metadataAttributes":{"audience":"shared"}}');
    expect(bucket.log.indexOf('startJob')).toBeGreaterThan(bucket.log.lastIndexOf('put handbook/faq.md.metadata.json'));
    expect(ingestion.started).toEqual(['JOB1']);
    expect(result.events[0]).toEqual({ type: 'labelled', written: 2, removed: 0 });
  });

  test.each([
    ['acme/tenants/x.pdf', 'shared'],
    ['blueprint/tenants/acme/x.md', 'shared'],
    ['tenants-acme/x.md', 'shared'],
    ['Tenants/Acme/x.pdf', 'tenant:acme'],
    ['tenants/globex/deep/er/x.pdf', 'tenant:globex'],
    ['tenants/shared/x.pdf', 'tenant:shared'],
    ['tenants/x.pdf', 'none'],
    ['tenants//x.pdf', 'none'],
    ['tenants/bad_name!/x.pdf', 'none'],
  ])('the key decides, nothing else: %s is %s', async (key, audience) => {
    const bucket = new MemoryBucket(key);
    const { result } = await run(bucket, upload(key));
    expect(audienceOf(bucket, key)).toBe(JSON.stringify({ metadataAttributes: { audience } }));
    expect(result.events.some((e) => e.type === 'unassigned')).toBe(audience === 'none');
  });

  test('a sidecar someone else wrote (claiming another tenant) is replaced by ours when its document is ingested', async () => {
    const bucket = new MemoryBucket('tenants/acme/x.pdf');
    bucket.objects.set('tenants/acme/x.pdf.metadata.json', '{"metadataAttributes":{"audience":"shared","tenant":"globex"}}');
    await run(bucket, upload('tenants/acme/x.pdf'));
    expect(audienceOf(bucket, 'tenants/acme/x.pdf')).toBe(sidecarBody('tenants/acme/x.pdf'));
  });

  test('events of sidecars (ours, or one uploaded by hand) are never documents and start no job', async () => {
    const bucket = new MemoryBucket('x.pdf.metadata.json');
    const { ingestion, result } = await run(bucket, upload('x.pdf.metadata.json', 'm1'), upload('y.pdf.metadata.json', 'm2'));
    expect(bucket.log).toEqual([]);
    expect(ingestion.started).toEqual([]);
    expect(result).toEqual({ failedMessageIds: [], events: [{ type: 'sidecars-ignored', count: 2 }] });
  });

  test("a deleted document's sidecar is removed and the job runs (it drops the document); a sidecar that is not there is not deleted", async () => {
    const bucket = new MemoryBucket('gone.md.metadata.json');
    const { ingestion, result } = await run(bucket, upload('gone.md'), upload('never.md'));
    expect(bucket.objects.has('gone.md.metadata.json')).toBe(false);
    expect(bucket.log.filter((l) => l.startsWith('delete'))).toEqual(['delete gone.md.metadata.json']);
    expect(ingestion.started).toEqual(['JOB1']);
    expect(result.events[0]).toEqual({ type: 'labelled', written: 0, removed: 1 });
  });

  test('a URL-encoded key names the document it encodes; a key with a literal + that exists is taken as written', async () => {
    const bucket = new MemoryBucket('tenants/acme/red flower.pdf', 'c++.md');
    await run(bucket, upload('tenants/acme/red+flower.pdf'), upload('c++.md'), upload('tenants/acme/%E2%82%AC%20rates.md'));
    expect(audienceOf(bucket, 'tenants/acme/red flower.pdf')).toBe(sidecarBody('tenants/acme/red flower.pdf'));
    expect(audienceOf(bucket, 'c++.md')).toBe(sidecarBody('c++.md'));
    expect(bucket.objects.has('tenants/acme/red+flower.pdf.metadata.json')).toBe(false);
  });

  test("a folder marker (the console's Create folder) gets no sidecar", async () => {
    const bucket = new MemoryBucket('tenants/acme/');
    const { ingestion } = await run(bucket, upload('tenants/acme/'));
    expect(bucket.log).toEqual(['startJob']);
    expect(ingestion.started).toEqual(['JOB1']);
  });

  test('duplicate events of one key are labelled once and covered by the job', async () => {
    const bucket = new MemoryBucket('a.md');
    const { result } = await run(bucket, upload('a.md', 'm1'), upload('a.md', 'm2'));
    expect(bucket.log.filter((l) => l.startsWith('put'))).toEqual(['put a.md.metadata.json']);
    expect(result.events).toContainEqual({ type: 'started', ingestionJobId: 'JOB1', uploads: 2 });
  });

  test("a sidecar that cannot be written: that upload returns to the queue, the others' job starts without it", async () => {
    const bucket = new MemoryBucket('a.md', 'b.md');
    bucket.failPutOf = 'a.md.metadata.json';
    const { ingestion, result } = await run(bucket, upload('a.md', 'm1'), upload('b.md', 'm2'));
    expect(result.failedMessageIds).toEqual(['m1']);
    expect(result.events).toContainEqual({ type: 'label-failed', key: 'a.md', error: 'AccessDenied: Access Denied' });
    expect(result.events).toContainEqual({ type: 'started', ingestionJobId: 'JOB1', uploads: 1 });
    expect(ingestion.started).toEqual(['JOB1']);
  });

  test('no sidecar could be written: no job', async () => {
    const bucket = new MemoryBucket('a.md');
    bucket.failPutOf = 'a.md.metadata.json';
    const { ingestion, result } = await run(bucket, upload('a.md', 'm1'));
    expect(result.failedMessageIds).toEqual(['m1']);
    expect(ingestion.started).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The handler: the real bedrock-agent client against the Bedrock fake, and the SendMessage
// request against a loopback SQS endpoint (the queue URL's own host), recorded here.

interface SentMessage {
  readonly target: string | undefined;
  readonly authorization: string | undefined;
  readonly body: { QueueUrl: string; MessageBody: string; DelaySeconds: number };
}

class SqsFake {
  readonly sent: SentMessage[] = [];
  failWith: number | undefined;
  private constructor(private readonly server: http.Server) {}
  static async start(): Promise<SqsFake> {
    const server = http.createServer();
    const fake = new SqsFake(server);
    server.on('request', async (req, res) => {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      if (fake.failWith) {
        res.writeHead(fake.failWith, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'fake' }));
        return;
      }
      fake.sent.push({ target: req.headers['x-amz-target'] as string, authorization: req.headers.authorization, body: JSON.parse(raw) });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      // The SQS client checks the MD5 of the body the queue says it stored.
      const md5 = createHash('md5').update(JSON.parse(raw).MessageBody).digest('hex');
      res.end(JSON.stringify({ MessageId: `m${fake.sent.length}`, MD5OfMessageBody: md5 }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  get queueUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/123456789012/ingest`;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

type Handler = (event: SQSEvent) => Promise<SQSBatchResponse>;
type Observability = typeof import('../../lambda/shared/observability');

let bedrock: BedrockFake;
let sqs: SqsFake;
let s3: S3Fake;
let handler: Handler;
let observability: Observability;

beforeAll(async () => {
  bedrock = await BedrockFake.start();
  sqs = await SqsFake.start();
  s3 = await S3Fake.start();
  bedrock.exportEndpoints();
  Object.assign(process.env, {
    KNOWLEDGE_BASE_ID: 'KB00000001',
    DATA_SOURCE_ID: 'DS00000001',
    DOCUMENTS_BUCKET: 'docs',
    DOCUMENTS_BUCKET_DOMAIN: 'docs.s3.us-east-1.amazonaws.com',
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    QUEUE_URL: sqs.queueUrl,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    CHECK_DELAY_SECONDS: '120',
    MAX_CHECKS: '720',
    BEDROCK_MAX_ATTEMPTS: '3',
    BEDROCK_ATTEMPT_TIMEOUT_MS: '1000',
  });
  jest.isolateModules(() => {
    handler = (require('../../lambda/ingest/handler') as { handler: Handler }).handler;
    observability = require('../../lambda/shared/observability') as Observability;
  });
});
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_S3;
  await bedrock.stop();
  await sqs.stop();
  await s3.stop();
});
beforeEach(() => {
  bedrock.reset();
  s3.reset();
  sqs.sent.length = 0;
  sqs.failWith = undefined;
  jest.restoreAllMocks();
});

const s3Event = (key: string, type = 'Object Created') =>
  JSON.stringify({ version: '0', source: 'aws.s3', 'detail-type': type, detail: { bucket: { name: 'docs' }, object: { key, size: 10 } } });
const sqsEvent = (...bodies: string[]): SQSEvent => ({
  Records: bodies.map((body, i) => ({
    messageId: `msg-${i}`,
    receiptHandle: 'r',
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:ingest',
    awsRegion: 'us-east-1',
  })),
});

describe('handler through the real bedrock-agent client', () => {
  test("an uploaded tenant document gets its signed sidecar PUT before StartIngestionJob; a deleted one's sidecar is removed", async () => {
    s3.objects.set('docs/tenants/acme/red flower.pdf', '%PDF');
    s3.objects.set('docs/old.md.metadata.json', '{"metadataAttributes":{"audience":"shared"}}');
    const startsAtPut: number[] = [];
    s3.onRequest = (r) => r.method === 'PUT' && startsAtPut.push(bedrock.count('StartIngestionJob'));
    const res = await handler(sqsEvent(s3Event('tenants/acme/red+flower.pdf'), s3Event('old.md', 'Object Deleted')));
    expect(res).toEqual({ batchItemFailures: [] });
    expect(s3.objects.get('docs/tenants/acme/red flower.pdf.metadata.json')).toBe('{"metadataAttributes":{"audience":"tenant:acme"}}');
    expect(s3.objects.has('docs/old.md.metadata.json')).toBe(false);
    expect(startsAtPut).toEqual([0]);
    expect(bedrock.count('StartIngestionJob')).toBe(1);
    const put = s3.requests.find((r) => r.method === 'PUT')!;
    expect(put.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKEFAKE\/\d{8}\/us-east-1\/s3\/aws4_request, SignedHeaders=[^,]*x-amz-content-sha256/,
    );
    expect(put.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(put.body).digest('hex'));
    expect(put.headers['content-type']).toBe('application/json');
  });

  test('S3 refusing the sidecar (403): the upload returns to the queue, nothing is ingested, the error is logged', async () => {
    s3.objects.set('docs/a.md', 'text');
    const error = jest.spyOn(observability.logger, 'error');
    // The bucket policy's answer to a PutObject it refuses.
    s3.onRequest = (r) => r.method === 'PUT' && s3.faults.push({ status: 403, code: 'AccessDenied' });
    const res = await handler(sqsEvent(s3Event('a.md')));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'msg-0' }]);
    expect(bedrock.count('StartIngestionJob')).toBe(0);
    expect(error).toHaveBeenCalledWith('Could not write the metadata of a document: its upload returns to the queue', {
      key: 'a.md',
      error: 'AccessDenied: PutObject answered 403 AccessDenied',
    });
  });

  test('S3 slowing down (503) is retried; the sidecar is written', async () => {
    s3.objects.set('docs/a.md', 'text');
    s3.faults.push({ status: 503, code: 'SlowDown' });
    const res = await handler(sqsEvent(s3Event('a.md')));
    expect(res.batchItemFailures).toEqual([]);
    expect(s3.objects.get('docs/a.md.metadata.json')).toBe('{"metadataAttributes":{"audience":"shared"}}');
  });

  test('a batch of uploads starts one signed ingestion job and queues a signed, delayed check', async () => {
    const res = await handler(sqsEvent(...Array.from({ length: 50 }, (_, i) => s3Event(`docs/${i}.md`)), s3Event('docs/old.md', 'Object Deleted')));
    expect(res).toEqual({ batchItemFailures: [] });
    expect(bedrock.count('StartIngestionJob')).toBe(1);
    const start = bedrock.requests.find((r) => r.operation === 'StartIngestionJob')!;
    expect(start.params).toMatchObject({ knowledgeBaseId: 'KB00000001', dataSourceId: 'DS00000001' });
    expect(start.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKEFAKE\/\d{8}\/us-east-1\/bedrock\/aws4_request/);
    expect(sqs.sent).toHaveLength(1);
    expect(sqs.sent[0].target).toBe('AmazonSQS.SendMessage');
    expect(sqs.sent[0].authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKEFAKE\/\d{8}\/us-east-1\/sqs\/aws4_request/);
    expect(sqs.sent[0].body).toEqual({
      QueueUrl: sqs.queueUrl,
      DelaySeconds: 120,
      MessageBody: JSON.stringify({ kind: 'check', ingestionJobId: 'JOB0000001', checks: 0 }),
    });
  });

  test('throttling then success: the SDK retries and the job starts', async () => {
    bedrock.enqueue('StartIngestionJob', throttle(), throttle());
    const res = await handler(sqsEvent(s3Event('a.md')));
    expect(res.batchItemFailures).toEqual([]);
    expect(bedrock.count('StartIngestionJob')).toBe(3);
    expect(sqs.sent).toHaveLength(1);
  });

  test('a job already running (ListIngestionJobs): no start, every upload reported as a batch item failure', async () => {
    bedrock.data.jobStatus = 'IN_PROGRESS';
    bedrock.data.jobs.push({ ingestionJobId: 'RUNNING01', knowledgeBaseId: 'KB00000001', dataSourceId: 'DS00000001' });
    const res = await handler(sqsEvent(s3Event('a.md'), s3Event('b.md')));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'msg-0' }, { itemIdentifier: 'msg-1' }]);
    expect(bedrock.count('StartIngestionJob')).toBe(0);
    expect(sqs.sent).toEqual([]);
  });

  test('a 409 ConflictException on start: every upload reported as a batch item failure', async () => {
    bedrock.enqueue('StartIngestionJob', { kind: 'error', status: 409, type: 'ConflictException', message: 'A job is already running' });
    const res = await handler(sqsEvent(s3Event('a.md')));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'msg-0' }]);
    expect(sqs.sent).toEqual([]);
  });

  test('malformed records are dropped with a warning; the valid one in the same batch is processed', async () => {
    const warn = jest.spyOn(observability.logger, 'warn');
    const res = await handler(
      sqsEvent('not json', '{"kind":"check"}', JSON.stringify({ source: 'aws.s3', 'detail-type': 'Object Created', detail: {} }), '[]', s3Event('ok.md')),
    );
    expect(res.batchItemFailures).toEqual([]);
    expect(bedrock.count('StartIngestionJob')).toBe(1);
    expect(warn).toHaveBeenCalledTimes(4);
    expect(warn).toHaveBeenCalledWith('Dropped a malformed queue message', { messageId: 'msg-0', bodyLength: 8 });
  });

  test('a check finding the job FAILED logs at ERROR with the reasons and counts the failure', async () => {
    bedrock.data.jobStatus = 'FAILED';
    const error = jest.spyOn(observability.logger, 'error');
    const metric = jest.spyOn(observability.metrics, 'addMetric');
    const res = await handler(sqsEvent(JSON.stringify({ kind: 'check', ingestionJobId: 'JOB0000001', checks: 1 })));
    expect(res.batchItemFailures).toEqual([]);
    expect(bedrock.requests.find((r) => r.operation === 'GetIngestionJob')?.params).toMatchObject({ ingestionJobId: 'JOB0000001' });
    expect(error).toHaveBeenCalledWith(
      'Ingestion job failed',
      expect.objectContaining({
        ingestionJobId: 'JOB0000001',
        status: 'FAILED',
        failureReasons: ['fake: the embedding model was throttled'],
        documentsFailed: 3,
      }),
    );
    expect(metric).toHaveBeenCalledWith('IngestionJobsFailed', 'Count', 1);
    expect(metric).toHaveBeenCalledWith('DocumentsFailed', 'Count', 3);
    expect(sqs.sent).toEqual([]);
  });

  test('a check finding the job COMPLETE counts the documents indexed and no failure', async () => {
    const metric = jest.spyOn(observability.metrics, 'addMetric');
    await handler(sqsEvent(JSON.stringify({ kind: 'check', ingestionJobId: 'JOB0000001', checks: 1 })));
    expect(metric).toHaveBeenCalledWith('DocumentsIndexed', 'Count', 3);
    expect(metric).not.toHaveBeenCalledWith('IngestionJobsFailed', expect.anything(), expect.anything());
  });

  test('a check finding the job still running queues the next check', async () => {
    bedrock.data.jobStatus = 'IN_PROGRESS';
    await handler(sqsEvent(JSON.stringify({ kind: 'check', ingestionJobId: 'JOB0000001', checks: 3 })));
    expect(sqs.sent.map((m) => JSON.parse(m.body.MessageBody))).toEqual([{ kind: 'check', ingestionJobId: 'JOB0000001', checks: 4 }]);
  });

  test('a queue that refuses the check: the started job is logged and the uploads come back', async () => {
    sqs.failWith = 400;
    const error = jest.spyOn(observability.logger, 'error');
    const res = await handler(sqsEvent(s3Event('a.md')));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'msg-0' }]);
    expect(error).toHaveBeenCalledWith('Ingestion job started but its check could not be queued: uploads return to the queue', {
      ingestionJobId: 'JOB0000001',
      error: 'QueueDoesNotExist: fake',
    });
  });
});
