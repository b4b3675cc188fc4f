/**
 * The model catalog (lib/config/models.ts) as the rest of the project reads it: the lookups of a
 * configured alias, the id a runtime call passes, and the catalog's facts checked against Bedrock's
 * documentation. Nothing but lib/config is loaded (stryker.config.mjs UNIT_TESTS).
 */
import { ConfigError } from '../../lib/config/errors';
import {
  catalogEmbeddingModel,
  catalogModel,
  INFERENCE_ROUTES,
  invocationId,
  isModelAlias,
  MODEL_ALIASES,
  MODEL_CATALOG,
  TEXT_MODEL_ALIASES,
} from '../../lib/config/models';
import { loadConfig } from '../../lib/config/schema';

const ALL = 'nova-micro, nova-lite, nova-pro, claude-haiku-4-5, claude-sonnet-4-5, titan-embed-text-v2';
const TEXT = ['nova-micro', 'nova-lite', 'nova-pro', 'claude-haiku-4-5', 'claude-sonnet-4-5'];

/** The message of what `f` throws. */
function thrown(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    if (error instanceof Error) return error.message;
  }
  throw new Error('expected an error');
}

describe('aliases', () => {
  test('every model of the catalog is an alias; the text models are all but the embedding model', () => {
    expect(MODEL_ALIASES.join(', ')).toBe(ALL);
    expect(TEXT_MODEL_ALIASES).toEqual(TEXT);
    for (const alias of MODEL_ALIASES) expect(isModelAlias(alias)).toBe(true);
  });

  test('a name the catalog object has but that is no model is not an alias', () => {
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty', '', 'Nova-Lite', 'nova-lite ']) expect(isModelAlias(name)).toBe(false);
  });

  test('the keys naming a text model refuse the embedding model, naming the text models', () => {
    const expected = TEXT.map((a) => `"${a}"`).join('|');
    let error: unknown;
    try {
      loadConfig({ 'agent.modelAlias': 'titan-embed-text-v2', 'model.alias': 'titan-embed-text-v2' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toContain(`agent.modelAlias = "titan-embed-text-v2": Invalid option: expected one of ${expected}`);
    expect(String(error)).toContain(`model.alias = "titan-embed-text-v2": Invalid option: expected one of ${expected}`);
  });
});

describe('lookups of a configured alias', () => {
  test('catalogModel: the entry of each alias', () => {
    for (const alias of MODEL_ALIASES) expect(catalogModel(alias)).toBe(MODEL_CATALOG[alias]);
  });

  test('catalogModel: an unknown value throws naming it and every alias', () => {
    for (const value of ['nova-max', 'toString', '']) {
      expect(thrown(() => catalogModel(value))).toBe(`${JSON.stringify(value)} is not a model of the catalog (lib/config/models.ts); known: ${ALL}`);
    }
  });

  test('catalogEmbeddingModel: the embedding model; a text model or an unknown value throws naming it', () => {
    expect(catalogEmbeddingModel('titan-embed-text-v2')).toBe(MODEL_CATALOG['titan-embed-text-v2']);
    for (const alias of TEXT) expect(thrown(() => catalogEmbeddingModel(alias))).toBe(`"${alias}" is a text model, not an embedding model`);
    expect(thrown(() => catalogEmbeddingModel('titan'))).toBe(`"titan" is not a model of the catalog (lib/config/models.ts); known: ${ALL}`);
  });
});

describe('the id a runtime call passes', () => {
  test('in-Region: the foundation model id; otherwise the cross-region inference profile of that geography', () => {
    expect(INFERENCE_ROUTES).toEqual(['in-region', 'us', 'eu', 'apac', 'global']);
    expect(invocationId(MODEL_CATALOG['nova-lite'], 'in-region')).toBe('amazon.nova-lite-v1:0');
    expect(invocationId(MODEL_CATALOG['nova-lite'], 'eu')).toBe('eu.amazon.nova-lite-v1:0');
    expect(invocationId(MODEL_CATALOG['claude-haiku-4-5'], 'global')).toBe('global.anthropic.claude-haiku-4-5-20251001-v1:0');
    expect(invocationId(MODEL_CATALOG['titan-embed-text-v2'], 'in-region')).toBe('amazon.titan-embed-text-v2:0');
  });
});

describe("the catalog's facts, as Bedrock documents them", () => {
  // https://docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference-supported-models-features.html:
  // Nova Micro, Lite and Pro and Claude 4.5 take ConverseStream, system prompts and tool use (the
  // Agent construct refuses a model without tool use, and agent.modelAlias takes every text model).
  // https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html: all five take cache
  // checkpoints, from 1,000 tokens (Nova), 1,024 (Claude Sonnet 4.5) or 4,096 (Claude Haiku 4.5).
  test.each([
    ['nova-micro', 1_000],
    ['nova-lite', 1_000],
    ['nova-pro', 1_000],
    ['claude-haiku-4-5', 4_096],
    ['claude-sonnet-4-5', 1_024],
  ] as const)('%s streams, takes a system prompt, uses tools and caches prompts from %d tokens', (alias, minCacheTokens) => {
    const model = catalogModel(alias);
    expect(model).toMatchObject({ kind: 'text', capabilities: { streaming: true, systemPrompt: true, toolUse: true, promptCaching: true }, minCacheTokens });
  });

  test('the prompt cache costs less to read than plain input, for every model that has one', () => {
    for (const alias of TEXT) {
      const { price } = catalogModel(alias);
      expect(price).toMatchObject({ cacheReadPerMTok: expect.any(Number), cacheWritePerMTok: expect.any(Number) });
      expect((price as { cacheReadPerMTok: number }).cacheReadPerMTok).toBeLessThan(price.inputPerMTok);
    }
  });

  test('display names name the provider of the model id, one model each', () => {
    const names = MODEL_ALIASES.map((alias) => MODEL_CATALOG[alias].displayName);
    expect(new Set(names).size).toBe(MODEL_ALIASES.length);
    for (const alias of MODEL_ALIASES) {
      const { modelId, displayName } = MODEL_CATALOG[alias];
      const provider = { amazon: 'Amazon', anthropic: 'Anthropic' }[modelId.split('.')[0] as 'amazon' | 'anthropic'];
      expect(displayName).toMatch(new RegExp(`^${provider} \\S`));
    }
  });
});
