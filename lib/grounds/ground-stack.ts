import { Duration, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { type EmbeddingModel, MODEL_CATALOG, type ModelAlias } from '../config/models';
import { type BlueprintConfig, effectiveRouter } from '../config/schema';
import { ModelApi } from '../constructs/api/model-api';
import { IsolatedNetwork } from '../constructs/cache/isolated-network';
import { ResponseCache } from '../constructs/cache/response-cache';
import { ModelGateway } from '../constructs/gateway/model-gateway';
import { Guardrail } from '../constructs/guardrail/guardrail';
import { type ChunkingStrategy, KnowledgeBase } from '../constructs/knowledge-base/knowledge-base';
import { ModelCall } from '../constructs/model-call/model-call';
import { ManagedPrompt } from '../constructs/prompt-library/managed-prompt';
import { BedrockModel } from '../constructs/shared/bedrock-model';

/** The grounds that exist, lowest first. A ground holds its own block and every block below it. */
export const GROUNDS = [
  { ground: 0, stackId: 'Ground0-ModelCall', block: 'a model call' },
  { ground: 1, stackId: 'Ground1-PromptManagement', block: 'prompt management' },
  { ground: 2, stackId: 'Ground2-KnowledgeBase', block: 'an external knowledge base (RAG)' },
  { ground: 3, stackId: 'Ground3-Guardrails', block: 'guardrails on input and output' },
  { ground: 4, stackId: 'Ground4-Gateway', block: 'a model router and gateway' },
  { ground: 5, stackId: 'Ground5-Caches', block: 'exact and semantic caches' },
] as const;

export type GroundNumber = (typeof GROUNDS)[number]['ground'];

export interface GroundStackProps extends StackProps {
  readonly ground: GroundNumber;
  readonly config: BlueprintConfig;
}

/**
 * One ground: wiring only. Blocks keep their construct ids whatever the ground, so deploying
 * ground N+1 over ground N (same stack name) is an in-place update that keeps stored data.
 */
export class GroundStack extends Stack {
  public readonly api: ModelApi;
  public readonly modelCall: ModelCall;
  public readonly prompt?: ManagedPrompt;
  public readonly knowledgeBase?: KnowledgeBase;
  public readonly guardrail?: Guardrail;
  public readonly gateway?: ModelGateway;
  public readonly network?: IsolatedNetwork;
  public readonly cache?: ResponseCache;

  constructor(scope: Construct, id: string, props: GroundStackProps) {
    const { config, ground } = props;
    super(scope, id, {
      ...props,
      stackName: props.stackName ?? config.stackName,
      description: `genai-blueprint ground ${ground}: ${GROUNDS[ground].block}`,
    });
    Tags.of(this).add('app', 'genai-blueprint');
    Tags.of(this).add('ground', String(ground));

    const lambdaDefaults = {
      memorySize: config.lambda.memoryMb,
      timeout: Duration.seconds(config.lambda.timeoutSeconds),
      logRetention: config.lambda.logRetentionDays,
      reservedConcurrentExecutions: config.lambda.reservedConcurrency,
    };

    const model = new BedrockModel(MODEL_CATALOG[config.model.alias as ModelAlias], config.model.inference);

    // Ground 0: a model call.
    this.api = new ModelApi(this, 'Api', {
      stageName: config.api.stageName,
      throttleRateLimit: config.api.throttleRateLimit,
      throttleBurstLimit: config.api.throttleBurstLimit,
      logRetention: config.lambda.logRetentionDays,
    });
    // Ground 1: prompt management.
    if (ground >= 1) {
      this.prompt = new ManagedPrompt(this, 'Prompt', { definition: config.prompt, model, maxTokens: config.model.maxTokens, temperature: config.model.temperature });
    }
    // Ground 2: an external knowledge base.
    if (ground >= 2) {
      const kb = config.knowledgeBase;
      this.knowledgeBase = new KnowledgeBase(this, 'KnowledgeBase', {
        embeddingModel: MODEL_CATALOG[kb.embeddingModel as ModelAlias] as EmbeddingModel,
        dimensions: kb.dimensions,
        vectorStore: kb.vectorStore,
        chunking: chunking(kb.chunking),
        ingestionBatchWindow: Duration.seconds(kb.ingestionBatchWindowSeconds),
        logRetention: config.lambda.logRetentionDays,
      });
    }
    // Ground 3: guardrails.
    if (ground >= 3) {
      const { streamWindowChars: _window, ...guardrail } = config.guardrail;
      this.guardrail = new Guardrail(this, 'Guardrail', guardrail);
    }

    // Ground 4: the gateway (tenants, usage plans, WAF, per-tenant inference profiles) and the router.
    if (ground >= 4) {
      this.gateway = new ModelGateway(this, 'Gateway', {
        api: this.api,
        tenants: config.tenants.map((t) => ({ name: t.name, tier: t.tier, quota: { limit: t.quotaPerDay, period: 'DAY' as const }, rateLimit: t.rateLimit, burstLimit: t.burstLimit })),
        modelSourceArn: model.sourceArn(this),
        blockLargeBodies: config.gateway.blockLargeBodies,
        requestsPer5MinPerIp: config.gateway.requestsPer5MinPerIp,
        logRetention: config.lambda.logRetentionDays,
      });
    }
    // Ground 5: an isolated network and the cache in it.
    if (ground >= 5) {
      this.network = new IsolatedNetwork(this, 'Network', { flowLogRetention: config.lambda.logRetentionDays });
      this.cache = new ResponseCache(this, 'Cache', { vpc: this.network.vpc, maxDataStorageGb: config.cache.maxDataStorageGb, maxEcpuPerSecond: config.cache.maxEcpuPerSecond });
    }
    const router = effectiveRouter(config);
    const network = this.network;
    const gateway = this.gateway;

    // The request path, with whatever blocks this ground has.
    this.modelCall = new ModelCall(this, 'ModelCall', {
      api: this.api,
      model,
      maxTokens: config.model.maxTokens,
      temperature: config.model.temperature,
      maxQueryChars: config.api.maxQueryChars,
      maxAttempts: config.model.maxAttempts,
      attemptTimeout: Duration.seconds(config.model.attemptTimeoutSeconds),
      ...lambdaDefaults,
      prompt: this.prompt,
      retrieval: this.knowledgeBase && {
        knowledgeBase: this.knowledgeBase,
        defaultTopK: config.knowledgeBase.defaultTopK,
        maxTopK: config.knowledgeBase.maxTopK,
        minScore: config.knowledgeBase.minScore,
      },
      guardrail: this.guardrail,
      routing: gateway && {
        models: router.models.map((alias) => new BedrockModel(MODEL_CATALOG[alias as ModelAlias], config.model.inference)),
        byTier: router.byTier,
        longPrompt: router.longPrompt,
        fallbacks: router.fallbacks,
        tenants: config.tenants.map((t) => ({
          apiKeyId: gateway.apiKeys[t.name].keyId,
          name: t.name,
          tier: t.tier,
          modelIds: { [model.alias]: gateway.profileArnFor(t.name) },
        })),
      },
      streaming: gateway && { timeout: Duration.seconds(config.api.streamTimeoutSeconds), guardrailWindowChars: config.guardrail.streamWindowChars },
      cache: this.cache && network && {
        responseCache: this.cache,
        vpc: network.vpc,
        vpcSubnets: network.subnets,
        ttl: Duration.seconds(config.cache.ttlSeconds),
        timeout: Duration.millis(config.cache.timeoutMs),
        semantic: config.cache.semantic
          ? { embeddingModel: new BedrockModel(MODEL_CATALOG['titan-embed-text-v2'], 'in-region'), dimensions: config.cache.embeddingDimensions, threshold: config.cache.semanticThreshold }
          : undefined,
      },
    });
    if (gateway) {
      gateway.requireApiKeys(this.modelCall.methods);
      for (const fn of [this.modelCall.promptFunction, this.modelCall.chatStreamFunction, this.modelCall.openAiFunction]) {
        if (fn) gateway.grantInvokeProfiles(fn);
      }
    }
  }
}

function chunking(c: BlueprintConfig['knowledgeBase']['chunking']): ChunkingStrategy {
  switch (c.strategy) {
    case 'fixed':
      return { strategy: 'fixed', maxTokens: c.maxTokens, overlapPercentage: c.overlapPercentage };
    case 'hierarchical':
      return { strategy: 'hierarchical', parentMaxTokens: c.parentMaxTokens, childMaxTokens: c.childMaxTokens, overlapTokens: c.overlapTokens };
    case 'semantic':
      return { strategy: 'semantic', maxTokens: c.maxTokens, bufferSize: c.bufferSize, breakpointPercentileThreshold: c.breakpointPercentileThreshold };
    case 'none':
      return { strategy: 'none' };
  }
}
