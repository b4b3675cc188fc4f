import { Duration, Size, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Construct } from 'constructs';
import { type EmbeddingModel, MODEL_CATALOG, type ModelAlias } from '../config/models';
import { type BlueprintConfig, effectiveRouter } from '../config/schema';
import { Agent } from '../constructs/agent/agent';
import { AgentRoute } from '../constructs/agent/agent-route';
import { ModelApi } from '../constructs/api/model-api';
import { UserAuth } from '../constructs/auth/user-auth';
import { Feedback } from '../constructs/feedback/feedback';
import { InvocationLogging } from '../constructs/observability/invocation-logging';
import { Observability } from '../constructs/observability/observability';
import { DocumentPipeline } from '../constructs/orchestration/document-pipeline';
import { PredictiveMl } from '../constructs/predictive-ml/predictive-ml';
import { SessionStore } from '../constructs/sessions/session-store';
import type { GatewayTenant } from '../constructs/shared/tenants';
import { predictiveMlSettings } from './predictive-ml-stack';
import { IsolatedNetwork } from '../constructs/cache/isolated-network';
import { ResponseCache } from '../constructs/cache/response-cache';
import { ModelGateway } from '../constructs/gateway/model-gateway';
import { Guardrail } from '../constructs/guardrail/guardrail';
import { BLUEPRINT_CORPUS, type ChunkingStrategy, KnowledgeBase } from '../constructs/knowledge-base/knowledge-base';
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
  { ground: 6, stackId: 'Ground6-Agents', block: 'an agent with action groups' },
  { ground: 7, stackId: 'Ground7-FullSystem', block: 'the full system: auth, sessions, observability, orchestration, human feedback' },
] as const;

export type GroundNumber = (typeof GROUNDS)[number]['ground'];

/** Resource types of the grounds whose Tags property is create-only (test/grounds/upgrade.test.ts checks every pair of grounds). */
export const REPLACED_BY_TAG_CHANGE = ['AWS::Bedrock::PromptVersion'];

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
  public readonly agent?: Agent;
  public readonly agentRoute?: AgentRoute;
  public readonly auth?: UserAuth;
  public readonly sessions?: SessionStore;
  public readonly feedback?: Feedback;
  public readonly observability?: Observability;
  public readonly invocationLogging?: InvocationLogging;
  public readonly documentPipeline?: DocumentPipeline;
  public readonly predictiveMl?: PredictiveMl;

  constructor(scope: Construct, id: string, props: GroundStackProps) {
    const { config, ground } = props;
    super(scope, id, {
      ...props,
      stackName: props.stackName ?? config.stackName,
      description: `genai-blueprint ground ${ground}: ${GROUNDS[ground].block}`,
    });
    Tags.of(this).add('app', 'genai-blueprint');
    // A tag whose value changes with the ground must stay off resources whose Tags CloudFormation
    // cannot update ("Update requires: Replacement"): a PromptVersion would be cut anew every ground.
    // Lambda functions may carry it: Tags are not among the properties a published version hashes.
    Tags.of(this).add('ground', String(ground), { excludeResourceTypes: REPLACED_BY_TAG_CHANGE });

    const lambdaDefaults = {
      memorySize: config.lambda.memoryMb,
      timeout: Duration.seconds(config.lambda.timeoutSeconds),
      logRetention: config.lambda.logRetentionDays,
      reservedConcurrentExecutions: config.lambda.reservedConcurrency,
    };

    const model = new BedrockModel(MODEL_CATALOG[config.model.alias as ModelAlias], config.model.inference);

    // Ground 7 puts Cognito in front of every route (created first: the API's default authorizer).
    if (ground >= 7) {
      this.auth = new UserAuth(this, 'Auth', {
        tenants: config.tenants.map((t) => t.name),
        callbackUrls: config.auth.callbackUrls,
        domainPrefix: config.auth.domainPrefix,
        tokenValidity: Duration.minutes(config.auth.tokenValidityMinutes),
      });
    }
    const auth = this.auth;
    // Ground 0: a model call.
    this.api = new ModelApi(this, 'Api', {
      stageName: config.api.stageName,
      throttleRateLimit: config.api.throttleRateLimit,
      throttleBurstLimit: config.api.throttleBurstLimit,
      logRetention: config.lambda.logRetentionDays,
      cognito: auth && { authorizer: auth.authorizer, scopes: [auth.invokeScope] },
    });
    if (ground < 4) {
      this.api.acknowledgeNoWebAcl('Grounds 0-3 have no WAF web ACL: only IAM-signed callers of this account reach the API; the gateway of ground 4 associates one with this stage');
    }
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
        corpusPath: BLUEPRINT_CORPUS,
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
    const logRetention = config.lambda.logRetentionDays;
    // Who the functions recognise as a tenant: the API key (ground 4) or machine client (ground 7) API Gateway checked.
    const tenants: GatewayTenant[] = gateway
      ? config.tenants.map((t) => ({
          name: t.name,
          tier: t.tier,
          apiKeyId: gateway.apiKeys[t.name].keyId,
          ...(auth ? { clientId: auth.machineClients[t.name].userPoolClientId } : {}),
          modelIds: { [model.alias]: gateway.profileArnFor(t.name) },
        }))
      : [];

    // Ground 7: conversation history and human feedback.
    if (ground >= 7) {
      this.sessions = new SessionStore(this, 'Sessions', {
        api: this.api,
        tenants,
        logRetention,
        ttl: Duration.days(config.sessions.ttlDays),
        historyTurns: config.sessions.historyTurns,
        historyChars: config.sessions.historyChars,
        maxTurnsReturned: config.sessions.maxTurnsReturned,
      });
      this.feedback = new Feedback(this, 'Feedback', {
        api: this.api,
        tenants,
        logRetention,
        window: Duration.days(config.feedback.windowDays),
        retention: Duration.days(config.feedback.retentionDays),
        maxCommentChars: config.feedback.maxCommentChars,
        thumbsDownAlarmRate: config.feedback.thumbsDownAlarmRate,
        alarmMinRatings: config.feedback.alarmMinRatings,
        alarmPeriod: Duration.minutes(config.feedback.alarmPeriodMinutes),
      });
    }

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
        tenants,
      },
      sessions: this.sessions,
      feedback: this.feedback,
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
    // Ground 6: an agent whose action groups compute exactly and look up the stack's own data.
    if (ground >= 6) {
      this.agent = new Agent(this, 'Agent', {
        model: new BedrockModel(MODEL_CATALOG[(config.agent.modelAlias ?? config.model.alias) as ModelAlias], config.model.inference),
        instruction: config.agent.instruction,
        knowledgeBase: this.knowledgeBase,
        guardrail: this.guardrail,
        idleSessionTtl: Duration.seconds(config.agent.idleSessionTtlSeconds),
        demoTenants: config.tenants.map((t) => t.name),
        seedDemoData: config.agent.seedDemoData,
        logRetention,
      });
      this.agentRoute = new AgentRoute(this, 'AgentRoute', {
        api: this.api,
        agent: this.agent,
        maxInputChars: config.agent.maxInputChars,
        tenants,
        logRetention,
        reservedConcurrentExecutions: config.lambda.reservedConcurrency,
      });
    }

    // Ground 7: predictive ML beside the model, then watch and orchestrate everything above.
    if (ground >= 7) {
      this.predictiveMl = new PredictiveMl(this, 'PredictiveMl', { api: this.api, gateway, ...predictiveMlSettings(config) });
      const obs = config.observability;
      const routed = gateway ? router.models : [model.alias];
      const requestPath = [
        this.modelCall.promptFunction,
        this.modelCall.chatStreamFunction,
        this.modelCall.openAiFunction,
        this.agentRoute?.agentFunction,
        this.sessions?.readFunction,
        this.feedback?.feedbackFunction,
        this.predictiveMl.predictFunction,
      ].filter((fn) => fn !== undefined);
      this.observability = new Observability(this, 'Observability', {
        api: this.api.restApi,
        functions: requestPath,
        modelIds: routed.map((alias) => new BedrockModel(MODEL_CATALOG[alias as ModelAlias], config.model.inference).invocationId),
        modelAliases: routed,
        tenants: config.tenants.map((t) => t.name),
        cache: this.cache,
        guardrail: this.guardrail,
        sessions: this.sessions !== undefined,
        feedback: this.feedback !== undefined,
        alarmEmail: obs.alarmEmail,
        latencyP99: Duration.millis(obs.latencyP99Ms),
        apiErrorRatePercent: obs.apiErrorRatePercent,
        dailyCostBudgetUsd: obs.dailyCostBudgetUsd,
        cacheHitRateFloorPercent: obs.cacheHitRateFloorPercent,
        guardrailInterventionsPer5Min: obs.guardrailInterventionsPer5Min,
      });
      // The blocks' own alarms notify the same topic.
      const notify = new cloudwatchActions.SnsAction(this.observability.topic);
      for (const alarm of [this.feedback?.thumbsDownAlarm, this.knowledgeBase?.ingestionFailedAlarm, this.knowledgeBase?.deadLetterAlarm]) alarm?.addAlarmAction(notify);
      if (obs.invocationLogging !== 'off') {
        this.invocationLogging = new InvocationLogging(this, 'InvocationLogging', {
          retention: obs.invocationLogRetentionDays,
          takeOver: obs.invocationLogging === 'take-over',
          functionLogRetention: logRetention,
        });
      }
      if (this.knowledgeBase) {
        this.documentPipeline = new DocumentPipeline(this, 'DocumentPipeline', {
          knowledgeBase: this.knowledgeBase,
          topic: this.observability.topic,
          maxDocumentSize: Size.mebibytes(config.pipeline.maxDocumentMb),
          checkInterval: Duration.seconds(config.pipeline.checkIntervalSeconds),
          maxChecks: config.pipeline.maxChecks,
          onUpload: config.pipeline.onUpload,
          logRetention,
        });
      }
    }

    if (gateway) {
      // Every route meters and throttles per tenant, whichever ground added it.
      gateway.requireApiKeys([
        ...this.modelCall.methods,
        ...[this.agentRoute?.method, this.sessions?.method, this.feedback?.method].filter((m) => m !== undefined),
      ]);
      gateway.grantInvokeProfiles(this.modelCall.promptFunction, { throughModel: model, invocation: 'buffered' });
      for (const fn of [this.modelCall.chatStreamFunction, this.modelCall.openAiFunction]) {
        if (fn) gateway.grantInvokeProfiles(fn, { throughModel: model, invocation: 'streamed' });
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
