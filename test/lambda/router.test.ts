import { MODEL_CATALOG, type ModelAlias, invocationId } from '../../lib/config/models';
import { converseModel, createBedrockRuntime } from '../../lambda/shared/bedrock';
import { toHttpError } from '../../lambda/shared/http';
import { chooseModel, converseRouted, costOf, validatePolicy } from '../../lambda/shared/router';
import type { ModelPort } from '../../lambda/shared/model';
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

describe('the router alone (an in-memory model)', () => {
  const P = { inputPerMTok: 1, outputPerMTok: 2 };
  const SMALL: RoutingPolicy = {
    targets: [
      { alias: 'a', modelId: 'model-a', price: P },
      { alias: 'b', modelId: 'model-b', price: P },
      { alias: 'c', modelId: 'model-c', price: P },
    ],
    defaultAlias: 'a',
    fallbacks: { a: ['a', 'b', 'c'] },
  };
  const request = { messages: [{ role: 'user' as const, text: 'hi' }], maxTokens: 10, temperature: 0 };
  const failure = (name: string) => Object.assign(new Error(`${name} from the model`), { name });
  /** A model that throws the given errors in turn, then answers. */
  const scripted = (...errors: unknown[]) => {
    const ids: string[] = [];
    const port: ModelPort = {
      converse: async (req) => {
        ids.push(req.modelId);
        if (errors.length) throw errors.shift();
        return { text: 'ok', stopReason: 'end_turn', usage: { inputTokens: 1_000_000, outputTokens: 1_000_000, totalTokens: 2_000_000 }, latencyMs: 1 };
      },
    };
    return { port, ids };
  };

  test.each([
    'ThrottlingException',
    'ServiceQuotaExceededException',
    'TooManyRequestsException',
    'ServiceUnavailableException',
    'ModelNotReadyException',
    'ModelTimeoutException',
    'InternalServerException',
    'TimeoutError',
  ])('%s: the next model of the chain answers', async (name) => {
    const { port, ids } = scripted(failure(name));
    expect(await converseRouted(port, SMALL, 'a', request)).toEqual({
      text: 'ok',
      stopReason: 'end_turn',
      usage: { inputTokens: 1_000_000, outputTokens: 1_000_000, totalTokens: 2_000_000 },
      latencyMs: 1,
      alias: 'b',
      modelId: 'model-b',
      triedAliases: ['a'],
      costUsd: 3,
    });
    // The chain names `a` again: it is not tried twice.
    expect(ids).toEqual(['model-a', 'model-b']);
  });

  test('every model fails: the last error is thrown, after each model was tried once', async () => {
    const last = failure('ModelTimeoutException');
    const { port, ids } = scripted(failure('ThrottlingException'), failure('ServiceUnavailableException'), last);
    await expect(converseRouted(port, SMALL, 'a', request)).rejects.toBe(last);
    expect(ids).toEqual(['model-a', 'model-b', 'model-c']);
  });

  test('a model without a fallback chain: its throttling error is the answer', async () => {
    const throttled = failure('ThrottlingException');
    const { port, ids } = scripted(throttled);
    await expect(converseRouted(port, SMALL, 'b', request)).rejects.toBe(throttled);
    expect(ids).toEqual(['model-b']);
  });

  test('errors another model would share (or that are not errors with a name) are not retried', async () => {
    for (const error of [failure('ValidationException'), failure('AccessDeniedException'), null, 'text']) {
      const { port, ids } = scripted(error);
      await expect(converseRouted(port, SMALL, 'a', request)).rejects.toBe(error);
      expect(ids).toEqual(['model-a']);
    }
  });

  test('a cancelled request is not sent to another model, even when the model was throttled', async () => {
    const controller = new AbortController();
    controller.abort();
    const throttled = failure('ThrottlingException');
    const { port, ids } = scripted(throttled);
    await expect(converseRouted(port, SMALL, 'a', request, controller.signal)).rejects.toBe(throttled);
    expect(ids).toEqual(['model-a']);
  });

  test("a tenant's inference profile replaces a target's model id, alias by alias", async () => {
    const { port, ids } = scripted(failure('ThrottlingException'));
    const reply = await converseRouted(port, SMALL, 'a', request, undefined, { a: 'profile-a' });
    expect(ids).toEqual(['profile-a', 'model-b']);
    expect(reply).toMatchObject({ alias: 'b', modelId: 'model-b' });
    expect((await converseRouted(scripted().port, SMALL, 'a', request, undefined, { a: 'profile-a' })).modelId).toBe('profile-a');
  });

  test('a prompt of exactly minChars is a long prompt; one fewer is not', () => {
    expect(chooseModel(POLICY, { promptChars: 20_000 })).toBe('claude-haiku-4-5');
    expect(chooseModel(POLICY, { promptChars: 19_999 })).toBe('nova-lite');
  });

  test('a policy without tiers or a long-prompt rule routes every tier to the default', () => {
    expect(chooseModel(SMALL, { promptChars: 1_000_000, tier: 'premium' })).toBe('a');
  });

  test('validatePolicy checks every alias the policy names, and names each unknown one once', () => {
    expect(() => validatePolicy(SMALL)).not.toThrow();
    expect(() => validatePolicy({ ...SMALL, byTier: { basic: undefined } })).not.toThrow();
    const fails = (policy: Partial<RoutingPolicy>) => () => validatePolicy({ ...SMALL, ...policy });
    expect(fails({ defaultAlias: 'x' })).toThrow('routing policy names models that are not targets: x');
    expect(fails({ byTier: { premium: 'x' } })).toThrow('routing policy names models that are not targets: x');
    expect(fails({ longPrompt: { minChars: 1, alias: 'x' } })).toThrow('routing policy names models that are not targets: x');
    expect(fails({ fallbacks: { x: ['a'] } })).toThrow('routing policy names models that are not targets: x');
    expect(fails({ defaultAlias: 'x', fallbacks: { a: ['x', 'y'] } })).toThrow('routing policy names models that are not targets: x, y');
  });
});
