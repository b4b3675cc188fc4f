import OpenAI from 'openai';
import { installLocalStreamingRuntime, type LocalServer, serveLocally } from '../support/local-streaming';
import type { StreamingHandler } from '../../lambda/shared/stream';
import { LEAK_PATTERNS } from '../support/api-event';
import { BedrockFake, throttle } from '../support/bedrock-fake';

/**
 * The official `openai` client, pointed at the handler served on loopback through a local
 * stand-in for API Gateway's streaming proxy, with the real Bedrock client behind it talking to
 * the fake. If the wire format drifts from OpenAI's, this client is what notices.
 */

const POLICY = {
  targets: [
    { alias: 'nova-lite', modelId: 'us.amazon.nova-lite-v1:0', price: { inputPerMTok: 0.06, outputPerMTok: 0.24 } },
    { alias: 'nova-micro', modelId: 'us.amazon.nova-micro-v1:0', price: { inputPerMTok: 0.035, outputPerMTok: 0.14 } },
  ],
  defaultAlias: 'nova-lite',
  fallbacks: {},
};

export const OPENAI_ENV = {
  ROUTING_POLICY: JSON.stringify(POLICY),
  MAX_TOKENS: '1024',
  TEMPERATURE: '0.5',
  MAX_QUERY_CHARS: '8000',
  BEDROCK_MAX_ATTEMPTS: '2',
  BEDROCK_ATTEMPT_TIMEOUT_MS: '1000',
};

let fake: BedrockFake;
let server: LocalServer;
let client: OpenAI;

beforeAll(async () => {
  fake = await BedrockFake.start();
  fake.exportEndpoints();
  installLocalStreamingRuntime();
  for (const key of ['GUARDRAIL_ID', 'GUARDRAIL_VERSION', 'GUARDRAIL_WINDOW_CHARS']) delete process.env[key];
  Object.assign(process.env, OPENAI_ENV);
  let handler!: StreamingHandler;
  jest.isolateModules(() => {
    handler = (require('../../lambda/openai/handler') as { handler: StreamingHandler }).handler;
  });
  server = await serveLocally(handler, { stage: 'v1' });
  // No client retries: each test sees exactly what the gateway answered.
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
  await fake.stop();
});
beforeEach(() => fake.reset());

const HELLO = [{ role: 'user' as const, content: 'hello there' }];

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('chat.completions.create through the openai client', () => {
  test('non-streaming: a chat.completion with the text, finish_reason and usage', async () => {
    const answer = await client.chat.completions.create({ model: 'nova-lite', messages: HELLO });
    expect(answer).toEqual({
      id: expect.stringMatching(/^chatcmpl-local-/),
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'nova-lite',
      choices: [{ index: 0, message: { role: 'assistant', content: 'fake answer to: hello there', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 3, completion_tokens: 7, total_tokens: 10 },
    });
    expect(Math.abs(answer.created - Date.now() / 1000)).toBeLessThan(60);
  });

  test('system and developer messages become system blocks; the alias picks the model; caps apply', async () => {
    await client.chat.completions.create({
      model: 'nova-micro',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in English.' }] },
        { role: 'user', content: 'one' },
        { role: 'user', content: 'two' },
      ],
      max_completion_tokens: 50,
      temperature: 1.6,
      user: 'someone', // an OpenAI field we do not use: ignored, not refused
    });
    const call = fake.requests.find((r) => r.operation === 'ConverseStream')!;
    expect(call.params.modelId).toBe('us.amazon.nova-micro-v1:0');
    expect(call.body).toEqual({
      system: [{ text: 'Be brief.' }, { text: 'Answer in English.' }],
      messages: [{ role: 'user', content: [{ text: 'one\n\ntwo' }] }],
      inferenceConfig: { maxTokens: 50, temperature: 1 },
    });
  });

  test('streaming: chunks in order, the role first, finish_reason last, usage when asked for', async () => {
    fake.setDefault('ConverseStream', { kind: 'answer', override: { chunks: ['Stream', 'ing ', 'works', '.'], chunkDelayMs: 5 } });
    const stream = await client.chat.completions.create({ model: 'nova-lite', messages: HELLO, stream: true, stream_options: { include_usage: true } });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'nova-lite' && c.id === chunks[0].id)).toBe(true);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const text = chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? '')).join('');
    expect(text).toBe('Streaming works.');
    expect(chunks.map((c) => c.choices[0]?.delta.content).filter(Boolean)).toEqual(['Stream', 'ing ', 'works', '.']);
    expect(chunks.at(-2)!.choices[0].finish_reason).toBe('stop');
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 3, completion_tokens: 7, total_tokens: 10 });
  });

  test('streaming raw: text/event-stream ending with data: [DONE]', async () => {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: HELLO, stream: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const body = await res.text();
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
    // No model named: the policy's default answers.
    expect(body).toContain('"model":"nova-lite"');
  });

  test.each([
    ['end_turn', 'stop'],
    ['max_tokens', 'length'],
    ['guardrail_intervened', 'content_filter'],
    ['content_filtered', 'content_filter'],
  ])('Bedrock stop reason %s → finish_reason %s', async (stopReason, finish) => {
    fake.setDefault('ConverseStream', { kind: 'answer', override: { stopReason } });
    const answer = await client.chat.completions.create({ model: 'nova-lite', messages: HELLO });
    expect(answer.choices[0].finish_reason).toBe(finish);
  });
});

describe('errors in OpenAI’s envelope, raised by the client as its own error classes', () => {
  test('an unknown model: BadRequestError naming the allowed models, param model', async () => {
    const error = await caught(client.chat.completions.create({ model: 'gpt-4o', messages: HELLO }));
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const e = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.status).toBe(400);
    expect(e.error).toEqual({ message: 'model must be one of nova-lite, nova-micro', type: 'invalid_request_error', param: 'model', code: 'model_not_found' });
    expect(fake.count('ConverseStream')).toBe(0);
  });

  test.each([
    [
      { messages: [{ role: 'tool', content: 'x', tool_call_id: '1' }] },
      'messages.0.role',
      /^messages\.0\.role must be one of "system", "developer", "user", "assistant"$/,
    ],
    [
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://x' } }] }] },
      'messages.0.content',
      /must be a string or an array of text parts/,
    ],
    [{ messages: [{ role: 'assistant', content: 'hi' }] }, 'messages', /a user message before any assistant message/],
    [{ messages: [...HELLO, { role: 'assistant', content: 'prefill' }] }, 'messages', /must end with a user message/],
    [{ messages: [{ role: 'user', content: '   ' }] }, 'messages.0.content', /must not be empty/],
    [{ messages: [] }, 'messages', /messages must be at least 1 items/],
    [{ messages: HELLO, temperature: 3 }, 'temperature', /temperature must be at most 2/],
    [{ messages: HELLO, max_tokens: 5000 }, 'max_tokens', /max_tokens must be at most 1024/],
    [{ messages: HELLO, n: 2 }, 'n', /n must be 1/],
    [{ messages: HELLO, tools: [{ type: 'function', function: { name: 'f' } }] }, 'tools', /tools are not supported/],
  ])('bad request %j: 400 with param %s', async (body, param, message) => {
    const error = await caught(
      client.chat.completions.create({ model: 'nova-lite', ...(body as object) } as unknown as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming),
    );
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const e = (error as InstanceType<typeof OpenAI.BadRequestError>).error as { message: string; type: string; param: string };
    expect(e.type).toBe('invalid_request_error');
    expect(e.param).toBe(param);
    expect(e.message).toMatch(message);
  });

  test('persistent throttling: RateLimitError (429) with Retry-After, non-streaming and streaming', async () => {
    fake.setDefault('ConverseStream', throttle());
    for (const stream of [false, true]) {
      const error = await caught(client.chat.completions.create({ model: 'nova-lite', messages: HELLO, stream }));
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      const e = error as InstanceType<typeof OpenAI.RateLimitError>;
      expect(e.headers.get('retry-after')).toBe('2');
      expect(e.error).toEqual({
        message: 'The model is busy; retry after the delay in Retry-After',
        type: 'rate_limit_error',
        param: null,
        code: 'rate_limit_exceeded',
      });
    }
  });

  test('a failure after the stream started: the client raises an APIError with our message, never AWS text', async () => {
    fake.setDefault('ConverseStream', {
      kind: 'stream-error',
      afterChunks: 2,
      type: 'modelStreamErrorException',
      message: 'arn:aws:bedrock internal failure detail',
    });
    const stream = await client.chat.completions.create({ model: 'nova-lite', messages: HELLO, stream: true });
    const text: string[] = [];
    const error = await caught(
      (async () => {
        for await (const chunk of stream) text.push(chunk.choices[0]?.delta.content ?? '');
      })(),
    );
    expect(text.join('')).toBe('fake answer ');
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toBe('The model failed to answer');
    for (const pattern of LEAK_PATTERNS) expect(JSON.stringify((error as InstanceType<typeof OpenAI.APIError>).error)).not.toMatch(pattern);
  });

  test('invalid JSON: 400 in the envelope', async () => {
    const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"messages": [' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { message: 'Invalid JSON body', type: 'invalid_request_error', param: null, code: null } });
  });
});

describe('tenants (ground 4)', () => {
  test("the API key's tenant tier picks the model, through the tenant's application inference profile", async () => {
    const { invokeStreaming } = await import('../support/local-streaming');
    const { apiEvent } = await import('../support/api-event');
    const profile = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123';
    Object.assign(process.env, {
      ROUTING_POLICY: JSON.stringify({ ...POLICY, byTier: { basic: 'nova-micro' } }),
      TENANTS: JSON.stringify({ key1: { tenant: 'acme', tier: 'basic', modelIds: { 'nova-micro': profile } } }),
    });
    let tenanted!: StreamingHandler;
    jest.isolateModules(() => {
      tenanted = (require('../../lambda/openai/handler') as { handler: StreamingHandler }).handler;
    });
    delete process.env.TENANTS;
    const event = apiEvent('v1/chat/completions', { messages: HELLO });
    event.requestContext.identity = { ...event.requestContext.identity, apiKeyId: 'key1' };
    const res = await invokeStreaming(tenanted, event);
    expect(JSON.parse(res.body).model).toBe('nova-micro');
    expect(fake.requests[0].params.modelId).toBe(profile);
  });
});
