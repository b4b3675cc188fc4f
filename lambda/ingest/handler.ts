import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { readEnv } from '../shared/env';
import { ingestEnvSchema } from '../../contracts/env';
import { INGESTION_DIMENSIONS, INGESTION_METRICS } from '../../contracts/metrics';
import { logger, metrics } from '../shared/observability';
import { type IngestEvent, type IngestMessage, processBatch, type QueuePort } from './core';
import { createBedrockAgent } from '../shared/bedrock-agent';
import { ingestionApi } from './ingestion';
import { documentBucket } from './s3';
import { sqsSender } from './sqs';

const env = readEnv(ingestEnvSchema);

const ingestion = ingestionApi(
  createBedrockAgent({ maxAttempts: env.BEDROCK_MAX_ATTEMPTS, attemptTimeoutMs: env.BEDROCK_ATTEMPT_TIMEOUT_MS }),
  env.KNOWLEDGE_BASE_ID,
  env.DATA_SOURCE_ID,
);
const documents = documentBucket({
  bucket: env.DOCUMENTS_BUCKET,
  domainName: env.DOCUMENTS_BUCKET_DOMAIN,
  region: process.env.AWS_REGION ?? '',
  maxAttempts: env.BEDROCK_MAX_ATTEMPTS,
  attemptTimeoutMs: env.BEDROCK_ATTEMPT_TIMEOUT_MS,
  endpoint: process.env.AWS_ENDPOINT_URL_S3,
});
const sender = sqsSender(env.QUEUE_URL, { maxAttempts: env.BEDROCK_MAX_ATTEMPTS, attemptTimeoutMs: env.BEDROCK_ATTEMPT_TIMEOUT_MS });
const queue: QueuePort = { sendCheck: (message, delaySeconds) => sender.send(JSON.stringify(message), delaySeconds) };
const settings = { checkDelaySeconds: env.CHECK_DELAY_SECONDS, maxChecks: env.MAX_CHECKS };
// The construct's alarm reads the metrics of this knowledge base only.
metrics.setDefaultDimensions({ [INGESTION_DIMENSIONS.knowledgeBase]: env.KNOWLEDGE_BASE_ID });

/** An S3 object event as EventBridge delivers it to the queue. */
const s3Event = z.object({
  source: z.literal('aws.s3'),
  'detail-type': z.enum(['Object Created', 'Object Deleted']),
  detail: z.object({ object: z.object({ key: z.string().check(z.minLength(1)) }) }),
});
const checkMessage = z.object({
  kind: z.literal('check'),
  ingestionJobId: z.string().check(z.regex(/^[0-9a-zA-Z]{1,64}$/)),
  checks: z.int().check(z.nonnegative()),
});

/** SQS batch of upload events and job checks → at most one ingestion job, and its follow-up. */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const messages = (event.Records ?? []).map(parseRecord).filter((m): m is IngestMessage => m !== undefined);
  const result = await processBatch(messages, { ingestion, queue, documents }, settings);
  for (const e of result.events) report(e);
  // Most batches (deferred uploads, running jobs) count nothing.
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  return { batchItemFailures: result.failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
}

/** A message nobody can act on is dropped with a warning: retrying it would never succeed. */
function parseRecord(record: SQSRecord): IngestMessage | undefined {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    body = undefined;
  }
  const upload = s3Event.safeParse(body);
  if (upload.success) return { id: record.messageId, kind: 'upload', key: upload.data.detail.object.key };
  const check = checkMessage.safeParse(body);
  if (check.success) return { id: record.messageId, kind: 'check', ingestionJobId: check.data.ingestionJobId, checks: check.data.checks };
  // Never the body itself: it may be anything an uploader or a stranger put on the queue.
  logger.warn('Dropped a malformed queue message', { messageId: record.messageId, bodyLength: record.body?.length ?? 0 });
  return undefined;
}

function report(e: IngestEvent): void {
  switch (e.type) {
    case 'labelled':
      logger.info('Document metadata written before ingestion', { written: e.written, removed: e.removed });
      return;
    case 'unassigned':
      // Not an error of ours, but surely not what the uploader meant: no caller can retrieve it.
      logger.warn('A document under tenants/ has no tenant name as its folder: it is indexed for no caller', { key: e.key });
      return;
    case 'label-failed':
      logger.error('Could not write the metadata of a document: its upload returns to the queue', { key: e.key, error: e.error });
      return;
    case 'sidecars-ignored':
      logger.warn('Events of metadata sidecars reached the queue (the upload rule drops them): ignored', { count: e.count });
      return;
    case 'started':
      logger.info('Ingestion job started', { ingestionJobId: e.ingestionJobId, uploads: e.uploads });
      metrics.addMetric(INGESTION_METRICS.jobsStarted, MetricUnit.Count, 1);
      return;
    case 'deferred':
      logger.info('An ingestion job is running: uploads return to the queue for the next job', { runningJobId: e.runningJobId, uploads: e.uploads });
      return;
    case 'start-failed':
      logger.error('Could not start an ingestion job: uploads return to the queue', { uploads: e.uploads, error: e.error });
      return;
    case 'check-not-scheduled':
      logger.error('Ingestion job started but its check could not be queued: uploads return to the queue', {
        ingestionJobId: e.ingestionJobId,
        error: e.error,
      });
      return;
    case 'running':
      logger.info('Ingestion job still running', { ingestionJobId: e.ingestionJobId, checks: e.checks });
      return;
    case 'complete':
      logger.info('Ingestion job complete', { ...e.job });
      metrics.addMetric(INGESTION_METRICS.documentsIndexed, MetricUnit.Count, e.job.documentsIndexed);
      return;
    case 'failed':
      logger.error('Ingestion job failed', { ...e.job });
      metrics.addMetric(INGESTION_METRICS.jobsFailed, MetricUnit.Count, 1);
      metrics.addMetric(INGESTION_METRICS.documentsFailed, MetricUnit.Count, e.job.documentsFailed);
      return;
    case 'abandoned':
      logger.error('Ingestion job still running after the last check: no longer watched', { ingestionJobId: e.ingestionJobId, checks: e.checks });
      return;
    case 'check-failed':
      logger.warn('Could not check an ingestion job: the check returns to the queue', { ingestionJobId: e.ingestionJobId, error: e.error });
      return;
  }
}
