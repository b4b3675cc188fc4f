import { Duration, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { IModelApi } from '../api/model-api';
import { BlueprintFunction } from '../shared/blueprint-function';
import { type GatewayTenant, tenantDirectoryJson } from '../shared/tenants';
import type { TenantTier } from '../../../contracts/tenants';
import type { RoutingPolicy } from '../../../contracts/routing';
import type { IResponseCache } from '../cache/response-cache';
import type { IFeedback } from '../feedback/feedback';
import type { IGuardrail } from '../guardrail/guardrail';
import type { IKnowledgeBase } from '../knowledge-base/knowledge-base';
import { SESSION_ID_PATTERN } from '../../../contracts/ids';
import type { ISessionStore } from '../sessions/session-store';
import type { IRouteBlock } from '../shared/routes';
import type { IManagedPrompt } from '../prompt-library/managed-prompt';
import type { BedrockModel } from '../shared/bedrock-model';
import { checkRange } from '../shared/checks';
import { MAX_CHAT_MESSAGES, MODEL_PRICE_ENV } from '../../../contracts/model-call';
import {
  chatStreamEnvSchema,
  functionEnvironment,
  type ModelCallEnvironment,
  openAiEnvSchema,
  type PromptEnvironment,
  promptEnvSchema,
} from '../../../contracts/env';

/** Ground 4: more models than the default one, and how a request is routed among them. */
export interface RoutingOptions {
  /** Models a request may be routed to, besides `model` (the default). */
  readonly models: readonly BedrockModel[];
  /** Alias per tenant tier. @default the default model for every tier */
  readonly byTier?: Partial<Record<TenantTier, string>>;
  /** Prompts of at least `minChars` characters go to `alias`. @default no length rule */
  readonly longPrompt?: { readonly minChars: number; readonly alias: string };
  /** Aliases tried in order when a model is throttled or unavailable. @default no fallback */
  readonly fallbacks?: Readonly<Record<string, readonly string[]>>;
  /**
   * Gateway tenants: the API key id API Gateway reports, the tenant's name and tier, and model ids
   * to call for this tenant instead of a model's own (its application inference profile, for cost
   * allocation), by alias. @default none
   */
  readonly tenants?: readonly GatewayTenant[];
}

export interface RetrievalOptions {
  readonly knowledgeBase: IKnowledgeBase;
  /** Passages retrieved when a request names no topK. @default 5 */
  readonly defaultTopK?: number;
  /** Most passages a request may ask for. @default 10 */
  readonly maxTopK?: number;
  /** Passages scoring below this are not put into the prompt. @default 0 */
  readonly minScore?: number;
}

export interface ModelCallProps {
  /** The API that serves `POST /prompt`. */
  readonly api: IModelApi;
  /** The model (or inference profile) that answers. */
  readonly model: BedrockModel;
  /** Cap on generated tokens per call. @default 1024 */
  readonly maxTokens?: number;
  /** @default 0.5 */
  readonly temperature?: number;
  /** Longest accepted query, in characters. @default 8000 */
  readonly maxQueryChars?: number;
  /** Attempts per model call including the first. @default 3 */
  readonly maxAttempts?: number;
  /** Socket timeout of one attempt; must be below `timeout`. @default Duration.seconds(20) */
  readonly attemptTimeout?: Duration;
  /** @default 1024 */
  readonly memorySize?: number;
  /** Function timeout, at most API Gateway's 29 s integration timeout. @default Duration.seconds(29) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default no reserved concurrency */
  readonly reservedConcurrentExecutions?: number;
  /** Ground 1: render this prompt's pinned version. @default the query is sent as it is */
  readonly prompt?: IManagedPrompt;
  /** Ground 2: retrieve passages and cite them. @default no retrieval */
  readonly retrieval?: RetrievalOptions;
  /** Ground 3: apply this guardrail to input and output. @default no guardrail */
  readonly guardrail?: IGuardrail;
  /** Ground 4: route among several models with fallback. @default `model` answers every request */
  readonly routing?: RoutingOptions;
  /** Ground 5: answer repeated and similar requests from this cache. @default no cache */
  readonly cache?: CacheOptions;
  /**
   * Ground 4: `POST /chat/stream` (Server-Sent Events) and the OpenAI-compatible
   * `POST /v1/chat/completions`, streamed through API Gateway by their own functions.
   * @default no streaming routes
   */
  readonly streaming?: StreamingOptions;
  /** Ground 7: conversation history (`sessionId` in the request); the function loads a window and appends each turn. @default no sessions */
  readonly sessions?: ISessionStore;
  /** Ground 7: record each answer's model, prompt and guardrail versions and cache status for `POST /feedback`. @default no records */
  readonly feedback?: IFeedback;
}

export interface StreamingOptions {
  /** Longest a streamed answer may run (function and integration). @default Duration.minutes(5) */
  readonly timeout?: Duration;
  /** Output text checked by the guardrail at once while streaming. @default 1000 characters */
  readonly guardrailWindowChars?: number;
}

export interface CacheOptions {
  readonly responseCache: IResponseCache;
  /** The cache's network; the function moves into it. */
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** How long answers are served. @default Duration.hours(1) */
  readonly ttl?: Duration;
  /** Budget of one cache round; past it the request goes on without the cache. @default 50 ms */
  readonly timeout?: Duration;
  /** Semantic cache: embedding model (in-Region) and cosine threshold. @default exact cache only */
  readonly semantic?: { readonly embeddingModel: BedrockModel; readonly dimensions: number; readonly threshold: number };
}

/**
 * The request path of `POST /prompt`: prompt function → Bedrock Converse on one model, with IAM
 * scoped to exactly that model or inference profile (ground 0); with the blocks of grounds 1-3
 * given, it renders the pinned prompt, retrieves and cites, and guards input and output. The
 * construct ids stay the same whichever blocks are given, so going up a ground updates in place.
 */
export class ModelCall extends Construct implements IRouteBlock {
  public readonly promptFunction: BlueprintFunction;
  public readonly method: apigateway.Method;
  /** Ground 4: the functions and methods of the streamed routes. */
  public readonly chatStreamFunction?: BlueprintFunction;
  public readonly openAiFunction?: BlueprintFunction;
  public readonly streamingMethods: apigateway.Method[] = [];
  /** Every method this construct adds to the API. */
  public get methods(): apigateway.Method[] {
    return [this.method, ...this.streamingMethods];
  }
  /** The prompt function, then the streamed routes' functions (ground 4). */
  public get routeFunctions(): BlueprintFunction[] {
    return [this.promptFunction, ...(this.chatStreamFunction ? [this.chatStreamFunction] : []), ...(this.openAiFunction ? [this.openAiFunction] : [])];
  }

  constructor(scope: Construct, id: string, props: ModelCallProps) {
    super(scope, id);
    const maxTokens = props.maxTokens ?? 1024;
    const temperature = props.temperature ?? 0.5;
    const maxQueryChars = props.maxQueryChars ?? 8000;
    const maxAttempts = props.maxAttempts ?? 3;
    const attemptTimeout = props.attemptTimeout ?? Duration.seconds(20);
    const timeout = props.timeout ?? Duration.seconds(29);

    checkRange('maxTokens', maxTokens, 1, 64_000);
    checkRange('temperature', temperature, 0, 1);
    checkRange('maxQueryChars', maxQueryChars, 1, 100_000);
    checkRange('maxAttempts', maxAttempts, 1, 10);
    checkRange('timeout', timeout.toSeconds(), 1, 29);
    const defaultTopK = props.retrieval?.defaultTopK ?? 5;
    const maxTopK = props.retrieval?.maxTopK ?? 10;
    const minScore = props.retrieval?.minScore ?? 0;
    checkRange('retrieval.maxTopK', maxTopK, 1, 100);
    checkRange('retrieval.defaultTopK', defaultTopK, 1, maxTopK);
    checkRange('retrieval.minScore', minScore, 0, 1);
    if (attemptTimeout.toMilliseconds() >= timeout.toMilliseconds()) {
      throw new Error(`attemptTimeout must be below timeout (${timeout.toSeconds()} s), got ${attemptTimeout.toSeconds()} s`);
    }

    const models = [props.model, ...(props.routing?.models ?? []).filter((m) => m.alias !== props.model.alias)];
    const policy: RoutingPolicy = {
      targets: models.map((m) => ({ alias: m.alias, modelId: m.invocationId, price: priceOf(m) })),
      defaultAlias: props.model.alias,
      byTier: props.routing?.byTier,
      longPrompt: props.routing?.longPrompt,
      fallbacks: props.routing?.fallbacks ?? {},
    };
    const known = new Set(models.map((m) => m.alias));
    const named = [...Object.values(policy.byTier ?? {}), ...(policy.longPrompt ? [policy.longPrompt.alias] : []), ...Object.entries(policy.fallbacks).flat(2)];
    const unknown = named.filter((a): a is string => typeof a === 'string' && !known.has(a));
    if (unknown.length) throw new Error(`routing names models that are not routed to: ${[...new Set(unknown)].join(', ')}; routed: ${[...known].join(', ')}`);

    const tenantsEnv: Pick<PromptEnvironment, 'TENANTS'> = props.routing?.tenants?.length ? { TENANTS: tenantDirectoryJson(this, props.routing.tenants) } : {};
    const modelCallEnv: ModelCallEnvironment = {
      MAX_TOKENS: String(maxTokens),
      TEMPERATURE: String(temperature),
      MAX_QUERY_CHARS: String(maxQueryChars),
      BEDROCK_MAX_ATTEMPTS: String(maxAttempts),
      BEDROCK_ATTEMPT_TIMEOUT_MS: String(attemptTimeout.toMilliseconds()),
      ...(props.guardrail ? { GUARDRAIL_ID: props.guardrail.guardrailId, GUARDRAIL_VERSION: props.guardrail.guardrailVersion } : {}),
    };
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.promptFunction = new BlueprintFunction(this, 'PromptFunction', {
      handlerDir: 'prompt',
      // Only cached grounds ship the cache client (it would add ~150 KB to every other bundle).
      entryFile: props.cache ? 'handler-cached.ts' : 'handler.ts',
      description: 'genai-blueprint: answers POST /prompt through Bedrock Converse',
      memorySize: props.memorySize ?? 1024,
      timeout,
      logRetention,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      invokedBy: 'api-gateway',
      vpc: props.cache?.vpc,
      vpcSubnets: props.cache?.vpcSubnets,
      environment: functionEnvironment(promptEnvSchema, {
        ROUTING_POLICY: JSON.stringify(policy),
        ...tenantsEnv,
        ...modelCallEnv,
        ...props.prompt?.environment,
        ...(props.retrieval
          ? {
              KNOWLEDGE_BASE_ID: props.retrieval.knowledgeBase.knowledgeBaseId,
              DEFAULT_TOP_K: String(defaultTopK),
              MAX_TOP_K: String(maxTopK),
              MIN_SCORE: String(minScore),
            }
          : {}),
        ...(props.cache
          ? {
              CACHE_TTL_SECONDS: String((props.cache.ttl ?? Duration.hours(1)).toSeconds()),
              CACHE_TIMEOUT_MS: String((props.cache.timeout ?? Duration.millis(50)).toMilliseconds()),
              ...(props.cache.semantic
                ? {
                    CACHE_SEMANTIC_THRESHOLD: String(props.cache.semantic.threshold),
                    CACHE_EMBEDDING_MODEL_ID: props.cache.semantic.embeddingModel.invocationId,
                    CACHE_EMBEDDING_DIMENSIONS: String(props.cache.semantic.dimensions),
                  }
                : {}),
            }
          : {}),
      }),
    });
    if (props.cache) {
      props.cache.responseCache.grantConnect(this.promptFunction);
      props.cache.semantic?.embeddingModel.grantInvoke(this, this.promptFunction);
    }
    props.prompt?.grantRead(this.promptFunction);
    props.sessions?.grantReadWrite(this.promptFunction);
    props.feedback?.grantRecordAnswers(this.promptFunction);
    props.retrieval?.knowledgeBase.grantRetrieve(this.promptFunction);
    props.guardrail?.grantApply(this.promptFunction);
    const grantModels = (fn: BlueprintFunction, streaming: boolean) => {
      for (const model of models) {
        model.grantInvoke(this, fn, streaming ? 'streamed' : 'buffered');
        const finding = model.nagRegionWildcardFinding();
        if (finding) {
          Validations.of(fn.role!).acknowledge({
            id: finding,
            reason:
              'A cross-region inference profile may route to any Region of its geography; ' +
              'the statement only applies to calls made through the one configured profile (bedrock:InferenceProfileArn condition)',
          });
        }
      }
    };
    grantModels(this.promptFunction, false);

    if (props.streaming) {
      const streamTimeout = props.streaming.timeout ?? Duration.minutes(5);
      const windowChars = props.streaming.guardrailWindowChars ?? 1_000;
      checkRange('streaming.timeout', streamTimeout.toSeconds(), 30, 900);
      checkRange('streaming.guardrailWindowChars', windowChars, 100, 10_000);
      const streamEnv = { ...tenantsEnv, ...modelCallEnv, GUARDRAIL_WINDOW_CHARS: String(windowChars) };
      const streamed = (id: string, handlerDir: string, description: string, environment: Record<string, string>) => {
        const fn = new BlueprintFunction(this, id, {
          handlerDir,
          description,
          memorySize: props.memorySize ?? 1024,
          timeout: streamTimeout,
          logRetention,
          reservedConcurrentExecutions: props.reservedConcurrentExecutions,
          invokedBy: 'api-gateway',
          environment,
        });
        grantModels(fn, true);
        props.guardrail?.grantApply(fn);
        return fn;
      };
      const chatStream = streamed(
        'ChatStreamFunction',
        'chat-stream',
        'genai-blueprint: streams POST /chat/stream (Server-Sent Events) from Bedrock ConverseStream',
        functionEnvironment(chatStreamEnvSchema, {
          MODEL_ID: props.model.invocationId,
          MODEL_ALIAS: props.model.alias,
          [MODEL_PRICE_ENV]: JSON.stringify(priceOf(props.model)),
          ...streamEnv,
        }),
      );
      const openAi = streamed(
        'OpenAiFunction',
        'openai',
        'genai-blueprint: OpenAI-compatible POST /v1/chat/completions over Bedrock ConverseStream',
        functionEnvironment(openAiEnvSchema, { ROUTING_POLICY: JSON.stringify(policy), ...streamEnv }),
      );
      this.chatStreamFunction = chatStream;
      this.openAiFunction = openAi;
      const string = (maxLength: number) => ({ type: apigateway.JsonSchemaType.STRING, minLength: 1, maxLength });
      this.streamingMethods.push(
        props.api.addJsonRoute('chat/stream', chatStream, {
          modelName: 'ChatStreamRequest',
          responseStreaming: true,
          timeout: streamTimeout,
          bodySchema: {
            schema: apigateway.JsonSchemaVersion.DRAFT4,
            type: apigateway.JsonSchemaType.OBJECT,
            required: ['messages'],
            additionalProperties: false,
            properties: {
              messages: {
                type: apigateway.JsonSchemaType.ARRAY,
                minItems: 1,
                maxItems: MAX_CHAT_MESSAGES,
                items: {
                  type: apigateway.JsonSchemaType.OBJECT,
                  required: ['role', 'content'],
                  additionalProperties: false,
                  properties: { role: { type: apigateway.JsonSchemaType.STRING, enum: ['user', 'assistant'] }, content: string(maxQueryChars) },
                },
              },
              maxTokens: { type: apigateway.JsonSchemaType.INTEGER, minimum: 1, maximum: maxTokens },
              temperature: { type: apigateway.JsonSchemaType.NUMBER, minimum: 0, maximum: 1 },
            },
          },
        }),
        // OpenAI clients send fields this gateway ignores or refuses by name (the function says
        // which); API Gateway only checks the shape every client sends.
        props.api.addJsonRoute('v1/chat/completions', openAi, {
          modelName: 'ChatCompletionRequest',
          responseStreaming: true,
          timeout: streamTimeout,
          bodySchema: {
            schema: apigateway.JsonSchemaVersion.DRAFT4,
            type: apigateway.JsonSchemaType.OBJECT,
            required: ['messages'],
            properties: { messages: { type: apigateway.JsonSchemaType.ARRAY, minItems: 1, maxItems: MAX_CHAT_MESSAGES } },
          },
        }),
      );
    }

    this.method = props.api.addJsonRoute('prompt', this.promptFunction, {
      modelName: 'PromptRequest',
      bodySchema: {
        schema: apigateway.JsonSchemaVersion.DRAFT4,
        type: apigateway.JsonSchemaType.OBJECT,
        required: ['query'],
        additionalProperties: false,
        properties: {
          query: { type: apigateway.JsonSchemaType.STRING, minLength: 1, maxLength: maxQueryChars },
          maxTokens: { type: apigateway.JsonSchemaType.INTEGER, minimum: 1, maximum: maxTokens },
          temperature: { type: apigateway.JsonSchemaType.NUMBER, minimum: 0, maximum: 1 },
          ...(models.length > 1 ? { model: { type: apigateway.JsonSchemaType.STRING, maxLength: 64 } } : {}),
          ...(props.sessions ? { sessionId: { type: apigateway.JsonSchemaType.STRING, pattern: SESSION_ID_PATTERN.source } } : {}),
          ...(props.prompt
            ? {
                variables: {
                  type: apigateway.JsonSchemaType.OBJECT,
                  maxProperties: 10,
                  additionalProperties: { type: apigateway.JsonSchemaType.STRING, maxLength: 1000 },
                },
              }
            : {}),
          ...(props.retrieval
            ? {
                topK: { type: apigateway.JsonSchemaType.INTEGER, minimum: 1, maximum: maxTopK },
                filter: {
                  type: apigateway.JsonSchemaType.OBJECT,
                  minProperties: 1,
                  maxProperties: 5,
                  additionalProperties: { type: [apigateway.JsonSchemaType.STRING, apigateway.JsonSchemaType.NUMBER, apigateway.JsonSchemaType.BOOLEAN] },
                },
              }
            : {}),
        },
      },
    });
  }
}

function priceOf(model: BedrockModel): { inputPerMTok: number; outputPerMTok: number } {
  if (model.model.kind !== 'text') throw new Error(`${model.alias} is not a text model and cannot answer prompts`);
  return { inputPerMTok: model.model.price.inputPerMTok, outputPerMTok: model.model.price.outputPerMTok };
}
