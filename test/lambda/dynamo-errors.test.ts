import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoDb, type DynamoSettings, isConditionFailed, storeFailure } from '../../lambda/shared/dynamo';
import { HttpError } from '../../lambda/shared/http';
import { jsonObject, parseJson } from '../support/json';
import { answeringHttp, type HttpReply } from '../support/sdk-client';

/**
 * lambda/shared/dynamo.ts on its own, in process: the document client createDynamoDb builds, its
 * requests answered from memory (the SDK still serializes, retries and reads the errors), and how
 * a store's failure reaches the client. The stores' own tests run against DynamoDB Local.
 */

afterEach(() => jest.restoreAllMocks());

const TABLE = 'sessions';

/** A DynamoDB error reply as the service sends it (JSON 1.0: the type in `__type`). */
const dynamoError = (status: number, type: string): HttpReply => ({
  status,
  body: { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: `table ${TABLE} in account 123456789012` },
});

/** The error a GetItem raises when DynamoDB answers `reply`, after every attempt the client makes. */
async function failedGet(reply: HttpReply, settings: DynamoSettings = { maxAttempts: 1 }): Promise<{ error: unknown; attempts: number }> {
  const documents = createDynamoDb(settings);
  const sent = answeringHttp(documents, () => reply);
  const error: unknown = await documents.send(new GetCommand({ TableName: TABLE, Key: { pk: 'a' } })).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, attempts: sent.length };
}

describe('createDynamoDb', () => {
  test('retries a failed call: 3 calls by default, maxAttempts when given', async () => {
    const reply = dynamoError(500, 'InternalServerError');
    expect((await failedGet(reply, {})).attempts).toBe(3);
    jest.restoreAllMocks();
    const { error, attempts } = await failedGet(reply, { maxAttempts: 2 });
    expect(attempts).toBe(2);
    expect((error as Error).name).toBe('InternalServerError');
  });

  /** The request handler's options, resolved by one call whose signal is already aborted (no connection is opened). */
  async function handlerOptions(settings: DynamoSettings) {
    const documents = createDynamoDb(settings);
    const error: unknown = await documents.send(new GetCommand({ TableName: TABLE, Key: { pk: 'a' } }), { abortSignal: AbortSignal.abort() }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(storeFailure(error, 'Conversation history')).toMatchObject({ statusCode: 503 });
    return (documents.config.requestHandler as { httpHandlerConfigs(): Record<string, unknown> }).httpHandlerConfigs();
  }

  test('cuts each attempt and its connection at 1 s by default, at attemptTimeoutMs when given (an error, not a warning)', async () => {
    expect(await handlerOptions({})).toMatchObject({ connectionTimeout: 1_000, requestTimeout: 1_000, throwOnRequestTimeout: true });
    expect(await handlerOptions({ attemptTimeoutMs: 250 })).toMatchObject({ connectionTimeout: 250, requestTimeout: 250, throwOnRequestTimeout: true });
  });

  test('retries in standard mode even where AWS_RETRY_MODE asks for adaptive', async () => {
    const before = process.env.AWS_RETRY_MODE;
    process.env.AWS_RETRY_MODE = 'adaptive';
    try {
      const strategy = (await createDynamoDb().config.retryStrategy()) as { mode?: string };
      expect(strategy.mode).toBe('standard');
    } finally {
      if (before === undefined) delete process.env.AWS_RETRY_MODE;
      else process.env.AWS_RETRY_MODE = before;
    }
  });

  test('an item holding undefined values, in nested maps and lists too, is sent without them', async () => {
    const documents = createDynamoDb();
    const sent = answeringHttp(documents, () => ({ status: 200, body: {} }));
    const turn = { role: 'user', text: 'Hi', citations: undefined };
    await documents.send(
      new PutCommand({ TableName: TABLE, Item: { pk: 'a', title: undefined, turns: [turn, undefined], meta: { tenant: undefined, n: 2 } } }),
    );
    expect(parseJson(jsonObject, sent[0]!.body)).toEqual({
      TableName: TABLE,
      Item: { pk: { S: 'a' }, turns: { L: [{ M: { role: { S: 'user' }, text: { S: 'Hi' } } }] }, meta: { M: { n: { N: '2' } } } },
    });
    expect(sent[0]).toMatchObject({ method: 'POST', hostname: 'dynamodb.us-east-1.amazonaws.com', headers: { 'x-amz-target': 'DynamoDB_20120810.PutItem' } });
  });
});

describe('storeFailure', () => {
  test.each([['ProvisionedThroughputExceededException'], ['ThrottlingException'], ['RequestLimitExceeded']])(
    'DynamoDB’s %s: 429, the store named, Retry-After 2 s',
    async (type) => {
      const { error } = await failedGet(dynamoError(400, type));
      expect((error as Error).name).toBe(type);
      const failure = storeFailure(error, 'Conversation history');
      expect(failure).toBeInstanceOf(HttpError);
      expect(failure).toMatchObject({
        statusCode: 429,
        message: 'Conversation history is busy; retry after the delay in Retry-After',
        headers: { 'Retry-After': '2' },
      });
    },
  );

  test.each([['AccessDeniedException'], ['ResourceNotFoundException'], ['UnrecognizedClientException'], ['ValidationException']])(
    'DynamoDB’s %s: 500, a configuration fault, with nothing of DynamoDB’s text',
    async (type) => {
      const { error } = await failedGet(dynamoError(400, type));
      expect((error as Error).name).toBe(type);
      expect(storeFailure(error, 'Feedback')).toMatchObject({
        statusCode: 500,
        message: 'The service is not configured correctly; the operator has been alerted',
        headers: {},
      });
    },
  );

  test.each([
    ['a 500 InternalServerError', dynamoError(500, 'InternalServerError')],
    ['a 503 with no body', { status: 503 }],
    ['an error the client does not know', dynamoError(400, 'TransactionConflictException')],
  ])('%s: 503, the store unavailable for now', async (_, reply) => {
    const { error } = await failedGet(reply);
    expect(storeFailure(error, 'Feedback')).toMatchObject({ statusCode: 503, message: 'Feedback is unavailable; try again later', headers: {} });
  });

  test('a failure with no name, or not an error at all, is the store unavailable', () => {
    for (const error of [new Error('socket hang up'), undefined, null, 'ECONNRESET']) {
      expect(storeFailure(error, 'Feedback')).toMatchObject({ statusCode: 503, message: 'Feedback is unavailable; try again later' });
    }
  });

  test('an HttpError the store raised itself reaches the client as it is', () => {
    const own = new HttpError(409, 'The session changed; reload it');
    expect(storeFailure(own, 'Conversation history')).toBe(own);
  });
});

describe('isConditionFailed', () => {
  test('is true for DynamoDB’s ConditionalCheckFailedException only', async () => {
    const { error } = await failedGet(dynamoError(400, 'ConditionalCheckFailedException'));
    expect(isConditionFailed(error)).toBe(true);
    const { error: other } = await failedGet(dynamoError(400, 'TransactionConflictException'));
    expect(isConditionFailed(other)).toBe(false);
    for (const value of [undefined, null, 'ConditionalCheckFailedException', new Error('ConditionalCheckFailedException')]) {
      expect(isConditionFailed(value)).toBe(false);
    }
  });
});
