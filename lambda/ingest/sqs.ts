import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { tracer } from '../shared/observability';

export interface SqsSender {
  send(body: string, delaySeconds: number): Promise<void>;
}

/** SendMessage to one queue with standard retries; `AWS_ENDPOINT_URL_SQS` overrides the endpoint in tests. */
export function sqsSender(queueUrl: string, opts: { maxAttempts: number; attemptTimeoutMs: number }): SqsSender {
  const client = tracer.captureAWSv3Client(
    new SQSClient({
      maxAttempts: opts.maxAttempts,
      retryMode: 'standard',
      requestHandler: new NodeHttpHandler({
        connectionTimeout: Math.min(3_000, opts.attemptTimeoutMs),
        requestTimeout: opts.attemptTimeoutMs,
        throwOnRequestTimeout: true,
      }),
    }),
  );
  return {
    async send(body, delaySeconds) {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, DelaySeconds: delaySeconds }));
    },
  };
}
