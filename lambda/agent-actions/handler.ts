import { readEnv } from '../shared/env';
import { agentActionsEnvSchema } from '../../contracts/env';
import { createDynamoDb } from '../shared/dynamo';
import { logger } from '../shared/observability';
import { type ActionDeps, type ActionResponse, handleAction } from './core';
import { dynamoSupportStore } from './store';

const env = readEnv(agentActionsEnvSchema);

// The shared client: bounded attempts with socket timeouts, well inside the function's timeout.
const documents = createDynamoDb();
const deps: ActionDeps = {
  store: dynamoSupportStore(documents, env.TABLE_NAME),
  now: () => new Date(),
  onError: (what, error) => logger.error('action failed', { function: what, error: error as Error }),
};

/** Bedrock agent action group executor (function details). Never throws: every outcome is an answer. */
export async function handler(event: unknown): Promise<ActionResponse> {
  const response = await handleAction(event, deps);
  // Function names and states only: parameters can hold what the caller typed.
  logger.info('action', {
    actionGroup: response.response.actionGroup,
    function: response.response.function,
    state: response.response.functionResponse.responseState ?? 'OK',
  });
  return response;
}
