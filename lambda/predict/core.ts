import * as z from 'zod/mini';
import { HttpError } from '../shared/http';
import { integerOnly } from '../shared/validation';
import type { DatasetSpec, FeatureSpec, FeatureValues } from '../../contracts/dataset';

export type { DatasetSpec, FeatureValues };

/** The SageMaker endpoint, as /predict uses it: one CSV row in, the model's text answer out. */
export interface EndpointPort {
  invoke(csvRow: string, signal: AbortSignal): Promise<string>;
}

export interface Prediction {
  /** Probability of the positive label, from the model in service. */
  readonly probability: number;
  /** `positiveLabel` when probability >= 0.5, else `negativeLabel`. */
  readonly label: string;
  readonly latencyMs: number;
}

/** Sent when the endpoint does not exist: the pipeline has not promoted a model yet. */
export const NO_MODEL_MESSAGE = 'No model has been deployed yet; run the training pipeline (see README)';

function featureSchema(feature: FeatureSpec) {
  switch (feature.type) {
    case 'integer':
      return z.int({ error: integerOnly }).check(z.minimum(feature.min), z.maximum(feature.max));
    case 'number':
      return z.number().check(z.minimum(feature.min), z.maximum(feature.max));
    case 'boolean':
      return z.boolean();
    case 'choice':
      // A missing value is an invalid_value for z.literal: say "is required", as for the other types.
      return z.literal(feature.values as number[], { error: (issue) => (issue.input === undefined ? 'is required' : undefined) });
  }
}

/** `{ features: { <name>: value, ... } }`: every feature of the dataset, typed and in range, nothing else. */
export function predictRequestSchema(spec: DatasetSpec) {
  return z.strictObject({
    features: z.strictObject(Object.fromEntries(spec.features.map((f) => [f.name, featureSchema(f)]))),
  });
}

/** The XGBoost built-in CSV row: features in dataset order, booleans as 0/1, no label. */
export function csvRow(spec: DatasetSpec, features: FeatureValues): string {
  return spec.features.map((f) => (f.type === 'boolean' ? (features[f.name] ? '1' : '0') : String(features[f.name]))).join(',');
}

/** XGBoost's text/csv answer for one row: a probability. Anything else is a malformed answer. */
export function parseProbability(body: string): number {
  const text = body.trim().split(/[\n,]/)[0]?.trim() ?? '';
  const value = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(value >= 0 && value <= 1)) throw new HttpError(502, 'The model returned a malformed answer');
  return value;
}

export async function predict(features: FeatureValues, spec: DatasetSpec, deps: { endpoint: EndpointPort }, signal: AbortSignal): Promise<Prediction> {
  const started = performance.now();
  const body = await deps.endpoint.invoke(csvRow(spec, features), signal).catch((error: unknown) => {
    throw endpointError(error);
  });
  const probability = parseProbability(body);
  return { probability, label: probability >= 0.5 ? spec.positiveLabel : spec.negativeLabel, latencyMs: Math.round(performance.now() - started) };
}

/**
 * SageMaker Runtime's own errors, which the shared mapper does not know: a missing endpoint is a
 * ValidationError ("Endpoint x of account y not found."), which here means no model was promoted
 * yet: 503 with what to do. Other errors go on to the shared mapper (throttling: 429).
 */
export function endpointError(error: unknown): unknown {
  const e = (error ?? {}) as { name?: unknown; message?: unknown };
  if (e.name === 'ValidationError') {
    return /endpoint .* not found/i.test(String(e.message))
      ? new HttpError(503, NO_MODEL_MESSAGE, { 'Retry-After': '300' })
      : new HttpError(502, 'The model endpoint rejected the request');
  }
  if (e.name === 'ModelError' || e.name === 'InternalDependencyException') return new HttpError(502, 'The model failed to answer');
  return error;
}
