import * as fc from 'fast-check';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { installLocalStreamingRuntime, invokeStreaming, localContext } from '../support/local-streaming';
import type { StreamingHandler } from '../../lambda/shared/stream';
import { apiEvent, LEAK_PATTERNS, isJson } from '../support/api-event';
import { BedrockFake } from '../support/bedrock-fake';
import * as z from 'zod/mini';
import { parseJson } from '../support/json';

/**
 * Malformed and hostile bodies at `POST /v1/chat/completions`: each gets a 4xx in OpenAI's error
 * envelope whose message names the problem (and `param` the field, when there is one); none
 * reaches the model.
 */

let fake: BedrockFake;
let handler: StreamingHandler;
beforeAll(async () => {
  fake = await BedrockFake.start();
  fake.exportEndpoints();
  installLocalStreamingRuntime();
  for (const key of ['GUARDRAIL_ID', 'GUARDRAIL_VERSION', 'GUARDRAIL_WINDOW_CHARS']) delete process.env[key];
  Object.assign(process.env, {
    ROUTING_POLICY: JSON.stringify({
      targets: [{ alias: 'nova-lite', modelId: 'us.amazon.nova-lite-v1:0', price: { inputPerMTok: 0.06, outputPerMTok: 0.24 } }],
      defaultAlias: 'nova-lite',
      fallbacks: {},
    }),
    MAX_TOKENS: '1024',
    TEMPERATURE: '0.5',
    MAX_QUERY_CHARS: '500',
    BEDROCK_MAX_ATTEMPTS: '2',
    BEDROCK_ATTEMPT_TIMEOUT_MS: '1000',
  });
  jest.isolateModules(() => {
    handler = (require('../../lambda/openai/handler') as { handler: StreamingHandler }).handler;
  });
});
afterAll(() => fake.stop());

interface BadCase {
  readonly label: string;
  readonly event: APIGatewayProxyEvent;
  readonly names: RegExp;
  readonly param: string | null;
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const scalar = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.dictionary(fc.string(), jsonValue, { maxKeys: 3 }));
const hello = [{ role: 'user', content: 'hello' }];
const bodyOf = (body: unknown, headers?: Record<string, string>) => apiEvent('v1/chat/completions', body, headers ? { headers } : {});
const withField = (field: string, values: fc.Arbitrary<unknown>, names: RegExp, label = field) =>
  values.map((value): BadCase => ({ label, event: bodyOf({ model: 'nova-lite', messages: hello, [field]: value }), names, param: field }));

const badCases: fc.Arbitrary<BadCase> = fc.oneof(
  fc
    .string({ unit: 'binary', maxLength: 200 })
    .filter((s) => s.length > 0 && !isJson(s))
    .map((s): BadCase => ({ label: 'not JSON', event: bodyOf(s), names: /^Invalid JSON body$/, param: null })),
  fc
    .oneof(fc.integer(), fc.string(), fc.constant(null), fc.array(jsonValue, { maxLength: 3 }))
    .map((v): BadCase => ({ label: 'not an object', event: bodyOf(JSON.stringify(v)), names: /must be a JSON object/, param: null })),
  fc
    .dictionary(fc.constantFrom('model', 'temperature', 'stream'), fc.constant(null))
    .map((o): BadCase => ({ label: 'no messages', event: bodyOf(o), names: /^messages is required$/, param: 'messages' })),
  withField('messages', scalar, /^messages must be an array$/),
  withField(
    'messages',
    fc
      .oneof(fc.string(), fc.constantFrom('tool', 'function', 'USER'))
      .filter((r) => !['system', 'developer', 'user', 'assistant'].includes(r))
      .map((role) => [{ role, content: 'x' }]),
    /^messages\.0\.role must be one of/,
    'role',
  ).map((c) => ({ ...c, param: 'messages.0.role' })),
  withField(
    'messages',
    scalar.map((content) => [{ role: 'user', content }]),
    /^messages\.0\.content must be a string or an array of text parts$/,
    'content',
  ).map((c) => ({ ...c, param: 'messages.0.content' })),
  withField(
    'messages',
    fc.integer({ min: 501, max: 3000 }).map((n) => [{ role: 'user', content: 'z'.repeat(n) }]),
    /^messages\.0\.content must be (a string or an array of text parts|at most 500 characters)$/,
    'long content',
  ).map((c) => ({ ...c, param: 'messages.0.content' })),
  withField(
    'model',
    fc.string({ maxLength: 40 }).filter((m) => m !== 'nova-lite' && m.length > 0),
    /^model must be one of nova-lite$/,
  ),
  withField(
    'max_tokens',
    fc.oneof(fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true }), fc.string(), fc.integer({ max: 0 }), fc.integer({ min: 1025 })),
    /^max_tokens must be (an integer|at least 1|at most 1024)$/,
  ),
  withField('max_completion_tokens', fc.oneof(fc.string(), fc.integer({ min: 1025 })), /^max_completion_tokens must be (an integer|at most 1024)$/),
  withField(
    'temperature',
    fc.oneof(fc.string(), fc.double({ min: 2.0001, noNaN: true, noDefaultInfinity: true }), fc.double({ max: -0.0001, noNaN: true, noDefaultInfinity: true })),
    /^temperature must be/,
  ),
  withField('stream', fc.oneof(fc.string(), fc.integer()), /^stream must be a boolean$/),
  withField(
    'n',
    fc.integer().filter((n) => n !== 1),
    /^n must be 1/,
  ),
  fc.constantFrom('text/plain', 'application/xml').map((type): BadCase => ({
    label: 'content type',
    event: bodyOf({ messages: hello }, { 'content-type': type }),
    names: /Content-Type must be application\/json/,
    param: null,
  })),
);

test('2,000 malformed and hostile requests each get a 4xx in OpenAI’s envelope naming the problem', async () => {
  const seen = new Set<string>();
  await fc.assert(
    fc.asyncProperty(badCases, async (bad) => {
      const res = await invokeStreaming(handler, bad.event, localContext());
      seen.add(bad.label);
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(res.headers['Content-Type']).toBe('application/json');
      const json = parseJson(
        // Loose: the test checks below that error is the only key.
        z.looseObject({ error: z.object({ message: z.string(), type: z.string(), param: z.nullable(z.string()), code: z.nullable(z.string()) }) }),
        res.body,
      );
      expect(Object.keys(json)).toEqual(['error']);
      expect(json.error.type).toBe('invalid_request_error');
      expect(json.error.message).toMatch(bad.names);
      expect(json.error.param).toBe(bad.param);
      for (const pattern of LEAK_PATTERNS) expect(res.body).not.toMatch(pattern);
    }),
    { numRuns: 2_000 },
  );
  expect(seen.size).toBe(14);
  expect(fake.count('ConverseStream')).toBe(0);
});
