/**
 * The usage record: what every function that calls a model publishes once per model answer, and
 * what the budget alarms (lib/constructs/observability) read. Dependency-free: lib/ and lambda/
 * both import it, neither imports the other.
 *
 * One shape for every route (prompt, chat-stream, openai): the record carries no `service`
 * dimension, so one CloudWatch metric per model and tenant sums the spend of all routes, and an
 * alarm's math expression (at most 10 metrics) stays within one metric per model.
 */

/** Metric names of the usage record, in the functions' namespace (POWERTOOLS_METRICS_NAMESPACE). */
export const USAGE_METRICS = {
  /** USD, from the catalog's token prices; CloudWatch has no currency unit. */
  cost: 'CostUsd',
  inputTokens: 'InputTokens',
  outputTokens: 'OutputTokens',
} as const;

/** CloudWatch units (EMF `Unit`) of each usage metric, by metric name. */
export const USAGE_UNITS: Readonly<Record<(typeof USAGE_METRICS)[keyof typeof USAGE_METRICS], 'None' | 'Count'>> = {
  CostUsd: 'None',
  InputTokens: 'Count',
  OutputTokens: 'Count',
};

export const USAGE_DIMENSIONS = {
  /** The catalog alias of the model that answered (after any fallback). */
  model: 'Model',
  /** The caller's tenant, or NO_TENANT. */
  tenant: 'Tenant',
} as const;

/**
 * The dimension sets each record is published under: per model and tenant (a tenant's budget
 * alarm sums its models), and per model alone (the total budget alarm sums the models).
 */
export const USAGE_DIMENSION_SETS = [[USAGE_DIMENSIONS.model, USAGE_DIMENSIONS.tenant], [USAGE_DIMENSIONS.model]] as const;

/** The `Tenant` value of a request without a tenant (grounds without tenants, unknown API key). */
export const NO_TENANT = 'none';
