/**
 * The environment of every function: the variables the constructs (lib/constructs) write and the
 * handlers (lambda/<function>/handler.ts) read at cold start with `readEnv` (lambda/shared/env.ts).
 * One schema per function; `Environment<typeof schema>` is what the stack must write (strings, the
 * optional variables optional), and `functionEnvironment` makes a construct's misspelled or missing
 * name a type error. test/contracts/env.test.ts parses the synthesized templates with these
 * schemas. Dependency-free but for zod/mini.
 */
import * as z from 'zod/mini';
import { datasetSpecSchema } from './dataset';
import { MODEL_PRICE_ENV } from './model-call';
import { routingPolicySchema } from './routing';
import { tenantDirectorySchema } from './tenants';

// --- Variable types ----------------------------------------------------------------------------

export const intFromEnv = () =>
  z
    .pipe(
      z.string(),
      z.transform((s) => Number(s)),
    )
    .check(z.refine(Number.isInteger));
export const numberFromEnv = () =>
  z
    .pipe(
      z.string(),
      z.transform((s) => Number(s)),
    )
    .check(z.refine(Number.isFinite));
const nonEmpty = () => z.string().check(z.minLength(1));

/** A JSON value in a variable, checked by `schema`; unparsable JSON is reported like any other bad value. */
export const jsonFromEnv = <T extends z.ZodMiniType>(schema: T) =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((s) => {
        try {
          return JSON.parse(s) as unknown;
        } catch {
          return undefined; // reported by the schema under the variable's name
        }
      }),
    ),
    schema,
  );

/** A model's catalog price, JSON {inputPerMTok, outputPerMTok} in USD per million tokens (the usage record's CostUsd). */
export const priceFromEnv = () => jsonFromEnv(z.object({ inputPerMTok: z.number().check(z.nonnegative()), outputPerMTok: z.number().check(z.nonnegative()) }));

// --- What the stack writes ---------------------------------------------------------------------

/** The variables of a function whose contract is `S`, as the stack writes them. */
export type Environment<S extends z.ZodMiniObject> = z.input<S>;

/** The names of `V` (each member of a union) that `E` does not have. */
type UnknownNames<V, E> = V extends unknown ? Exclude<keyof V, keyof E> : never;

/**
 * The environment of a function whose contract is `schema`. A name the contract lacks (in any
 * branch of a conditional spread) or a required name missing is a type error; a name the types
 * cannot see (spread from an untyped record) fails synth here.
 */
export function functionEnvironment<S extends z.ZodMiniObject, V extends Environment<S>>(
  schema: S,
  values: V & Record<UnknownNames<V, Environment<S>>, never>,
): Record<string, string> {
  const entries = Object.entries(values as Record<string, string | undefined>).filter((e): e is [string, string] => e[1] !== undefined);
  const unknown = entries.map(([name]) => name).filter((name) => !(name in schema.shape));
  if (unknown.length) throw new Error(`environment names ${unknown.join(', ')}, which the function does not read (contracts/env.ts)`);
  return Object.fromEntries(entries);
}

// --- Shared groups -----------------------------------------------------------------------------

/** What every function built by BlueprintFunction gets; Powertools reads them (not `readEnv`). */
export const powertoolsEnvSchema = z.object({
  /** The function's handler folder: the `service` dimension of its metrics. */
  POWERTOOLS_SERVICE_NAME: nonEmpty(),
  /** contracts/metrics.ts METRICS_NAMESPACE. */
  POWERTOOLS_METRICS_NAMESPACE: nonEmpty(),
});
export type PowertoolsEnvironment = Environment<typeof powertoolsEnvSchema>;

/** Settings every function that calls a model reads (the stack writes them from the configuration). */
const modelCallShape = {
  MAX_TOKENS: intFromEnv(),
  TEMPERATURE: numberFromEnv(),
  MAX_QUERY_CHARS: intFromEnv(),
  BEDROCK_MAX_ATTEMPTS: intFromEnv(),
  BEDROCK_ATTEMPT_TIMEOUT_MS: intFromEnv(),
  // Ground 3.
  GUARDRAIL_ID: z.optional(nonEmpty()),
  GUARDRAIL_VERSION: z.optional(nonEmpty()),
};
export const modelCallEnvSchema = z.object(modelCallShape);
export type ModelCallEnvironment = Environment<typeof modelCallEnvSchema>;

/** Ground 4: JSON TenantDirectory (contracts/tenants.ts), read by lambda/shared/identity.ts; unset, there are no tenants. */
const tenantsShape = { TENANTS: z.optional(z.string()) };

/** What SessionStore.grantReadWrite / grantRead write into a function's environment, from the configuration. */
export const sessionStoreEnvSchema = z.object({
  SESSIONS_TABLE: nonEmpty(),
  SESSION_HISTORY_TURNS: intFromEnv(),
  SESSION_HISTORY_CHARS: intFromEnv(),
  SESSION_TTL_DAYS: intFromEnv(),
  SESSION_MAX_TURNS_RETURNED: intFromEnv(),
});
export type SessionStoreEnvironment = Environment<typeof sessionStoreEnvSchema>;

/** What Feedback writes into its own function and, with grantRecordAnswers, into the prompt function. */
export const feedbackStoreEnvSchema = z.object({
  FEEDBACK_TABLE: nonEmpty(),
  FEEDBACK_WINDOW_DAYS: intFromEnv(),
  FEEDBACK_RETENTION_DAYS: intFromEnv(),
});
export type FeedbackStoreEnvironment = Environment<typeof feedbackStoreEnvSchema>;

/** Socket timeout of one DynamoDB attempt (tests set it; the stack leaves the default). @default 1000 */
const dynamoShape = { DYNAMODB_ATTEMPT_TIMEOUT_MS: z.optional(intFromEnv()) };

/** What ResponseCache.grantConnect writes (ground 5). */
export const cacheConnectionEnvSchema = z.object({
  CACHE_ENDPOINT: nonEmpty(),
  CACHE_PORT: intFromEnv(),
  CACHE_NAME: z.string(),
  CACHE_USER_ID: z.string(),
});
export type CacheConnectionEnvironment = Environment<typeof cacheConnectionEnvSchema>;

// --- One schema per function -------------------------------------------------------------------

/** lambda/prompt (handler.ts, grounds 0-4): `POST /prompt`. */
export const promptEnvSchema = z.object({
  /** JSON RoutingPolicy: targets (alias, model id, prices), default, tiers, fallbacks. */
  ROUTING_POLICY: jsonFromEnv(routingPolicySchema),
  /** Ground 4: {apiKeyId: {tenant, tier, modelIds?}} (modelIds: the tenant's application inference profiles by alias). */
  ...tenantsShape,
  ...modelCallShape,
  // Ground 1.
  PROMPT_ID: z.optional(nonEmpty()),
  PROMPT_VERSION: z.optional(nonEmpty()),
  // Ground 2.
  KNOWLEDGE_BASE_ID: z.optional(nonEmpty()),
  DEFAULT_TOP_K: z.optional(intFromEnv()),
  MAX_TOP_K: z.optional(intFromEnv()),
  MIN_SCORE: z.optional(numberFromEnv()),
  // Ground 5 (the connection comes from ResponseCache.grantConnect; local servers may have no
  // port, name or user).
  ...z.partial(cacheConnectionEnvSchema).shape,
  CACHE_TTL_SECONDS: z.optional(intFromEnv()),
  CACHE_TIMEOUT_MS: z.optional(intFromEnv()),
  /** Set: the semantic cache is on, with this cosine threshold. */
  CACHE_SEMANTIC_THRESHOLD: z.optional(numberFromEnv()),
  CACHE_EMBEDDING_MODEL_ID: z.optional(z.string()),
  CACHE_EMBEDDING_DIMENSIONS: z.optional(intFromEnv()),
  /** Local servers only: ElastiCache Serverless always speaks TLS and the cluster protocol. */
  CACHE_TLS: z.optional(z.enum(['true', 'false'])),
  CACHE_CLUSTER: z.optional(z.enum(['true', 'false'])),
  // Ground 7 (SessionStore.grantReadWrite and Feedback.grantRecordAnswers write these; each
  // store's settings are required once its table is set: lambda/shared/sessions-env.ts).
  ...z.partial(sessionStoreEnvSchema).shape,
  ...z.partial(feedbackStoreEnvSchema).shape,
  ...dynamoShape,
});
export type PromptEnvironment = Environment<typeof promptEnvSchema>;

/** lambda/prompt/handler-cached.ts (ground 5+): the prompt function with its cache, whose endpoint it needs. */
export const promptCachedEnvSchema = z.extend(promptEnvSchema, { CACHE_ENDPOINT: nonEmpty() });
export type PromptCachedEnvironment = Environment<typeof promptCachedEnvSchema>;

/** Output text checked by the guardrail at once while streaming. @default 1000 */
const streamShape = { GUARDRAIL_WINDOW_CHARS: z.optional(intFromEnv()) };

/** lambda/chat-stream: `POST /chat/stream`. */
export const chatStreamEnvSchema = z.object({
  MODEL_ID: nonEmpty(),
  /** Catalog alias of MODEL_ID: a tenant's application inference profile for it replaces it (ground 4). */
  MODEL_ALIAS: z.optional(z.string()),
  /** USD per million tokens of MODEL_ID: JSON {inputPerMTok, outputPerMTok} (the usage record's CostUsd). */
  [MODEL_PRICE_ENV]: priceFromEnv(),
  ...tenantsShape,
  ...modelCallShape,
  ...streamShape,
});
export type ChatStreamEnvironment = Environment<typeof chatStreamEnvSchema>;

/** lambda/openai: `POST /v1/chat/completions`. */
export const openAiEnvSchema = z.object({
  /** JSON RoutingPolicy: the catalog aliases a client may name, and the default. */
  ROUTING_POLICY: jsonFromEnv(routingPolicySchema),
  /** Ground 4: the tenant directory, parsed here (the other functions parse it in lambda/shared/identity.ts). */
  TENANTS: z.optional(jsonFromEnv(tenantDirectorySchema)),
  ...modelCallShape,
  ...streamShape,
});
export type OpenAiEnvironment = Environment<typeof openAiEnvSchema>;

/** lambda/agent: `POST /agent`. */
export const agentEnvSchema = z.object({
  AGENT_ID: nonEmpty(),
  AGENT_ALIAS_ID: nonEmpty(),
  MAX_INPUT_CHARS: intFromEnv(),
  /** The agent's knowledge base: its searches are scoped to the caller's tenant (contracts/tenant-documents.ts). Unset: none. */
  KNOWLEDGE_BASE_ID: z.optional(nonEmpty()),
  /** Ground 4+: unset, every caller belongs to the tenant `default`. */
  ...tenantsShape,
  BEDROCK_MAX_ATTEMPTS: intFromEnv(),
  BEDROCK_ATTEMPT_TIMEOUT_MS: intFromEnv(),
  /** Catalog alias of the agent's model: the usage record's `Model`, as the other model routes report it. */
  MODEL_ALIAS: z.optional(nonEmpty()),
  /** USD per million tokens of that model, as for chat-stream. */
  [MODEL_PRICE_ENV]: z.optional(priceFromEnv()),
});
export type AgentEnvironment = Environment<typeof agentEnvSchema>;

/** lambda/agent-actions: the agent's action groups. */
export const agentActionsEnvSchema = z.object({ TABLE_NAME: nonEmpty() });
export type AgentActionsEnvironment = Environment<typeof agentActionsEnvSchema>;

/** lambda/sessions: `GET /sessions/{id}`; the table and window come from SessionStore.grantRead. */
export const sessionsEnvSchema = z.object({
  /** The same tenant directory as the prompt function, so callers resolve to the same owner. */
  ...tenantsShape,
  ...sessionStoreEnvSchema.shape,
  ...dynamoShape,
});
export type SessionsEnvironment = Environment<typeof sessionsEnvSchema>;

/** lambda/feedback: `POST /feedback`. */
export const feedbackEnvSchema = z.object({
  /** The same tenant directory as the prompt function, so callers resolve to the same owner. */
  ...tenantsShape,
  ...feedbackStoreEnvSchema.shape,
  ...dynamoShape,
  FEEDBACK_MAX_COMMENT_CHARS: intFromEnv(),
});
export type FeedbackEnvironment = Environment<typeof feedbackEnvSchema>;

/** lambda/predict: `POST /predict`. */
export const predictEnvSchema = z.object({
  /** The endpoint the training pipeline creates or updates (stable name). */
  ENDPOINT_NAME: nonEmpty(),
  /** JSON DatasetSpec: the features a request must carry and the label names. */
  DATASET: jsonFromEnv(datasetSpecSchema),
  SAGEMAKER_MAX_ATTEMPTS: intFromEnv(),
  SAGEMAKER_ATTEMPT_TIMEOUT_MS: intFromEnv(),
});
export type PredictEnvironment = Environment<typeof predictEnvSchema>;

/** lambda/ingest: knowledge base ingestion from the upload queue. */
export const ingestEnvSchema = z.object({
  KNOWLEDGE_BASE_ID: nonEmpty(),
  DATA_SOURCE_ID: nonEmpty(),
  /** The documents bucket, where ingestion writes each document's metadata sidecar (contracts/tenant-documents.ts). */
  DOCUMENTS_BUCKET: nonEmpty(),
  /** Its regional domain name (`<bucket>.s3.<region>.<partition suffix>`), the host of those requests. */
  DOCUMENTS_BUCKET_DOMAIN: nonEmpty(),
  QUEUE_URL: z.url(),
  CHECK_DELAY_SECONDS: intFromEnv(),
  MAX_CHECKS: intFromEnv(),
  BEDROCK_MAX_ATTEMPTS: intFromEnv(),
  BEDROCK_ATTEMPT_TIMEOUT_MS: intFromEnv(),
});
export type IngestEnvironment = Environment<typeof ingestEnvSchema>;

/** lambda/training-gate: the training pipeline's quality gate. */
export const trainingGateEnvSchema = z.object({
  ENDPOINT_NAME: nonEmpty(),
  /** The training job's metric the gate judges, e.g. `validation:auc`. */
  METRIC_NAME: nonEmpty(),
  THRESHOLD: numberFromEnv(),
});
export type TrainingGateEnvironment = Environment<typeof trainingGateEnvSchema>;

/** lambda/invocation-logging: a custom resource; its settings come as resource properties, none from the environment. */
export const invocationLoggingEnvSchema = z.object({});
export type InvocationLoggingEnvironment = Environment<typeof invocationLoggingEnvSchema>;

/** lambda/endpoint-teardown: a custom resource; the endpoint name comes as a resource property, none from the environment. */
export const endpointTeardownEnvSchema = z.object({});
export type EndpointTeardownEnvironment = Environment<typeof endpointTeardownEnvSchema>;

/**
 * lambda/tenant-claim: the user pool's pre token generation trigger (ground 7 with identity providers),
 * which turns a federated user's tenant claim into exactly one tenant group.
 */
export const tenantClaimEnvSchema = z.object({
  /** JSON array of the configured tenant names. */
  TENANT_NAMES: jsonFromEnv(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
  /** JSON object: IdP claim value → tenant name (auth.tenantValues). Empty: each value must name a tenant. */
  TENANT_VALUES: jsonFromEnv(z.record(z.string(), z.string())),
});
export type TenantClaimEnvironment = Environment<typeof tenantClaimEnvSchema>;
