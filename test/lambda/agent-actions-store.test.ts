import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoSupportStore } from '../../lambda/agent-actions/store';
import type { Ticket } from '../../lambda/agent-actions/core';
import { DEMO_ORDERS, orderKey, ticketKey } from '../../contracts/agent-actions';
import { type MemoryDynamoDb, dynamoError, intercept, memoryDynamoDb } from '../support/dynamo-memory';

/**
 * The agent's table as the action handler reads and writes it (lambda/agent-actions/store.ts),
 * against DynamoDB's engine in this process (test/support/dynamo-memory.ts), laid out as the
 * construct seeds it (lib/constructs/agent: one partition key `pk` that starts with the tenant).
 */
const TABLE = 'agent-data';
const ORDER = DEMO_ORDERS[0];
const TICKET: Ticket = {
  ticketId: 'TCK-0123456789AB',
  tenant: 'acme',
  principal: 'alice',
  subject: 'Shoes too small',
  description: 'Size 42 fits like 41',
  orderId: ORDER.orderId,
  priority: 'high',
  createdAt: '2026-12-07T05:00:00.000Z',
  agentSessionId: 'session-1',
};

let mem: MemoryDynamoDb;
beforeEach(async () => {
  mem = await memoryDynamoDb([
    {
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    },
  ]);
  // As the construct seeds it: the key, the tenant, then the order's own fields.
  await mem.direct.send(new PutCommand({ TableName: TABLE, Item: { pk: orderKey('acme', ORDER.orderId), tenant: 'acme', ...ORDER } }));
});
afterEach(async () => {
  jest.restoreAllMocks();
  await mem.idle();
});

const store = () => dynamoSupportStore(mem.doc, TABLE);

describe('getOrder', () => {
  test("the tenant's order, without the table's own key and tenant attributes, by a strongly consistent read", async () => {
    expect(await store().getOrder('acme', ORDER.orderId)).toStrictEqual(ORDER);
    expect(mem.requests).toEqual([
      { operation: 'GetItem', body: expect.objectContaining({ TableName: TABLE, Key: { pk: { S: 'acme#ORDER#' + ORDER.orderId } }, ConsistentRead: true }) },
    ]);
  });

  test("another tenant's order, or no such order, is undefined", async () => {
    expect(await store().getOrder('globex', ORDER.orderId)).toBeUndefined();
    expect(await store().getOrder('acme', 'ORD-9999')).toBeUndefined();
  });

  test('a store failure reaches the caller as it is (the core answers a generic FAILURE)', async () => {
    const throttled = dynamoError('ProvisionedThroughputExceededException');
    intercept(mem.doc, async () => {
      throw throttled;
    });
    await expect(store().getOrder('acme', ORDER.orderId)).rejects.toBe(throttled);
  });
});

describe('createTicket', () => {
  test('writes the ticket under its tenant key, with every field, once', async () => {
    expect(await store().createTicket(TICKET)).toBe('created');
    const item = (await mem.direct.send(new GetCommand({ TableName: TABLE, Key: { pk: ticketKey('acme', TICKET.ticketId) } }))).Item;
    expect(item).toStrictEqual({ pk: 'acme#TICKET#TCK-0123456789AB', ...TICKET });
  });

  test('an id already taken is "exists", and the first ticket is kept as it was', async () => {
    await store().createTicket(TICKET);
    expect(await store().createTicket({ ...TICKET, subject: 'Another' })).toBe('exists');
    const item = (await mem.direct.send(new GetCommand({ TableName: TABLE, Key: { pk: ticketKey('acme', TICKET.ticketId) } }))).Item;
    expect(item?.subject).toBe('Shoes too small');
  });

  test('the same id under another tenant is another ticket', async () => {
    await store().createTicket(TICKET);
    expect(await store().createTicket({ ...TICKET, tenant: 'globex' })).toBe('created');
  });

  test('a store failure other than the condition reaches the caller as it is', async () => {
    const throttled = dynamoError('ProvisionedThroughputExceededException');
    intercept(mem.doc, async () => {
      throw throttled;
    });
    await expect(store().createTicket(TICKET)).rejects.toBe(throttled);
  });
});
