import { Duration, SecretValue, Size } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import type { IConstruct } from 'constructs';
import { catalogEmbeddingModel, catalogModel, MODEL_CATALOG } from '../config/models';
import type { IdentityProviderConfig } from '../config/auth';
import { type BlueprintConfig, effectiveRouter } from '../config/schema';
import type { AgentProps } from '../constructs/agent/agent';
import type { AgentRouteProps } from '../constructs/agent/agent-route';
import type { IModelApi, ModelApi, ModelApiProps } from '../constructs/api/model-api';
import type { ClosedNetworkProps } from '../compliance/network';
import type { FederatedIdentityProvider, IUserAuth, UserAuthProps } from '../constructs/auth/user-auth';
import { DEFAULT_INTERFACE_SERVICES, type IIsolatedNetwork, type IsolatedNetworkProps } from '../constructs/cache/isolated-network';
import type { IResponseCache, ResponseCacheProps } from '../constructs/cache/response-cache';
import type { FeedbackProps, IFeedback } from '../constructs/feedback/feedback';
import type { IModelGateway, ModelGatewayProps } from '../constructs/gateway/model-gateway';
import type { StageWebAclOptions } from '../constructs/gateway/web-acl';
import type { GuardrailProps, IGuardrail } from '../constructs/guardrail/guardrail';
import { BLUEPRINT_CORPUS, type ChunkingStrategy, type IKnowledgeBase, type KnowledgeBaseProps } from '../constructs/knowledge-base/knowledge-base';
import type { ModelCallProps } from '../constructs/model-call/model-call';
import type { PredictiveMlProps } from '../constructs/predictive-ml/predictive-ml';
import type { InvocationLoggingProps } from '../constructs/observability/invocation-logging';
import type { ObservabilityProps } from '../constructs/observability/observability';
import type { DocumentPipelineProps } from '../constructs/orchestration/document-pipeline';
import type { IManagedPrompt, ManagedPromptProps } from '../constructs/prompt-library/managed-prompt';
import type { ISessionStore, SessionStoreProps } from '../constructs/sessions/session-store';
import { BedrockModel } from '../constructs/shared/bedrock-model';
import type { GatewayTenant } from '../constructs/shared/tenants';

/**
 * Configuration → props of each block, one function per block, so that a ground only wires blocks.
 * They live here rather than in lib/config because they produce construct types (lib/config must
 * not import lib/constructs).
 */

/** A catalog model on the configured inference route. */
export function bedrockModel(config: BlueprintConfig, alias: string): BedrockModel {
  return new BedrockModel(catalogModel(alias), config.model.inference);
}

/** The models the request path routes among: the router's with a gateway (ground 4 up), else the default one. */
export function routedModels(config: BlueprintConfig, gateway: boolean): BedrockModel[] {
  return gateway ? effectiveRouter(config).models.map((alias) => bedrockModel(config, alias)) : [bedrockModel(config, config.model.alias)];
}

function logRetention(config: BlueprintConfig) {
  return config.lambda.logRetentionDays;
}

export function userAuthProps(config: BlueprintConfig): UserAuthProps {
  const auth = config.auth;
  return {
    tenants: config.tenants.map((t) => t.name),
    callbackUrls: auth.callbackUrls,
    domainPrefix: auth.domainPrefix,
    tokenValidity: Duration.minutes(auth.tokenValidityMinutes),
    // Set only when configured, so that the default props (and templates) stay as they were.
    ...(auth.userPoolId !== undefined ? { userPoolId: auth.userPoolId } : {}),
    ...(auth.identityProviders.length > 0
      ? {
          identityProviders: auth.identityProviders.map(identityProvider),
          tenantValues: auth.tenantValues,
          localSignIn: auth.localSignIn,
          logRetention: logRetention(config),
        }
      : {}),
  };
}

/** A configured identity provider; an OIDC client secret is a Secrets Manager dynamic reference, resolved by CloudFormation at deploy. */
function identityProvider(idp: IdentityProviderConfig): FederatedIdentityProvider {
  // The schema requires one metadata of a SAML provider and issuer, clientId and clientSecretArn of an OIDC one (lib/config/auth.ts).
  const common = { name: idp.name, tenantClaim: idp.tenantClaim, emailClaim: idp.emailClaim };
  if (idp.type === 'saml') {
    const metadata = idp.metadataUrl
      ? cognito.UserPoolIdentityProviderSamlMetadata.url(idp.metadataUrl)
      : cognito.UserPoolIdentityProviderSamlMetadata.file(idp.metadataDocument!);
    return { type: 'saml', ...common, metadata };
  }
  return {
    type: 'oidc',
    ...common,
    issuerUrl: idp.issuer!,
    clientId: idp.clientId!,
    clientSecret: SecretValue.secretsManager(idp.clientSecretArn!, idp.clientSecretField ? { jsonField: idp.clientSecretField } : {}),
    scopes: idp.scopes,
  };
}

export function modelApiProps(config: BlueprintConfig, auth?: IUserAuth): ModelApiProps {
  return {
    stageName: config.api.stageName,
    throttleRateLimit: config.api.throttleRateLimit,
    throttleBurstLimit: config.api.throttleBurstLimit,
    logRetention: logRetention(config),
    cognito: auth && { authorizer: auth.authorizer, scopes: [auth.invokeScope] },
  };
}

export function managedPromptProps(config: BlueprintConfig, model: BedrockModel): ManagedPromptProps {
  return { definition: config.prompt, model, maxTokens: config.model.maxTokens, temperature: config.model.temperature };
}

export function knowledgeBaseProps(config: BlueprintConfig): KnowledgeBaseProps {
  const kb = config.knowledgeBase;
  return {
    embeddingModel: catalogEmbeddingModel(kb.embeddingModel),
    dimensions: kb.dimensions,
    vectorStore: kb.vectorStore,
    chunking: chunking(kb.chunking),
    ingestionBatchWindow: Duration.seconds(kb.ingestionBatchWindowSeconds),
    corpusPath: BLUEPRINT_CORPUS,
    logRetention: logRetention(config),
  };
}

export function guardrailProps(config: BlueprintConfig): GuardrailProps {
  // The stream window is the model call's setting, not the guardrail's.
  const { streamWindowChars: _window, ...guardrail } = config.guardrail;
  return guardrail;
}

/** The gateway of the grounds (`copies`: the model the tenants' inference profiles copy) or of the PredictiveMl stack (none). */
export function modelGatewayProps(config: BlueprintConfig, api: IModelApi, copies?: { model: BedrockModel; scope: IConstruct }): ModelGatewayProps {
  return {
    api,
    tenants: config.tenants.map((t) => ({
      name: t.name,
      tier: t.tier,
      quota: { limit: t.quotaPerDay, period: 'DAY' as const },
      rateLimit: t.rateLimit,
      burstLimit: t.burstLimit,
    })),
    modelSourceArn: copies?.model.sourceArn(copies.scope),
    ...webAclSettings(config),
  };
}

/**
 * The gateway's web ACL settings (ground 4 up, and grounds 0-3 in the regulated profile). The regulated
 * profile keeps the Core Rule Set's body-size rule at BLOCK (bodies over 8 KB refused by WAF, not only counted).
 */
export function webAclSettings(config: BlueprintConfig): StageWebAclOptions {
  return {
    blockLargeBodies: config.gateway.blockLargeBodies || config.compliance === 'regulated',
    requestsPer5MinPerIp: config.gateway.requestsPer5MinPerIp,
    logRetention: logRetention(config),
  };
}

/**
 * The network of ground 5 up, and of every stack whose functions all run in it (the regulated
 * profile, `network=private`; with `interfaceServices`: vpcEndpointServices). With `network.vpcId`,
 * the existing VPC of the configuration instead of a new one.
 */
export function isolatedNetworkProps(config: BlueprintConfig, interfaceServices?: readonly ec2.InterfaceVpcEndpointAwsService[]): IsolatedNetworkProps {
  const n = config.network;
  const existingVpc =
    n.vpcId && n.vpcCidr && n.isolatedSubnetIds && n.availabilityZones && n.routeTableIds
      ? {
          vpcId: n.vpcId,
          vpcCidrBlock: n.vpcCidr,
          isolatedSubnetIds: n.isolatedSubnetIds,
          availabilityZones: n.availabilityZones,
          routeTableIds: n.routeTableIds,
          existingEndpoints: n.existingEndpoints,
        }
      : undefined;
  return { flowLogRetention: logRetention(config), ...(interfaceServices ? { interfaceServices } : {}), ...(existingVpc ? { existingVpc } : {}) };
}

/** The closed network of a stack (`-c network=private`, lib/compliance/network.ts closeNetwork). `stack`: a ground, or `ml`. */
export function closedNetworkProps(config: BlueprintConfig, stack: number | 'ml', api: ModelApi): ClosedNetworkProps {
  const interfaceServices = vpcEndpointServices(config, stack);
  return { api, interfaceServices, network: isolatedNetworkProps(config, interfaceServices), apiEndpointId: config.network.apiEndpointId };
}

/**
 * The interface endpoints of a stack's network where every function runs in it (the regulated
 * profile and `network=private`, lib/compliance/network.ts): one for each AWS API a function of the
 * stack calls, by the ground that adds the caller (S3 and DynamoDB have the network's gateway
 * endpoints; ElastiCache is in the VPC). test/compliance/network.test.ts and test/network/ derive the
 * same set from the functions' SDK commands (test/support/iam/commands.ts) and the handlers
 * aws-cdk-lib adds, and fail on any difference. Each endpoint costs per hour in each of the
 * network's AZs (docs/network.md). `stack`: a ground, or `ml` for the PredictiveMl stack.
 */
export function vpcEndpointServices(config: BlueprintConfig, stack: number | 'ml'): ec2.InterfaceVpcEndpointAwsService[] {
  const s = ec2.InterfaceVpcEndpointAwsService;
  const ground = stack === 'ml' ? -1 : stack;
  const predictiveMl = stack === 'ml' || ground >= 7;
  const services = [
    // Ground 5's own (Converse/ApplyGuardrail, Retrieve, GetPrompt), as far as this ground calls them.
    ...DEFAULT_INTERFACE_SERVICES.filter(
      (e) => (e === s.BEDROCK_RUNTIME && ground >= 0) || (e === s.BEDROCK_AGENT && ground >= 1) || (e === s.BEDROCK_AGENT_RUNTIME && ground >= 2),
    ),
    // Every function has active tracing: AWS does not document that Lambda's X-Ray daemon sends outside the function's VPC.
    s.XRAY,
    // The network's Custom::VpcRestrictDefaultSG handler revokes the default security group's rules (EC2 API);
    // an existing VPC (network.vpcId) is left as its owner set it, so no handler.
    ...(config.network.vpcId ? [] : [s.EC2]),
    // Ground 2: the ingestion function sends its retries to the ingestion queue (SendMessage).
    ...(ground >= 2 ? [s.SQS] : []),
    // PredictiveMl: /predict (InvokeEndpoint), the gate and the endpoint teardown (SageMaker API), and the
    // custom resource provider framework that invokes the teardown (Lambda Invoke).
    ...(predictiveMl ? [s.SAGEMAKER_RUNTIME, s.SAGEMAKER_API, s.LAMBDA] : []),
    // Ground 7: the invocation-logging custom resource (Bedrock control plane).
    ...(ground >= 7 && config.observability.invocationLogging !== 'off' ? [s.BEDROCK] : []),
  ];
  return services;
}

export function responseCacheProps(config: BlueprintConfig, network: IIsolatedNetwork): ResponseCacheProps {
  return { vpc: network.vpc, maxDataStorageGb: config.cache.maxDataStorageGb, maxEcpuPerSecond: config.cache.maxEcpuPerSecond };
}

/** Who the functions recognise as a tenant: the API key (ground 4) or machine client (ground 7) API Gateway checked. */
export function gatewayTenants(config: BlueprintConfig, model: BedrockModel, gateway?: IModelGateway, auth?: IUserAuth): GatewayTenant[] {
  if (!gateway) return [];
  return config.tenants.map((t) => ({
    name: t.name,
    tier: t.tier,
    apiKeyId: gateway.apiKeyIdFor(t.name),
    ...(auth ? { clientId: auth.machineClients[t.name].userPoolClientId } : {}),
    modelIds: { [model.alias]: gateway.profileArnFor(t.name) },
  }));
}

export function sessionStoreProps(config: BlueprintConfig, api: IModelApi, tenants: readonly GatewayTenant[]): SessionStoreProps {
  return {
    api,
    tenants,
    logRetention: logRetention(config),
    ttl: Duration.days(config.sessions.ttlDays),
    historyTurns: config.sessions.historyTurns,
    historyChars: config.sessions.historyChars,
    maxTurnsReturned: config.sessions.maxTurnsReturned,
  };
}

export function feedbackProps(config: BlueprintConfig, api: IModelApi, tenants: readonly GatewayTenant[]): FeedbackProps {
  return {
    api,
    tenants,
    logRetention: logRetention(config),
    window: Duration.days(config.feedback.windowDays),
    retention: Duration.days(config.feedback.retentionDays),
    maxCommentChars: config.feedback.maxCommentChars,
    thumbsDownAlarmRate: config.feedback.thumbsDownAlarmRate,
    alarmMinRatings: config.feedback.alarmMinRatings,
    alarmPeriod: Duration.minutes(config.feedback.alarmPeriodMinutes),
  };
}

/** The blocks the model call uses, whichever the ground has. */
export interface ModelCallBlocks {
  readonly api: IModelApi;
  readonly model: BedrockModel;
  readonly tenants: readonly GatewayTenant[];
  readonly prompt?: IManagedPrompt;
  readonly knowledgeBase?: IKnowledgeBase;
  readonly guardrail?: IGuardrail;
  readonly gateway?: IModelGateway;
  readonly network?: IIsolatedNetwork;
  readonly cache?: IResponseCache;
  readonly sessions?: ISessionStore;
  readonly feedback?: IFeedback;
}

export function modelCallProps(config: BlueprintConfig, blocks: ModelCallBlocks): ModelCallProps {
  const { api, model, tenants, gateway, network } = blocks;
  const router = effectiveRouter(config);
  return {
    api,
    model,
    maxTokens: config.model.maxTokens,
    temperature: config.model.temperature,
    maxQueryChars: config.api.maxQueryChars,
    maxAttempts: config.model.maxAttempts,
    attemptTimeout: Duration.seconds(config.model.attemptTimeoutSeconds),
    memorySize: config.lambda.memoryMb,
    timeout: Duration.seconds(config.lambda.timeoutSeconds),
    logRetention: logRetention(config),
    reservedConcurrentExecutions: config.lambda.reservedConcurrency,
    prompt: blocks.prompt,
    retrieval: blocks.knowledgeBase && {
      knowledgeBase: blocks.knowledgeBase,
      defaultTopK: config.knowledgeBase.defaultTopK,
      maxTopK: config.knowledgeBase.maxTopK,
      minScore: config.knowledgeBase.minScore,
    },
    guardrail: blocks.guardrail,
    routing: gateway && {
      models: routedModels(config, true),
      byTier: router.byTier,
      longPrompt: router.longPrompt,
      fallbacks: router.fallbacks,
      tenants,
    },
    sessions: blocks.sessions,
    feedback: blocks.feedback,
    streaming: gateway && { timeout: Duration.seconds(config.api.streamTimeoutSeconds), guardrailWindowChars: config.guardrail.streamWindowChars },
    cache: blocks.cache &&
      network && {
        responseCache: blocks.cache,
        vpc: network.vpc,
        vpcSubnets: network.subnets,
        ttl: Duration.seconds(config.cache.ttlSeconds),
        timeout: Duration.millis(config.cache.timeoutMs),
        semantic: config.cache.semantic
          ? {
              embeddingModel: new BedrockModel(MODEL_CATALOG['titan-embed-text-v2'], 'in-region'),
              dimensions: config.cache.embeddingDimensions,
              threshold: config.cache.semanticThreshold,
            }
          : undefined,
      },
  };
}

export function agentProps(config: BlueprintConfig, blocks: { knowledgeBase?: IKnowledgeBase; guardrail?: IGuardrail }): AgentProps {
  return {
    model: bedrockModel(config, config.agent.modelAlias ?? config.model.alias),
    instruction: config.agent.instruction,
    knowledgeBase: blocks.knowledgeBase,
    guardrail: blocks.guardrail,
    idleSessionTtl: Duration.seconds(config.agent.idleSessionTtlSeconds),
    demoTenants: config.tenants.map((t) => t.name),
    seedDemoData: config.agent.seedDemoData,
    logRetention: logRetention(config),
  };
}

export function agentRouteProps(config: BlueprintConfig, blocks: Pick<AgentRouteProps, 'api' | 'agent' | 'tenants'>): AgentRouteProps {
  return {
    ...blocks,
    maxInputChars: config.agent.maxInputChars,
    logRetention: logRetention(config),
    reservedConcurrentExecutions: config.lambda.reservedConcurrency,
  };
}

/** The alarm thresholds and tenants of the observability block; the ground adds what it watches. */
export function observabilitySettings(
  config: BlueprintConfig,
): Pick<
  ObservabilityProps,
  'tenants' | 'alarmEmail' | 'latencyP99' | 'apiErrorRatePercent' | 'dailyCostBudgetUsd' | 'cacheHitRateFloorPercent' | 'guardrailInterventionsPer5Min'
> {
  const obs = config.observability;
  return {
    tenants: config.tenants.map((t) => t.name),
    alarmEmail: obs.alarmEmail,
    latencyP99: Duration.millis(obs.latencyP99Ms),
    apiErrorRatePercent: obs.apiErrorRatePercent,
    dailyCostBudgetUsd: obs.dailyCostBudgetUsd,
    cacheHitRateFloorPercent: obs.cacheHitRateFloorPercent,
    guardrailInterventionsPer5Min: obs.guardrailInterventionsPer5Min,
  };
}

/** Model invocation logging, unless configured off. */
export function invocationLoggingProps(config: BlueprintConfig): InvocationLoggingProps | undefined {
  const obs = config.observability;
  if (obs.invocationLogging === 'off') return undefined;
  return { retention: obs.invocationLogRetentionDays, takeOver: obs.invocationLogging === 'take-over', functionLogRetention: logRetention(config) };
}

export function documentPipelineProps(config: BlueprintConfig, blocks: Pick<DocumentPipelineProps, 'knowledgeBase' | 'topic'>): DocumentPipelineProps {
  return {
    ...blocks,
    maxDocumentSize: Size.mebibytes(config.pipeline.maxDocumentMb),
    checkInterval: Duration.seconds(config.pipeline.checkIntervalSeconds),
    maxChecks: config.pipeline.maxChecks,
    onUpload: config.pipeline.onUpload,
    logRetention: logRetention(config),
  };
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

/** The PredictiveMl props that come from configuration (everything but the API and the gateway), for this stack and ground 7. */
export function predictiveMlSettings(config: BlueprintConfig): Omit<PredictiveMlProps, 'api' | 'gateway'> {
  const ml = config.predictiveMl;
  return {
    minValidationAuc: ml.minValidationAuc,
    inference: ml.inference,
    serverlessMemoryMb: ml.serverlessMemoryMb,
    serverlessMaxConcurrency: ml.serverlessMaxConcurrency,
    instanceType: ml.instanceType,
    instanceCount: ml.instanceCount,
    dataCapturePercent: ml.dataCapturePercent,
    trainingInstanceType: ml.trainingInstanceType,
    maxTrainingRuntime: Duration.minutes(ml.maxTrainingMinutes),
    schedule: ml.schedule ? events.Schedule.expression(ml.schedule) : undefined,
    retrainOnUpload: ml.retrainOnUpload,
    timeout: Duration.seconds(config.lambda.timeoutSeconds),
    // Below the function timeout, leaving time to answer 504 instead of being killed.
    attemptTimeout: Duration.seconds(Math.max(1, Math.min(12, config.lambda.timeoutSeconds - 2))),
    logRetention: config.lambda.logRetentionDays,
    reservedConcurrentExecutions: config.lambda.reservedConcurrency,
  };
}
