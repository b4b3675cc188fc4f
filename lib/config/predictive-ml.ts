import { z } from 'zod';

const int = (min: number, max: number) => z.int().min(min).max(max);
/** A SageMaker instance type, e.g. `ml.m5.large` (the PredictiveMl construct checks the same). */
export const INSTANCE_TYPE = /^ml\.[a-z0-9]+\.[a-z0-9]+$/;
const instanceType = () => z.string().regex(INSTANCE_TYPE, 'must be a SageMaker instance type such as ml.m5.large');

/** Memory sizes SageMaker Serverless Inference offers. */
export const SERVERLESS_MEMORY_MB: readonly number[] = [1024, 2048, 3072, 4096, 5120, 6144];

/** Section of the one configuration schema (lib/config/schema.ts); every key has a default. */
export const predictiveMlSchema = z.strictObject({
  /** Quality gate: a model is deployed only when its validation AUC reaches this (and beats the model in service). */
  minValidationAuc: z
    .number()
    .min(0.5)
    .max(1)
    .default(0.8)
    .describe('Quality gate: a model is deployed only when its validation AUC reaches this (and beats the model in service).'),
  /** `serverless` scales to zero (cold starts); `instance` keeps instances running (data capture, KMS volume key). */
  inference: z
    .enum(['serverless', 'instance'])
    .default('serverless')
    .describe('`serverless` scales to zero (cold starts); `instance` keeps instances running (data capture, KMS volume key).'),
  serverlessMemoryMb: z
    .int()
    .refine((m) => SERVERLESS_MEMORY_MB.includes(m), `expected one of ${SERVERLESS_MEMORY_MB.join(', ')}`)
    .default(2048)
    .describe(`Serverless endpoint memory, in MB; one of ${SERVERLESS_MEMORY_MB.join(', ')}.`),
  serverlessMaxConcurrency: int(1, 200).default(5).describe('Serverless endpoint: most concurrent invocations.'),
  instanceType: instanceType().default('ml.m5.large').describe('Instance endpoint: SageMaker instance type.'),
  instanceCount: int(1, 10).default(1).describe('Instance endpoint: number of instances.'),
  /** Share of requests captured to S3 (instance endpoints; Serverless Inference has no data capture). */
  dataCapturePercent: int(1, 100).default(100).describe('Share of requests captured to S3 (instance endpoints; Serverless Inference has no data capture).'),
  trainingInstanceType: instanceType().default('ml.m5.large').describe('SageMaker instance type of the training job.'),
  maxTrainingMinutes: int(5, 1_440).default(30).describe('Longest a training job may run.'),
  /**
   * EventBridge schedule that starts the pipeline, e.g. `rate(7 days)`. EventBridge refuses at deploy
   * a rate whose unit is plural for 1 or singular above 1, a rate of 0, and a cron expression without
   * its six fields (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html).
   * @default on demand only
   */
  schedule: z
    .string()
    .regex(
      /^(rate\((1 (minute|hour|day)|([2-9]|[1-9]\d+) (minutes|hours|days))\)|cron\([^()\s]+( [^()\s]+){5}\))$/,
      'must be an EventBridge schedule expression: rate(1 <unit>), rate(<n above 1> <units>) or cron(<6 fields>)',
    )
    .optional()
    .describe('EventBridge schedule that starts the training pipeline: `rate(<n> <unit>)` or `cron(<6 fields>)`, e.g. `rate(7 days)`. Unset: on demand only.'),
  /** Start the pipeline when a new training file lands under the data bucket's `churn/train/`. */
  retrainOnUpload: z.boolean().default(false).describe("Start the pipeline when a new training file lands under the data bucket's `churn/train/`."),
});

export type PredictiveMlConfig = z.output<typeof predictiveMlSchema>;

/**
 * SageMaker prices used by the README's cost comparison and bench/predict.ts, USD, us-east-1,
 * on-demand. Serverless Inference: list price per GB-second of configured memory and per GB of
 * data processed (aws.amazon.com/sagemaker/ai/pricing, read November 2026, [U]: re-check before
 * quoting a bill). Instance hours: ml.t3.medium and ml.m5.xlarge from aws-facts.md §4 ([S] wring.co Mar 2026,
 * zircon.tech Oct 2025); ml.m5.large list price [U].
 */
export const SAGEMAKER_PRICES = {
  asOf: '2026-11',
  serverlessPerGbSecond: 0.00002,
  serverlessPerGbProcessed: 0.016,
  instancePerHour: { 'ml.t3.medium': 0.05, 'ml.m5.large': 0.115, 'ml.m5.xlarge': 0.269 } as Record<string, number>,
} as const;
