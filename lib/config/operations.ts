import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';

/** Ground 7 sections of the one configuration schema (lib/config/schema.ts); every key has a default. */

/** The retentions CloudWatch Logs accepts (the CDK enum minus "never expire"). */
const RETENTIONS = Object.values(RetentionDays).filter((d): d is number => typeof d === 'number' && d !== RetentionDays.INFINITE);
const retentionDays = () => z.int().refine((d) => RETENTIONS.includes(d), `expected one of ${RETENTIONS.join(', ')}`);

/**
 * Bedrock model invocation logging is one setting per account and Region. `on` sets it and fails
 * the deployment if another configuration is there already; `take-over` replaces that one, keeps
 * it, and puts it back when the stack (or this setting) goes; `off` leaves the account alone.
 */
export const INVOCATION_LOGGING_MODES = ['on', 'take-over', 'off'] as const;

export const observabilitySchema = z.strictObject({
  /** Subscribed to the alarm topic (a confirmation mail is sent at deploy). @default no subscription */
  alarmEmail: z.email().optional().describe('An email address subscribed to the alarm topic (a confirmation mail is sent at deploy). Unset: no subscription.'),
  /** API p99 latency above this, 3 periods of 5 minutes in a row, alarms. */
  latencyP99Ms: z.int().min(100).max(29_000).default(10_000).describe('API p99 latency above this, 3 periods of 5 minutes in a row, alarms.'),
  /** Share of API requests answered 5XX, over 5 minutes, that alarms. */
  apiErrorRatePercent: z.number().min(0.1).max(100).default(1).describe('Share of API requests answered 5XX, over 5 minutes, that alarms.'),
  /** Model cost of one tenant over a rolling day (USD, as the functions price it) that alarms. */
  dailyCostBudgetUsd: z
    .number()
    .min(0.01)
    .max(1_000_000)
    .default(20)
    .describe('Model cost of one tenant over a rolling day (USD, as the functions price it) that alarms.'),
  /** Cache hit rate (percent of cache lookups) under which, over an hour with traffic, the cache alarms. */
  cacheHitRateFloorPercent: z
    .number()
    .min(0)
    .max(100)
    .default(5)
    .describe('Cache hit rate (percent of cache lookups) under which, over an hour with traffic, the cache alarms.'),
  /** Guardrail interventions (input and output) in 5 minutes that alarm: a spike means an attack or a bad release. */
  guardrailInterventionsPer5Min: z
    .int()
    .min(1)
    .max(1_000_000)
    .default(25)
    .describe('Guardrail interventions (input and output) in 5 minutes that alarm: a spike means an attack or a bad release.'),
  invocationLogging: z
    .enum(INVOCATION_LOGGING_MODES)
    .default('on')
    .describe(
      'Bedrock model invocation logging, one setting per account and Region: `on` sets it and fails the deployment if another configuration is ' +
        'there already; `take-over` replaces that one, keeps it, and puts it back when the stack (or this setting) goes; `off` leaves the account ' +
        'alone.',
    ),
  /** Retention of the invocation logs (they hold prompts and answers). */
  invocationLogRetentionDays: retentionDays()
    .default(30)
    .describe(`Retention of the invocation logs (they hold prompts and answers), in days; one of ${RETENTIONS.join(', ')}.`),
});

export const pipelineSchema = z.strictObject({
  /** Largest document the pipeline accepts (Bedrock knowledge bases take at most 50 MB per file). */
  maxDocumentMb: z.int().min(1).max(50).default(50).describe('Largest document the pipeline accepts (Bedrock knowledge bases take at most 50 MB per file).'),
  /** Wait between two status checks of the ingestion job. */
  checkIntervalSeconds: z.int().min(10).max(3_600).default(60).describe('Wait between two status checks of the ingestion job.'),
  /** Status checks before the pipeline gives up on a job (fails with a notification). */
  maxChecks: z.int().min(1).max(1_000).default(60).describe('Status checks before the pipeline gives up on a job (fails with a notification).'),
  /**
   * Also start the pipeline for every object created in the documents bucket. Off: the knowledge
   * base already ingests uploads (debounced); the pipeline is for operators and their checks.
   */
  onUpload: z
    .boolean()
    .default(false)
    .describe(
      'Also start the pipeline for every object created in the documents bucket. Off: the knowledge base already ingests uploads (debounced); the ' +
        'pipeline is for operators and their checks.',
    ),
});
