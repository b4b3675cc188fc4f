import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { clientConfig } from '../shared/bedrock';
import { tracer } from '../shared/observability';

export interface SqsSender {
  send(body: string, delaySeconds: number): Promise<void>;
}

/** SendMessage to one queue with standard retries; `AWS_ENDPOINT_URL_SQS` overrides the endpoint in tests. */
export function sqsSender(queueUrl: string, opts: { maxAttempts: number; attemptTimeoutMs: number }): SqsSender {
  const client = tracer.captureAWSv3Client(new SQSClient(clientConfig(opts)));
  return {
    async send(body, delaySeconds) {
      await client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, DelaySeconds: delaySeconds }));
    },
  };
}
