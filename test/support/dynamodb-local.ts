import type { AddressInfo } from 'node:net';
import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';

// dynalite ships no type definitions.
const dynalite = require('dynalite') as (options: Record<string, unknown>) => import('node:http').Server;

/**
 * A local DynamoDB (dynalite: in memory, on a free loopback port) that the real
 * `@aws-sdk/client-dynamodb` talks to through `endpoint`. What it lacks, and the stores here must
 * not rely on: TransactWriteItems/TransactGetItems, UpdateTimeToLive (TTL attributes are stored
 * but never expire), PITR, streams.
 */
export interface LocalDynamoDb {
  readonly endpoint: string;
  /** A client for this server (region and fake credentials from test/support/setup-env.ts). */
  client(): DynamoDBClient;
  /** Creates a table and resolves when it is ACTIVE. */
  createTable(input: CreateTableCommandInput): Promise<void>;
  /** Sets `AWS_ENDPOINT_URL_DYNAMODB` so handlers' module-scope clients reach this server. */
  exportEndpoint(env?: NodeJS.ProcessEnv): void;
  stop(): Promise<void>;
}

export async function startLocalDynamoDb(): Promise<LocalDynamoDb> {
  // Tables become ACTIVE at once, so tests wait for nothing.
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: DynamoDBClient[] = [];
  const client = () => {
    // dynalite checks no signature; fixed fake credentials keep callers free of any AWS identity.
    const c = new DynamoDBClient({
      endpoint,
      region: process.env.AWS_REGION ?? 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake' },
    });
    clients.push(c);
    return c;
  };
  return {
    endpoint,
    client,
    async createTable(input) {
      await client().send(new CreateTableCommand(input));
    },
    exportEndpoint(env = process.env) {
      env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
    },
    async stop() {
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
