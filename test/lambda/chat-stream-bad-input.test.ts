import * as fc from 'fast-check';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { installLocalStreamingRuntime, invokeStreaming, localContext } from '../support/local-streaming';
import type { StreamingHandler } from '../../lambda/shared/stream';
import { apiEvent, LEAK_PATTERNS, isJson } from '../support/api-event';
import { BedrockFake } from '../support/bedrock-fake';
import * as z from 'zod/mini';
import { parseJson } from '../support/json';

/**
 * Malformed and hostile requests at the streaming chat route: each gets a plain (non-streamed)
 * 4xx JSON answer naming the problem, and none reaches the model.
 */

let fake: BedrockFake;
let handler: StreamingHandler;
beforeAll(async () => {
  fake = await BedrockFake.start();
  fake.exportEndpoints();
  installLocalStreamingRuntime();
  for (const key of ['GUARDRAIL_ID', 'GUARDRAIL_VERSION', 'GUARDRAIL_WINDOW_CHARS']) delete process.env[key];
  Object.assign(process.env, {
    MODEL_ID: 'us.amazon.nova-lite-v1:0',
    MODEL_PRICE: '{"inputPerMTok":0.06,"outputPerMTok":0.24}',
    MAX_TOKENS: '1024',
    TEMPERATURE: '0.5',
    MAX_QUERY_CHARS: '500',
    BEDROCK_MAX_ATTEMPTS: '3',
    BEDROCK_ATTEMPT_TIMEOUT_MS: '1000',
  });
  jest.isolateModules(() => {
    handler = (require('../../lambda/chat-stream/handler') as { handler: StreamingHandler }).handler;
  });
});
afterAll(() => fake.stop());

interface BadCase {
  readonly label: string;
  readonly event: APIGatewayProxyEvent;
  readonly names: RegExp;
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const notAString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(jsonValue, { maxLength: 3 }),
  fc.dictionary(fc.string(), jsonValue, { maxKeys: 3 }),
);
const content = fc.string({ minLength: 1, maxLength: 50 }).filter((t) => t.trim().length > 0);
const turn = (role: 'user' | 'assistant') => content.map((c) => ({ role, content: c }));
const valid = turn('user').map((m) => [m]);
const bodyOf = (body: unknown, headers?: Record<string, string>) => apiEvent('chat/stream', body, headers ? { headers } : {});
const roleOrder = fc
  .array(fc.constantFrom('user', 'assistant'), { minLength: 1, maxLength: 8 })
  .filter((roles) => !(roles.length % 2 === 1 && roles.every((r, i) => r === (i % 2 === 0 ? 'user' : 'assistant'))));

const badCases: fc.Arbitrary<BadCase> = fc.oneof(
  fc
    .string({ unit: 'binary', maxLength: 200 })
    .filter((s) => s.length > 0 && !isJson(s))
    .map((s): BadCase => ({ label: 'not JSON', event: bodyOf(s), names: /^Invalid JSON body$/ })),
  fc
    .oneof(fc.integer(), fc.string(), fc.constant(null), fc.array(jsonValue, { maxLength: 3 }))
    .map((v): BadCase => ({ label: 'not an object', event: bodyOf(JSON.stringify(v)), names: /must be a JSON object/ })),
  fc
    .dictionary(fc.constantFrom('maxTokens', 'temperature'), fc.integer({ min: 0, max: 1 }))
    .map((o): BadCase => ({ label: 'missing messages', event: bodyOf(o), names: /messages is required/ })),
  notAString
    .filter((m) => !Array.isArray(m))
    .map((m): BadCase => ({ label: 'messages type', event: bodyOf({ messages: m }), names: /messages must be an array/ })),
  fc.constant(0).map((): BadCase => ({ label: 'no messages', event: bodyOf({ messages: [] }), names: /messages must be at least 1 items/ })),
  fc.integer({ min: 51, max: 80 }).map((n): BadCase => ({
    label: 'too many',
    event: bodyOf({ messages: Array.from({ length: n }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: 'x' })) }),
    names: /messages must be at most 50 items/,
  })),
  fc
    .oneof(fc.string(), fc.constantFrom('system', 'tool', 'developer', 'USER'))
    .filter((r) => r !== 'user' && r !== 'assistant')
    .map((role): BadCase => ({
      label: 'role',
      event: bodyOf({ messages: [{ role, content: 'hi' }] }),
      names: /messages\.0\.role must be one of "user", "assistant"/,
    })),
  notAString.map((c): BadCase => ({
    label: 'content type',
    event: bodyOf({ messages: [{ role: 'user', content: c }] }),
    names: /messages\.0\.content must be a string/,
  })),
  fc
    .oneof(
      fc.constant(''),
      fc.stringMatching(/^[ \t\n]{1,10}$/),
      fc.integer({ min: 501, max: 2000 }).map((n) => 'y'.repeat(n)),
    )
    .map((c): BadCase => ({
      label: 'content length',
      event: bodyOf({ messages: [{ role: 'user', content: c }] }),
      names: /messages\.0\.content must (be at least 1|be at most 500 characters|not be blank)/,
    })),
  roleOrder.map((roles): BadCase => ({
    label: 'turn order',
    event: bodyOf({ messages: roles.map((role) => ({ role, content: 'x' })) }),
    names: /messages must alternate user and assistant turns, starting and ending with user/,
  })),
  fc
    .tuple(
      valid,
      fc.oneof(fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true }), fc.string(), fc.integer({ max: 0 }), fc.integer({ min: 1025 })),
    )
    .map(([messages, maxTokens]): BadCase => ({ label: 'maxTokens', event: bodyOf({ messages, maxTokens }), names: /maxTokens must be/ })),
  fc
    .tuple(
      valid,
      fc.oneof(
        fc.string(),
        fc.double({ min: 1.0001, noNaN: true, noDefaultInfinity: true }),
        fc.double({ max: -0.0001, noNaN: true, noDefaultInfinity: true }),
      ),
    )
    .map(([messages, temperature]): BadCase => ({ label: 'temperature', event: bodyOf({ messages, temperature }), names: /temperature must be/ })),
  fc
    .tuple(
      valid,
      fc
        .oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.constantFrom('__proto__', 'constructor', 'system', 'modelId', 'guardrail'))
        .filter((k) => !['messages', 'maxTokens', 'temperature'].includes(k)),
      jsonValue,
    )
    .map(([messages, key, value]): BadCase => ({
      label: 'unknown field',
      event: bodyOf(`{"messages":${JSON.stringify(messages)},${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}}`),
      names: /unknown field/,
    })),
  fc
    .tuple(
      valid,
      fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !['role', 'content'].includes(k)),
    )
    .map(([messages, key]): BadCase => ({
      label: 'unknown message field',
      event: bodyOf({ messages: [{ ...messages[0], [key]: 1 }] }),
      names: /unknown field/,
    })),
  fc.tuple(valid, fc.constantFrom('text/plain', 'application/xml', 'text/event-stream')).map(([messages, type]): BadCase => ({
    label: 'content type header',
    event: bodyOf({ messages }, { 'content-type': type }),
    names: /Content-Type must be application\/json/,
  })),
  fc.constantFrom(null, '').map((b): BadCase => ({ label: 'no body', event: { ...bodyOf('x'), body: b }, names: /Request body is required/ })),
);

test('3,000 malformed and hostile requests each get a 4xx JSON answer (not a stream) naming the problem', async () => {
  const seen = new Set<string>();
  await fc.assert(
    fc.asyncProperty(badCases, async (bad) => {
      const res = await invokeStreaming(handler, bad.event, localContext());
      seen.add(bad.label);
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(res.headers['Content-Type']).toBe('application/json');
      const json = parseJson(z.object({ error: z.string(), requestId: z.string() }), res.body);
      expect(json.error).toMatch(bad.names);
      expect(json.requestId).toBe(bad.event.requestContext.requestId);
      for (const pattern of LEAK_PATTERNS) expect(res.body).not.toMatch(pattern);
    }),
    { numRuns: 3_000 },
  );
  expect(seen.size).toBe(16);
  expect(fake.count('ConverseStream')).toBe(0);
});
