import * as fc from 'fast-check';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { apiEvent, isJson, lambdaContext, LEAK_PATTERNS, parseResult } from '../support/api-event';
import { type LocalDynamoDb, startLocalDynamoDb } from '../support/dynamodb-local';
import { FEEDBACK_TABLE_DEFINITION, type Handler, loadRouteHandler, STORE_ENV, TWO_TENANTS } from '../support/prompt-handler';

/**
 * Thousands of malformed and hostile requests at `POST /feedback` (real handler, real DynamoDB
 * client, local DynamoDB): each gets a 4xx JSON error naming the problem; none a 5xx, a stack
 * trace or AWS error text; and none writes anything.
 */

let db: LocalDynamoDb;
let handler: Handler;
beforeAll(async () => {
  db = await startLocalDynamoDb();
  db.exportEndpoint();
  await db.createTable({ TableName: 'feedback', ...FEEDBACK_TABLE_DEFINITION });
  Object.assign(process.env, { FEEDBACK_TABLE: 'feedback', TENANTS: JSON.stringify(TWO_TENANTS), ...STORE_ENV });
  ({ handler } = loadRouteHandler('feedback'));
});
afterAll(() => db.stop());

const MAX_COMMENT = Number(STORE_ENV.FEEDBACK_MAX_COMMENT_CHARS);
const claims = { sub: 'alice', 'cognito:groups': 'tenant-acme' };
const bodyOf = (body: unknown, headers?: Record<string, string>): APIGatewayProxyEvent => {
  const event = apiEvent('feedback', body, headers ? { headers } : {});
  return { ...event, requestContext: { ...event.requestContext, authorizer: { claims } } };
};

interface BadCase {
  readonly label: string;
  readonly event: APIGatewayProxyEvent;
  readonly names: RegExp;
  readonly status?: number;
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const notAString = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(jsonValue, { maxLength: 3 }),
  fc.dictionary(fc.string(), jsonValue, { maxKeys: 3 }),
);
const hostileText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(
    '<script>alert(1)</script>',
    "'; DROP TABLE feedback; --",
    '${jndi:ldap://x}',
    '\u0000\u0001\u001b[31m',
    '../../etc/passwd',
    'attribute_not_exists(requestId)',
    '#comment = :x',
  ),
);
const validRequestId = fc.stringMatching(/^[A-Za-z0-9-]{1,64}$/);
const rating = fc.constantFrom('up', 'down');
const unknownKey = fc.oneof(
  fc.string({ minLength: 1, maxLength: 80 }).filter((k) => !['requestId', 'rating', 'comment'].includes(k)),
  fc.constantFrom('__proto__', 'constructor', 'principal', 'tenant', 'revision', 'model', 'ratedAt', 'RequestId'),
);

const badCases: fc.Arbitrary<BadCase> = fc.oneof(
  fc
    .string({ unit: 'binary', maxLength: 300 })
    .filter((s) => s.length > 0 && !isJson(s))
    .map((s): BadCase => ({ label: 'not JSON', event: bodyOf(s), names: /^Invalid JSON body$/ })),
  fc
    .oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.array(jsonValue, { maxLength: 4 }))
    .map((v): BadCase => ({ label: 'not an object', event: bodyOf(JSON.stringify(v)), names: /must be a JSON object/ })),
  rating.map((r): BadCase => ({ label: 'missing requestId', event: bodyOf({ rating: r }), names: /requestId is required/ })),
  validRequestId.map((id): BadCase => ({ label: 'missing rating', event: bodyOf({ requestId: id }), names: /rating is required/ })),
  fc
    .tuple(notAString, rating)
    .map(([id, r]): BadCase => ({ label: 'requestId type', event: bodyOf({ requestId: id, rating: r }), names: /requestId must be a string/ })),
  fc
    .tuple(
      fc.oneof(hostileText, fc.string({ minLength: 129, maxLength: 300 })).filter((s) => !/^[A-Za-z0-9-]{1,128}$/.test(s)),
      rating,
    )
    .map(([id, r]): BadCase => ({
      label: 'requestId shape',
      event: bodyOf({ requestId: id, rating: r }),
      names: /requestId must be the requestId of an answer/,
    })),
  fc
    .tuple(
      validRequestId,
      fc.oneof(
        hostileText.filter((s) => s !== 'up' && s !== 'down'),
        notAString,
        fc.constantFrom('UP', 'Down', 'thumbs-up', '👍', ' up'),
      ),
    )
    .map(([id, r]): BadCase => ({ label: 'rating', event: bodyOf({ requestId: id, rating: r }), names: /rating must be one of "up", "down"/ })),
  fc
    .tuple(
      validRequestId,
      rating,
      fc.oneof(
        notAString.filter((c) => c !== null),
        fc.integer({ min: MAX_COMMENT + 1, max: MAX_COMMENT + 3000 }).map((n) => 'x'.repeat(n)),
      ),
    )
    .map(([id, r, comment]): BadCase => ({
      label: 'comment',
      event: bodyOf({ requestId: id, rating: r, comment }),
      names: /comment must be (a string|at most \d+ characters)/,
    })),
  fc.tuple(validRequestId, rating, unknownKey, jsonValue).map(([id, r, key, value]): BadCase => ({
    label: 'unknown field',
    event: bodyOf(`{"requestId":${JSON.stringify(id)},"rating":"${r}",${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}}`),
    names: /unknown field/,
  })),
  fc.tuple(validRequestId, fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', '')).map(([id, type]): BadCase => ({
    label: 'content type',
    event: bodyOf({ requestId: id, rating: 'up' }, { 'content-type': type }),
    names: /Content-Type must be application\/json/,
    status: 415,
  })),
  fc.constantFrom(null, '').map((b): BadCase => ({ label: 'no body', event: { ...bodyOf('x'), body: b }, names: /Request body is required/ })),
  // Well-formed, but about no answer of the caller's: a 404 whatever the id.
  fc
    .tuple(
      validRequestId,
      rating,
      fc.option(
        hostileText.map((c) => c.slice(0, MAX_COMMENT)),
        { nil: undefined },
      ),
    )
    .map(([id, r, comment]): BadCase => ({
      label: 'unknown answer',
      event: bodyOf({ requestId: id, rating: r, ...(comment === undefined ? {} : { comment }) }),
      names: /^No answer with this requestId to rate/,
      status: 404,
    })),
);

test('3,000+ malformed and hostile feedback requests each get a 4xx JSON error naming the problem, and nothing is written', async () => {
  const seen = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(badCases, async (bad) => {
      const res = parseResult(await handler(bad.event, lambdaContext()));
      seen.set(bad.label, (seen.get(bad.label) ?? 0) + 1);
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      if (bad.status) expect(res.statusCode).toBe(bad.status);
      expect(res.headers['Content-Type']).toBe('application/json');
      expect(res.json.error).toMatch(bad.names);
      expect(res.json.requestId).toBe(bad.event.requestContext.requestId);
      const text = JSON.stringify(res.json);
      for (const pattern of LEAK_PATTERNS) expect(text).not.toMatch(pattern);
    }),
    { numRuns: 3_000 },
  );
  expect([...seen.keys()].sort()).toEqual(
    [
      'comment',
      'content type',
      'missing rating',
      'missing requestId',
      'no body',
      'not JSON',
      'not an object',
      'rating',
      'requestId shape',
      'requestId type',
      'unknown answer',
      'unknown field',
    ].sort(),
  );
  const { ScanCommand } = await import('@aws-sdk/client-dynamodb');
  expect((await db.client().send(new ScanCommand({ TableName: 'feedback' }))).Count).toBe(0);
});
