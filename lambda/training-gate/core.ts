/**
 * The quality gate of the training pipeline: a freshly trained model is promoted only when its
 * validation metric reaches the configured threshold and beats the model in service.
 */

/** One entry of DescribeTrainingJob's FinalMetricDataList (the .sync training task's output). */
export interface FinalMetric {
  readonly MetricName?: string;
  readonly Value?: number;
}

/** What is serving now: whether the endpoint exists, its status, and the metric its model was promoted with. */
export interface ServingModel {
  readonly endpointExists: boolean;
  /** SageMaker's EndpointStatus (`InService`, `Failed`, ...); unset when there is no endpoint. */
  readonly status?: string;
  /** Unset when nothing serves, or the serving config carries no metric tag (then any passing model beats it). */
  readonly metric?: number;
}

export interface ServingPort {
  current(): Promise<ServingModel>;
}

export interface GateSettings {
  /** e.g. `validation:auc`. */
  readonly metricName: string;
  readonly threshold: number;
}

export interface GateDecision {
  readonly promote: boolean;
  readonly endpointExists: boolean;
  /**
   * The endpoint's status, `None` when there is none: always set, for the state machine's choice.
   * A `Failed` endpoint serves nothing: its metric is no bar, and the pipeline deletes and recreates it.
   */
  readonly endpointStatus: string;
  /** The new model's metric, formatted for the endpoint config's tag (empty when missing). */
  readonly metric: string;
  readonly reason: string;
}

/** The endpoint status SageMaker reports for an endpoint that cannot serve. */
export const FAILED = 'Failed';
/** `endpointStatus` when there is no endpoint. */
export const NO_ENDPOINT = 'None';

/** Digits kept in the tag: enough to order AUCs, stable to compare. */
const DIGITS = 6;

export function decide(metrics: readonly FinalMetric[] | undefined, settings: GateSettings, serving: ServingModel): GateDecision {
  const found = (metrics ?? []).find((m) => m.MetricName === settings.metricName);
  const value = typeof found?.Value === 'number' && Number.isFinite(found.Value) ? Number(found.Value.toFixed(DIGITS)) : undefined;
  const base = {
    endpointExists: serving.endpointExists,
    endpointStatus: serving.status ?? NO_ENDPOINT,
    metric: value === undefined ? '' : value.toFixed(DIGITS),
  };
  const failed = serving.status === FAILED;
  if (value === undefined) return { ...base, promote: false, reason: `the training job reported no ${settings.metricName}` };
  if (value < settings.threshold) {
    return { ...base, promote: false, reason: `${settings.metricName} ${base.metric} is below the threshold ${settings.threshold}` };
  }
  if (!failed && serving.metric !== undefined && value <= serving.metric) {
    return { ...base, promote: false, reason: `${settings.metricName} ${base.metric} does not beat the model in service (${serving.metric.toFixed(DIGITS)})` };
  }
  const clears = `${settings.metricName} ${base.metric} clears the threshold ${settings.threshold}`;
  if (failed) return { ...base, promote: true, reason: `${clears} and replaces the failed endpoint, which serves nothing` };
  const over =
    serving.metric === undefined
      ? serving.endpointExists
        ? 'a serving model without a recorded metric'
        : 'no model in service'
      : `the model in service (${serving.metric.toFixed(DIGITS)})`;
  return { ...base, promote: true, reason: `${clears} and beats ${over}` };
}

export async function gate(metrics: readonly FinalMetric[] | undefined, settings: GateSettings, deps: { serving: ServingPort }): Promise<GateDecision> {
  return decide(metrics, settings, await deps.serving.current());
}

/** Tag on each endpoint config the pipeline creates: the metric its model was promoted with. */
export const METRIC_TAG = 'genai-blueprint:promoted-metric';

/** Reads the metric tag's value; anything that is not a number counts as no metric. */
export function metricFromTags(tags: readonly { Key?: string; Value?: string }[] | undefined): number | undefined {
  const value = tags?.find((t) => t.Key === METRIC_TAG)?.Value;
  const n = value !== undefined && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}
