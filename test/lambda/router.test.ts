import { MODEL_CATALOG, type ModelAlias, invocationId } from '../../lib/config/models';
import { converseModel, createBedrockRuntime } from '../../lambda/shared/bedrock';
import { toHttpError } from '../../lambda/shared/http';
import { chooseModel, converseRouted, costOf, validatePolicy } from '../../lambda/shared/router';
import type { RoutingPolicy } from '../../contracts/routing';
import { BedrockFake, throttle } from '../support/bedrock-fake';

/** A policy over the real catalog: three price tiers, a fallback chain per model. */
function target(alias: ModelAlias) {
  const m = MODEL_CATALOG[alias];
  if (m.kind !== 'text') throw new Error(alias);
  return { alias, modelId: invocationId(m, 'us'), price: m.price };
}
const POLICY: RoutingPolicy = {
  targets: [target('nova-micro'), target('nova-lite'), target('claude-haiku-4-5')],
  defaultAlias: 'nova-lite',
  byTier: { basic: 'nova-micro', premium: 'claude-haiku-4-5' },
  longPrompt: { minChars: 20_000, alias: 'claude-haiku-4-5' },
  fallbacks: { 'claude-haiku-4-5': ['nova-lite', 'nova-micro'], 'nova-lite': ['nova-micro'], 'nova-micro': ['nova-lite'] },
};

describe('routing policy', () => {
  test.each([
    [{ promptChars: 10 }, 'nova-lite'],
    [{ promptChars: 10, tier: 'basic' as const }, 'nova-micro'],
    [{ promptChars: 10, tier: 'standard' as const }, 'nova-lite'],
    [{ promptChars: 10, tier: 'premium' as const }, 'claude-haiku-4-5'],
    [{ promptChars: 25_000, tier: 'basic' as const }, 'claude-haiku-4-5'],
    [{ promptChars: 25_000, tier: 'basic' as const, requested: 'nova-micro' }, 'nova-micro'],
  ])('%j → %s', (input, alias) => {
    expect(chooseModel(POLICY, input)).toBe(alias);
  });

  test('an unknown alias is a 400 naming the allowed ones', () => {
    expect(() => chooseModel(POLICY, { requested: 'gpt-5', promptChars: 1 })).toThrow('model must be one of nova-micro, nova-lite, claude-haiku-4-5');
    let caught: unknown;
    try {
      chooseModel(POLICY, { requested: 'gpt-5', promptChars: 1 });
    } catch (e) {
      caught = e;
    }
    expect(toHttpError(caught).error.statusCode).toBe(400);
  });

  test('fails when the policy names a model that is not a target', () => {
    expect(() => validatePolicy({ ...POLICY, fallbacks: { 'nova-lite': ['claude-opus'] } })).toThrow(
      'routing policy names models that are not targets: claude-opus',
    );
    expect(() => validatePolicy(POLICY)).not.toThrow();
  });

  test('cost comes from the catalog prices', () => {
    expect(costOf({ inputTokens: 1_000_000, outputTokens: 500_000, totalTokens: 1_500_000 }, MODEL_CATALOG['claude-haiku-4-5'].price)).toBeCloseTo(1 + 2.5, 10);
  });
});

describe('fallback through the real Bedrock client', () => {
  let fake: BedrockFake;
  let model: ReturnType<typeof converseModel>;
  const request = { messages: [{ role: 'user' as const, text: 'hello' }], maxTokens: 100, temperature: 0.2 };
  const modelIds = () => fake.requests.map((r) => r.params.modelId);

  beforeAll(async () => {
    fake = await BedrockFake.start();
    fake.exportEndpoints();
    // One attempt per model here: the SDK's own retries are covered by the handler tests.
    model = converseModel(createBedrockRuntime({ maxAttempts: 1, attemptTimeoutMs: 1_000 }));
  });
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  test('the chosen model answers: no fallback, its id and cost reported', async () => {
    const reply = await converseRouted(model, POLICY, 'nova-lite', request);
    expect(reply).toMatchObject({ alias: 'nova-lite', modelId: 'us.amazon.nova-lite-v1:0', triedAliases: [] });
    expect(reply.costUsd).toBeCloseTo((reply.usage.inputTokens * 0.06 + reply.usage.outputTokens * 0.24) / 1e6, 12);
    expect(modelIds()).toEqual(['us.amazon.nova-lite-v1:0']);
  });

  test('throttled, then unavailable: the chain goes on and says which model answered', async () => {
    fake.enqueue('Converse', throttle(), { kind: 'error', status: 503, type: 'ServiceUnavailableException' });
    const reply = await converseRouted(model, POLICY, 'claude-haiku-4-5', request);
    expect(reply).toMatchObject({ alias: 'nova-micro', triedAliases: ['claude-haiku-4-5', 'nova-lite'] });
    expect(modelIds()).toEqual(['us.anthropic.claude-haiku-4-5-20251001-v1:0', 'us.amazon.nova-lite-v1:0', 'us.amazon.nova-micro-v1:0']);
  });

  test('every model throttled: the last throttling error, which the mapper answers with 429', async () => {
    fake.setDefault('Converse', throttle());
    const error = await converseRouted(model, POLICY, 'claude-haiku-4-5', request).catch((e: unknown) => e);
    expect(toHttpError(error).error.statusCode).toBe(429);
    expect(fake.count('Converse')).toBe(3);
  });

  test('a request the model rejects is not sent to another model', async () => {
    fake.setDefault('Converse', { kind: 'error', status: 400, type: 'ValidationException' });
    await expect(converseRouted(model, POLICY, 'nova-lite', request)).rejects.toMatchObject({ name: 'ValidationException' });
    expect(fake.count('Converse')).toBe(1);
  });

  test('a request past its deadline is not sent to another model', async () => {
    fake.setDefault('Converse', { kind: 'hang' });
    const deadline = AbortSignal.timeout(100);
    await expect(converseRouted(model, POLICY, 'nova-lite', request, deadline)).rejects.toBeDefined();
    expect(fake.count('Converse')).toBe(1);
  });
});
