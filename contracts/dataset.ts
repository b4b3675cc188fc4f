/**
 * The dataset spec: what the PredictiveMl block (lib/constructs/predictive-ml) writes into the
 * /predict function's DATASET variable and the function (lambda/predict) reads to build its request
 * schema and CSV row. Dependency-free but for zod/mini (its schemas).
 */

import * as z from 'zod/mini';

interface FeatureBase {
  /** snake_case; the name a /predict request uses. */
  readonly name: string;
  readonly description: string;
}

/** A feature of the dataset, in CSV column order after the label. */
export type FeatureSpec =
  | (FeatureBase & { readonly type: 'integer'; readonly min: number; readonly max: number })
  | (FeatureBase & { readonly type: 'number'; readonly min: number; readonly max: number })
  | (FeatureBase & { readonly type: 'boolean' })
  | (FeatureBase & { readonly type: 'choice'; readonly values: readonly number[] });

/** What the /predict handler needs to know about a dataset: its features and the label's meaning. */
export interface DatasetSpec {
  readonly name: string;
  readonly features: readonly FeatureSpec[];
  /** Label 1 and label 0, as /predict reports them. */
  readonly positiveLabel: string;
  readonly negativeLabel: string;
}

const featureBase = { name: z.string().check(z.minLength(1)), description: z.string() };
const featureSchema = z.discriminatedUnion('type', [
  z.object({ ...featureBase, type: z.literal('integer'), min: z.number(), max: z.number() }),
  z.object({ ...featureBase, type: z.literal('number'), min: z.number(), max: z.number() }),
  z.object({ ...featureBase, type: z.literal('boolean') }),
  z.object({ ...featureBase, type: z.literal('choice'), values: z.array(z.number()) }),
]);

/** DATASET as the /predict function reads it (lambda/shared/env.ts jsonFromEnv); typed against DatasetSpec. */
export const datasetSpecSchema: z.ZodMiniType<DatasetSpec> = z.object({
  name: z.string().check(z.minLength(1)),
  features: z.array(featureSchema).check(z.minLength(1)),
  positiveLabel: z.string(),
  negativeLabel: z.string(),
});

export const CHURN_DATASET: DatasetSpec = {
  name: 'churn',
  positiveLabel: 'churn',
  negativeLabel: 'stay',
  features: [
    { name: 'tenure_months', type: 'integer', min: 0, max: 72, description: 'Months as a customer' },
    { name: 'monthly_charges', type: 'number', min: 18, max: 120, description: 'Monthly bill in USD' },
    { name: 'support_calls', type: 'integer', min: 0, max: 10, description: 'Support calls in the last 90 days' },
    { name: 'contract_months', type: 'choice', values: [1, 12, 24], description: 'Contract length: month-to-month, one year or two years' },
    { name: 'fiber', type: 'boolean', description: 'Has a fiber-optic connection' },
    { name: 'late_payments', type: 'integer', min: 0, max: 12, description: 'Late payments in the last year' },
    { name: 'data_usage_gb', type: 'number', min: 0, max: 500, description: 'Monthly data usage (no effect on churn: a distractor)' },
    { name: 'age', type: 'integer', min: 18, max: 90, description: 'Customer age (no effect on churn: a distractor)' },
  ],
};

export type FeatureValues = Readonly<Record<string, number | boolean>>;
