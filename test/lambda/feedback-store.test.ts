import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FeedbackStore } from '../../lambda/shared/feedback-store';

/**
 * The ambiguous write: an UpdateItem whose attempt timed out after it landed, which the SDK then
 * retries; the retry fails its revision condition on the store's own write. A table in memory
 * plays DynamoDB, evaluating the update the store sends.
 */
function tableWithLostResponse() {
  const now = Date.now();
  const item: Record<string, unknown> = {
    requestId: 'r1',
    principal: 'alice',
    tenant: '-',
    model: 'nova-lite',
    modelId: 'm',
    createdAt: new Date(now).toISOString(),
    expiresAt: Math.floor(now / 1000) + 86_400,
  };
  let updates = 0;
  const db = {
    async send(command: unknown) {
      if (command instanceof GetCommand) return { Item: { ...item } };
      if (command instanceof UpdateCommand) {
        updates++;
        const values = command.input.ExpressionAttributeValues as Record<string, unknown>;
        // The first attempt lands: every SET of the expression is applied...
        for (const [, name, value] of (command.input.UpdateExpression as string).matchAll(/([#\w]+) = (:\w+)/g))
          item[name === '#comment' ? 'comment' : name] = values[value];
        // ...and the SDK's retry of it finds the revision moved on: what the store sees is the condition failure.
        const error = new Error('The conditional request failed');
        error.name = 'ConditionalCheckFailedException';
        throw error;
      }
      throw new Error(`unexpected command ${String(command)}`);
    },
  };
  return { db: db as unknown as DynamoDBDocumentClient, item, updates: () => updates };
}

test('a rating whose write landed but whose answer was lost (SDK retry after a timeout) is recorded and counted once, not reported unchanged', async () => {
  const table = tableWithLostResponse();
  const store = new FeedbackStore(table.db, 'Feedback', { windowDays: 7, retentionDays: 30 });
  const result = await store.rate('r1', { principal: 'alice' }, 'down', 'wrong');
  expect(result.outcome).toBe('recorded');
  expect(result.previous).toBeUndefined();
  expect(result.feedback).toMatchObject({ rating: 'down', comment: 'wrong' });
  expect(table.updates()).toBe(1);
  expect(table.item).toMatchObject({ rating: 'down', comment: 'wrong', revision: 1 });
});
