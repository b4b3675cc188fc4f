import { DynamoDBDocumentClient, BatchWriteCommand, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import * as fc from 'fast-check';
import type { ActionResponse } from '../../lambda/agent-actions/core';
import { ACTION_GROUPS, DEMO_ORDERS, orderKey, ticketKey } from '../../contracts/agent-actions';
import { type LocalDynamoDb, startLocalDynamoDb } from '../support/dynamodb-local';
import { jsonObject, parseJson } from '../support/json';

/**
 * The action group executor against a local DynamoDB (dynalite) through the real SDK client: a
 * test per action, tenant isolation, idempotent tickets, and a property-based suite of malformed
 * events that must always come back as a well-formed Bedrock response, never an exception.
 */

type ActionHandler = (event: unknown) => Promise<ActionResponse>;
const TABLE = 'agent-data';

let db: LocalDynamoDb;
let documents: DynamoDBDocumentClient;
let handler: ActionHandler;
beforeAll(async () => {
  db = await startLocalDynamoDb();
  db.exportEndpoint();
  await db.createTable({
    TableName: TABLE,
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  documents = DynamoDBDocumentClient.from(db.client());
  // The demo rows as the construct seeds them, for the tenant acme only.
  await documents.send(
    new BatchWriteCommand({
      RequestItems: { [TABLE]: DEMO_ORDERS.map((o) => ({ PutRequest: { Item: { pk: orderKey('acme', o.orderId), tenant: 'acme', ...o } } })) },
    }),
  );
  // One order of another tenant, under an id acme also has.
  await documents.send(
    new PutCommand({ TableName: TABLE, Item: { pk: orderKey('globex', 'ORD-1001'), tenant: 'globex', ...DEMO_ORDERS[0], total: '999.00' } }),
  );
  process.env.TABLE_NAME = TABLE;
  jest.isolateModules(() => {
    handler = (require('../../lambda/agent-actions/handler') as { handler: ActionHandler }).handler;
  });
});
afterAll(() => db.stop());

const ACME = { tenant: 'acme', principal: 'apikey:key1' };

/** A function-details event as Bedrock sends it to the action group Lambda. */
function actionEvent(fn: string, parameters: Record<string, string>, sessionAttributes: Record<string, string> = ACME, actionGroup?: string) {
  return {
    messageVersion: '1.0',
    agent: { name: 'agent', id: 'AGENT12345', alias: 'ALIAS12345', version: '1' },
    inputText: '(what the user typed)',
    sessionId: 'session-1',
    actionGroup: actionGroup ?? ACTION_GROUPS.find((g) => g.functions.some((f) => f.name === fn))?.name ?? 'ExactMath',
    function: fn,
    parameters: Object.entries(parameters).map(([name, value]) => ({ name, type: 'string', value })),
    sessionAttributes,
    promptSessionAttributes: {},
  };
}

async function invoke(fn: string, parameters: Record<string, string>, sessionAttributes?: Record<string, string>) {
  const response = await handler(actionEvent(fn, parameters, sessionAttributes));
  const text = response.response.functionResponse.responseBody.TEXT.body;
  return { response, state: response.response.functionResponse.responseState, text, json: () => parseJson(jsonObject, text) };
}

describe('calculate: exact decimal arithmetic', () => {
  test.each([
    ['0.1 + 0.2', '0.3'],
    ['12345678901234567890 * 98765432109876543210', '1219326311370217952237463801111263526900'],
    ['(1.1 - 0.2) * 3', '2.7'],
    ['10 / 4', '2.5'],
    ['-(2 - 5) * .5', '1.5'],
    ['1 / 8', '0.125'],
    ['0.000001 * 0.000001', '0.000000000001'],
    ['100 - 99.99', '0.01'],
    ['3 * (4 + (5 - 1) / 2)', '18'],
  ])('%s = %s', async (expression, value) => {
    const r = await invoke('calculate', { expression });
    expect(r.state).toBeUndefined();
    expect(r.json()).toMatchObject({ expression, value, exact: true });
  });

  test('a value without a finite decimal form is exact as a fraction, rounded as a decimal', async () => {
    expect((await invoke('calculate', { expression: '2 / 3' })).json()).toEqual({
      expression: '2 / 3',
      value: '0.66666666666666666667',
      exact: false,
      fraction: '2/3',
    });
  });

  test('division by zero asks the agent to reprompt', async () => {
    const r = await invoke('calculate', { expression: '1 / (2 - 2)' });
    expect(r.state).toBe('REPROMPT');
    expect(r.text).toMatch(/division by zero/);
  });

  test.each([
    ['2 ** 3', /expected a number at position 4/],
    ['Math.max(1)', /expected a number at position 1/],
    ['(1 + 2', /missing "\)"/],
    ['1 +', /ends where a number was expected/],
    [`${'9'.repeat(41)} + 1`, /at most 40 digits/],
    [`${'('.repeat(60)}1${')'.repeat(60)}`, /nests deeper than 50/],
    [Array(6).fill('99999999999999999999999999999999999999').join('*'), /more than 200 digits/],
  ])('%s is refused with a reason the model can act on', async (expression, reason) => {
    const r = await invoke('calculate', { expression });
    expect(r.state).toBe('REPROMPT');
    expect(r.text).toMatch(reason);
  });
});

describe('date and time', () => {
  test('date_difference counts calendar days across a leap day', async () => {
    const r = await invoke('date_difference', { start: '2024-02-01', end: '2024-03-01' });
    expect(r.json()).toEqual({ start: '2024-02-01', end: '2024-03-01', timeZone: 'UTC', days: 29, calendar: { years: 0, months: 1, days: 0 } });
    expect((await invoke('date_difference', { start: '2023-02-01', end: '2023-03-01' })).json()).toMatchObject({ days: 28 });
    expect((await invoke('date_difference', { start: '2023-03-15', end: '2024-03-15' })).json()).toMatchObject({
      days: 366,
      calendar: { years: 1, months: 0, days: 0 },
    });
  });

  test('date_difference across the spring-forward night in New York: one calendar day, 23 hours', async () => {
    const r = await invoke('date_difference', { start: '2026-03-07T12:00', end: '2026-03-08T12:00', time_zone: 'America/New_York' });
    expect(r.json()).toMatchObject({ days: 1, elapsed: { hours: 23, minutes: 0, totalMinutes: 1380 } });
  });

  test('date_difference backwards is negative', async () => {
    expect((await invoke('date_difference', { start: '2024-12-25', end: '2024-12-01' })).json()).toMatchObject({
      days: -24,
      calendar: { years: 0, months: 0, days: 24 },
    });
  });

  test.each([
    [{ date: '2024-01-31', amount: '1', unit: 'months' }, '2024-02-29'],
    [{ date: '2023-01-31', amount: '1', unit: 'months' }, '2023-02-28'],
    [{ date: '2024-02-29', amount: '1', unit: 'years' }, '2025-02-28'],
    [{ date: '2024-02-29', amount: '4', unit: 'years' }, '2028-02-29'],
    [{ date: '2024-03-01', amount: '-1', unit: 'days' }, '2024-02-29'],
    [{ date: '2024-12-30', amount: '2', unit: 'weeks' }, '2025-01-13'],
    // Real time across the spring-forward gap: 01:30 EST + 1 hour is 03:30 EDT.
    [{ date: '2026-03-08T01:30', amount: '1', unit: 'hours', time_zone: 'America/New_York' }, '2026-03-08T03:30:00-04:00'],
    // Across the fall-back overlap: 00:30 EDT + 2 hours is the second 01:30, in EST.
    [{ date: '2026-11-01T00:30', amount: '2', unit: 'hours', time_zone: 'America/New_York' }, '2026-11-01T01:30:00-05:00'],
    // A calendar day keeps the wall clock, even over the change; one landing in the gap moves forward.
    [{ date: '2026-03-07T09:00', amount: '1', unit: 'days', time_zone: 'America/New_York' }, '2026-03-08T09:00:00-04:00'],
    [{ date: '2026-03-07T02:30', amount: '1', unit: 'days', time_zone: 'America/New_York' }, '2026-03-08T03:30:00-04:00'],
  ])('add_to_date %o = %s', async (parameters, result) => {
    const r = await invoke('add_to_date', parameters);
    expect(r.state).toBeUndefined();
    expect(r.json().result).toBe(result);
  });

  test('add_to_date refuses a local time the clocks skip', async () => {
    const r = await invoke('add_to_date', { date: '2026-03-08T02:30', amount: '1', unit: 'hours', time_zone: 'America/New_York' });
    expect(r.state).toBe('REPROMPT');
    expect(r.text).toMatch(/does not exist in America\/New_York/);
  });

  test('day_of_week of a leap day and of a century year', async () => {
    expect((await invoke('day_of_week', { date: '2024-02-29' })).json()).toEqual({
      date: '2024-02-29',
      dayOfWeek: 'Thursday',
      isoWeekday: 4,
      dayOfYear: 60,
      leapYear: true,
    });
    expect((await invoke('day_of_week', { date: '2100-03-01' })).json()).toMatchObject({ dayOfWeek: 'Monday', dayOfYear: 60, leapYear: false });
  });

  test('convert_timezone uses each zone’s offset on that date, aliases resolved', async () => {
    expect((await invoke('convert_timezone', { date_time: '2026-06-01T09:00', from_time_zone: 'US/Eastern', to_time_zone: 'Asia/Tokyo' })).json()).toEqual({
      from: '2026-06-01T09:00:00-04:00',
      to: '2026-06-01T22:00:00+09:00',
      utc: '2026-06-01T13:00:00+00:00',
    });
    // Between the US and the EU starts of summer time, New York is 5 hours behind Paris, not 6.
    expect(
      (await invoke('convert_timezone', { date_time: '2026-03-10T09:00', from_time_zone: 'America/New_York', to_time_zone: 'Europe/Paris' })).json(),
    ).toMatchObject({ to: '2026-03-10T14:00:00+01:00' });
  });

  test.each([
    ['date_difference', { start: '2023-02-29', end: '2024-01-01' }, /2023-02 has 28 days, not 29/],
    ['date_difference', { start: '2024-01-01', end: '2024-01-02', time_zone: 'Mars/Olympus' }, /not a known IANA time zone/],
    ['convert_timezone', { date_time: '2026-06-01T09:00', from_time_zone: 'UTC', to_time_zone: '../../etc/passwd' }, /must be an IANA time zone/],
    ['add_to_date', { date: '9999-12-31', amount: '1', unit: 'days' }, /outside the years 1000-9999/],
    ['day_of_week', { date: '2024-13-01' }, /no month 13/],
  ])('%s refuses %o', async (fn, parameters, reason) => {
    const r = await invoke(fn, parameters);
    expect(r.state).toBe('REPROMPT');
    expect(r.text).toMatch(reason);
  });
});

describe('lookup_order: the tenant of the session, never another', () => {
  test("finds the caller's order", async () => {
    const r = await invoke('lookup_order', { order_id: 'ORD-1002' });
    expect(r.state).toBeUndefined();
    expect(r.json()).toEqual(DEMO_ORDERS[1]);
  });

  test("the same id reads each tenant's own row", async () => {
    expect((await invoke('lookup_order', { order_id: 'ORD-1001' })).json().total).toBe('129.90');
    expect((await invoke('lookup_order', { order_id: 'ORD-1001' }, { tenant: 'globex', principal: 'apikey:key2' })).json().total).toBe('999.00');
  });

  test("another tenant's order is indistinguishable from a missing one", async () => {
    const r = await invoke('lookup_order', { order_id: 'ORD-1002' }, { tenant: 'globex', principal: 'apikey:key2' });
    expect(r.state).toBeUndefined();
    expect(r.json()).toEqual({ orderId: 'ORD-1002', found: false, message: 'No order ORD-1002 exists for this account' });
    expect((await invoke('lookup_order', { order_id: 'ORD-9999' })).json().found).toBe(false);
  });

  test('a tenant named in model text cannot widen the key: ids and tenants are validated', async () => {
    const forged = await invoke('lookup_order', { order_id: 'ORD-1001#globex' });
    expect(forged.state).toBe('REPROMPT');
    expect(forged.text).toMatch(/order_id must be an order id like ORD-1001/);
    const badTenant = await invoke('lookup_order', { order_id: 'ORD-1001' }, { tenant: 'globex#ORDER#ORD-1001', principal: 'p' });
    expect(badTenant.state).toBe('FAILURE');
  });

  test.each([
    ['no session attributes', {}],
    ['no tenant', { principal: 'apikey:key1' }],
    ['no principal', { tenant: 'acme' }],
  ])('without identity (%s) the lookup fails', async (_label, attributes) => {
    const r = await invoke('lookup_order', { order_id: 'ORD-1001' }, attributes as Record<string, string>);
    expect(r.state).toBe('FAILURE');
    expect(r.text).toMatch(/needs the caller identity/);
  });
});

describe('create_support_ticket: confirmed by the caller, written once', () => {
  const ticket = { subject: 'Broken zipper', description: 'The zipper of my rain jacket broke on the first day.', order_id: 'ORD-1003', priority: 'high' };

  test('creates a ticket under the tenant with the principal from the session', async () => {
    const r = await invoke('create_support_ticket', ticket);
    expect(r.state).toBeUndefined();
    const { ticketId, status } = r.json() as { ticketId: string; status: string };
    expect(status).toBe('created');
    expect(ticketId).toMatch(/^TCK-[0-9A-F]{12}$/);
    const stored = await documents.send(new GetCommand({ TableName: TABLE, Key: { pk: ticketKey('acme', ticketId) } }));
    expect(stored.Item).toMatchObject({
      tenant: 'acme',
      principal: 'apikey:key1',
      subject: 'Broken zipper',
      orderId: 'ORD-1003',
      priority: 'high',
      agentSessionId: 'session-1',
    });
  });

  test('the same request again (a retry) writes no second ticket', async () => {
    const before = (await documents.send(new ScanCommand({ TableName: TABLE }))).Items!.filter((i) => String(i.pk).includes('#TICKET#')).length;
    const first = await invoke('create_support_ticket', { ...ticket, subject: 'Late delivery' });
    const again = await invoke('create_support_ticket', { ...ticket, subject: 'Late delivery' });
    expect(again.json().ticketId).toBe(first.json().ticketId);
    expect(again.json().status).toMatch(/already exists/);
    const after = (await documents.send(new ScanCommand({ TableName: TABLE }))).Items!.filter((i) => String(i.pk).includes('#TICKET#')).length;
    expect(after).toBe(before + 1);
  });

  test('another caller asking the same gets its own ticket', async () => {
    const mine = await invoke('create_support_ticket', { ...ticket, subject: 'Wrong size' });
    const theirs = await invoke('create_support_ticket', { ...ticket, subject: 'Wrong size' }, { tenant: 'globex', principal: 'apikey:key2' });
    expect(theirs.json().ticketId).not.toBe(mine.json().ticketId);
    expect(theirs.json().status).toBe('created');
  });

  test.each([
    [{ subject: 'x'.repeat(121), description: 'd' }, /subject must be at most 120 characters/],
    [{ subject: '   ', description: 'd' }, /subject must not be blank/],
    [{ subject: 's' }, /description is required/],
    [{ subject: 's', description: 'd', priority: 'urgent' }, /priority must be one of "low", "normal", "high"/],
    [{ subject: 's', description: 'd', ticket_id: 'TCK-1' }, /unknown field: "ticket_id"/],
  ])('refuses %o', async (parameters, reason) => {
    const r = await invoke('create_support_ticket', parameters as Record<string, string>);
    expect(r.state).toBe('REPROMPT');
    expect(r.text).toMatch(reason);
  });
});

test('an unknown function, or a known one in the wrong action group, is a FAILURE response', async () => {
  for (const event of [actionEvent('delete_all_orders', {}), actionEvent('calculate', { expression: '1' }, ACME, 'CustomerSupport')]) {
    const response = await handler(event);
    expect(response.messageVersion).toBe('1.0');
    expect(response.response.function).toBe(event.function);
    expect(response.response.actionGroup).toBe(event.actionGroup);
    expect(response.response.functionResponse.responseState).toBe('FAILURE');
    expect(response.response.functionResponse.responseBody.TEXT.body).toMatch(/^Unknown function/);
  }
});

test('session attributes are returned unchanged, so the identity holds for the rest of the session', async () => {
  const response = await handler(actionEvent('calculate', { expression: '1+1' }));
  expect(response.sessionAttributes).toEqual(ACME);
});

test('a store failure is a FAILURE response with a generic message, not an exception', async () => {
  const saved = process.env.TABLE_NAME;
  let broken!: ActionHandler;
  process.env.TABLE_NAME = 'no-such-table';
  jest.isolateModules(() => {
    broken = (require('../../lambda/agent-actions/handler') as { handler: ActionHandler }).handler;
  });
  process.env.TABLE_NAME = saved;
  const response = await broken(actionEvent('lookup_order', { order_id: 'ORD-1001' }));
  expect(response.response.functionResponse).toEqual({
    responseState: 'FAILURE',
    responseBody: { TEXT: { body: 'lookup_order failed: the service is unavailable, try again later' } },
  });
});

describe('bad input: always a well-formed response, never an exception', () => {
  const names = ACTION_GROUPS.flatMap((g) => g.functions.map((f) => ({ group: g.name, fn: f.name, params: Object.keys(f.parameters) })));
  const anything = fc.anything({ maxDepth: 3 });
  const hostile = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.constantFrom(
      '',
      ' ',
      '1e999',
      'NaN',
      '-0',
      '((((',
      '2024-02-30',
      '9999-12-31T23:59',
      'Europe/../../x',
      '__proto__',
      "'; DROP TABLE x; --",
      'ORD-1001#x',
      '0x10',
      '1_000',
    ),
    // Valid values too, so some events get through to the action.
    fc.constantFrom('1 + 1', '2024-02-29', 'ORD-1001', 'UTC', 'days', '3', 'Broken zipper'),
  );
  /** Events with a known function and hostile parameter values or lists. */
  const knownFunction = fc.constantFrom(...names).chain(({ group, fn, params }) =>
    fc
      .tuple(
        fc.oneof(
          fc.array(
            fc.record({
              name: fc.oneof(fc.constantFrom(...params, '__proto__', 'constructor'), fc.string({ maxLength: 10 })),
              type: fc.constantFrom('string', 'integer'),
              value: hostile,
            }),
            { maxLength: 6 },
          ),
          fc.array(anything, { maxLength: 12 }),
          anything,
        ),
        fc.constantFrom<Record<string, string>>(ACME, {}),
      )
      .map(([parameters, attributes]) => ({ ...actionEvent(fn, {}, attributes), actionGroup: group, parameters })),
  );
  /** Events whose envelope itself is wrong. */
  const brokenEnvelope = fc.oneof(
    anything,
    fc.record(
      {
        messageVersion: fc.oneof(fc.constant('1.0'), anything),
        actionGroup: anything,
        function: anything,
        parameters: anything,
        sessionAttributes: anything,
        sessionId: anything,
      },
      { requiredKeys: [] },
    ),
  );

  test('5,000 hostile events each get the response envelope', async () => {
    const states = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.oneof(knownFunction, brokenEnvelope), async (event) => {
        const response = await handler(event);
        expect(response.messageVersion).toBe('1.0');
        expect(typeof response.response.actionGroup).toBe('string');
        expect(typeof response.response.function).toBe('string');
        const fr = response.response.functionResponse;
        expect(Object.keys(fr).every((k) => k === 'responseState' || k === 'responseBody')).toBe(true);
        expect([undefined, 'FAILURE', 'REPROMPT']).toContain(fr.responseState);
        expect(typeof fr.responseBody.TEXT.body).toBe('string');
        expect(fr.responseBody.TEXT.body.length).toBeGreaterThan(0);
        expect(fr.responseBody.TEXT.body).not.toMatch(/\n\s+at |Exception|node_modules/);
        states.add(fr.responseState ?? 'OK');
        // JSON round trip: what Lambda sends back to Bedrock is exactly this.
        expect(JSON.parse(JSON.stringify(response))).toEqual(response);
      }),
      { numRuns: 5_000 },
    );
    expect(states).toContain('FAILURE');
    expect(states).toContain('REPROMPT');
  });
});
