import { BedrockAgentClient } from '@aws-sdk/client-bedrock-agent';
import { ingestionApi } from '../../lambda/ingest/ingestion';
import { answering, answeringHttp } from '../support/sdk-client';

/**
 * lambda/ingest/ingestion.ts on its own: the ingestion job API of one data source, through a real
 * bedrock-agent client whose `send` (or request handler, for the service's own errors) answers from memory.
 */

afterEach(() => jest.restoreAllMocks());

const IDS = { knowledgeBaseId: 'KB12345678', dataSourceId: 'DS12345678' };

function api() {
  const client = new BedrockAgentClient({ region: 'us-east-1', maxAttempts: 1 });
  return { client, port: ingestionApi(client, IDS.knowledgeBaseId, IDS.dataSourceId) };
}

describe('startJob', () => {
  test('starts a job of the data source, described, and returns its id', async () => {
    const { client, port } = api();
    const sent = answering(client, () => ({ ingestionJob: { ingestionJobId: 'JOB1', status: 'STARTING' } }));
    await expect(port.startJob()).resolves.toEqual({ started: 'JOB1' });
    expect(sent).toEqual([
      {
        command: 'StartIngestionJobCommand',
        input: { ...IDS, description: 'Started after uploads to the documents bucket' },
        abortSignal: undefined,
      },
    ]);
  });

  test.each([{}, { ingestionJob: {} }, { ingestionJob: { ingestionJobId: '' } }])('an answer without a job id is an error: %j', async (answer) => {
    const { client, port } = api();
    answering(client, () => answer);
    await expect(port.startJob()).rejects.toThrow(new Error('StartIngestionJob returned no job id'));
  });

  test('the service’s 409 ConflictException (a job of the data source is running) is `conflict`, not an error', async () => {
    const { client, port } = api();
    const sent = answeringHttp(client, () => ({ status: 409, headers: { 'x-amzn-errortype': 'ConflictException' }, body: { message: 'running' } }));
    await expect(port.startJob()).resolves.toEqual({ conflict: true });
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([`PUT /knowledgebases/${IDS.knowledgeBaseId}/datasources/${IDS.dataSourceId}/ingestionjobs/`]);
  });

  test('any other error reaches the caller as it is', async () => {
    const { client, port } = api();
    answeringHttp(client, () => ({ status: 400, headers: { 'x-amzn-errortype': 'ValidationException' }, body: { message: 'bad data source' } }));
    await expect(port.startJob()).rejects.toMatchObject({ name: 'ValidationException', message: 'bad data source' });
    jest.restoreAllMocks();
    const other = api();
    const failure = new Error('socket hang up');
    answering(other.client, () => Promise.reject(failure));
    await expect(other.port.startJob()).rejects.toBe(failure);
  });
});

describe('findRunningJob', () => {
  test('lists the data source’s STARTING and IN_PROGRESS jobs, newest first, and returns the first one', async () => {
    const { client, port } = api();
    const sent = answering(client, () => ({
      ingestionJobSummaries: [
        { ingestionJobId: 'J3', status: 'IN_PROGRESS' },
        { ingestionJobId: 'J2', status: 'STARTING' },
      ],
    }));
    await expect(port.findRunningJob()).resolves.toBe('J3');
    expect(sent).toEqual([
      {
        command: 'ListIngestionJobsCommand',
        input: {
          ...IDS,
          filters: [{ attribute: 'STATUS', operator: 'EQ', values: ['STARTING', 'IN_PROGRESS'] }],
          sortBy: { attribute: 'STARTED_AT', order: 'DESCENDING' },
          maxResults: 10,
        },
        abortSignal: undefined,
      },
    ]);
  });

  test.each([
    [
      'a STARTING job after finished ones',
      [{ ingestionJobId: 'J9', status: 'COMPLETE' }, { ingestionJobId: 'J8' }, { ingestionJobId: 'J7', status: 'STARTING' }],
      'J7',
    ],
    [
      'an IN_PROGRESS job after a stopping one',
      [
        { ingestionJobId: 'J9', status: 'STOPPING' },
        { ingestionJobId: 'J8', status: 'IN_PROGRESS' },
      ],
      'J8',
    ],
    [
      'none running (the filter not honoured)',
      [{ ingestionJobId: 'J9', status: 'FAILED' }, { ingestionJobId: 'J8', status: 'STOPPED' }, { ingestionJobId: 'J7' }],
      undefined,
    ],
    ['an empty list', [], undefined],
    ['no list at all', undefined, undefined],
  ])('trusts the answer for its shape only: %s', async (_, summaries, expected) => {
    const { client, port } = api();
    answering(client, () => ({ ingestionJobSummaries: summaries }));
    await expect(port.findRunningJob()).resolves.toBe(expected);
  });
});

describe('getJob', () => {
  test('reads the job of the data source: status, failure reasons and counts (new and modified documents are both indexed)', async () => {
    const { client, port } = api();
    const sent = answering(client, () => ({
      ingestionJob: {
        ingestionJobId: 'JOB1',
        status: 'COMPLETE',
        failureReasons: ['doc.pdf: too large'],
        statistics: {
          numberOfDocumentsScanned: 11,
          numberOfNewDocumentsIndexed: 3,
          numberOfModifiedDocumentsIndexed: 4,
          numberOfDocumentsDeleted: 2,
          numberOfDocumentsFailed: 1,
          numberOfMetadataDocumentsScanned: 5,
        },
      },
    }));
    await expect(port.getJob('JOB1')).resolves.toEqual({
      ingestionJobId: 'JOB1',
      status: 'COMPLETE',
      failureReasons: ['doc.pdf: too large'],
      documentsScanned: 11,
      documentsIndexed: 7,
      documentsDeleted: 2,
      documentsFailed: 1,
    });
    expect(sent).toEqual([{ command: 'GetIngestionJobCommand', input: { ...IDS, ingestionJobId: 'JOB1' }, abortSignal: undefined }]);
  });

  test('counts missing from the statistics are 0; only new or only modified documents are counted alone', async () => {
    const { client, port } = api();
    const answers = [
      { ingestionJob: { status: 'IN_PROGRESS', statistics: { numberOfNewDocumentsIndexed: 3 } } },
      { ingestionJob: { status: 'IN_PROGRESS', statistics: { numberOfModifiedDocumentsIndexed: 4 } } },
      { ingestionJob: { status: 'STARTING' } },
    ];
    answering(client, () => answers.shift() ?? {});
    const zero = { failureReasons: [], documentsScanned: 0, documentsDeleted: 0, documentsFailed: 0 };
    await expect(port.getJob('A')).resolves.toEqual({ ingestionJobId: 'A', status: 'IN_PROGRESS', ...zero, documentsIndexed: 3 });
    await expect(port.getJob('B')).resolves.toEqual({ ingestionJobId: 'B', status: 'IN_PROGRESS', ...zero, documentsIndexed: 4 });
    await expect(port.getJob('C')).resolves.toEqual({ ingestionJobId: 'C', status: 'STARTING', ...zero, documentsIndexed: 0 });
  });

  test.each(['STARTING', 'IN_PROGRESS', 'STOPPING', 'COMPLETE', 'FAILED', 'STOPPED'])('status %s is reported as it is', async (status) => {
    const { client, port } = api();
    answering(client, () => ({ ingestionJob: { status } }));
    await expect(port.getJob('J')).resolves.toMatchObject({ status });
  });

  test.each([
    ['an unknown status', { ingestionJob: { status: 'PAUSED' } }],
    ['no status', { ingestionJob: {} }],
    ['no job', {}],
  ])('%s is a failure, not a job to watch forever', async (_, answer) => {
    const { client, port } = api();
    answering(client, () => answer);
    await expect(port.getJob('J')).resolves.toEqual({
      ingestionJobId: 'J',
      status: 'FAILED',
      failureReasons: [],
      documentsScanned: 0,
      documentsIndexed: 0,
      documentsDeleted: 0,
      documentsFailed: 0,
    });
  });
});
