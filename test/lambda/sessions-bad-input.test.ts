import * as fc from 'fast-check';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { apiEvent, lambdaContext, LEAK_PATTERNS, parseResult } from '../support/api-event';
import { type LocalDynamoDb, startLocalDynamoDb } from '../support/dynamodb-local';
import { type Handler, loadRouteHandler, SESSIONS_TABLE_DEFINITION, STORE_ENV, TWO_TENANTS } from '../support/prompt-handler';

/**
 * Malformed and hostile `GET /sessions/{id}` requests (real handler, real DynamoDB client, local
 * DynamoDB): a 4xx JSON error naming the problem for each; a well-formed id that is not the
 * caller's is the one "Session not found"; never a 5xx, a stack trace or AWS error text.
 */

let db: LocalDynamoDb;
let handler: Handler;
beforeAll(async () => {
  db = await startLocalDynamoDb();
  db.exportEndpoint();
  await db.createTable({ TableName: 'sessions', ...SESSIONS_TABLE_DEFINITION });
  Object.assign(process.env, { SESSIONS_TABLE: 'sessions', TENANTS: JSON.stringify(TWO_TENANTS), ...STORE_ENV });
  ({ handler } = loadRouteHandler('sessions'));
});
afterAll(() => db.stop());

interface BadCase {
  readonly label: string;
  readonly pathParameters: unknown;
  readonly names: RegExp;
  readonly status: number;
}

function getEvent(pathParameters: unknown, extra: Partial<APIGatewayProxyEvent>): APIGatewayProxyEvent {
  const event = apiEvent('sessions/{id}', null);
  return {
    ...event,
    httpMethod: 'GET',
    body: null,
    headers: {},
    pathParameters: pathParameters as APIGatewayProxyEvent['pathParameters'],
    requestContext: { ...event.requestContext, httpMethod: 'GET', authorizer: { claims: { sub: 'alice', 'cognito:groups': 'tenant-acme' } } },
    ...extra,
  };
}

const hostileText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.constantFrom('../../etc/passwd', '%2e%2e%2f', "' OR 1=1 --", '<script>', 'SESSION', 'TURN#0000000000000#x', '\u0000', 'a'.repeat(65), 'short'),
);
const notAString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
);

const badCases: fc.Arbitrary<BadCase> = fc.oneof(
  fc.constantFrom(null, undefined, {}).map((p): BadCase => ({ label: 'no id', pathParameters: p, names: /^id is required$/, status: 400 })),
  hostileText
    .filter((id) => !/^[A-Za-z0-9_-]{16,64}$/.test(id))
    .map((id): BadCase => ({ label: 'id shape', pathParameters: { id }, names: /^id must be a session id: 16-64 letters, digits, _ or -$/, status: 400 })),
  notAString.map((id): BadCase => ({ label: 'id type', pathParameters: { id }, names: /^id must be a string$/, status: 400 })),
  fc
    .stringMatching(/^[A-Za-z0-9_-]{16,64}$/)
    .map((id): BadCase => ({ label: 'not the caller’s', pathParameters: { id }, names: /^Session not found$/, status: 404 })),
);

/** A body, a query string or odd headers on a GET change nothing: the path is the only input. */
const noise = fc.record({
  body: fc.option(fc.oneof(fc.string({ maxLength: 50 }), fc.constant('{"sessionId":"x"}')), { nil: null }),
  queryStringParameters: fc.option(fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }), { nil: null }),
  headers: fc.dictionary(fc.constantFrom('Content-Type', 'X-Forwarded-For', 'Accept'), hostileText, { maxKeys: 3 }),
});

test('2,000 malformed, hostile or foreign session ids each get a 4xx JSON error naming the problem', async () => {
  const seen = new Set<string>();
  await fc.assert(
    fc.asyncProperty(badCases, noise, async (bad, extra) => {
      const event = getEvent(bad.pathParameters, extra);
      const res = parseResult(await handler(event, lambdaContext()));
      seen.add(bad.label);
      expect(res.statusCode).toBe(bad.status);
      expect(res.headers['Content-Type']).toBe('application/json');
      expect(res.json).toEqual({ error: expect.stringMatching(bad.names), requestId: event.requestContext.requestId });
      for (const pattern of LEAK_PATTERNS) expect(JSON.stringify(res.json)).not.toMatch(pattern);
    }),
    { numRuns: 2_000 },
  );
  expect([...seen].sort()).toEqual(['id shape', 'id type', 'no id', 'not the caller’s'].sort());
});
