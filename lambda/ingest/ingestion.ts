import {
  type BedrockAgentClient,
  GetIngestionJobCommand,
  type IngestionJobStatus,
  ListIngestionJobsCommand,
  StartIngestionJobCommand,
} from '@aws-sdk/client-bedrock-agent';
import type { IngestionPort, JobState, JobStatus } from './core';

const RUNNING: readonly string[] = ['STARTING', 'IN_PROGRESS'];

/** Adapts the ingestion job API of one data source to the core's port. */
export function ingestionApi(client: BedrockAgentClient, knowledgeBaseId: string, dataSourceId: string): IngestionPort {
  const ids = { knowledgeBaseId, dataSourceId };
  return {
    async startJob() {
      try {
        const out = await client.send(new StartIngestionJobCommand({ ...ids, description: 'Started after uploads to the documents bucket' }));
        const jobId = out.ingestionJob?.ingestionJobId;
        if (!jobId) throw new Error('StartIngestionJob returned no job id');
        return { started: jobId };
      } catch (error) {
        // The service allows one running job per data source and says so with a 409.
        if ((error as { name?: string }).name === 'ConflictException') return { conflict: true };
        throw error;
      }
    },
    async findRunningJob() {
      const out = await client.send(
        new ListIngestionJobsCommand({
          ...ids,
          filters: [{ attribute: 'STATUS', operator: 'EQ', values: [...RUNNING] }],
          sortBy: { attribute: 'STARTED_AT', order: 'DESCENDING' },
          maxResults: 10,
        }),
      );
      // Filtered again here: the answer is trusted for its shape only.
      return out.ingestionJobSummaries?.find((j) => RUNNING.includes(j.status ?? ''))?.ingestionJobId;
    },
    async getJob(ingestionJobId): Promise<JobState> {
      const out = await client.send(new GetIngestionJobCommand({ ...ids, ingestionJobId }));
      const job = out.ingestionJob;
      const stats = job?.statistics;
      return {
        ingestionJobId,
        status: toStatus(job?.status),
        failureReasons: job?.failureReasons ?? [],
        documentsScanned: stats?.numberOfDocumentsScanned ?? 0,
        documentsIndexed: (stats?.numberOfNewDocumentsIndexed ?? 0) + (stats?.numberOfModifiedDocumentsIndexed ?? 0),
        documentsDeleted: stats?.numberOfDocumentsDeleted ?? 0,
        documentsFailed: stats?.numberOfDocumentsFailed ?? 0,
      };
    },
  };
}

const STATUSES: readonly JobStatus[] = ['STARTING', 'IN_PROGRESS', 'STOPPING', 'COMPLETE', 'FAILED', 'STOPPED'];

/** An unknown status is not a success: it is reported as a failure rather than watched forever. */
function toStatus(status: IngestionJobStatus | string | undefined): JobStatus {
  return STATUSES.find((s) => s === status) ?? 'FAILED';
}
