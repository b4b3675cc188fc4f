import { apiEvent, lambdaContext, LEAK_PATTERNS, parseResult } from '../support/api-event';
import { type BedrockFake, throttle } from '../support/bedrock-fake';
import { type Handler, startPromptHandler } from '../support/prompt-handler';

let fake: BedrockFake;
let handler: Handler;

beforeAll(async () => {
  ({ fake, handler } = await startPromptHandler());
});
afterAll(() => fake.stop());
beforeEach(() => fake.reset());

const ask = async (body: unknown, timeoutMs?: number) => parseResult(await handler(apiEvent('prompt', body), lambdaContext(timeoutMs)));

function expectNoLeak(json: Record<string, unknown>): void {
  const text = JSON.stringify(json);
  for (const pattern of LEAK_PATTERNS) expect(text).not.toMatch(pattern);
}

describe('POST /prompt through the real Bedrock runtime client', () => {
  test('answers with text, model id, token usage, stop reason and request id', async () => {
    const event = apiEvent('prompt', { query: 'What is RAG?' });
    const res = parseResult(await handler(event, lambdaContext()));
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({
      text: 'fake answer to: What is RAG?',
      model: 'nova-lite',
      modelId: 'us.amazon.nova-lite-v1:0',
      fallbackFrom: [],
      costUsd: (3 * 0.06 + 7 * 0.24) / 1e6,
      stopReason: 'end_turn',
      usage: { inputTokens: 3, outputTokens: 7, totalTokens: 10 },
      latencyMs: 1,
      requestId: event.requestContext.requestId,
    });
    expect(res.headers['X-Request-Id']).toBe(event.requestContext.requestId);
    expect(res.headers['Content-Type']).toBe('application/json');
  });

  test('sends a signed Converse call on the configured profile with the caps applied', async () => {
    await ask({ query: 'hello', maxTokens: 64, temperature: 0.1 });
    expect(fake.requests).toHaveLength(1);
    const [call] = fake.requests;
    expect(call.params.modelId).toBe('us.amazon.nova-lite-v1:0');
    expect(call.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKEFAKE\/\d{8}\/us-east-1\/bedrock\/aws4_request/);
    expect(call.body).toEqual({
      messages: [{ role: 'user', content: [{ text: 'hello' }] }],
      inferenceConfig: { maxTokens: 64, temperature: 0.1 },
    });
  });

  test('uses the configured maxTokens and temperature when the request names none', async () => {
    await ask({ query: 'hello' });
    expect((fake.requests[0].body as { inferenceConfig: unknown }).inferenceConfig).toEqual({ maxTokens: 1024, temperature: 0.5 });
  });
});

describe('faults', () => {
  test('a model endpoint that refuses connections: 503', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME;
    const { fake: down, handler: unreachable } = await startPromptHandler();
    await down.stop();
    try {
      const res = parseResult(await unreachable(apiEvent('prompt', { query: 'x' }), lambdaContext()));
      expect(res.statusCode).toBe(503);
      expect(res.json.error).toBe('The model is unavailable; try again later');
      expectNoLeak(res.json);
    } finally {
      process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME = saved;
    }
  });

  test('throttling then success: the SDK retries with backoff and the client gets the answer', async () => {
    fake.enqueue('Converse', throttle(), throttle());
    const res = await ask({ query: 'retry me' });
    expect(res.statusCode).toBe(200);
    expect(res.json.text).toBe('fake answer to: retry me');
    expect(fake.count('Converse')).toBe(3);
  });

  test('persistent throttling: 429 with Retry-After after every attempt is spent', async () => {
    fake.setDefault('Converse', throttle());
    const res = await ask({ query: 'busy' });
    expect(res.statusCode).toBe(429);
    expect(res.headers['Retry-After']).toBe('2');
    expect(res.json.error).toBe('The model is busy; retry after the delay in Retry-After');
    expect(fake.count('Converse')).toBe(3);
    expectNoLeak(res.json);
  });

  test('a model that hangs past every attempt timeout: 504', async () => {
    fake.setDefault('Converse', { kind: 'hang' });
    const res = await ask({ query: 'slow' });
    expect(res.statusCode).toBe(504);
    expect(res.json.error).toBe('The model did not answer in time');
  });

  test('a model still busy when the function is about to time out: 504 before the kill', async () => {
    fake.setDefault('Converse', { kind: 'hang' });
    const res = await ask({ query: 'slow' }, 1_300);
    expect(res.statusCode).toBe(504);
    // Cut at the deadline (1.3 s minus the 1 s margin) during the first 1 s attempt: no retry
    // started. Without the deadline the SDK would have made all three attempts.
    expect(fake.count('Converse')).toBe(1);
  });

  test('a slow model that answers within the attempt timeout is waited for', async () => {
    fake.setDefault('Converse', { kind: 'answer', delayMs: 300 });
    const res = await ask({ query: 'take your time' });
    expect(res.statusCode).toBe(200);
    expect(fake.count('Converse')).toBe(1);
  });

  test('ModelTimeoutException: 504', async () => {
    fake.setDefault('Converse', { kind: 'error', status: 408, type: 'ModelTimeoutException' });
    const res = await ask({ query: 'x' });
    expect(res.statusCode).toBe(504);
  });

  test('a model 5xx that recovers is retried', async () => {
    fake.enqueue('Converse', { kind: 'error', status: 500, type: 'InternalServerException' });
    expect((await ask({ query: 'x' })).statusCode).toBe(200);
    expect(fake.count('Converse')).toBe(2);
  });

  test.each([
    [503, 'ServiceUnavailableException', 503, 'The model is unavailable; try again later'],
    [429, 'ModelNotReadyException', 503, 'The model is unavailable; try again later'],
    [500, 'InternalServerException', 502, 'The model failed to answer'],
    [424, 'ModelErrorException', 502, 'The model failed to answer'],
    [400, 'ValidationException', 400, 'The model rejected the request; shorten the query or lower maxTokens'],
    [403, 'AccessDeniedException', 500, 'The service is not configured correctly; the operator has been alerted'],
    [404, 'ResourceNotFoundException', 500, 'The service is not configured correctly; the operator has been alerted'],
    [502, 'SomethingNewException', 502, 'The model failed to answer'],
  ])('upstream %i %s → %i with a message of ours, never the AWS text', async (status, type, expected, message) => {
    fake.setDefault('Converse', { kind: 'error', status, type, message: `User: arn:aws:sts::123456789012:assumed-role/x is not authorized (${type})` });
    const res = await ask({ query: 'x' });
    expect(res.statusCode).toBe(expected);
    expect(res.json.error).toBe(message);
    expectNoLeak(res.json);
  });

  test.each([
    ['not JSON', '{"output": '],
    ['no message', '{"stopReason":"end_turn","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2}}'],
    ['no usage', '{"output":{"message":{"role":"assistant","content":[{"text":"hi"}]}},"stopReason":"end_turn"}'],
    ['wrong types', '{"output":{"message":{"role":"assistant","content":"hi"}},"stopReason":5,"usage":"many"}'],
  ])('a malformed model reply (%s): 502', async (_label, body) => {
    fake.setDefault('Converse', { kind: 'malformed', body });
    const res = await ask({ query: 'x' });
    expect(res.statusCode).toBe(502);
    expect(res.json.error).toBe('The model returned a malformed answer');
    expectNoLeak(res.json);
  });
});
