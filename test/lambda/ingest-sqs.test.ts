import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as z from 'zod/mini';
import { sqsSender } from '../../lambda/ingest/sqs';
import { tracer } from '../../lambda/shared/observability';
import { closeServer, readBody } from '../support/http';
import { parseJson } from '../support/json';

/**
 * lambda/ingest/sqs.ts on its own: SendMessage through the real SQS client to a loopback endpoint
 * (`AWS_ENDPOINT_URL_SQS`, as the handler tests set it), which records each request and answers
 * from a script.
 */

type Answer = { status: number } | 'hang';

let server: http.Server;
let endpoint: string;
let queueUrl: string;
const received: { target: string | undefined; authorization: string | undefined; body: { QueueUrl: string; MessageBody: string; DelaySeconds: number } }[] = [];
let script: Answer[] = [];
const sendMessage = z.object({ QueueUrl: z.string(), MessageBody: z.string(), DelaySeconds: z.number() });

beforeAll(async () => {
  server = http.createServer((req, res) => {
    void readBody(req).then((raw) => {
      const body = parseJson(sendMessage, raw);
      received.push({ target: req.headers['x-amz-target'] as string | undefined, authorization: req.headers.authorization, body });
      const answer = script.shift() ?? { status: 200 };
      if (answer === 'hang') return;
      res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' });
      if (answer.status !== 200) return void res.end(JSON.stringify({ __type: 'com.amazonaws.sqs#InternalError', message: 'fake' }));
      // The SQS client checks the MD5 of the body the queue says it stored.
      res.end(JSON.stringify({ MessageId: `m${received.length}`, MD5OfMessageBody: createHash('md5').update(body.MessageBody).digest('hex') }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  queueUrl = `${endpoint}/123456789012/ingest`;
  process.env.AWS_ENDPOINT_URL_SQS = endpoint;
});

afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_SQS;
  await closeServer(server);
});

beforeEach(() => {
  received.length = 0;
  script = [];
});

afterEach(() => jest.restoreAllMocks());

/** The sender and the SQS client it built (as handed to the tracer), for its resolved request handler settings. */
function sender(opts: { maxAttempts: number; attemptTimeoutMs: number }) {
  const clients: unknown[] = [];
  const capture = jest.spyOn(tracer, 'captureAWSv3Client').mockImplementation((client) => (clients.push(client), client));
  const s = sqsSender(queueUrl, opts);
  capture.mockRestore();
  expect(clients).toHaveLength(1);
  const handlerSettings = () =>
    (clients[0] as { config: { requestHandler: { httpHandlerConfigs(): Record<string, unknown> } } }).config.requestHandler.httpHandlerConfigs();
  return { send: s.send.bind(s), handlerSettings };
}

test('sends one SendMessage to the queue with the body and delay given, signed for sqs', async () => {
  const { send } = sender({ maxAttempts: 2, attemptTimeoutMs: 2_000 });
  await expect(send('{"kind":"check","jobId":"J1"}', 45)).resolves.toBeUndefined();
  expect(received).toHaveLength(1);
  expect(received[0].target).toBe('AmazonSQS.SendMessage');
  expect(received[0].authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKEFAKE\/\d{8}\/us-east-1\/sqs\/aws4_request/);
  expect(received[0].body).toEqual({ QueueUrl: queueUrl, MessageBody: '{"kind":"check","jobId":"J1"}', DelaySeconds: 45 });
});

test('retries a failed SendMessage up to maxAttempts requests, then rejects', async () => {
  script = [{ status: 500 }, { status: 200 }];
  await expect(sender({ maxAttempts: 2, attemptTimeoutMs: 2_000 }).send('a', 0)).resolves.toBeUndefined();
  expect(received).toHaveLength(2);
  received.length = 0;
  script = [{ status: 500 }, { status: 500 }, { status: 500 }, { status: 200 }];
  await expect(sender({ maxAttempts: 3, attemptTimeoutMs: 2_000 }).send('b', 0)).rejects.toMatchObject({ name: 'InternalError' });
  expect(received).toHaveLength(3);
});

test('an attempt unanswered within attemptTimeoutMs fails (and is retried); the connection timeout is at most 3 s', async () => {
  script = ['hang', 'hang'];
  const { send, handlerSettings } = sender({ maxAttempts: 2, attemptTimeoutMs: 300 });
  const started = performance.now();
  await expect(send('c', 0)).rejects.toMatchObject({ name: 'TimeoutError' });
  expect(received).toHaveLength(2);
  // Two attempts of 300 ms at least, far under the jest timeout a missing request timeout would hit.
  expect(performance.now() - started).toBeGreaterThanOrEqual(550);
  expect(handlerSettings()).toMatchObject({ requestTimeout: 300, connectionTimeout: 300, throwOnRequestTimeout: true });
  const slow = sender({ maxAttempts: 1, attemptTimeoutMs: 10_000 });
  await slow.send('d', 0);
  expect(slow.handlerSettings()).toMatchObject({ requestTimeout: 10_000, connectionTimeout: 3_000 });
});
