import { apiEvent, lambdaContext, parseResult } from '../support/api-event';
import type { BedrockFake } from '../support/bedrock-fake';
import { type Handler, startPromptHandler } from '../support/prompt-handler';
import { type RedisServer, startRedisServer } from '../support/redis-server';

/**
 * Ground 5 through the prompt handler: exact and semantic cache on a real redis-server (an ACL
 * user standing in for the IAM user), Bedrock faked; the cache fails open when the server dies.
 */
let server: RedisServer;
let fake: BedrockFake;
let handler: Handler;

beforeAll(async () => {
  server = await startRedisServer({ extraArgs: ['--user', 'genai-app', 'on', 'nopass', '~genai:*', '+@all'] });
  ({ fake, handler } = await startPromptHandler({
    CACHE_ENDPOINT: server.host,
    CACHE_PORT: String(server.port),
    CACHE_NAME: 'test-cache',
    CACHE_USER_ID: 'genai-app',
    CACHE_TLS: 'false',
    CACHE_CLUSTER: 'false',
    CACHE_TTL_SECONDS: '300',
    CACHE_TIMEOUT_MS: '200',
    CACHE_SEMANTIC_THRESHOLD: '0.9',
    CACHE_EMBEDDING_MODEL_ID: 'amazon.titan-embed-text-v2:0',
    CACHE_EMBEDDING_DIMENSIONS: '256',
    TENANTS: JSON.stringify({ keyAcme: { tenant: 'acme', tier: 'standard' }, keyGlobex: { tenant: 'globex', tier: 'standard' } }),
  }));
});
afterAll(async () => {
  await fake.stop();
  await server.stop();
});
beforeEach(() => fake.reset());

const ask = async (body: unknown) => parseResult(await handler(apiEvent('prompt', body), lambdaContext()));

test('a repeated request is answered from the exact cache: no model call, no cost, and the client is told', async () => {
  const first = await ask({ query: 'How do grounds upgrade in place?' });
  expect(first.json).toMatchObject({ cache: 'none' });
  const second = await ask({ query: '  How do   grounds upgrade in place?' });
  expect(second.json).toMatchObject({ cache: 'exact', text: first.json.text, costUsd: 0 });
  expect(fake.count('Converse')).toBe(1);
});

test('a near-identical question is answered from the semantic cache (embedding through the real client)', async () => {
  await ask({ query: 'What does the knowledge base cost at rest?' });
  const res = await ask({ query: 'What does the knowledge base cost at rest' });
  expect(res.json.cache).toBe('semantic');
  expect(fake.count('Converse')).toBe(1);
  expect(fake.count('InvokeModel')).toBeGreaterThanOrEqual(2);
  expect(fake.requests.find((r) => r.operation === 'InvokeModel')!.body).toMatchObject({ dimensions: 256, normalize: true });
});

test("one tenant's cached answer is never served to another tenant (the tenant is part of the key)", async () => {
  const asTenant = async (apiKeyId: string, query: string) => {
    const event = apiEvent('prompt', { query });
    return parseResult(
      await handler({ ...event, requestContext: { ...event.requestContext, identity: { ...event.requestContext.identity, apiKeyId } } }, lambdaContext()),
    );
  };
  expect((await asTenant('keyAcme', 'What is our refund policy?')).json.cache).toBe('none');
  expect((await asTenant('keyAcme', 'What is our refund policy?')).json.cache).toBe('exact');
  expect((await asTenant('keyGlobex', 'What is our refund policy?')).json.cache).toBe('none');
  expect(fake.count('Converse')).toBe(2);
});

test('other settings are other answers: maxTokens is part of the key', async () => {
  await ask({ query: 'Explain guardrails', maxTokens: 100 });
  expect((await ask({ query: 'Explain guardrails', maxTokens: 200 })).json.cache).toBe('none');
  expect(fake.count('Converse')).toBe(2);
});

test('the cache server dies mid-run: answers keep coming from the model (fail open)', async () => {
  await ask({ query: 'Before the outage' });
  await server.kill();
  const res = await ask({ query: 'Before the outage' });
  expect(res.statusCode).toBe(200);
  expect(res.json.cache).toBe('none');
  expect(fake.count('Converse')).toBe(2);
  const again = await ask({ query: 'During the outage' });
  expect(again.statusCode).toBe(200);
});

test('the uncached build refuses to start when a cache is configured: the stack deploys the cached one', () => {
  // beforeAll left the cache settings in the environment, as the cached grounds' function has them.
  expect(process.env.CACHE_ENDPOINT).toBeTruthy();
  expect(() => jest.isolateModules(() => require('../../lambda/prompt/handler'))).toThrow(/CACHE_ENDPOINT is set, but this entry has no cache client/);
});
