import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { apiEvent, lambdaContext, LEAK_PATTERNS, parseResult } from '../support/api-event';
import type { BedrockFake } from '../support/bedrock-fake';
import { type LocalDynamoDb, startLocalDynamoDb } from '../support/dynamodb-local';
import {
  FEEDBACK_TABLE_DEFINITION,
  type Handler,
  loadRouteHandler,
  SESSIONS_TABLE_DEFINITION,
  startPromptHandler,
  STORE_ENV,
  TWO_TENANTS,
} from '../support/prompt-handler';

/**
 * "Nothing lost": the session and feedback stores failing mid-run, through a TCP proxy in front of
 * the local DynamoDB that can refuse connections (the store is down) or forward requests and drop
 * the answers (the write lands, the client never hears). The data behind the proxy survives, so
 * the tests check what was stored once the store is back.
 */

/** 'down' refuses connections; `dropAnswersTo` forwards every request but drops the answers to these operations. */
type Mode = 'up' | 'down' | { readonly dropAnswersTo: RegExp };

class FaultyProxy {
  mode: Mode = 'up';
  private readonly sockets = new Set<net.Socket>();
  private constructor(private readonly server: net.Server) {}

  static async start(upstream: string): Promise<FaultyProxy> {
    const { hostname, port } = new URL(upstream);
    const server = net.createServer();
    const proxy = new FaultyProxy(server);
    server.on('connection', (client) => {
      if (proxy.mode === 'down') {
        client.destroy();
        return;
      }
      const target = net.connect(Number(port), hostname);
      proxy.track(client, target);
      // Requests on a keep-alive connection come one at a time: the operation of the last one sent decides.
      let dropping = false;
      client.on('data', (chunk: Buffer) => {
        const operation = /x-amz-target: *DynamoDB_\d+\.(\w+)/i.exec(chunk.toString('latin1'))?.[1];
        if (operation) dropping = typeof proxy.mode === 'object' && proxy.mode.dropAnswersTo.test(operation);
        target.write(chunk);
      });
      target.on('data', (chunk) => {
        if (!dropping) client.write(chunk);
      });
      const close = () => {
        client.destroy();
        target.destroy();
      };
      client.on('close', close).on('error', close);
      target.on('close', close).on('error', close);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Switches mode; going down also cuts every open (keep-alive) connection. */
  set(mode: Mode): void {
    this.mode = mode;
    if (mode === 'down') for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.set('down');
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(...sockets: net.Socket[]): void {
    for (const s of sockets) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    }
  }
}

let db: LocalDynamoDb;
let documents: DynamoDBDocumentClient;
let proxy: FaultyProxy;
let fake: BedrockFake;
let prompt: Handler;
let feedback: Handler;

beforeAll(async () => {
  db = await startLocalDynamoDb();
  documents = DynamoDBDocumentClient.from(db.client());
  await db.createTable({ TableName: 'sessions', ...SESSIONS_TABLE_DEFINITION });
  await db.createTable({ TableName: 'feedback', ...FEEDBACK_TABLE_DEFINITION });
  proxy = await FaultyProxy.start(db.endpoint);
  process.env.AWS_ENDPOINT_URL_DYNAMODB = proxy.endpoint;
  ({ fake, handler: prompt } = await startPromptHandler({
    SESSIONS_TABLE: 'sessions',
    FEEDBACK_TABLE: 'feedback',
    TENANTS: JSON.stringify(TWO_TENANTS),
    ...STORE_ENV,
  }));
  ({ handler: feedback } = loadRouteHandler('feedback'));
});
afterAll(async () => {
  await fake.stop();
  await proxy.stop();
  await db.stop();
});
beforeEach(() => {
  fake.reset();
  proxy.set('up');
});

const claims = { sub: 'alice', 'cognito:groups': 'tenant-acme' };
const withClaims = (event: APIGatewayProxyEvent): APIGatewayProxyEvent => ({ ...event, requestContext: { ...event.requestContext, authorizer: { claims } } });
const ask = async (body: Record<string, unknown>) => parseResult(await prompt(withClaims(apiEvent('prompt', body)), lambdaContext()));
const rate = async (event: APIGatewayProxyEvent) => parseResult(await feedback(event, lambdaContext()));
const turnsOf = async (sessionId: string) =>
  (
    (
      await documents.send(
        new QueryCommand({
          TableName: 'sessions',
          KeyConditionExpression: 'sessionId = :id AND begins_with(sk, :t)',
          ExpressionAttributeValues: { ':id': sessionId, ':t': 'TURN#' },
        }),
      )
    ).Items ?? []
  ).map((i) => i.user as string);

function expectClean503(res: { statusCode: number; headers: Record<string, string>; json: Record<string, unknown> }, message: string): void {
  expect(res.statusCode).toBe(503);
  expect(res.headers['Content-Type']).toBe('application/json');
  expect(res.json.error).toBe(message);
  for (const pattern of LEAK_PATTERNS) expect(JSON.stringify(res.json)).not.toMatch(pattern);
}

describe('session store down', () => {
  test('history unreadable: 503 before the model is called (no answer without its history, nothing spent)', async () => {
    const first = await ask({ query: 'first' });
    const sessionId = first.json.sessionId as string;
    proxy.set('down');
    expectClean503(await ask({ query: 'second', sessionId }), 'Conversation history is unavailable; try again later');
    expect(fake.count('Converse')).toBe(1);
    proxy.set('up');
    // The accepted turn survived; the failed one left nothing behind, and the session goes on.
    expect(await turnsOf(sessionId)).toEqual(['first']);
    expect((await ask({ query: 'third', sessionId })).statusCode).toBe(200);
    expect(await turnsOf(sessionId)).toEqual(['first', 'third']);
  });

  test('the store goes down while the model answers: 503, and the history does not hold a turn the client never saw', async () => {
    const sessionId = (await ask({ query: 'first' })).json.sessionId as string;
    fake.setDefault('Converse', { kind: 'answer', delayMs: 150 });
    const pending = ask({ query: 'second', sessionId });
    await new Promise((resolve) => setTimeout(resolve, 60));
    proxy.set('down');
    expectClean503(await pending, 'Conversation history is unavailable; try again later');
    proxy.set('up');
    expect(await turnsOf(sessionId)).toEqual(['first']);
  });

  test('the turn lands but its acknowledgement is lost: the retry of that request stores nothing twice', async () => {
    const sessionId = (await ask({ query: 'first' })).json.sessionId as string;
    const event = withClaims(apiEvent('prompt', { query: 'second', sessionId }));
    proxy.set({ dropAnswersTo: /^PutItem$/ });
    expect((await prompt(event, lambdaContext())).statusCode).toBe(503);
    proxy.set('up');
    expect(await turnsOf(sessionId)).toEqual(['first', 'second']);
    const retried = parseResult(await prompt(event, lambdaContext()));
    expect(retried.statusCode).toBe(200);
    expect(await turnsOf(sessionId)).toEqual(['first', 'second']);
  });
});

describe('feedback store down', () => {
  test('POST /feedback with the store down: 503 JSON, nothing written; after recovery the retry records once', async () => {
    const requestId = (await ask({ query: 'rate me' })).json.requestId as string;
    proxy.set('down');
    const event = withClaims(apiEvent('feedback', { requestId, rating: 'down' }));
    expectClean503(await rate(event), 'Feedback is unavailable; try again later');
    proxy.set('up');
    expect((await documents.send(new GetCommand({ TableName: 'feedback', Key: { requestId } }))).Item).not.toHaveProperty('rating');
    const retried = await rate(event);
    expect(retried.json).toMatchObject({ outcome: 'recorded', feedback: { rating: 'down' } });
  });

  test('the rating lands but its acknowledgement is lost: the client retry finds it stored and writes nothing twice', async () => {
    const requestId = (await ask({ query: 'rate me too' })).json.requestId as string;
    proxy.set({ dropAnswersTo: /^UpdateItem$/ });
    const lost = await rate(withClaims(apiEvent('feedback', { requestId, rating: 'up', comment: 'good' })));
    expect(lost.statusCode).toBe(503);
    proxy.set('up');
    const retried = await rate(withClaims(apiEvent('feedback', { requestId, rating: 'up', comment: 'good' })));
    expect(retried.statusCode).toBe(200);
    expect(retried.json.outcome).toBe('unchanged');
    const item = (await documents.send(new GetCommand({ TableName: 'feedback', Key: { requestId } }))).Item!;
    expect(item).toMatchObject({ rating: 'up', comment: 'good', revision: 1 });
  });
});

describe('feedback store down on the prompt route', () => {
  test('the answer record cannot be written: the answer still reaches the client (it was already given)', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME;
    const own = await startPromptHandler({ FEEDBACK_TABLE: 'feedback', TENANTS: JSON.stringify(TWO_TENANTS), ...STORE_ENV });
    try {
      proxy.set('down');
      const res = parseResult(await own.handler(withClaims(apiEvent('prompt', { query: 'still answered' })), lambdaContext()));
      expect(res.statusCode).toBe(200);
      expect(res.json.text).toBe('fake answer to: still answered');
      proxy.set('up');
      expect((await documents.send(new GetCommand({ TableName: 'feedback', Key: { requestId: res.json.requestId } }))).Item).toBeUndefined();
    } finally {
      await own.fake.stop();
      process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME = saved;
    }
  });
});
