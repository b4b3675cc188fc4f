import { processBatch, type CheckMessage, type IngestMessage, type IngestSettings, type JobState, type JobStatus } from '../../lambda/ingest/core';

/**
 * The ingestion core, called directly with in-memory ports: the documents bucket (a Map, every
 * call recorded), the ingestion API (scripted answers) and the queue (sends recorded). The handler
 * test (ingest.test.ts) runs the same core against the Bedrock and S3 fakes over HTTP.
 */

const SETTINGS: IngestSettings = { checkDelaySeconds: 30, maxChecks: 5 };

class Documents {
  readonly calls: string[] = [];
  readonly objects = new Map<string, string>();
  failOn?: { readonly call: 'exists' | 'put' | 'remove'; readonly error: unknown };

  constructor(...keys: string[]) {
    for (const key of keys) this.objects.set(key, 'body');
  }

  private maybeFail(call: 'exists' | 'put' | 'remove'): void {
    if (this.failOn?.call === call) throw this.failOn.error;
  }

  async exists(key: string): Promise<boolean> {
    this.calls.push(`exists ${key}`);
    this.maybeFail('exists');
    return this.objects.has(key);
  }

  async put(key: string, body: string): Promise<void> {
    this.calls.push(`put ${key}`);
    this.maybeFail('put');
    this.objects.set(key, body);
  }

  async remove(key: string): Promise<void> {
    this.calls.push(`remove ${key}`);
    this.maybeFail('remove');
    this.objects.delete(key);
  }
}

const job = (ingestionJobId: string, status: JobStatus, documentsFailed = 0): JobState => ({
  ingestionJobId,
  status,
  failureReasons: status === 'FAILED' ? ['boom'] : [],
  documentsScanned: 3,
  documentsIndexed: 2,
  documentsDeleted: 1,
  documentsFailed,
});

interface Script {
  running?: string | (() => never);
  start?: { started: string } | { conflict: true } | (() => never);
  jobs?: Record<string, JobState>;
  getJobError?: unknown;
  sendError?: unknown;
}

function ports(documents: Documents, script: Script = {}) {
  const calls: string[] = [];
  const sent: { message: CheckMessage; delaySeconds: number }[] = [];
  return {
    calls,
    sent,
    deps: {
      documents,
      ingestion: {
        async findRunningJob() {
          calls.push('findRunningJob');
          return typeof script.running === 'function' ? script.running() : script.running;
        },
        async startJob() {
          calls.push('startJob');
          if (typeof script.start === 'function') return script.start();
          return script.start ?? { started: 'job-1' };
        },
        async getJob(ingestionJobId: string) {
          calls.push(`getJob ${ingestionJobId}`);
          if (script.getJobError !== undefined) throw script.getJobError;
          const state = script.jobs?.[ingestionJobId];
          if (!state) throw new Error(`no job ${ingestionJobId}`);
          return state;
        },
      },
      queue: {
        async sendCheck(message: CheckMessage, delaySeconds: number) {
          calls.push(`sendCheck ${message.ingestionJobId} ${message.checks}`);
          if (script.sendError !== undefined) throw script.sendError;
          sent.push({ message, delaySeconds });
        },
      },
    },
  };
}

const upload = (id: string, key: string): IngestMessage => ({ id, kind: 'upload', key });
const check = (id: string, ingestionJobId: string, checks: number): IngestMessage => ({ id, kind: 'check', ingestionJobId, checks });

const SHARED = '{"metadataAttributes":{"audience":"shared"}}';

describe('processBatch: labelling uploads', () => {
  test('an empty batch does nothing', async () => {
    const documents = new Documents();
    const p = ports(documents);
    expect(await processBatch([], p.deps, SETTINGS)).toStrictEqual({ failedMessageIds: [], events: [] });
    expect(documents.calls).toEqual([]);
    expect(p.calls).toEqual([]);
  });

  test('a document that exists gets its sidecar, then one job is started and watched', async () => {
    const documents = new Documents('docs/a.pdf');
    const p = ports(documents);
    expect(await processBatch([upload('m1', 'docs/a.pdf')], p.deps, SETTINGS)).toStrictEqual({
      failedMessageIds: [],
      events: [
        { type: 'labelled', written: 1, removed: 0 },
        { type: 'started', ingestionJobId: 'job-1', uploads: 1 },
      ],
    });
    expect(documents.calls).toEqual(['exists docs/a.pdf', 'put docs/a.pdf.metadata.json']);
    expect(documents.objects.get('docs/a.pdf.metadata.json')).toBe(SHARED);
    expect(p.calls).toEqual(['findRunningJob', 'startJob', 'sendCheck job-1 0']);
    expect(p.sent).toStrictEqual([{ message: { kind: 'check', ingestionJobId: 'job-1', checks: 0 }, delaySeconds: 30 }]);
  });

  test('a tenant document is labelled for its tenant, one under no tenant name is reported unassigned', async () => {
    const documents = new Documents('tenants/Acme/a.pdf', 'tenants/bad name/b.pdf', 'tenants/c.pdf');
    const p = ports(documents);
    const result = await processBatch(
      [upload('m1', 'tenants/Acme/a.pdf'), upload('m2', 'tenants/bad name/b.pdf'), upload('m3', 'tenants/c.pdf')],
      p.deps,
      SETTINGS,
    );
    expect(result).toStrictEqual({
      failedMessageIds: [],
      events: [
        { type: 'unassigned', key: 'tenants/bad name/b.pdf' },
        { type: 'unassigned', key: 'tenants/c.pdf' },
        { type: 'labelled', written: 3, removed: 0 },
        { type: 'started', ingestionJobId: 'job-1', uploads: 3 },
      ],
    });
    expect(documents.objects.get('tenants/Acme/a.pdf.metadata.json')).toBe('{"metadataAttributes":{"audience":"tenant:acme"}}');
    expect(documents.objects.get('tenants/bad name/b.pdf.metadata.json')).toBe('{"metadataAttributes":{"audience":"none"}}');
  });

  test('a URL-encoded key names the document by its decoded form when only that exists', async () => {
    const documents = new Documents('docs/red flower (1).jpg');
    const p = ports(documents);
    const result = await processBatch([upload('m1', 'docs/red+flower+%281%29.jpg')], p.deps, SETTINGS);
    expect(result.events[0]).toStrictEqual({ type: 'labelled', written: 1, removed: 0 });
    expect(documents.calls).toEqual(['exists docs/red+flower+%281%29.jpg', 'exists docs/red flower (1).jpg', 'put docs/red flower (1).jpg.metadata.json']);
  });

  test('the key as written wins when it exists, and is asked once when decoding changes nothing', async () => {
    const encoded = new Documents('a+b.txt', 'a b.txt');
    await processBatch([upload('m1', 'a+b.txt')], ports(encoded).deps, SETTINGS);
    expect(encoded.calls).toEqual(['exists a+b.txt', 'put a+b.txt.metadata.json']);

    const plain = new Documents();
    await processBatch([upload('m1', 'plain.txt')], ports(plain).deps, SETTINGS);
    expect(plain.calls).toEqual(['exists plain.txt', 'exists plain.txt.metadata.json']);
  });

  test('a key that is no valid URL encoding is taken as written', async () => {
    const documents = new Documents('100%.txt');
    const p = ports(documents);
    const result = await processBatch([upload('m1', '100%.txt')], p.deps, SETTINGS);
    expect(result.events[0]).toStrictEqual({ type: 'labelled', written: 1, removed: 0 });
    expect(documents.calls).toEqual(['exists 100%.txt', 'put 100%.txt.metadata.json']);

    const gone = new Documents();
    await processBatch([upload('m1', '100%.txt')], ports(gone).deps, SETTINGS);
    expect(gone.calls).toEqual(['exists 100%.txt', 'exists 100%.txt.metadata.json']);
  });

  test('a document that is gone loses every sidecar it has (as written and decoded), and only those', async () => {
    const documents = new Documents('a+b.txt.metadata.json', 'a b.txt.metadata.json', 'c.txt.metadata.json');
    const p = ports(documents);
    const result = await processBatch([upload('m1', 'a+b.txt'), upload('m2', 'c.txt'), upload('m3', 'd+e.txt')], p.deps, SETTINGS);
    expect(result).toStrictEqual({
      failedMessageIds: [],
      events: [
        { type: 'labelled', written: 0, removed: 3 },
        { type: 'started', ingestionJobId: 'job-1', uploads: 3 },
      ],
    });
    expect(documents.calls).toEqual([
      'exists a+b.txt',
      'exists a b.txt',
      'exists a+b.txt.metadata.json',
      'remove a+b.txt.metadata.json',
      'exists a b.txt.metadata.json',
      'remove a b.txt.metadata.json',
      'exists c.txt',
      'exists c.txt.metadata.json',
      'remove c.txt.metadata.json',
      'exists d+e.txt',
      'exists d e.txt',
      'exists d+e.txt.metadata.json',
      'exists d e.txt.metadata.json',
    ]);
    expect([...documents.objects.keys()]).toEqual([]);
  });

  test('a gone document without a sidecar reports no labelling, but its upload still starts a job', async () => {
    const p = ports(new Documents());
    expect(await processBatch([upload('m1', 'gone.txt')], p.deps, SETTINGS)).toStrictEqual({
      failedMessageIds: [],
      events: [{ type: 'started', ingestionJobId: 'job-1', uploads: 1 }],
    });
  });

  test('written and removed are counted together', async () => {
    const documents = new Documents('a.txt', 'b.txt.metadata.json');
    const result = await processBatch([upload('m1', 'a.txt'), upload('m2', 'b.txt')], ports(documents).deps, SETTINGS);
    expect(result.events[0]).toStrictEqual({ type: 'labelled', written: 1, removed: 1 });
  });

  test('several events of one key label it once and are covered by the job together', async () => {
    const documents = new Documents('a.txt');
    const p = ports(documents);
    const result = await processBatch([upload('m1', 'a.txt'), upload('m2', 'b.txt'), upload('m3', 'a.txt')], p.deps, SETTINGS);
    expect(result).toStrictEqual({
      failedMessageIds: [],
      events: [
        { type: 'labelled', written: 1, removed: 0 },
        { type: 'started', ingestionJobId: 'job-1', uploads: 3 },
      ],
    });
    expect(documents.calls).toEqual(['exists a.txt', 'put a.txt.metadata.json', 'exists b.txt', 'exists b.txt.metadata.json']);
  });

  test('events of sidecars are counted and ignored: no storage call, no job', async () => {
    const documents = new Documents('a.txt.metadata.json');
    const p = ports(documents);
    expect(
      await processBatch([upload('m1', 'a.txt.metadata.json'), upload('m2', 'a.txt.metadata.json'), upload('m3', 'b.metadata.json')], p.deps, SETTINGS),
    ).toStrictEqual({ failedMessageIds: [], events: [{ type: 'sidecars-ignored', count: 3 }] });
    expect(documents.calls).toEqual([]);
    expect(p.calls).toEqual([]);
  });

  test('a folder marker is not labelled but counts as an upload for the job', async () => {
    const documents = new Documents('tenants/acme/');
    const p = ports(documents);
    expect(await processBatch([upload('m1', 'tenants/acme/')], p.deps, SETTINGS)).toStrictEqual({
      failedMessageIds: [],
      events: [{ type: 'started', ingestionJobId: 'job-1', uploads: 1 }],
    });
    expect(documents.calls).toEqual([]);
  });

  test.each([
    ['exists', new Error('slow down'), 'Error: slow down'],
    ['put', Object.assign(new Error('denied'), { name: 'AccessDenied' }), 'AccessDenied: denied'],
    ['remove', 'a string', 'a string'],
  ] as const)('a failed %s returns every message of the key, and a job covers only the others', async (call, error, described) => {
    const documents = new Documents('a.txt', 'a.txt.metadata.json');
    if (call === 'remove') documents.objects.delete('a.txt');
    documents.failOn = { call, error };
    const p = ports(documents);
    // b/ is a folder marker: it needs no storage call, so it is covered by the job.
    const result = await processBatch([upload('m1', 'a.txt'), upload('m2', 'b/'), upload('m3', 'a.txt')], p.deps, SETTINGS);
    expect(result).toStrictEqual({
      failedMessageIds: ['m1', 'm3'],
      events: [
        { type: 'label-failed', key: 'a.txt', error: described },
        { type: 'started', ingestionJobId: 'job-1', uploads: 1 },
      ],
    });
  });

  test('when every upload fails to be labelled no job is started', async () => {
    const documents = new Documents();
    documents.failOn = { call: 'exists', error: new TypeError('bad') };
    const p = ports(documents);
    expect(await processBatch([upload('m1', 'a.txt')], p.deps, SETTINGS)).toStrictEqual({
      failedMessageIds: ['m1'],
      events: [{ type: 'label-failed', key: 'a.txt', error: 'TypeError: bad' }],
    });
    expect(p.calls).toEqual([]);
  });

  test('events come in order: per-key events, labelled, sidecars ignored, then the job', async () => {
    const documents = new Documents('tenants/c.pdf');
    const p = ports(documents);
    const result = await processBatch([upload('m1', 'x.metadata.json'), upload('m2', 'tenants/c.pdf')], p.deps, SETTINGS);
    expect(result.events).toStrictEqual([
      { type: 'unassigned', key: 'tenants/c.pdf' },
      { type: 'labelled', written: 1, removed: 0 },
      { type: 'sidecars-ignored', count: 1 },
      { type: 'started', ingestionJobId: 'job-1', uploads: 1 },
    ]);
  });
});

describe('processBatch: starting a job', () => {
  test('a running job defers the uploads to the next one, without trying to start', async () => {
    const p = ports(new Documents(), { running: 'job-0' });
    expect(await processBatch([upload('m1', 'a/'), upload('m2', 'b/')], p.deps, SETTINGS)).toStrictEqual({
      failedMessageIds: ['m1', 'm2'],
      events: [{ type: 'deferred', runningJobId: 'job-0', uploads: 2 }],
    });
    expect(p.calls).toEqual(['findRunningJob']);
  });

  test('a conflict on start defers the uploads too, naming no running job', async () => {
    const p = ports(new Documents(), { start: { conflict: true } });
    expect(await processBatch([upload('m1', 'a/')], p.deps, SETTINGS)).toStrictEqual({
      failedMessageIds: ['m1'],
      events: [{ type: 'deferred', runningJobId: undefined, uploads: 1 }],
    });
    expect(p.calls).toEqual(['findRunningJob', 'startJob']);
  });

  test('a job whose first check cannot be scheduled returns the uploads', async () => {
    const p = ports(new Documents(), { start: { started: 'job-7' }, sendError: new Error('queue down') });
    expect(await processBatch([upload('m1', 'a/'), upload('m2', 'b/')], p.deps, { checkDelaySeconds: 900, maxChecks: 1 })).toStrictEqual({
      failedMessageIds: ['m1', 'm2'],
      events: [
        { type: 'started', ingestionJobId: 'job-7', uploads: 2 },
        { type: 'check-not-scheduled', ingestionJobId: 'job-7', error: 'Error: queue down' },
      ],
    });
    expect(p.calls).toEqual(['findRunningJob', 'startJob', 'sendCheck job-7 0']);
  });

  test('a failure to look for a running job or to start one returns the uploads', async () => {
    const lookup = ports(new Documents(), {
      running: () => {
        throw new Error('throttled');
      },
    });
    expect(await processBatch([upload('m1', 'a/')], lookup.deps, SETTINGS)).toStrictEqual({
      failedMessageIds: ['m1'],
      events: [{ type: 'start-failed', uploads: 1, error: 'Error: throttled' }],
    });
    expect(lookup.calls).toEqual(['findRunningJob']);

    const start = ports(new Documents(), {
      start: () => {
        throw 42;
      },
    });
    expect(await processBatch([upload('m1', 'a/'), upload('m2', 'b/')], start.deps, SETTINGS)).toStrictEqual({
      failedMessageIds: ['m1', 'm2'],
      events: [{ type: 'start-failed', uploads: 2, error: '42' }],
    });
    expect(start.calls).toEqual(['findRunningJob', 'startJob']);
  });

  test('check messages alone start no job', async () => {
    const p = ports(new Documents(), { jobs: { 'job-1': job('job-1', 'COMPLETE') } });
    await processBatch([check('c1', 'job-1', 0)], p.deps, SETTINGS);
    expect(p.calls).toEqual(['getJob job-1']);
  });
});

describe('processBatch: watching a job', () => {
  test.each(['STARTING', 'IN_PROGRESS', 'STOPPING'] as const)('a %s job is checked again later, its count one higher', async (status) => {
    const p = ports(new Documents(), { jobs: { 'job-1': job('job-1', status) } });
    expect(await processBatch([check('c1', 'job-1', 3)], p.deps, SETTINGS)).toStrictEqual({
      failedMessageIds: [],
      events: [{ type: 'running', ingestionJobId: 'job-1', checks: 4 }],
    });
    expect(p.sent).toStrictEqual([{ message: { kind: 'check', ingestionJobId: 'job-1', checks: 4 }, delaySeconds: 30 }]);
  });

  test('a job still running after maxChecks checks is abandoned, not checked again', async () => {
    const p = ports(new Documents(), { jobs: { 'job-1': job('job-1', 'IN_PROGRESS') } });
    expect(await processBatch([check('c1', 'job-1', 4)], p.deps, SETTINGS)).toStrictEqual({
      failedMessageIds: [],
      events: [{ type: 'abandoned', ingestionJobId: 'job-1', checks: 5 }],
    });
    expect(p.calls).toEqual(['getJob job-1']);

    const over = ports(new Documents(), { jobs: { 'job-1': job('job-1', 'STARTING') } });
    expect((await processBatch([check('c1', 'job-1', 9)], over.deps, SETTINGS)).events).toStrictEqual([
      { type: 'abandoned', ingestionJobId: 'job-1', checks: 10 },
    ]);
    expect(over.sent).toEqual([]);
  });

  test('a job that completed with no failed document is complete', async () => {
    const state = job('job-1', 'COMPLETE');
    const p = ports(new Documents(), { jobs: { 'job-1': state } });
    expect(await processBatch([check('c1', 'job-1', 0)], p.deps, SETTINGS)).toStrictEqual({ failedMessageIds: [], events: [{ type: 'complete', job: state }] });
    expect(p.sent).toEqual([]);
  });

  test('a job that completed with failed documents, failed or was stopped has failed', async () => {
    const states = [job('job-1', 'COMPLETE', 1), job('job-2', 'FAILED'), job('job-3', 'STOPPED')];
    const p = ports(new Documents(), { jobs: Object.fromEntries(states.map((s) => [s.ingestionJobId, s])) });
    expect(await processBatch([check('c1', 'job-1', 0), check('c2', 'job-2', 1), check('c3', 'job-3', 2)], p.deps, SETTINGS)).toStrictEqual({
      failedMessageIds: [],
      events: states.map((s) => ({ type: 'failed', job: s })),
    });
    expect(p.sent).toEqual([]);
  });

  test('duplicate checks of one job in a batch are checked once, the first one counting', async () => {
    const p = ports(new Documents(), { jobs: { 'job-1': job('job-1', 'IN_PROGRESS'), 'job-2': job('job-2', 'IN_PROGRESS') } });
    expect(await processBatch([check('c1', 'job-1', 1), check('c2', 'job-2', 0), check('c3', 'job-1', 3)], p.deps, SETTINGS)).toStrictEqual({
      failedMessageIds: [],
      events: [
        { type: 'running', ingestionJobId: 'job-1', checks: 2 },
        { type: 'running', ingestionJobId: 'job-2', checks: 1 },
      ],
    });
    expect(p.calls).toEqual(['getJob job-1', 'sendCheck job-1 2', 'getJob job-2', 'sendCheck job-2 1']);
  });

  test('a check that cannot read the job or schedule the next check comes back', async () => {
    const read = ports(new Documents(), { getJobError: new Error('throttled') });
    expect(await processBatch([check('c1', 'job-1', 0)], read.deps, SETTINGS)).toStrictEqual({
      failedMessageIds: ['c1'],
      events: [{ type: 'check-failed', ingestionJobId: 'job-1', error: 'Error: throttled' }],
    });

    const send = ports(new Documents(), { jobs: { 'job-1': job('job-1', 'IN_PROGRESS') }, sendError: 'queue down' });
    expect(await processBatch([check('c1', 'job-1', 0)], send.deps, SETTINGS)).toStrictEqual({
      failedMessageIds: ['c1'],
      events: [{ type: 'check-failed', ingestionJobId: 'job-1', error: 'queue down' }],
    });
  });

  test('uploads and checks in one batch: labelling, the start, then the checks; failures collected', async () => {
    const documents = new Documents('a.txt');
    const p = ports(documents, { start: { started: 'job-2' }, jobs: { 'job-1': job('job-1', 'COMPLETE') } });
    expect(await processBatch([check('c1', 'job-1', 0), upload('m1', 'a.txt'), check('c2', 'job-9', 0)], p.deps, SETTINGS)).toStrictEqual({
      failedMessageIds: ['c2'],
      events: [
        { type: 'labelled', written: 1, removed: 0 },
        { type: 'started', ingestionJobId: 'job-2', uploads: 1 },
        { type: 'complete', job: job('job-1', 'COMPLETE') },
        { type: 'check-failed', ingestionJobId: 'job-9', error: 'Error: no job job-9' },
      ],
    });
    expect(p.calls).toEqual(['findRunningJob', 'startJob', 'sendCheck job-2 0', 'getJob job-1', 'getJob job-9']);
  });
});
