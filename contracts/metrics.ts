/**
 * The functions' own CloudWatch metrics (Powertools EMF): the names and dimensions the functions
 * (lambda/) publish and the constructs (lib/constructs: alarms, dashboards, `metricXxx`) read.
 * The usage record (cost and tokens) is in contracts/usage.ts. Dependency-free.
 */

/** Namespace of every function's metrics: BlueprintFunction writes it into POWERTOOLS_METRICS_NAMESPACE. */
export const METRICS_NAMESPACE = 'GenAiBlueprint';

/**
 * Powertools' default dimension on every metric but the usage record: the function's handler
 * folder (POWERTOOLS_SERVICE_NAME), e.g. `prompt`, `feedback`, `ingest`.
 */
export const SERVICE_DIMENSION = 'service';

/**
 * What the prompt function publishes per answer, under {service, Model, Tenant}
 * (contracts/usage.ts USAGE_DIMENSIONS). Cache hits and misses are the function's own count of
 * answers; ElastiCache's `CacheHits` in `AWS/ElastiCache` counts key reads.
 */
export const PROMPT_METRICS = {
  modelLatency: 'ModelLatency',
  modelFallbacks: 'ModelFallbacks',
  passagesUsed: 'PassagesUsed',
  cacheHits: 'CacheHits',
  cacheMisses: 'CacheMisses',
} as const;

/**
 * Guardrail interventions the model routes count. An input blocked ends the request before a
 * model is chosen: `input` has the service dimension only; `output` has Model and Tenant too.
 * The agent route counts a blocked turn as `agent`.
 */
export const GUARDRAIL_METRICS = {
  input: 'GuardrailInputInterventions',
  output: 'GuardrailOutputInterventions',
  agent: 'GuardrailInterventions',
} as const;

/**
 * Dependency faults the prompt function counts, published at once under the service dimension
 * only (a failed request may have no Model or Tenant), so one alarm sees every one.
 */
export const FAULT_METRICS = {
  /** The cache failed open: the request went on to the model. */
  cache: 'CacheErrors',
  /** History unreadable or the turn not stored: the request was answered 503. */
  sessionStore: 'SessionStoreErrors',
  /** The answer was served but not recorded: rating it will fail. */
  feedbackRecord: 'FeedbackRecordErrors',
} as const;
export type FaultMetric = (typeof FAULT_METRICS)[keyof typeof FAULT_METRICS];

/**
 * Ratings the feedback function counts: a rating given or changed counts once as `up` or `down`,
 * a changed one also as `changed`. Published under {service, Model, PromptVersion} and {service}.
 */
export const FEEDBACK_METRICS = { up: 'FeedbackUp', down: 'FeedbackDown', changed: 'FeedbackChanged' } as const;
export type FeedbackMetric = (typeof FEEDBACK_METRICS)[keyof typeof FEEDBACK_METRICS];
export const FEEDBACK_DIMENSIONS = { model: 'Model', promptVersion: 'PromptVersion' } as const;
/** The PromptVersion of an answer rendered without a managed prompt (below ground 1). */
export const NO_PROMPT_VERSION = 'none';

/** What the ingest function counts per knowledge base (default dimensions {service, KnowledgeBaseId}). */
export const INGESTION_METRICS = {
  jobsStarted: 'IngestionJobsStarted',
  documentsIndexed: 'DocumentsIndexed',
  /** Jobs that failed or completed with failed documents: the knowledge base block alarms on it. */
  jobsFailed: 'IngestionJobsFailed',
  documentsFailed: 'DocumentsFailed',
} as const;
export const INGESTION_DIMENSIONS = { knowledgeBase: 'KnowledgeBaseId' } as const;
