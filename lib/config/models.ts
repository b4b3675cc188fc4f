/**
 * The model catalog: the only place in the project where a Bedrock model id appears.
 *
 * Prices are USD per million tokens, on-demand, us-east-1, as listed in
 * `../shared/reference/aws-facts.md` §4 (November 2026). Re-check them on the Bedrock pricing
 * page before quoting a bill; the cost estimate in the README is derived from these figures.
 */

/** How a model can be reached from a Region. */
export type InferenceProfileNeed =
  /** Only through a cross-region inference profile (`us.`, `eu.`, `global.` ...). */
  | 'required'
  /** In-Region on demand, or through a cross-region inference profile. */
  | 'optional';

export interface ModelPrice {
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
  /** Price of input tokens read from the prompt cache. @default not cacheable */
  readonly cacheReadPerMTok?: number;
  /** Price of input tokens written to the prompt cache. @default not cacheable */
  readonly cacheWritePerMTok?: number;
}

export interface TextModel {
  readonly kind: 'text';
  /** Bedrock foundation model id. */
  readonly modelId: string;
  readonly displayName: string;
  readonly inferenceProfile: InferenceProfileNeed;
  /** Geographies that have a system-defined cross-region inference profile for this model. */
  readonly profileGeos: readonly InferenceGeo[];
  readonly maxOutputTokens: number;
  readonly contextTokens: number;
  readonly capabilities: {
    readonly streaming: boolean;
    readonly systemPrompt: boolean;
    readonly toolUse: boolean;
    /** Supports Converse `cachePoint` blocks. */
    readonly promptCaching: boolean;
  };
  /** Fewest tokens a prompt-cache checkpoint must cover. @default no prompt caching */
  readonly minCacheTokens?: number;
  readonly price: ModelPrice;
}

export interface EmbeddingModel {
  readonly kind: 'embedding';
  readonly modelId: string;
  readonly displayName: string;
  readonly inferenceProfile: 'optional';
  readonly profileGeos: readonly InferenceGeo[];
  readonly dimensions: readonly number[];
  readonly defaultDimensions: number;
  readonly maxInputTokens: number;
  readonly price: { readonly inputPerMTok: number };
}

export type CatalogModel = TextModel | EmbeddingModel;

/** Cross-region inference profile prefixes, or `in-region` for the plain foundation model. */
export const INFERENCE_ROUTES = ['in-region', 'us', 'eu', 'apac', 'global'] as const;
export type InferenceRoute = (typeof INFERENCE_ROUTES)[number];
export type InferenceGeo = Exclude<InferenceRoute, 'in-region'>;

export const MODEL_CATALOG = {
  'nova-micro': {
    kind: 'text',
    modelId: 'amazon.nova-micro-v1:0',
    displayName: 'Amazon Nova Micro',
    inferenceProfile: 'optional',
    profileGeos: ['us', 'eu', 'apac'],
    maxOutputTokens: 10_000,
    contextTokens: 128_000,
    capabilities: { streaming: true, systemPrompt: true, toolUse: true, promptCaching: true },
    minCacheTokens: 1_000,
    price: { inputPerMTok: 0.035, outputPerMTok: 0.14, cacheReadPerMTok: 0.00875, cacheWritePerMTok: 0.035 },
  },
  'nova-lite': {
    kind: 'text',
    modelId: 'amazon.nova-lite-v1:0',
    displayName: 'Amazon Nova Lite',
    inferenceProfile: 'optional',
    profileGeos: ['us', 'eu', 'apac'],
    maxOutputTokens: 10_000,
    contextTokens: 300_000,
    capabilities: { streaming: true, systemPrompt: true, toolUse: true, promptCaching: true },
    minCacheTokens: 1_000,
    price: { inputPerMTok: 0.06, outputPerMTok: 0.24, cacheReadPerMTok: 0.015, cacheWritePerMTok: 0.06 },
  },
  'nova-pro': {
    kind: 'text',
    modelId: 'amazon.nova-pro-v1:0',
    displayName: 'Amazon Nova Pro',
    inferenceProfile: 'optional',
    profileGeos: ['us', 'eu', 'apac'],
    maxOutputTokens: 10_000,
    contextTokens: 300_000,
    capabilities: { streaming: true, systemPrompt: true, toolUse: true, promptCaching: true },
    minCacheTokens: 1_000,
    price: { inputPerMTok: 0.8, outputPerMTok: 3.2, cacheReadPerMTok: 0.2, cacheWritePerMTok: 0.8 },
  },
  'claude-haiku-4-5': {
    kind: 'text',
    modelId: 'anthropic.claude-haiku-4-5-20251001-v1:0',
    displayName: 'Anthropic Claude Haiku 4.5',
    inferenceProfile: 'required',
    profileGeos: ['us', 'eu', 'apac', 'global'],
    maxOutputTokens: 64_000,
    contextTokens: 200_000,
    capabilities: { streaming: true, systemPrompt: true, toolUse: true, promptCaching: true },
    minCacheTokens: 4_096,
    price: { inputPerMTok: 1, outputPerMTok: 5, cacheReadPerMTok: 0.1, cacheWritePerMTok: 1.25 },
  },
  'claude-sonnet-4-5': {
    kind: 'text',
    modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
    displayName: 'Anthropic Claude Sonnet 4.5',
    inferenceProfile: 'required',
    profileGeos: ['us', 'eu', 'apac', 'global'],
    maxOutputTokens: 64_000,
    contextTokens: 200_000,
    capabilities: { streaming: true, systemPrompt: true, toolUse: true, promptCaching: true },
    minCacheTokens: 1_024,
    price: { inputPerMTok: 3, outputPerMTok: 15, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75 },
  },
  'titan-embed-text-v2': {
    kind: 'embedding',
    modelId: 'amazon.titan-embed-text-v2:0',
    displayName: 'Amazon Titan Text Embeddings V2',
    inferenceProfile: 'optional',
    profileGeos: [],
    dimensions: [256, 512, 1024],
    defaultDimensions: 1024,
    maxInputTokens: 8_192,
    price: { inputPerMTok: 0.02 },
  },
} as const satisfies Record<string, CatalogModel>;

export type ModelAlias = keyof typeof MODEL_CATALOG;
export const MODEL_ALIASES = Object.keys(MODEL_CATALOG) as [ModelAlias, ...ModelAlias[]];
export const TEXT_MODEL_ALIASES = MODEL_ALIASES.filter((a) => MODEL_CATALOG[a].kind === 'text');

export function isModelAlias(alias: string): alias is ModelAlias {
  return Object.hasOwn(MODEL_CATALOG, alias);
}

/** The catalog entry of an alias from the configuration; throws naming the value when the catalog has no such model. */
export function catalogModel(alias: string): CatalogModel {
  if (!isModelAlias(alias))
    throw new Error(`${JSON.stringify(alias)} is not a model of the catalog (lib/config/models.ts); known: ${MODEL_ALIASES.join(', ')}`);
  return MODEL_CATALOG[alias];
}

/** The catalog entry of an embedding model's alias; throws naming the value when it is unknown or not an embedding model. */
export function catalogEmbeddingModel(alias: string): EmbeddingModel {
  const model = catalogModel(alias);
  if (model.kind !== 'embedding') throw new Error(`${JSON.stringify(alias)} is a ${model.kind} model, not an embedding model`);
  return model;
}

/** The id a runtime call passes as `modelId`: the model itself, or its inference profile. */
export function invocationId(model: CatalogModel, route: InferenceRoute): string {
  return route === 'in-region' ? model.modelId : `${route}.${model.modelId}`;
}
