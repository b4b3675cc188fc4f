import { apiEvent, lambdaContext, parseResult } from '../support/api-event';
import { type BedrockFake, throttle } from '../support/bedrock-fake';
import { type Handler, startPromptHandler } from '../support/prompt-handler';

/** Ground 4 through the prompt handler: the routing policy, tenants from API keys, fallback, cost. */
const ROUTING = {
  targets: [
    { alias: 'nova-micro', modelId: 'us.amazon.nova-micro-v1:0', price: { inputPerMTok: 0.035, outputPerMTok: 0.14 } },
    { alias: 'nova-lite', modelId: 'us.amazon.nova-lite-v1:0', price: { inputPerMTok: 0.06, outputPerMTok: 0.24 } },
    { alias: 'claude-haiku-4-5', modelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0', price: { inputPerMTok: 1, outputPerMTok: 5 } },
  ],
  defaultAlias: 'nova-lite',
  byTier: { basic: 'nova-micro', premium: 'claude-haiku-4-5' },
  fallbacks: { 'claude-haiku-4-5': ['nova-lite'] },
};
const PROFILE = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/acme0001';
const TENANTS = {
  key1basic: { tenant: 'acme', tier: 'basic', modelIds: { 'nova-micro': PROFILE } },
  key2prem: { tenant: 'globex', tier: 'premium' },
};

let fake: BedrockFake;
let handler: Handler;
beforeAll(async () => {
  ({ fake, handler } = await startPromptHandler({ ROUTING_POLICY: JSON.stringify(ROUTING), TENANTS: JSON.stringify(TENANTS), BEDROCK_MAX_ATTEMPTS: '1' }));
});
afterAll(() => fake.stop());
beforeEach(() => fake.reset());

async function ask(body: unknown, apiKeyId?: string) {
  const event = apiEvent('prompt', body);
  (event.requestContext.identity as { apiKeyId?: string }).apiKeyId = apiKeyId;
  return parseResult(await handler(event, lambdaContext()));
}

test("the tenant's tier picks the model; the tenant comes from the API key, not the body", async () => {
  expect((await ask({ query: 'hi' }, 'key1basic')).json.model).toBe('nova-micro');
  expect((await ask({ query: 'hi' }, 'key2prem')).json.model).toBe('claude-haiku-4-5');
  expect((await ask({ query: 'hi' })).json.model).toBe('nova-lite');
  expect((await ask({ query: 'hi', tenant: 'globex' }, 'key1basic')).statusCode).toBe(400);
});

test('a request may name a model of the catalog; an unknown alias is a 400 naming the allowed ones', async () => {
  expect((await ask({ query: 'hi', model: 'claude-haiku-4-5' })).json.modelId).toBe('us.anthropic.claude-haiku-4-5-20251001-v1:0');
  const res = await ask({ query: 'hi', model: 'gpt-5' });
  expect(res.statusCode).toBe(400);
  expect(res.json.error).toBe('model must be one of nova-micro, nova-lite, claude-haiku-4-5');
  expect(fake.count('Converse')).toBe(1);
});

test('throttled premium model: the fallback answers, the answer says which and what it cost', async () => {
  fake.enqueue('Converse', throttle());
  const res = await ask({ query: 'hi' }, 'key2prem');
  expect(res.statusCode).toBe(200);
  expect(res.json).toMatchObject({ model: 'nova-lite', fallbackFrom: ['claude-haiku-4-5'] });
  const usage = res.json.usage as { inputTokens: number; outputTokens: number };
  expect(res.json.costUsd).toBeCloseTo((usage.inputTokens * 0.06 + usage.outputTokens * 0.24) / 1e6, 12);
});

test('every model of the chain throttled: 429 with Retry-After', async () => {
  fake.setDefault('Converse', throttle());
  const res = await ask({ query: 'hi' }, 'key2prem');
  expect(res.statusCode).toBe(429);
  expect(res.headers['Retry-After']).toBe('2');
  expect(fake.count('Converse')).toBe(2);
});

test("a tenant's calls go through its application inference profile (cost allocation), reported as the model id", async () => {
  const res = await ask({ query: 'hi' }, 'key1basic');
  expect(res.json).toMatchObject({ model: 'nova-micro', modelId: PROFILE });
  expect(fake.requests[0].params.modelId).toBe(PROFILE);
});
