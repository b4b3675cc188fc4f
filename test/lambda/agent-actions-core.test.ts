import type { Order } from '../../contracts/agent-actions';
import { type ActionDeps, type ActionResponse, handleAction, ORDER_ID_PATTERN, type SupportStore, type Ticket } from '../../lambda/agent-actions/core';
import { jsonObject, parseJson } from '../support/json';

/**
 * The agent's action group executor, called directly with an in-memory store and clock: Bedrock's
 * function-details event in, its response envelope out, compared whole. The handler tests
 * (agent-actions.test.ts) run it against DynamoDB Local; decimal.test.ts covers the calculator.
 */

const ACME = { tenant: 'acme', principal: 'user:alice' };
const NOW = new Date('2026-12-07T10:00:00.000Z');
const ORDER: Order = {
  orderId: 'ORD-1001',
  status: 'delivered',
  items: [{ name: 'Trail running shoes', quantity: 1, unitPrice: '129.90' }],
  total: '129.90',
  currency: 'EUR',
  placedOn: '2026-10-02',
};
const GROUP_OF: Record<string, string> = {
  calculate: 'ExactMath',
  date_difference: 'ExactMath',
  add_to_date: 'ExactMath',
  day_of_week: 'ExactMath',
  convert_timezone: 'ExactMath',
  lookup_order: 'CustomerSupport',
  create_support_ticket: 'CustomerSupport',
};
const AVAILABLE =
  'available: ExactMath.calculate, ExactMath.date_difference, ExactMath.add_to_date, ExactMath.day_of_week, ExactMath.convert_timezone, ' +
  'CustomerSupport.lookup_order, CustomerSupport.create_support_ticket';

/** Orders by tenant and id; tickets by id, written once. */
class InMemorySupportStore implements SupportStore {
  readonly orders = new Map<string, Order>([[`acme#ORD-1001`, ORDER]]);
  readonly tickets = new Map<string, Ticket>();
  readonly lookups: [string, string][] = [];
  failure: Error | undefined;
  async getOrder(tenant: string, orderId: string) {
    this.lookups.push([tenant, orderId]);
    if (this.failure) throw this.failure;
    return this.orders.get(`${tenant}#${orderId}`);
  }
  async createTicket(ticket: Ticket) {
    if (this.failure) throw this.failure;
    if (this.tickets.has(ticket.ticketId)) return 'exists' as const;
    this.tickets.set(ticket.ticketId, ticket);
    return 'created' as const;
  }
}

let store: InMemorySupportStore;
let errors: [string, unknown][];
let deps: ActionDeps;
beforeEach(() => {
  store = new InMemorySupportStore();
  errors = [];
  deps = { store, now: () => NOW, onError: (what, error) => void errors.push([what, error]) };
});

const actionEvent = (fn: string, parameters: Record<string, string>, sessionAttributes: Record<string, string> | undefined = ACME) => ({
  messageVersion: '1.0',
  agent: { name: 'support', id: 'AGENT1', alias: 'live', version: '1' },
  actionGroup: GROUP_OF[fn] ?? 'ExactMath',
  function: fn,
  sessionId: 'session-1',
  inputText: 'user text',
  parameters: Object.entries(parameters).map(([name, value]) => ({ name, type: 'string', value })),
  sessionAttributes,
  promptSessionAttributes: {},
});

const answerOf = (response: ActionResponse) => {
  const text = response.response.functionResponse.responseBody.TEXT.body;
  return { state: response.response.functionResponse.responseState, text, json: () => parseJson(jsonObject, text) };
};
const invoke = async (fn: string, parameters: Record<string, string>, sessionAttributes?: Record<string, string>) =>
  answerOf(await handleAction(actionEvent(fn, parameters, sessionAttributes), deps));
const invokeEvent = async (event: unknown) => answerOf(await handleAction(event, deps));

describe('the response envelope', () => {
  test('a success: the group and function echoed, no state, the session attributes returned unchanged', async () => {
    const response = await handleAction(
      { ...actionEvent('calculate', { expression: '1 + 2' }), promptSessionAttributes: { topic: 'maths' }, sessionAttributes: { ...ACME, extra: 'x' } },
      deps,
    );
    expect(response).toStrictEqual({
      messageVersion: '1.0',
      response: {
        actionGroup: 'ExactMath',
        function: 'calculate',
        functionResponse: { responseBody: { TEXT: { body: '{"expression":"1 + 2","value":"3","exact":true}' } } },
      },
      sessionAttributes: { ...ACME, extra: 'x' },
      promptSessionAttributes: { topic: 'maths' },
    });
  });

  test('without session attributes, or with ones that are not all strings, none are returned', async () => {
    const plain = { ...actionEvent('calculate', { expression: '1' }), sessionAttributes: undefined, promptSessionAttributes: undefined };
    expect(await handleAction(plain, deps)).toStrictEqual({
      messageVersion: '1.0',
      response: {
        actionGroup: 'ExactMath',
        function: 'calculate',
        functionResponse: { responseBody: { TEXT: { body: '{"expression":"1","value":"1","exact":true}' } } },
      },
    });
    for (const attributes of [{ tenant: 'acme', n: 1 }, ['acme'], 'acme', null]) {
      const response = await handleAction(
        { ...actionEvent('calculate', { expression: '1' }), sessionAttributes: attributes, promptSessionAttributes: attributes },
        deps,
      );
      expect(Object.keys(response)).toEqual(['messageVersion', 'response']);
    }
  });

  test.each([null, undefined, 'event', 42, []])('fails when the event is %j: a FAILURE envelope, never an exception', async (event) => {
    expect(await handleAction(event, deps)).toStrictEqual({
      messageVersion: '1.0',
      response: {
        actionGroup: '',
        function: '',
        functionResponse: { responseState: 'FAILURE', responseBody: { TEXT: { body: 'Unsupported event: messageVersion must be 1.0' } } },
      },
    });
  });

  test('fails when the messageVersion is not 1.0', async () => {
    for (const messageVersion of ['2.0', 1, undefined]) {
      expect(await invokeEvent({ ...actionEvent('calculate', { expression: '1' }), messageVersion })).toEqual({
        state: 'FAILURE',
        text: 'Unsupported event: messageVersion must be 1.0',
        json: expect.any(Function),
      });
    }
  });

  test('names longer than 100 characters, or not strings, are echoed as empty', async () => {
    const long = 'a'.repeat(101);
    const response = await handleAction({ ...actionEvent('calculate', { expression: '1' }), actionGroup: long, function: 7 }, deps);
    expect(response.response).toMatchObject({ actionGroup: '', function: '' });
    const exactly = 'a'.repeat(100);
    expect((await handleAction({ ...actionEvent('calculate', { expression: '1' }), function: exactly }, deps)).response.function).toBe(exactly);
  });

  test('an event whose fields throw when read still gets an envelope: FAILURE, and the error reported', async () => {
    const boom = new Error('getter failed');
    const hostile = Object.defineProperty({ ...actionEvent('calculate', { expression: '1' }) }, 'parameters', {
      get() {
        throw boom;
      },
    });
    expect(await invokeEvent(hostile)).toMatchObject({ state: 'FAILURE', text: 'The action failed unexpectedly; try again later' });
    expect(errors).toEqual([['calculate', boom]]);
    const nameless = Object.defineProperty({}, 'messageVersion', {
      get() {
        throw boom;
      },
    });
    expect(await invokeEvent(nameless)).toMatchObject({ state: 'FAILURE', text: 'The action failed unexpectedly; try again later' });
    expect(errors[1]).toEqual(['event', boom]);
  });
});

describe('which function', () => {
  test('fails when the function is unknown, naming it, its group and every available function', async () => {
    expect(await invokeEvent({ ...actionEvent('calculate', {}), function: 'rm_rf' })).toMatchObject({
      state: 'FAILURE',
      text: `Unknown function "rm_rf" in action group "ExactMath"; ${AVAILABLE}`,
    });
  });

  test('fails when a known function is called in another group, or the group is unknown', async () => {
    expect(await invokeEvent({ ...actionEvent('calculate', { expression: '1' }), actionGroup: 'CustomerSupport' })).toMatchObject({
      state: 'FAILURE',
      text: `Unknown function "calculate" in action group "CustomerSupport"; ${AVAILABLE}`,
    });
    expect(await invokeEvent({ ...actionEvent('lookup_order', { order_id: 'ORD-1001' }), actionGroup: 'Admin' })).toMatchObject({
      state: 'FAILURE',
      text: `Unknown function "lookup_order" in action group "Admin"; ${AVAILABLE}`,
    });
    expect(store.lookups).toEqual([]);
  });
});

describe('the caller identity (from the session attributes the /agent route sets)', () => {
  const NEEDS = 'This action needs the caller identity the API sets in the session; call the agent through the /agent route';

  test.each([
    ['no session attributes', undefined],
    ['no tenant', { principal: 'user:alice' }],
    ['a tenant that is not a tenant name', { tenant: 'acme#globex', principal: 'user:alice' }],
    ['an empty tenant', { tenant: '', principal: 'user:alice' }],
    ['no principal', { tenant: 'acme' }],
    ['an empty principal', { tenant: 'acme', principal: '' }],
    ['a principal over 2048 characters', { tenant: 'acme', principal: 'p'.repeat(2_049) }],
  ])('fails with %s: lookup_order and create_support_ticket touch nothing', async (_, attributes) => {
    const event = (fn: string, parameters: Record<string, string>) => ({ ...actionEvent(fn, parameters), sessionAttributes: attributes });
    expect(await invokeEvent(event('lookup_order', { order_id: 'ORD-1001' }))).toMatchObject({ state: 'FAILURE', text: NEEDS });
    expect(await invokeEvent(event('create_support_ticket', { subject: 's', description: 'd' }))).toMatchObject({ state: 'FAILURE', text: NEEDS });
    expect(store.lookups).toEqual([]);
    expect(store.tickets.size).toBe(0);
  });

  test('a principal of 1 or 2048 characters is accepted; the calculator needs no identity', async () => {
    expect((await invoke('lookup_order', { order_id: 'ORD-1001' }, { tenant: 'acme', principal: 'p' })).state).toBeUndefined();
    expect((await invoke('lookup_order', { order_id: 'ORD-1001' }, { tenant: 'acme', principal: 'p'.repeat(2_048) })).state).toBeUndefined();
    expect(await invokeEvent({ ...actionEvent('calculate', { expression: '2 * 3' }), sessionAttributes: undefined })).toMatchObject({
      state: undefined,
      text: '{"expression":"2 * 3","value":"6","exact":true}',
    });
  });
});

describe('the parameter list', () => {
  const withParameters = (parameters: unknown) => invokeEvent({ ...actionEvent('calculate', {}), parameters });

  test('missing or null is no parameters: the required ones are asked for', async () => {
    for (const parameters of [undefined, null]) {
      expect(await withParameters(parameters)).toMatchObject({ state: 'REPROMPT', text: 'Invalid parameters for calculate: expression is required' });
    }
  });

  test('fails when it is not a list', async () => {
    for (const parameters of ['expression=1', { expression: '1' }]) {
      expect(await withParameters(parameters)).toMatchObject({ state: 'REPROMPT', text: 'parameters must be a list of {name, type, value}' });
    }
  });

  test('fails when it has more than 10 entries; 10 are read', async () => {
    const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `p_${'abcdefghijk'[i]}`, type: 'string', value: '1' }));
    expect(await withParameters(entries(11))).toMatchObject({ state: 'REPROMPT', text: 'at most 10 parameters are accepted' });
    expect(await withParameters(entries(10))).toMatchObject({
      state: 'REPROMPT',
      text: 'Invalid parameters for calculate: expression is required; unknown fields: "p_a", "p_b", "p_c", "p_d", "p_e"',
    });
  });

  test('fails when an entry is not an object or its name is not lowercase letters and underscores', async () => {
    const message = 'every parameter needs a name of lowercase letters and underscores';
    for (const entry of [null, 'expression', { value: '1' }, { name: 7 }, { name: '' }, { name: 'Expression' }, { name: 'a-b' }, { name: 'a'.repeat(41) }]) {
      expect(await withParameters([entry])).toMatchObject({ state: 'REPROMPT', text: message });
    }
    expect(await withParameters([{ name: 'a'.repeat(40), value: '1' }])).toMatchObject({ state: 'REPROMPT', text: expect.stringContaining('unknown field') });
  });

  test('fails when a name is given twice', async () => {
    const twice = [
      { name: 'expression', type: 'string', value: '1' },
      { name: 'expression', type: 'string', value: '2' },
    ];
    expect(await withParameters(twice)).toMatchObject({ state: 'REPROMPT', text: 'parameter expression is given twice' });
  });
});

describe('parameter values', () => {
  test.each([
    ['calculate', { expression: '' }, 'expression must be at least 1 characters; expression must not be blank'],
    ['calculate', { expression: ' \t ' }, 'expression must not be blank'],
    ['calculate', { expression: '1'.repeat(501) }, 'expression must be at most 500 characters'],
    ['calculate', { expression: '1', precision: '2' }, 'unknown field: "precision"'],
    ['date_difference', { start: '', end: '2024-01-01' }, 'start must be at least 1 characters'],
    ['date_difference', { start: '2024-01-01', end: 'x'.repeat(41) }, 'end must be at most 40 characters'],
    ['date_difference', { start: '2024-01-01', end: '2024-01-02', time_zone: 'Z'.repeat(65) }, 'time_zone must be at most 64 characters'],
    ['add_to_date', { date: '2024-01-01', amount: '1.5', unit: 'days' }, 'amount must be a whole number'],
    // One message each: a value that is not a whole number is not also out of range, and a long one is only out of range.
    ['add_to_date', { date: '2024-01-01', amount: 'one', unit: 'days' }, 'amount must be a whole number'],
    ['add_to_date', { date: '2024-01-01', amount: '12345678', unit: 'days' }, 'amount must be between -1000000 and 1000000'],
    ['add_to_date', { date: '2024-01-01', amount: '9'.repeat(400), unit: 'days' }, 'amount must be between -1000000 and 1000000'],
    ['add_to_date', { date: '2024-01-01', amount: '1 ', unit: 'days' }, 'amount must be a whole number'],
    ['add_to_date', { date: '2024-01-01', amount: ' 1', unit: 'days' }, 'amount must be a whole number'],
    ['add_to_date', { date: '2024-01-01', amount: '1000001', unit: 'days' }, 'amount must be between -1000000 and 1000000'],
    ['add_to_date', { date: '2024-01-01', amount: '-1000001', unit: 'days' }, 'amount must be between -1000000 and 1000000'],
    ['add_to_date', { date: '2024-01-01', amount: '1', unit: 'fortnights' }, 'unit must be one of "years", "months", "weeks", "days", "hours", "minutes"'],
    ['day_of_week', { date: 'x'.repeat(41) }, 'date must be at most 40 characters'],
    [
      'convert_timezone',
      { date_time: '2026-06-01T09:00', from_time_zone: 'A'.repeat(65), to_time_zone: 'UTC' },
      'from_time_zone must be at most 64 characters',
    ],
    ['convert_timezone', { date_time: '2026-06-01T09:00', from_time_zone: 'UTC', to_time_zone: 'A'.repeat(65) }, 'to_time_zone must be at most 64 characters'],
    ['lookup_order', { order_id: 'ORD-123' }, 'order_id must be an order id like ORD-1001'],
    ['lookup_order', { order_id: 'ORD-12345678901' }, 'order_id must be an order id like ORD-1001'],
    ['lookup_order', { order_id: 'acme#ORD-1001' }, 'order_id must be an order id like ORD-1001'],
    ['lookup_order', { order_id: 'ORD-1001 ' }, 'order_id must be an order id like ORD-1001'],
    ['create_support_ticket', { subject: 's'.repeat(121), description: 'd' }, 'subject must be at most 120 characters'],
    ['create_support_ticket', { subject: 's', description: 'd'.repeat(2_001) }, 'description must be at most 2000 characters'],
    ['create_support_ticket', { subject: '  ', description: 'd' }, 'subject must not be blank'],
    ['create_support_ticket', { subject: 's', description: 'd', order_id: 'ORD-1' }, 'order_id must be an order id like ORD-1001'],
    ['create_support_ticket', { subject: 's', description: 'd', priority: 'urgent' }, 'priority must be one of "low", "normal", "high"'],
  ])('%s fails on %o, naming the parameter', async (fn, parameters, message) => {
    expect(await invoke(fn, parameters)).toMatchObject({ state: 'REPROMPT', text: `Invalid parameters for ${fn}: ${message}` });
    expect(store.lookups).toEqual([]);
    expect(store.tickets.size).toBe(0);
  });

  test('the order id pattern: ORD- and 4 to 10 digits', () => {
    expect(['ORD-1234', 'ORD-1234567890'].every((id) => ORDER_ID_PATTERN.test(id))).toBe(true);
    expect(['ORD-123', 'ORD-12345678901', 'ord-1234', 'XORD-1234', 'ORD-1234X', 'ORD-12a4'].some((id) => ORDER_ID_PATTERN.test(id))).toBe(false);
  });

  test('the longest accepted values pass', async () => {
    expect((await invoke('calculate', { expression: `${'1+'.repeat(249)}10` })).json()).toMatchObject({ value: '259' });
    expect(await invoke('add_to_date', { date: '2024-01-01', amount: '-1000000', unit: 'minutes' })).toMatchObject({ state: undefined });
    expect((await invoke('add_to_date', { date: '2024-01-01', amount: '1000000', unit: 'minutes' })).json()).toEqual({
      date: '2024-01-01',
      amount: 1_000_000,
      unit: 'minutes',
      result: '2025-11-25T10:40:00+00:00',
      timeZone: 'UTC',
    });
    const ticket = await invoke('create_support_ticket', { subject: 's'.repeat(120), description: 'd'.repeat(2_000), order_id: 'ORD-1234567890' });
    expect(ticket.state).toBeUndefined();
  });
});

describe('the ExactMath functions', () => {
  test('calculate answers the expression with its exact value', async () => {
    expect(await invoke('calculate', { expression: '0.1 + 0.2' })).toMatchObject({
      state: undefined,
      text: '{"expression":"0.1 + 0.2","value":"0.3","exact":true,"fraction":"3/10"}',
    });
  });

  test('a value that does not exist asks the agent to reprompt, naming the function and the reason', async () => {
    expect(await invoke('calculate', { expression: '1 / 0' })).toMatchObject({ state: 'REPROMPT', text: 'calculate cannot compute this: division by zero' });
    expect(await invoke('day_of_week', { date: '2024-13-01' })).toMatchObject({
      state: 'REPROMPT',
      text: 'day_of_week cannot compute this: date has no month 13',
    });
    expect(errors).toEqual([]);
  });

  test('date_difference is in UTC unless a time zone is given', async () => {
    const span = { start: '2026-03-07T12:00', end: '2026-03-08T12:00' };
    expect((await invoke('date_difference', span)).json()).toEqual({
      start: '2026-03-07T12:00:00',
      end: '2026-03-08T12:00:00',
      timeZone: 'UTC',
      days: 1,
      calendar: { years: 0, months: 0, days: 1 },
      elapsed: { hours: 24, minutes: 0, totalMinutes: 1440 },
    });
    expect((await invoke('date_difference', { ...span, time_zone: 'America/New_York' })).json()).toMatchObject({
      timeZone: 'America/New_York',
      elapsed: { hours: 23, minutes: 0, totalMinutes: 1380 },
    });
  });

  test('add_to_date answers the date, the amount as a number, the unit and the result, in UTC unless a time zone is given', async () => {
    expect((await invoke('add_to_date', { date: '2024-01-31', amount: '+1', unit: 'months' })).json()).toEqual({
      date: '2024-01-31',
      amount: 1,
      unit: 'months',
      result: '2024-02-29',
      timeZone: 'UTC',
    });
    expect((await invoke('add_to_date', { date: '2026-03-08T01:30', amount: '1', unit: 'hours', time_zone: 'America/New_York' })).json()).toEqual({
      date: '2026-03-08T01:30',
      amount: 1,
      unit: 'hours',
      result: '2026-03-08T03:30:00-04:00',
      timeZone: 'America/New_York',
    });
    expect((await invoke('add_to_date', { date: '2024-03-01', amount: '-1', unit: 'days' })).json()).toMatchObject({ amount: -1, result: '2024-02-29' });
  });

  test('day_of_week and convert_timezone answer whole', async () => {
    expect((await invoke('day_of_week', { date: '2024-02-29' })).json()).toEqual({
      date: '2024-02-29',
      dayOfWeek: 'Thursday',
      isoWeekday: 4,
      dayOfYear: 60,
      leapYear: true,
    });
    expect((await invoke('convert_timezone', { date_time: '2026-06-01T09:00', from_time_zone: 'US/Eastern', to_time_zone: 'Asia/Tokyo' })).json()).toEqual({
      from: '2026-06-01T09:00:00-04:00',
      to: '2026-06-01T22:00:00+09:00',
      utc: '2026-06-01T13:00:00+00:00',
    });
  });
});

describe('lookup_order', () => {
  test("reads the order under the caller's tenant", async () => {
    expect((await invoke('lookup_order', { order_id: 'ORD-1001' })).json()).toEqual({ ...ORDER });
    expect(store.lookups).toEqual([['acme', 'ORD-1001']]);
  });

  test("another tenant's order reads as missing, with the same answer as an id nobody has", async () => {
    const globex = { tenant: 'globex', principal: 'apikey:key2' };
    expect(await invoke('lookup_order', { order_id: 'ORD-1001' }, globex)).toMatchObject({
      state: undefined,
      text: '{"orderId":"ORD-1001","found":false,"message":"No order ORD-1001 exists for this account"}',
    });
    expect(store.lookups).toEqual([['globex', 'ORD-1001']]);
  });

  test('a store failure is a FAILURE with a generic message; the error goes to onError', async () => {
    store.failure = new Error('ProvisionedThroughputExceededException: table acme#secret');
    expect(await invoke('lookup_order', { order_id: 'ORD-1001' })).toMatchObject({
      state: 'FAILURE',
      text: 'lookup_order failed: the service is unavailable, try again later',
    });
    expect(errors).toEqual([['lookup_order', store.failure]]);
  });

  test('an onError that throws itself does not cost the agent its reply', async () => {
    store.failure = new Error('ProvisionedThroughputExceededException');
    deps = {
      ...deps,
      onError: () => {
        throw new Error('logger down');
      },
    };
    expect(await invoke('lookup_order', { order_id: 'ORD-1001' })).toMatchObject({
      state: 'FAILURE',
      text: 'lookup_order failed: the service is unavailable, try again later',
    });
  });
});

describe('create_support_ticket', () => {
  const ASK = { subject: 'Shoes too small', description: 'Size 42 fits like 41', order_id: 'ORD-1001', priority: 'high' };

  test('writes the ticket under the caller, from the session, with the time of the clock', async () => {
    const answer = (await invoke('create_support_ticket', ASK)).json();
    expect(answer).toEqual({ ticketId: expect.stringMatching(/^TCK-[0-9A-F]{12}$/), status: 'created', subject: 'Shoes too small', priority: 'high' });
    expect([...store.tickets.values()]).toStrictEqual([
      {
        ticketId: answer.ticketId,
        tenant: 'acme',
        principal: 'user:alice',
        subject: 'Shoes too small',
        description: 'Size 42 fits like 41',
        orderId: 'ORD-1001',
        priority: 'high',
        createdAt: '2026-12-07T10:00:00.000Z',
        agentSessionId: 'session-1',
      },
    ]);
  });

  test('without order id nor priority: no orderId, priority normal', async () => {
    const answer = (await invoke('create_support_ticket', { subject: 'Late', description: 'Where is it?' })).json();
    expect(answer).toMatchObject({ status: 'created', subject: 'Late', priority: 'normal' });
    const [ticket] = [...store.tickets.values()];
    expect(ticket).toStrictEqual({
      ticketId: answer.ticketId,
      tenant: 'acme',
      principal: 'user:alice',
      subject: 'Late',
      description: 'Where is it?',
      priority: 'normal',
      createdAt: '2026-12-07T10:00:00.000Z',
      agentSessionId: 'session-1',
    });
  });

  test('the same request again in the conversation is the same ticket: "already exists", one ticket', async () => {
    const first = (await invoke('create_support_ticket', ASK)).json();
    const again = (await invoke('create_support_ticket', ASK)).json();
    expect(again).toEqual({
      ticketId: first.ticketId,
      status: 'already exists (the same ticket was created earlier in this conversation)',
      subject: 'Shoes too small',
      priority: 'high',
    });
    expect(store.tickets.size).toBe(1);
    // An omitted priority is the default one: the same ticket as one asked with "normal".
    const { priority: _, ...unprioritised } = ASK;
    const omitted = (await invoke('create_support_ticket', unprioritised)).json();
    expect((await invoke('create_support_ticket', { ...ASK, priority: 'normal' })).json()).toMatchObject({
      ticketId: omitted.ticketId,
      status: expect.stringMatching(/^already exists/),
    });
  });

  test('every part of who asks, where and what gives another ticket id', async () => {
    const idOf = async (parameters: Record<string, string>, attributes = ACME, sessionId = 'session-1') =>
      (await invokeEvent({ ...actionEvent('create_support_ticket', parameters, attributes), sessionId })).json().ticketId;
    const { order_id: _, ...withoutOrder } = ASK;
    const ids = [
      await idOf(ASK),
      await idOf(ASK, { tenant: 'globex', principal: 'user:alice' }),
      await idOf(ASK, { tenant: 'acme', principal: 'user:bob' }),
      await idOf(ASK, ACME, 'session-2'),
      await idOf({ ...ASK, subject: 'Shoes too big' }),
      await idOf({ ...ASK, description: 'Size 42 fits like 43' }),
      await idOf({ ...ASK, order_id: 'ORD-1002' }),
      await idOf(withoutOrder),
      await idOf({ ...ASK, priority: 'low' }),
    ];
    expect(new Set(ids).size).toBe(ids.length);
    expect(store.tickets.size).toBe(ids.length);
  });

  test('a store failure is a FAILURE with a generic message; the error goes to onError', async () => {
    store.failure = new Error('AccessDeniedException');
    expect(await invoke('create_support_ticket', ASK)).toMatchObject({
      state: 'FAILURE',
      text: 'create_support_ticket failed: the service is unavailable, try again later',
    });
    expect(errors).toEqual([['create_support_ticket', store.failure]]);
  });
});
