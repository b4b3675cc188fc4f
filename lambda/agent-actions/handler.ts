import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { readEnv } from '../shared/env';
import { logger, tracer } from '../shared/observability';
import { type ActionDeps, type ActionResponse, handleAction } from './core';
import { dynamoSupportStore } from './store';

const env = readEnv(z.object({ TABLE_NAME: z.string().check(z.minLength(1)) }));

const documents = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({ maxAttempts: 3 })), { marshallOptions: { removeUndefinedValues: true } });
const deps: ActionDeps = {
  store: dynamoSupportStore(documents, env.TABLE_NAME),
  now: () => new Date(),
  onError: (what, error) => logger.error('action failed', { function: what, error: error as Error }),
};

/** Bedrock agent action group executor (function details). Never throws: every outcome is an answer. */
export async function handler(event: unknown): Promise<ActionResponse> {
  const response = await handleAction(event, deps);
  // Function names and states only: parameters can hold what the caller typed.
  logger.info('action', { actionGroup: response.response.actionGroup, function: response.response.function, state: response.response.functionResponse.responseState ?? 'OK' });
  return response;
}
