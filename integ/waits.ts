import { ExpectedResult, type IApiCall, type IntegTest } from '@aws-cdk/integ-tests-alpha';
import { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { KnowledgeBase } from '../lib/constructs/knowledge-base/knowledge-base';
import { exactly, expectAt } from './probe';

/**
 * Waits until the knowledge base's latest ingestion job has ended (the deploy-time job of the
 * shipped corpus, or the one its upload events started), then fails the deployment unless it
 * completed. Chain the calls that need the corpus after it (`.next(…)`).
 */
export function ingestionCompleted(scope: Construct, integ: IntegTest, knowledgeBase: KnowledgeBase): IApiCall {
  const latestJob = integ.assertions
    .awsApiCall('bedrock-agent', 'listIngestionJobs', {
      knowledgeBaseId: knowledgeBase.knowledgeBaseId,
      dataSourceId: knowledgeBase.dataSourceId,
      sortBy: { attribute: 'STARTED_AT', order: 'DESCENDING' },
      maxResults: 1,
    })
    .assertAtPath('ingestionJobSummaries.0.status', ExpectedResult.stringLikeRegexp('^(COMPLETE|FAILED|STOPPED)$'))
    // Five documents take a few minutes; the upload events' job starts after a 60 s batching window.
    .waitForAssertions({ totalTimeout: Duration.minutes(20), interval: Duration.seconds(30) });
  expectAt(scope, 'IngestionCompleted', latestJob, 'ingestionJobSummaries.0.status', exactly('COMPLETE'));
  return latestJob;
}
