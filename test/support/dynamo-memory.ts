import { CreateTableCommand, type CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { jsonObject, parseJson } from './json';

// dynalite ships no type definitions. Its engine is used here without its HTTP server: the same
// validation and item logic that answers the handler tests (test/support/dynamodb-local.ts).
type Callback = (error: (Error & { statusCode?: number; body?: unknown }) | null, data?: unknown) => void;
type Store = { options: Record<string, unknown> };
const dynaliteDb = require('dynalite/db') as { create(options: Record<string, unknown>): Store };
const validations = require('dynalite/validations') as {
  toLowerFirst(name: string): string;
  checkTypes(data: unknown, types: unknown): unknown;
  checkValidations(data: unknown, types: unknown, custom: unknown, store: Store): void;
};

interface Action {
  run(store: Store, data: unknown, cb: Callback): void;
  validation: { types: unknown; custom: unknown };
}
const actions = new Map<string, Action>();
function action(operation: string): Action {
  const name = validations.toLowerFirst(operation);
  let found = actions.get(name);
  if (!found) {
    if (!/^[a-zA-Z]+$/.test(name)) throw new Error(`unknown DynamoDB operation ${operation}`);
    found = {
      run: require(`dynalite/actions/${name}`) as Action['run'],
      validation: require(`dynalite/validations/${name}`) as Action['validation'],
    };
    actions.set(name, found);
  }
  return found;
}

/**
 * A DynamoDB in this process, with no socket: the real `@aws-sdk/client-dynamodb` and
 * `lib-dynamodb` (serialization, marshalling, error parsing) talk through a request handler that
 * hands each request's JSON body to dynalite's engine (condition, update and key expressions,
 * ValidationException for unused or undefined expression names and values, reserved words,
 * ConditionalCheckFailedException). Fast and deterministic enough to run for every mutant, and not
 * written alongside the code under test, so it does not share that code's reading of DynamoDB.
 *
 * What it lacks, as dynalite does: transactions, TTL expiry, eventually consistent reads (every
 * read sees the last write). Faults and races are injected by wrapping `doc.send` (`intercept`).
 * It reaches into dynalite's modules (`db`, `validations`, `actions/*`), which are not a public
 * API: package.json pins dynalite to one exact version.
 */
export interface MemoryDynamoDb {
  /** A document client configured as `lambda/shared/dynamo.ts` configures the functions' one (`removeUndefinedValues`). */
  readonly doc: DynamoDBDocumentClient;
  /**
   * A second client on the same tables, for what the test itself reads and writes (a rival writer,
   * a look at the stored item): never intercepted, its requests not in `requests`.
   */
  readonly direct: DynamoDBDocumentClient;
  /** Creates a table (ACTIVE at once). */
  createTable(input: CreateTableCommandInput): Promise<void>;
  /** Every request `doc` sent to the engine, in order: operation name and the low-level JSON body. */
  readonly requests: { operation: string; body: Record<string, unknown> }[];
  /**
   * Resolves when the engine has answered every request sent: call it after each test (a call that
   * failed early, e.g. one of two reads in `Promise.all`, leaves the other running past its test).
   */
  idle(): Promise<void>;
}

export async function memoryDynamoDb(tables: CreateTableCommandInput[] = []): Promise<MemoryDynamoDb> {
  const store = dynaliteDb.create({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const requests: MemoryDynamoDb['requests'] = [];
  const inFlight = new Set<Promise<unknown>>();
  const client = (recorded: boolean) =>
    new DynamoDBClient({
      region: 'us-east-1',
      endpoint: 'http://dynamodb.memory',
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIAFAKEFAKEFAKEFAKE', secretAccessKey: 'fake' },
      requestHandler: {
        async handle(request: { headers: Record<string, string>; body?: unknown }, options?: { abortSignal?: AbortSignal }) {
          // As the SDK's NodeHttpHandler: a request whose signal is aborted is not sent.
          if (options?.abortSignal?.aborted) throw Object.assign(new Error('Request aborted'), { name: 'AbortError' });
          const operation = (request.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
          const body = parseJson(jsonObject, typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body as Uint8Array));
          if (recorded) requests.push({ operation, body });
          const answering = answer(store, operation, body);
          inFlight.add(answering);
          const { statusCode, reply } = await answering.finally(() => inFlight.delete(answering));
          return {
            response: {
              statusCode,
              reason: undefined,
              headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'memory' },
              body: Buffer.from(JSON.stringify(reply), 'utf8'),
            },
          };
        },
        updateHttpClientConfig() {},
        httpHandlerConfigs: () => ({}),
        destroy() {},
      },
    });
  const marshallOptions = { removeUndefinedValues: true };
  const doc = DynamoDBDocumentClient.from(client(true), { marshallOptions });
  const direct = DynamoDBDocumentClient.from(client(false), { marshallOptions });
  const createTable = async (input: CreateTableCommandInput) => {
    await direct.send(new CreateTableCommand(input));
    // createTableMs 0: the table turns ACTIVE on the next timer tick.
    await new Promise((resolve) => setTimeout(resolve, 1));
  };
  for (const table of tables) await createTable(table);
  const idle = async () => {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  };
  return { doc, direct, createTable, requests, idle };
}

/** The error the SDK throws for a failed call, named as DynamoDB names it (e.g. `ThrottlingException`). */
export const dynamoError = (name: string): Error => Object.assign(new Error(`${name} (injected)`), { name });

/**
 * Wraps `doc.send`: `around` sees each command and decides what happens, calling `send()` to let it
 * reach the table (once, twice, or not at all) or throwing to fail it.
 */
export function intercept(doc: DynamoDBDocumentClient, around: (command: object, send: () => Promise<unknown>) => Promise<unknown>): jest.SpyInstance {
  const original = doc.send.bind(doc) as (command: object, options?: unknown) => Promise<unknown>;
  return jest.spyOn(doc, 'send').mockImplementation(((command: object, options?: unknown) => around(command, () => original(command, options))) as never);
}

async function answer(store: Store, operation: string, body: Record<string, unknown>): Promise<{ statusCode: number; reply: unknown }> {
  const { run, validation } = action(operation);
  try {
    const data = validations.checkTypes(body, validation.types);
    validations.checkValidations(data, validation.types, validation.custom, store);
    const reply = await new Promise<unknown>((resolve, reject) => run(store, data, (error, out) => (error ? reject(error) : resolve(out))));
    return { statusCode: 200, reply: reply ?? {} };
  } catch (error) {
    const e = error as { statusCode?: number; body?: unknown };
    if (e.statusCode) return { statusCode: e.statusCode, reply: e.body };
    throw error;
  }
}

/** Ground 7 tables as lib/constructs/sessions and lib/constructs/feedback define their keys. */
export const SESSIONS_TABLE_DEFINITION: Omit<CreateTableCommandInput, 'TableName'> = {
  AttributeDefinitions: [
    { AttributeName: 'sessionId', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'sessionId', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  BillingMode: 'PAY_PER_REQUEST',
};
export const FEEDBACK_TABLE_DEFINITION: Omit<CreateTableCommandInput, 'TableName'> = {
  AttributeDefinitions: [{ AttributeName: 'requestId', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'requestId', KeyType: 'HASH' }],
  BillingMode: 'PAY_PER_REQUEST',
};

/** The sessions table under `name`, as the handler tests create it in DynamoDB Local. */
export const SESSIONS_TABLE = (name: string): CreateTableCommandInput => ({ TableName: name, ...SESSIONS_TABLE_DEFINITION });
/** The feedback table under `name`. */
export const FEEDBACK_TABLE = (name: string): CreateTableCommandInput => ({ TableName: name, ...FEEDBACK_TABLE_DEFINITION });
