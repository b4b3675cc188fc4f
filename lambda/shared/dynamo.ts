import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpError, RETRY_AFTER_SECONDS } from './http';
import { tracer } from './observability';

/**
 * The stores here use single-item conditional writes only (no TransactWriteItems): every write
 * that must not happen twice carries its own condition, so a retry or a concurrent writer finds
 * the item and stops. This is also what the local DynamoDB of the tests (dynalite) supports.
 */
export interface DynamoSettings {
  /** Attempts per call including the first (standard retry mode: backoff with full jitter). */
  readonly maxAttempts?: number;
  /** Socket timeout of one attempt; DynamoDB answers in milliseconds, so a stuck attempt is cut early. */
  readonly attemptTimeoutMs?: number;
}

/** A document client over keep-alive HTTP/1.1; `AWS_ENDPOINT_URL_DYNAMODB` reaches a local server in tests. */
export function createDynamoDb(settings: DynamoSettings = {}): DynamoDBDocumentClient {
  const attemptTimeoutMs = settings.attemptTimeoutMs ?? 1_000;
  const client = new DynamoDBClient({
    maxAttempts: settings.maxAttempts ?? 3,
    retryMode: 'standard',
    requestHandler: new NodeHttpHandler({ connectionTimeout: attemptTimeoutMs, requestTimeout: attemptTimeoutMs, throwOnRequestTimeout: true }),
  });
  return DynamoDBDocumentClient.from(tracer.captureAWSv3Client(client), { marshallOptions: { removeUndefinedValues: true } });
}

export const isConditionFailed = (error: unknown): boolean => (error as { name?: unknown })?.name === 'ConditionalCheckFailedException';

/**
 * A store failure as the client sees it: messages written here, never DynamoDB's text (it names
 * tables and accounts). `what` names the store in the answer, e.g. 'Conversation history'.
 */
export function storeFailure(error: unknown, what: string): HttpError {
  if (error instanceof HttpError) return error;
  const name = (error as { name?: unknown })?.name;
  switch (name) {
    case 'ProvisionedThroughputExceededException':
    case 'ThrottlingException':
    case 'RequestLimitExceeded':
      return new HttpError(429, `${what} is busy; retry after the delay in Retry-After`, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
    case 'AccessDeniedException':
    case 'ResourceNotFoundException':
    case 'UnrecognizedClientException':
    case 'ValidationException':
      return new HttpError(500, 'The service is not configured correctly; the operator has been alerted');
    default:
      // Refused, reset, timed out, 5xx: the store is unreachable for now.
      return new HttpError(503, `${what} is unavailable; try again later`);
  }
}
