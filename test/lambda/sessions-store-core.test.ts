import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { RETRY_AFTER_SECONDS } from '../../lambda/shared/http';
import { newSessionId, type Owner, type SessionSettings, SessionStore, type TurnKey } from '../../lambda/shared/sessions-store';
import { type MemoryDynamoDb, SESSIONS_TABLE, dynamoError, intercept, memoryDynamoDb } from '../support/dynamo-memory';
import { httpFailure } from '../support/refusal';

/**
 * The conversation history store against DynamoDB's engine in this process
 * (test/support/dynamo-memory.ts): what the prompt route and `GET /sessions/{id}` see of storing
 * turns, reading them back and the history sent to the model, including the conditional writes
 * (a retried request stores its turn once, another caller cannot write into a session) and the
 * store's failures.
 */
const TABLE = 'Sessions';
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1, 12);
const SETTINGS: SessionSettings = { historyTurns: 10, historyChars: 1_000, ttlDays: 30, maxTurnsReturned: 5 };
const ALICE: Owner = { principal: 'alice' };
const ACME_ALICE: Owner = { principal: 'alice', tenant: 'acme' };
const NOT_FOUND = '404 Session not found';
const BUSY = `429 Conversation history is busy; retry after the delay in Retry-After (Retry-After ${RETRY_AFTER_SECONDS})`;
const UNAVAILABLE = '503 Conversation history is unavailable; try again later';

let mem: MemoryDynamoDb;
let clock: number;
beforeEach(async () => {
  mem = await memoryDynamoDb([SESSIONS_TABLE(TABLE)]);
  clock = T0;
});
afterEach(async () => {
  jest.restoreAllMocks();
  await mem.idle();
});

const storeFor = (settings: Partial<SessionSettings> = {}) => new SessionStore(mem.doc, TABLE, { ...SETTINGS, ...settings }, () => clock);
/** Turn n of a conversation: request `req-n`, received n seconds after T0. */
const turn = (n: number): TurnKey => ({ requestId: `req-${n}`, receivedAtMs: T0 + n * 1_000 });
const iso = (ms: number) => new Date(ms).toISOString();

const failure = httpFailure;

/** Appends turns 1..n of session s1 for `owner`, turn i asking `q<i>` and answered `a<i>`, at the clock. */
async function conversation(n: number, owner = ALICE, store = storeFor()) {
  for (let i = 1; i <= n; i++) await store.append('s1', owner, turn(i), `q${i}`, `a${i}`, 'nova-lite');
}
const asked = (turns: readonly { user: string }[]) => turns.map((t) => t.user);
const history = async (upTo: number, settings: Partial<SessionSettings> = {}, owner = ALICE) => storeFor(settings).history('s1', owner, turn(upTo));
const questions = (messages: readonly { role: string; text: string }[]) => messages.filter((m) => m.role === 'user').map((m) => m.text);

describe('newSessionId', () => {
  test('is the same for a retry of the same request by the same caller, and 32 URL-safe characters', () => {
    const id = newSessionId(ACME_ALICE, 'req-1');
    expect(newSessionId({ principal: 'alice', tenant: 'acme' }, 'req-1')).toBe(id);
    expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  test('differs for another request, principal or tenant', () => {
    const ids = new Set([
      newSessionId(ACME_ALICE, 'req-1'),
      newSessionId(ACME_ALICE, 'req-2'),
      newSessionId({ principal: 'bob', tenant: 'acme' }, 'req-1'),
      newSessionId({ principal: 'alice', tenant: 'globex' }, 'req-1'),
      newSessionId(ALICE, 'req-1'),
    ]);
    expect(ids.size).toBe(5);
  });
});

describe('append and read', () => {
  test('the first turn creates the session for its owner; read returns it', async () => {
    await storeFor().append('s1', ALICE, turn(1), 'What is DynamoDB?', 'A key-value database.', 'nova-lite');
    expect(await storeFor().read('s1', ALICE)).toStrictEqual({
      sessionId: 's1',
      createdAt: iso(T0),
      updatedAt: iso(T0),
      expiresAt: iso(T0 + 30 * DAY),
      turns: [{ requestId: 'req-1', user: 'What is DynamoDB?', assistant: 'A key-value database.', model: 'nova-lite', createdAt: iso(T0) }],
      truncated: false,
    });
  });

  test('each turn moves the session’s update time and expiry forward (in whole seconds); its creation time stays', async () => {
    const store = storeFor();
    await store.append('s1', ALICE, turn(1), 'q1', 'a1', 'nova-lite');
    clock = T0 + DAY + 1_500;
    await store.append('s1', ALICE, turn(2), 'q2', 'a2', 'claude');
    const view = await store.read('s1', ALICE);
    expect(view).toMatchObject({ createdAt: iso(T0), updatedAt: iso(T0 + DAY + 1_500), expiresAt: iso(T0 + DAY + 1_000 + 30 * DAY) });
    expect(view.turns).toStrictEqual([
      { requestId: 'req-1', user: 'q1', assistant: 'a1', model: 'nova-lite', createdAt: iso(T0) },
      { requestId: 'req-2', user: 'q2', assistant: 'a2', model: 'claude', createdAt: iso(T0 + DAY + 1_500) },
    ]);
  });

  test('a retry of the same request stores its turn once, as first stored', async () => {
    const store = storeFor();
    await store.append('s1', ALICE, turn(1), 'q1', 'first answer', 'nova-lite');
    await store.append('s1', ALICE, turn(1), 'q1', 'second answer', 'nova-lite');
    expect((await store.read('s1', ALICE)).turns).toMatchObject([{ requestId: 'req-1', assistant: 'first answer' }]);
  });

  test('two requests with the same receive time are two turns', async () => {
    const store = storeFor();
    await store.append('s1', ALICE, { requestId: 'b', receivedAtMs: T0 }, 'q1', 'a1', 'm');
    await store.append('s1', ALICE, { requestId: 'a', receivedAtMs: T0 }, 'q2', 'a2', 'm');
    expect((await store.read('s1', ALICE)).turns).toHaveLength(2);
  });

  test('another principal or tenant cannot add a turn to the session (404) and leaves it as it was', async () => {
    const store = storeFor();
    await store.append('s1', ACME_ALICE, turn(1), 'q1', 'a1', 'm');
    for (const intruder of [{ principal: 'bob', tenant: 'acme' }, { principal: 'alice', tenant: 'globex' }, ALICE]) {
      clock += 1_000;
      expect(await failure(store.append('s1', intruder, turn(2), 'injected', 'injected', 'm'))).toBe(NOT_FOUND);
    }
    const view = await store.read('s1', ACME_ALICE);
    expect(view).toMatchObject({ updatedAt: iso(T0), turns: [{ user: 'q1' }] });
  });

  test('a session started without tenant is its principal’s without tenant', async () => {
    const store = storeFor();
    await store.append('s1', ALICE, turn(1), 'q1', 'a1', 'm');
    expect(await failure(store.append('s1', ACME_ALICE, turn(2), 'q2', 'a2', 'm'))).toBe(NOT_FOUND);
    await store.append('s1', ALICE, turn(2), 'q2', 'a2', 'm');
    expect(asked((await store.read('s1', ALICE)).turns)).toEqual(['q1', 'q2']);
  });

  test('each stored message is cut to the history budget', async () => {
    const store = storeFor({ historyChars: 4 });
    await store.append('s1', ALICE, turn(1), 'abcdef', 'uvwxyz', 'm');
    expect((await store.read('s1', ALICE)).turns).toMatchObject([{ user: 'abcd', assistant: 'uvwx' }]);
  });

  test('read returns the newest turns up to its maximum, oldest first, and says when older ones were left out', async () => {
    await conversation(5);
    expect(await storeFor().read('s1', ALICE)).toMatchObject({ truncated: false });
    expect(asked((await storeFor().read('s1', ALICE)).turns)).toEqual(['q1', 'q2', 'q3', 'q4', 'q5']);
    await storeFor().append('s1', ALICE, turn(6), 'q6', 'a6', 'm');
    const view = await storeFor().read('s1', ALICE);
    expect(asked(view.turns)).toEqual(['q2', 'q3', 'q4', 'q5', 'q6']);
    expect(view.truncated).toBe(true);
  });

  test('turns are ordered by when the request was received, whatever its id or the number of digits of the time', async () => {
    const store = storeFor();
    const at = (requestId: string, receivedAtMs: number) => ({ requestId, receivedAtMs });
    await store.append('s1', ALICE, at('z', 999), 'first', 'a', 'm');
    await store.append('s1', ALICE, at('y', 1_000.7), 'second', 'a', 'm');
    await store.append('s1', ALICE, at('x', 10_000), 'third', 'a', 'm');
    await store.append('s1', ALICE, at('w', T0), 'fourth', 'a', 'm');
    expect(asked((await store.read('s1', ALICE)).turns)).toEqual(['first', 'second', 'third', 'fourth']);
  });

  test('a receive time before 1970 counts as 1970', async () => {
    const store = storeFor();
    await store.append('s1', ALICE, { requestId: 'b', receivedAtMs: -5_000 }, 'before 1970', 'a', 'm');
    await store.append('s1', ALICE, { requestId: 'a', receivedAtMs: 0 }, 'at 1970', 'a', 'm');
    await store.append('s1', ALICE, { requestId: 'c', receivedAtMs: 1 }, 'after', 'a', 'm');
    // Same time: ordered by request id.
    expect(asked((await store.read('s1', ALICE)).turns)).toEqual(['at 1970', 'before 1970', 'after']);
  });

  test('someone else, or nobody, gets the same 404 for a session', async () => {
    await conversation(1, ACME_ALICE);
    expect(await failure(storeFor().read('s1', { principal: 'bob', tenant: 'acme' }))).toBe(NOT_FOUND);
    expect(await failure(storeFor().read('s1', { principal: 'alice', tenant: 'globex' }))).toBe(NOT_FOUND);
    expect(await failure(storeFor().read('s1', ALICE))).toBe(NOT_FOUND);
    expect(await failure(storeFor().read('s2', ACME_ALICE))).toBe(NOT_FOUND);
  });

  test('a session is gone once it expires, even before DynamoDB deletes it', async () => {
    await conversation(1);
    clock = T0 + 30 * DAY - 1;
    expect((await storeFor().read('s1', ALICE)).turns).toHaveLength(1);
    clock = T0 + 30 * DAY;
    expect(await failure(storeFor().read('s1', ALICE))).toBe(NOT_FOUND);
  });

  test('a turn older than its own expiry is left out of a session kept alive by later turns', async () => {
    const store = storeFor();
    await store.append('s1', ALICE, turn(1), 'q1', 'a1', 'm');
    clock = T0 + 20 * DAY;
    await store.append('s1', ALICE, turn(2), 'q2', 'a2', 'm');
    clock = T0 + 30 * DAY - 1;
    expect(asked((await store.read('s1', ALICE)).turns)).toEqual(['q1', 'q2']);
    clock = T0 + 30 * DAY;
    expect(asked((await store.read('s1', ALICE)).turns)).toEqual(['q2']);
  });

  test('an expired session that DynamoDB has not deleted yet is renewed by its owner, without the expired turns; no one else can take it', async () => {
    await conversation(1);
    clock = T0 + 31 * DAY;
    expect(await failure(storeFor().append('s1', { principal: 'bob' }, turn(40), 'q40', 'a40', 'm'))).toBe(NOT_FOUND);
    await storeFor().append('s1', ALICE, turn(40), 'q40', 'a40', 'm');
    expect(asked((await storeFor().read('s1', ALICE)).turns)).toEqual(['q40']);
  });

  test('reads sessions in the stored layout the module documents, which outlives a deploy: no tenant is "-"', async () => {
    const put = (Item: Record<string, unknown>) => mem.direct.send(new PutCommand({ TableName: TABLE, Item }));
    const expiresAt = T0 / 1000 + DAY / 1000;
    await put({ sessionId: 's1', sk: 'SESSION', owner: 'alice', tenant: '-', createdAt: iso(T0), updatedAt: iso(T0), expiresAt });
    await put({ sessionId: 's1', sk: 'TURN#0000000000999#z', requestId: 'z', user: 'q1', assistant: 'a1', model: 'm', createdAt: iso(T0), expiresAt });
    await put({ sessionId: 's1', sk: 'TURN#0000000001000#y', requestId: 'y', user: 'q2', assistant: 'a2', model: 'm', createdAt: iso(T0), expiresAt });
    expect(asked((await storeFor().read('s1', ALICE)).turns)).toEqual(['q1', 'q2']);
    expect(questions(await storeFor().history('s1', ALICE, { requestId: 'x', receivedAtMs: 1_000 }))).toEqual(['q1']);
    await storeFor().append('s1', ALICE, { requestId: 'x', receivedAtMs: 1_001 }, 'q3', 'a3', 'm');
    expect((await mem.direct.send(new GetCommand({ TableName: TABLE, Key: { sessionId: 's1', sk: 'TURN#0000000001001#x' } }))).Item).toMatchObject({
      user: 'q3',
    });
    expect((await mem.direct.send(new GetCommand({ TableName: TABLE, Key: { sessionId: 's1', sk: 'SESSION' } }))).Item).toMatchObject({
      owner: 'alice',
      tenant: '-',
    });
  });

  test('reads are strongly consistent: a follow-up sent right after an answer must see that answer', async () => {
    await conversation(1);
    await storeFor().read('s1', ALICE);
    await history(2);
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html
    const reads = mem.requests.filter((r) => r.operation === 'GetItem' || r.operation === 'Query');
    expect(reads.map((r) => r.operation).sort()).toEqual(['GetItem', 'GetItem', 'Query', 'Query']);
    for (const read of reads) expect(read.body.ConsistentRead).toBe(true);
  });
});

describe('history', () => {
  test('the turns before this request, oldest first, as user and assistant messages', async () => {
    await conversation(3);
    expect(await history(4)).toStrictEqual([
      { role: 'user', text: 'q1' },
      { role: 'assistant', text: 'a1' },
      { role: 'user', text: 'q2' },
      { role: 'assistant', text: 'a2' },
      { role: 'user', text: 'q3' },
      { role: 'assistant', text: 'a3' },
    ]);
  });

  test('a retry of a request whose turn was stored reads the history that request read: not its own turn, nor later ones', async () => {
    await conversation(5);
    expect(questions(await history(3))).toEqual(['q1', 'q2']);
  });

  test('at most historyTurns turns, the newest, even when this request’s turn is already stored', async () => {
    await conversation(5);
    expect(questions(await history(6, { historyTurns: 2 }))).toEqual(['q4', 'q5']);
    expect(questions(await history(5, { historyTurns: 2 }))).toEqual(['q3', 'q4']);
    expect(questions(await history(5, { historyTurns: 1 }))).toEqual(['q4']);
  });

  test('with historyTurns 0, no history and no turn read, but the owner is still checked', async () => {
    await conversation(2);
    mem.requests.length = 0;
    expect(await history(3, { historyTurns: 0 })).toEqual([]);
    expect(mem.requests.map((r) => r.operation)).toEqual(['GetItem']);
    expect(await failure(history(3, { historyTurns: 0 }, { principal: 'bob' }))).toBe(NOT_FOUND);
  });

  test('newest first until the character budget is reached: a turn that would pass it ends the history', async () => {
    const store = storeFor();
    await store.append('s1', ALICE, turn(1), 'a', 'b', 'm'); // 2
    await store.append('s1', ALICE, turn(2), 'cc', 'ddd', 'm'); // 5
    await store.append('s1', ALICE, turn(3), 'eee', 'fff', 'm'); // 6
    expect(questions(await history(4, { historyChars: 11 }))).toEqual(['cc', 'eee']);
    expect(questions(await history(4, { historyChars: 13 }))).toEqual(['a', 'cc', 'eee']);
    expect(questions(await history(4, { historyChars: 10 }))).toEqual(['eee']);
    expect(questions(await history(4, { historyChars: 5 }))).toEqual([]);
  });

  test('a turn with an empty question or answer is not history, and takes none of the budget', async () => {
    const store = storeFor();
    await store.append('s1', ALICE, turn(1), 'q1', 'a1', 'm');
    await store.append('s1', ALICE, turn(2), '', 'answer to nothing', 'm');
    await store.append('s1', ALICE, turn(3), 'unanswered question', '', 'm');
    expect(await history(4, { historyChars: 4 })).toStrictEqual([
      { role: 'user', text: 'q1' },
      { role: 'assistant', text: 'a1' },
    ]);
  });

  test('expired turns are not history', async () => {
    const store = storeFor();
    await store.append('s1', ALICE, turn(1), 'q1', 'a1', 'm');
    clock = T0 + 20 * DAY;
    await store.append('s1', ALICE, turn(2), 'q2', 'a2', 'm');
    clock = T0 + 30 * DAY;
    expect(questions(await history(3))).toEqual(['q2']);
  });

  test('someone else’s, an unknown or an expired session is a 404, never an answer without its history', async () => {
    await conversation(2, ACME_ALICE);
    expect(await failure(history(3, {}, { principal: 'bob', tenant: 'acme' }))).toBe(NOT_FOUND);
    expect(await failure(history(3, {}, { principal: 'alice', tenant: 'globex' }))).toBe(NOT_FOUND);
    expect(await failure(history(3, {}, ALICE))).toBe(NOT_FOUND);
    expect(await failure(storeFor().history('s2', ACME_ALICE, turn(3)))).toBe(NOT_FOUND);
    clock = T0 + 30 * DAY;
    expect(await failure(history(3, {}, ACME_ALICE))).toBe(NOT_FOUND);
  });
});

describe('store failures', () => {
  const failing = (type: object, name: string) =>
    intercept(mem.doc, (command, send) => (command instanceof (type as typeof GetCommand) ? Promise.reject(dynamoError(name)) : send()));

  test('the session write failing stores no turn', async () => {
    failing(UpdateCommand, 'ThrottlingException');
    expect(await failure(storeFor().append('s1', ALICE, turn(1), 'q', 'a', 'm'))).toBe(BUSY);
    jest.restoreAllMocks();
    expect(await failure(storeFor().read('s1', ALICE))).toBe(NOT_FOUND);
  });

  test('the turn write failing fails the append (the answer would be missing from the next history)', async () => {
    failing(PutCommand, 'InternalServerError');
    expect(await failure(storeFor().append('s1', ALICE, turn(1), 'q', 'a', 'm'))).toBe(UNAVAILABLE);
  });

  test('the turn write refused as misconfigured says so', async () => {
    failing(PutCommand, 'ValidationException');
    expect(await failure(storeFor().append('s1', ALICE, turn(1), 'q', 'a', 'm'))).toBe(
      '500 The service is not configured correctly; the operator has been alerted',
    );
  });

  test.each([
    ['GetItem', GetCommand],
    ['Query', QueryCommand],
  ])('%s failing fails read and history', async (_operation, type) => {
    await conversation(1);
    failing(type, 'RequestLimitExceeded');
    expect(await failure(storeFor().read('s1', ALICE))).toBe(BUSY);
    expect(await failure(history(2))).toBe(BUSY);
  });

  test('an aborted request stores nothing and reads nothing', async () => {
    await conversation(1);
    const before = await storeFor().read('s1', ALICE);
    mem.requests.length = 0;
    const signal = AbortSignal.abort();
    clock = T0 + DAY;
    expect(await failure(storeFor().append('s1', ALICE, turn(2), 'q2', 'a2', 'm', signal))).toBe(UNAVAILABLE);
    expect(await failure(storeFor().read('s1', ALICE, signal))).toBe(UNAVAILABLE);
    expect(await failure(storeFor().history('s1', ALICE, turn(3), signal))).toBe(UNAVAILABLE);
    expect(await failure(storeFor({ historyTurns: 0 }).history('s1', ALICE, turn(3), signal))).toBe(UNAVAILABLE);
    expect(mem.requests).toEqual([]);
    expect(await storeFor().read('s1', ALICE)).toStrictEqual(before);
  });

  test('aborted between the session write and the turn write, no turn is stored', async () => {
    const controller = new AbortController();
    intercept(mem.doc, async (command, send) => {
      const out = await send();
      if (command instanceof UpdateCommand) controller.abort();
      return out;
    });
    expect(await failure(storeFor().append('s1', ALICE, turn(1), 'q1', 'a1', 'm', controller.signal))).toBe(UNAVAILABLE);
    jest.restoreAllMocks();
    expect((await storeFor().read('s1', ALICE)).turns).toEqual([]);
  });
});
