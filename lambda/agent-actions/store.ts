import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailed } from '../shared/dynamo';
import { type Order, orderKey, ticketKey } from '../../contracts/agent-actions';
import type { SupportStore, Ticket } from './core';

/** The agent's DynamoDB table as the action handler uses it. */
export function dynamoSupportStore(client: DynamoDBDocumentClient, tableName: string): SupportStore {
  return {
    async getOrder(tenant, orderId) {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: { pk: orderKey(tenant, orderId) }, ConsistentRead: true }));
      if (!out.Item) return undefined;
      const { pk: _pk, tenant: _tenant, ...order } = out.Item;
      return order as Order;
    },
    async createTicket(ticket: Ticket) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: ticketKey(ticket.tenant, ticket.ticketId), ...ticket },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return 'created';
      } catch (error) {
        if (isConditionFailed(error)) return 'exists';
        throw error;
      }
    },
  };
}
