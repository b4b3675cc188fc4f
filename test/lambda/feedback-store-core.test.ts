import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type AnswerRecord, FeedbackStore, type Rating } from '../../lambda/shared/feedback-store';
import { RETRY_AFTER_SECONDS } from '../../lambda/shared/http';
import type { Owner } from '../../lambda/shared/sessions-store';
import { FEEDBACK_TABLE, type MemoryDynamoDb, dynamoError, intercept, memoryDynamoDb } from '../support/dynamo-memory';
import { httpFailure } from '../support/refusal';

/**
 * The feedback store against DynamoDB's engine in this process (test/support/dynamo-memory.ts):
 * what a caller sees of recording an answer and rating it, including the conditional writes
 * (a retried record, a concurrent rater, a retried write that landed) and the store's failures.
 */
const TABLE = 'Feedback';
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1, 12); // a whole second: the answer's expiry and its window end agree
const SETTINGS = { windowDays: 7, retentionDays: 30 };
const ALICE: Owner = { principal: 'alice' };
const ANSWER: AnswerRecord = { requestId: 'r1', owner: ALICE, model: 'nova-lite', modelId: 'amazon.nova-lite-v1:0' };

let mem: MemoryDynamoDb;
let clock: number;
beforeEach(async () => {
  mem = await memoryDynamoDb([FEEDBACK_TABLE(TABLE)]);
  clock = T0;
});
afterEach(async () => {
  jest.restoreAllMocks();
  await mem.idle();
});

const storeFor = (settings = SETTINGS) => new FeedbackStore(mem.doc, TABLE, settings, () => clock);
/** Another writer on the same table, not intercepted. */
const rival = () => new FeedbackStore(mem.direct, TABLE, SETTINGS, () => clock);
const stored = async (requestId = 'r1') => (await mem.direct.send(new GetCommand({ TableName: TABLE, Key: { requestId } }))).Item;
const iso = (ms: number) => new Date(ms).toISOString();

const failure = httpFailure;
const BUSY = `429 Feedback is busy; retry after the delay in Retry-After (Retry-After ${RETRY_AFTER_SECONDS})`;
const NOT_FOUND = '404 No answer with this requestId to rate: it is unknown, not yours, or older than the feedback window';

describe('recordAnswer', () => {
  test('stores who received the answer and what answered, expiring when the feedback window closes', async () => {
    await storeFor().recordAnswer({
      ...ANSWER,
      owner: { principal: 'alice', tenant: 'acme' },
      promptVersion: '3',
      guardrailVersion: '2',
      cache: 'none',
      sessionId: 's1',
    });
    expect(await stored()).toStrictEqual({
      requestId: 'r1',
      principal: 'alice',
      tenant: 'acme',
      model: 'nova-lite',
      modelId: 'amazon.nova-lite-v1:0',
      promptVersion: '3',
      guardrailVersion: '2',
      cache: 'none',
      sessionId: 's1',
      createdAt: iso(T0),
      // The TTL attribute: epoch seconds, whole (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/time-to-live-ttl-before-you-start.html).
      expiresAt: T0 / 1000 + 7 * 86_400,
    });
  });

  test('an answer without tenant, versions, cache or session stores none of them (no tenant is "-")', async () => {
    clock = T0 + 1_999; // expiry is in whole seconds, rounded down
    await storeFor().recordAnswer(ANSWER);
    expect(await stored()).toStrictEqual({
      requestId: 'r1',
      principal: 'alice',
      tenant: '-',
      model: 'nova-lite',
      modelId: 'amazon.nova-lite-v1:0',
      createdAt: iso(T0 + 1_999),
      expiresAt: T0 / 1000 + 1 + 7 * 86_400,
    });
  });

  test('an empty sessionId is not stored', async () => {
    await storeFor().recordAnswer({ ...ANSWER, sessionId: '' });
    expect(await stored()).not.toHaveProperty('sessionId');
  });

  test('a retry of the same request keeps the first record, and the rating given to it', async () => {
    const store = storeFor();
    await store.recordAnswer(ANSWER);
    await store.rate('r1', ALICE, 'up', 'good');
    clock += 1_000;
    await store.recordAnswer({ ...ANSWER, owner: { principal: 'bob' }, model: 'claude' });
    expect(await stored()).toMatchObject({ principal: 'alice', model: 'nova-lite', rating: 'up', comment: 'good' });
    expect((await store.rate('r1', ALICE, 'up', 'good')).outcome).toBe('unchanged');
  });

  test('a store that cannot be reached fails the call with the store named, not DynamoDB’s text', async () => {
    intercept(mem.doc, () => Promise.reject(dynamoError('ThrottlingException')));
    expect(await failure(storeFor().recordAnswer(ANSWER))).toBe(BUSY);
  });

  test('an aborted request writes nothing', async () => {
    const aborted = AbortSignal.abort();
    expect(await failure(storeFor().recordAnswer(ANSWER, aborted))).toBe('503 Feedback is unavailable; try again later');
    expect(await stored()).toBeUndefined();
  });
});

describe('rate', () => {
  const rateAt = async (at: number, rating: Rating = 'up', comment?: string, owner = ALICE) => {
    clock = at;
    return storeFor().rate('r1', owner, rating, comment);
  };

  test('the first rating is recorded, with the answer it is about', async () => {
    await storeFor().recordAnswer({ ...ANSWER, promptVersion: '3', guardrailVersion: '2', cache: 'semantic' });
    expect(await rateAt(T0 + 60_000, 'down', 'wrong date')).toStrictEqual({
      outcome: 'recorded',
      previous: undefined,
      feedback: {
        requestId: 'r1',
        rating: 'down',
        comment: 'wrong date',
        ratedAt: iso(T0 + 60_000),
        model: 'nova-lite',
        modelId: 'amazon.nova-lite-v1:0',
        promptVersion: '3',
        guardrailVersion: '2',
        cache: 'semantic',
      },
    });
  });

  test('a rating without comment, of an answer without versions or cache, reports none of them', async () => {
    await storeFor().recordAnswer(ANSWER);
    expect((await rateAt(T0 + 1, 'up')).feedback).toStrictEqual({
      requestId: 'r1',
      rating: 'up',
      ratedAt: iso(T0 + 1),
      model: 'nova-lite',
      modelId: 'amazon.nova-lite-v1:0',
    });
  });

  test('a rating is kept for the retention period from when it was given', async () => {
    await storeFor().recordAnswer(ANSWER);
    await rateAt(T0 + DAY + 1_500, 'up');
    expect((await stored())?.expiresAt).toBe((T0 + DAY + 1_000) / 1000 + 30 * 86_400);
  });

  test('the same rating and comment again changes nothing and says so', async () => {
    await storeFor().recordAnswer(ANSWER);
    await rateAt(T0 + 1_000, 'up', 'good');
    const before = await stored();
    expect(await rateAt(T0 + 2_000, 'up', 'good')).toStrictEqual({
      outcome: 'unchanged',
      previous: 'up',
      feedback: { requestId: 'r1', rating: 'up', comment: 'good', ratedAt: iso(T0 + 1_000), model: 'nova-lite', modelId: 'amazon.nova-lite-v1:0' },
    });
    expect(await stored()).toStrictEqual(before);
  });

  test('a different rating replaces the stored one and reports the one it replaced', async () => {
    await storeFor().recordAnswer(ANSWER);
    await rateAt(T0 + 1_000, 'up', 'good');
    const result = await rateAt(T0 + 2_000, 'down', 'good');
    expect(result).toMatchObject({ outcome: 'changed', previous: 'up', feedback: { rating: 'down', comment: 'good', ratedAt: iso(T0 + 2_000) } });
    expect(await stored()).toMatchObject({ rating: 'down', comment: 'good', ratedAt: iso(T0 + 2_000) });
  });

  test('a new comment replaces the stored one; no comment removes it', async () => {
    await storeFor().recordAnswer(ANSWER);
    await rateAt(T0 + 1_000, 'up', 'good');
    expect(await rateAt(T0 + 2_000, 'up', 'very good')).toMatchObject({ outcome: 'changed', previous: 'up', feedback: { comment: 'very good' } });
    expect((await stored())?.comment).toBe('very good');
    const removed = await rateAt(T0 + 3_000, 'up');
    expect(removed.outcome).toBe('changed');
    expect(removed.feedback).not.toHaveProperty('comment');
    expect(await stored()).not.toHaveProperty('comment');
    // ...and the same rating without comment is then a retry.
    expect((await rateAt(T0 + 4_000, 'up')).outcome).toBe('unchanged');
  });

  test('an answer never recorded cannot be rated, and rating it creates nothing', async () => {
    expect(await failure(rateAt(T0, 'up'))).toBe(NOT_FOUND);
    expect(await stored()).toBeUndefined();
  });

  test('only the principal and tenant who received the answer can rate it; anyone else gets the same 404', async () => {
    await storeFor().recordAnswer({ ...ANSWER, owner: { principal: 'alice', tenant: 'acme' } });
    expect(await failure(rateAt(T0, 'up', undefined, { principal: 'bob', tenant: 'acme' }))).toBe(NOT_FOUND);
    expect(await failure(rateAt(T0, 'up', undefined, { principal: 'alice', tenant: 'globex' }))).toBe(NOT_FOUND);
    expect(await failure(rateAt(T0, 'up', undefined, { principal: 'alice' }))).toBe(NOT_FOUND);
    expect(await stored()).not.toHaveProperty('rating');
    expect((await rateAt(T0, 'up', undefined, { principal: 'alice', tenant: 'acme' })).outcome).toBe('recorded');
  });

  test('an answer given without tenant is rated by its principal without tenant', async () => {
    await storeFor().recordAnswer(ANSWER);
    expect(await failure(rateAt(T0, 'up', undefined, { principal: 'alice', tenant: 'acme' }))).toBe(NOT_FOUND);
    expect((await rateAt(T0, 'up', undefined, ALICE)).outcome).toBe('recorded');
  });

  test('the answer can be rated until the feedback window closes, not after', async () => {
    await storeFor().recordAnswer(ANSWER);
    expect((await rateAt(T0 + 7 * DAY - 1, 'up')).outcome).toBe('recorded');
    expect(await failure(rateAt(T0 + 7 * DAY, 'down'))).toBe(NOT_FOUND);
  });

  test('the window ends with the whole second the answer expires at', async () => {
    clock = T0 + 500;
    await storeFor().recordAnswer(ANSWER);
    expect(await failure(rateAt(T0 + 7 * DAY, 'down'))).toBe(NOT_FOUND);
    expect((await rateAt(T0 + 7 * DAY - 1, 'down')).outcome).toBe('recorded');
  });

  test('the window runs from the answer: a rating, which keeps the item longer, does not reopen it', async () => {
    await storeFor().recordAnswer(ANSWER);
    await rateAt(T0 + DAY, 'up');
    expect(await failure(rateAt(T0 + 7 * DAY, 'down'))).toBe(NOT_FOUND);
    expect(await stored()).toMatchObject({ rating: 'up' });
  });

  test('a rating kept for less than the window expires with its retention, not the window', async () => {
    const store = storeFor({ windowDays: 7, retentionDays: 1 });
    await store.recordAnswer(ANSWER);
    clock = T0 + 1_000;
    await store.rate('r1', ALICE, 'up', undefined);
    clock = T0 + 1_000 + DAY - 1_000;
    expect((await store.rate('r1', ALICE, 'down', undefined)).outcome).toBe('changed');
    clock = T0 + 1_000 + DAY - 1_000 + DAY;
    expect(await failure(store.rate('r1', ALICE, 'up', undefined))).toBe(NOT_FOUND);
  });

  test('a record whose creation time is missing or unreadable is outside the window', async () => {
    for (const createdAt of [undefined, 'yesterday']) {
      await mem.direct.send(
        new PutCommand({
          TableName: TABLE,
          Item: { requestId: 'r1', principal: 'alice', tenant: '-', model: 'm', modelId: 'm', createdAt, expiresAt: T0 / 1000 + 86_400 },
        }),
      );
      expect(await failure(rateAt(T0, 'up'))).toBe(NOT_FOUND);
    }
  });

  test('a rival who rated between our read and our write is not overwritten blindly: we read again and replace theirs', async () => {
    const store = storeFor();
    await store.recordAnswer(ANSWER);
    let rivalDone = false;
    intercept(mem.doc, async (command, send) => {
      if (command instanceof UpdateCommand && !rivalDone) {
        rivalDone = true;
        await rival().rate('r1', ALICE, 'down', 'rival');
      }
      return send();
    });
    expect(await store.rate('r1', ALICE, 'up', undefined)).toMatchObject({ outcome: 'changed', previous: 'down', feedback: { rating: 'up' } });
    expect(await stored()).toMatchObject({ rating: 'up' });
    expect(await stored()).not.toHaveProperty('comment');
  });

  test('a rival who wrote the same rating makes ours a retry, recorded once', async () => {
    const store = storeFor();
    await store.recordAnswer(ANSWER);
    await store.rate('r1', ALICE, 'up', undefined);
    let rivalDone = false;
    intercept(mem.doc, async (command, send) => {
      if (command instanceof UpdateCommand && !rivalDone) {
        rivalDone = true;
        await rival().rate('r1', ALICE, 'down', 'same');
      }
      return send();
    });
    expect(await store.rate('r1', ALICE, 'down', 'same')).toMatchObject({ outcome: 'unchanged', previous: 'down' });
    expect(await stored()).toMatchObject({ rating: 'down', comment: 'same' });
  });

  test('after five rounds lost to rivals the caller is told to retry (409); a fifth round won is recorded', async () => {
    const store = storeFor();
    await store.recordAnswer(ANSWER);
    const racing = (rounds: number) => {
      let lost = 0;
      return intercept(mem.doc, async (command, send) => {
        if (command instanceof UpdateCommand && lost < rounds) {
          lost++;
          await rival().rate('r1', ALICE, lost % 2 ? 'down' : 'up', `rival ${lost}`);
        }
        return send();
      });
    };
    racing(5);
    expect(await failure(store.rate('r1', ALICE, 'up', 'mine'))).toBe('409 This answer is being rated by several requests at once; retry (Retry-After 1)');
    expect(await stored()).toMatchObject({ comment: 'rival 5' });
    jest.restoreAllMocks();
    racing(4);
    expect(await store.rate('r1', ALICE, 'up', 'mine')).toMatchObject({ outcome: 'changed', previous: 'up', feedback: { comment: 'mine' } });
    expect(await stored()).toMatchObject({ rating: 'up', comment: 'mine' });
  });

  test.each([
    ['a first rating', false],
    ['a changed rating', true],
  ])(
    'an answer deleted between the read and the write of %s (its expiry passed, or it was erased) is a 404, not recreated without owner',
    async (_what, ratedBefore) => {
      const store = storeFor();
      await store.recordAnswer(ANSWER);
      if (ratedBefore) await store.rate('r1', ALICE, 'down', undefined);
      intercept(mem.doc, async (command, send) => {
        if (command instanceof UpdateCommand) await mem.direct.send(new DeleteCommand({ TableName: TABLE, Key: { requestId: 'r1' } }));
        return send();
      });
      expect(await failure(store.rate('r1', ALICE, 'up', undefined))).toBe(NOT_FOUND);
      expect(await stored()).toBeUndefined();
    },
  );

  test('a write that landed but whose answer was lost (the SDK retried it) is reported as our own, counted once', async () => {
    const store = storeFor();
    await store.recordAnswer(ANSWER);
    await store.rate('r1', ALICE, 'up', undefined);
    let updates = 0;
    intercept(mem.doc, async (command, send) => {
      if (!(command instanceof UpdateCommand)) return send();
      updates++;
      await send(); // lands...
      return send(); // ...and the retry fails its revision condition on our own write
    });
    expect(await store.rate('r1', ALICE, 'down', 'wrong')).toMatchObject({
      outcome: 'changed',
      previous: 'up',
      feedback: { rating: 'down', comment: 'wrong' },
    });
    expect(updates).toBe(1);
    expect(await stored()).toMatchObject({ rating: 'down', comment: 'wrong' });
  });

  test('a first rating whose answer was lost is reported as recorded, not as unchanged', async () => {
    const store = storeFor();
    await store.recordAnswer(ANSWER);
    intercept(mem.doc, async (command, send) => (command instanceof UpdateCommand ? (await send(), send()) : send()));
    expect(await store.rate('r1', ALICE, 'up', 'good')).toMatchObject({ outcome: 'recorded', previous: undefined });
  });

  test('reads are strongly consistent: a rating must see the one just written', async () => {
    await storeFor().recordAnswer(ANSWER);
    await rateAt(T0, 'up');
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html
    const reads = mem.requests.filter((r) => r.operation === 'GetItem');
    expect(reads).not.toHaveLength(0);
    for (const read of reads) expect(read.body.ConsistentRead).toBe(true);
  });

  test.each([
    ['GetItem', 'ProvisionedThroughputExceededException', BUSY],
    ['GetItem', 'InternalServerError', '503 Feedback is unavailable; try again later'],
    ['UpdateItem', 'ThrottlingException', BUSY],
    ['UpdateItem', 'AccessDeniedException', '500 The service is not configured correctly; the operator has been alerted'],
  ])('a %s failing with %s fails the rating as the store’s own error', async (operation, name, expected) => {
    await storeFor().recordAnswer(ANSWER);
    const failing = operation === 'GetItem' ? GetCommand : UpdateCommand;
    intercept(mem.doc, (command, send) => (command instanceof failing ? Promise.reject(dynamoError(name)) : send()));
    expect(await failure(rateAt(T0, 'up'))).toBe(expected);
    expect(await stored()).not.toHaveProperty('rating');
  });

  test('an aborted rating writes nothing', async () => {
    await storeFor().recordAnswer(ANSWER);
    const controller = new AbortController();
    intercept(mem.doc, (command, send) => {
      if (command instanceof UpdateCommand) controller.abort();
      return send();
    });
    clock = T0;
    expect(await failure(storeFor().rate('r1', ALICE, 'up', undefined, controller.signal))).toBe('503 Feedback is unavailable; try again later');
    expect(await stored()).not.toHaveProperty('rating');
    expect(await failure(storeFor().rate('r1', ALICE, 'up', undefined, controller.signal))).toBe('503 Feedback is unavailable; try again later');
  });

  test('an aborted rating reads nothing: it fails the same whether or not there would be anything to write', async () => {
    await storeFor().recordAnswer(ANSWER);
    await rateAt(T0, 'up');
    const aborted = AbortSignal.abort();
    expect(await failure(storeFor().rate('r1', ALICE, 'up', undefined, aborted))).toBe('503 Feedback is unavailable; try again later');
    expect(await failure(storeFor().rate('r2', ALICE, 'up', undefined, aborted))).toBe('503 Feedback is unavailable; try again later');
  });
});
