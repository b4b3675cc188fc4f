import { Metrics, type MetricUnit } from '@aws-lambda-powertools/metrics';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];
import { NO_TENANT, USAGE_DIMENSION_SETS, USAGE_DIMENSIONS, USAGE_METRICS, USAGE_UNITS } from '../../contracts/usage';
import type { TokenUsage } from './model';

/** One model answer's spend, as every route that calls a model reports it. */
export interface Usage {
  /** Catalog alias of the model that answered. */
  readonly model: string;
  readonly tenant?: string;
  readonly usage: TokenUsage;
  readonly costUsd: number;
}

/**
 * The usage record's own Metrics instance: the route's `metrics` carries the `service` default
 * dimension, which would split one model's spend into one metric per function; this one has
 * none, so the budget alarms read one metric per model (and tenant) for every route.
 */
export const usageMetrics = new Metrics();
usageMetrics.clearDefaultDimensions();

/**
 * Publishes one usage record at once (contracts/usage.ts: names, units, dimension sets): one EMF
 * line per dimension set (Powertools warns when two sets of one line share a key).
 */
export function recordUsage(record: Usage): void {
  const values: Record<string, string> = { [USAGE_DIMENSIONS.model]: record.model, [USAGE_DIMENSIONS.tenant]: record.tenant ?? NO_TENANT };
  const add = (name: keyof typeof USAGE_UNITS, value: number) => usageMetrics.addMetric(name, USAGE_UNITS[name] as Unit, value);
  for (const set of USAGE_DIMENSION_SETS) {
    usageMetrics.addDimensions(Object.fromEntries(set.map((name) => [name, values[name]])));
    add(USAGE_METRICS.cost, record.costUsd);
    add(USAGE_METRICS.inputTokens, record.usage.inputTokens);
    add(USAGE_METRICS.outputTokens, record.usage.outputTokens);
    usageMetrics.publishStoredMetrics();
  }
}
