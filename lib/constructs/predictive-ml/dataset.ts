/**
 * The dataset the PredictiveMl block trains on: synthetic customer churn with a known signal,
 * generated deterministically (fixed-seed PRNG), so the data, the model and its AUC can be
 * reproduced anywhere. Pure module. Its spec (CHURN_DATASET) is in contracts/dataset.ts, which the
 * /predict handler reads too.
 */
import { CHURN_DATASET, type DatasetSpec, type FeatureValues } from '../../../contracts/dataset';

/** The known signal: churn log-odds as a function of the features (age and data usage have none). */
export function churnProbability(f: FeatureValues): number {
  const n = (key: string) => Number(f[key]);
  const logit =
    0.4 -
    0.06 * n('tenure_months') +
    0.03 * (n('monthly_charges') - 60) +
    0.5 * n('support_calls') -
    (n('contract_months') === 12 ? 1.3 : n('contract_months') === 24 ? 2.4 : 0) +
    (f.fiber === true ? 0.6 : 0) +
    0.35 * n('late_payments');
  return 1 / (1 + Math.exp(-logit));
}

/** One CSV row in the order of `spec.features` (booleans as 0/1), without the label. */
export function featureRow(spec: DatasetSpec, f: FeatureValues): string {
  return spec.features.map((feature) => (feature.type === 'boolean' ? (f[feature.name] ? '1' : '0') : String(f[feature.name]))).join(',');
}

/** mulberry32: a small, fast, well-distributed 32-bit PRNG; the same seed gives the same stream. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export const CHURN_SEED = 20_261_101;
export const CHURN_ROWS = { train: 4_000, validation: 1_000 } as const;

/**
 * Customers drawn at random, each labelled by a coin flip with its churn probability. Returns the
 * XGBoost built-in CSV format: label first, no header, one customer per line.
 */
export function generateChurnCsv(
  seed = CHURN_SEED,
  rows: { readonly train: number; readonly validation: number } = CHURN_ROWS,
): { train: string; validation: string } {
  const random = prng(seed);
  const between = (min: number, max: number) => min + random() * (max - min);
  const customer = (): FeatureValues => ({
    tenure_months: Math.floor(between(0, 73)),
    monthly_charges: Math.round(between(18, 120) * 100) / 100,
    support_calls: Math.min(10, Math.floor(-Math.log(1 - random()) * 1.5)),
    contract_months: [1, 12, 24][Math.floor(random() * 3)],
    fiber: random() < 0.45,
    late_payments: Math.min(12, Math.floor(-Math.log(1 - random()) * 1.2)),
    data_usage_gb: Math.round(between(0, 500) * 10) / 10,
    age: Math.floor(between(18, 91)),
  });
  const lines = (count: number) =>
    Array.from({ length: count }, () => {
      const f = customer();
      const label = random() < churnProbability(f) ? 1 : 0;
      return `${label},${featureRow(CHURN_DATASET, f)}\n`;
    }).join('');
  return { train: lines(rows.train), validation: lines(rows.validation) };
}
