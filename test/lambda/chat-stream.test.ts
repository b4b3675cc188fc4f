import * as fc from 'fast-check';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { releasePoint } from '../../lambda/shared/guarded-chat';
import { installLocalStreamingRuntime, invokeStreaming, localContext } from '../support/local-streaming';
import type { StreamingHandler } from '../../lambda/shared/stream';
import { apiEvent, LEAK_PATTERNS } from '../support/api-event';
import { BedrockFake, throttle } from '../support/bedrock-fake';
import { jsonObject, parseJson } from '../support/json';

const ENV = {
  MODEL_ID: 'us.amazon.nova-lite-v1:0',
  MODEL_PRICE: JSON.stringify({ inputPerMTok: 0.06, outputPerMTok: 0.24 }),
  MAX_TOKENS: '1024',
  TEMPERATURE: '0.5',
  MAX_QUERY_CHARS: '8000',
  BEDROCK_MAX_ATTEMPTS: '3',
  BEDROCK_ATTEMPT_TIMEOUT_MS: '1000',
};

function loadHandler(env: Record<string, string | undefined>): StreamingHandler {
  for (const key of ['GUARDRAIL_ID', 'GUARDRAIL_VERSION', 'GUARDRAIL_WINDOW_CHARS']) delete process.env[key];
  Object.assign(process.env, ENV, env);
  let handler!: StreamingHandler;
  jest.isolateModules(() => {
    handler = (require('../../lambda/chat-stream/handler') as { handler: StreamingHandler }).handler;
  });
  return handler;
}

let fake: BedrockFake;
let handler: StreamingHandler;
let guarded: StreamingHandler;
beforeAll(async () => {
  fake = await BedrockFake.start();
  fake.exportEndpoints();
  installLocalStreamingRuntime();
  handler = loadHandler({});
  guarded = loadHandler({ GUARDRAIL_ID: 'gr-123', GUARDRAIL_VERSION: '3', GUARDRAIL_WINDOW_CHARS: '40' });
});
afterAll(() => fake.stop());
beforeEach(() => fake.reset());

const user = (content: string) => ({ messages: [{ role: 'user', content }] });
const chat = (h: StreamingHandler, body: unknown, event?: Partial<APIGatewayProxyEvent>) =>
  invokeStreaming(h, apiEvent('chat/stream', body, event), localContext());

/** The SSE frames of a body: `{event, data}` with data parsed. */
function sse(body: string): { event?: string; data: Record<string, unknown> }[] {
  return body
    .split('\n\n')
    .filter(Boolean)
    .map((frame) => {
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      return { ...(event ? { event } : {}), data: parseJson(jsonObject, data!) };
    });
}

const text = (frames: ReturnType<typeof sse>) => frames.map((f) => f.data.delta ?? '').join('');

describe('POST /chat/stream over ConverseStream (real SDK client, event-stream fake)', () => {
  test('deltas arrive in order, one frame each, then the final event', async () => {
    fake.setDefault('ConverseStream', { kind: 'answer', override: { chunks: ['Hello', ', ', 'streaming ', 'world', '.'], chunkDelayMs: 5 } });
    const res = await chat(handler, user('hi'));
    expect(res.statusCode).toBe(200);
    expect(res.headers['Content-Type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['Cache-Control']).toBe('no-store, no-transform');
    const frames = sse(res.body);
    expect(frames.slice(0, 5).map((f) => f.data)).toEqual([{ delta: 'Hello' }, { delta: ', ' }, { delta: 'streaming ' }, { delta: 'world' }, { delta: '.' }]);
    // Each delta was its own write: the handler streams, it does not buffer the answer.
    expect(res.chunks.length).toBeGreaterThanOrEqual(6);
    expect(frames.at(-1)!.data).toEqual({
      done: true,
      modelId: 'us.amazon.nova-lite-v1:0',
      stopReason: 'end_turn',
      usage: { inputTokens: 1, outputTokens: 5, totalTokens: 6 },
      guardrail: null,
      requestId: res.headers['X-Request-Id'],
    });
  });

  test('sends the conversation and the caps to ConverseStream on the configured model', async () => {
    await chat(handler, {
      messages: [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'b' },
        { role: 'user', content: 'c' },
      ],
      maxTokens: 64,
      temperature: 0,
    });
    expect(fake.requests.map((r) => r.operation)).toEqual(['ConverseStream']);
    expect(fake.requests[0].params.modelId).toBe(ENV.MODEL_ID);
    expect(fake.requests[0].body).toEqual({
      messages: [
        { role: 'user', content: [{ text: 'a' }] },
        { role: 'assistant', content: [{ text: 'b' }] },
        { role: 'user', content: [{ text: 'c' }] },
      ],
      inferenceConfig: { maxTokens: 64, temperature: 0 },
    });
  });

  test('the final event reports max_tokens as the stop reason', async () => {
    fake.setDefault('ConverseStream', { kind: 'answer', override: { stopReason: 'max_tokens' } });
    const frames = sse((await chat(handler, user('long'))).body);
    expect(frames.at(-1)!.data.stopReason).toBe('max_tokens');
  });

  test.each([
    ['throttlingException', 429, 'The model is busy; retry after the delay in Retry-After'],
    ['modelStreamErrorException', 502, 'The model failed to answer'],
    ['internalServerException', 502, 'The model failed to answer'],
  ])('a mid-stream %s: the deltas sent so far, then an error event of ours, and no done', async (type, status, message) => {
    fake.setDefault('ConverseStream', { kind: 'stream-error', afterChunks: 2, type, message: 'arn:aws:bedrock:us-east-1:123456789012 internal detail' });
    const res = await chat(handler, user('x'));
    expect(res.statusCode).toBe(200);
    const frames = sse(res.body);
    expect(frames.slice(0, 2).map((f) => f.data.delta)).toEqual(['fake ', 'answer ']);
    expect(frames.at(-1)).toEqual({ event: 'error', data: { error: message, status, requestId: res.headers['X-Request-Id'] } });
    expect(frames.some((f) => f.data.done)).toBe(false);
    for (const pattern of LEAK_PATTERNS) expect(res.body).not.toMatch(pattern);
  });

  test('throttled before the stream starts: 429 JSON with Retry-After, after the SDK retries', async () => {
    fake.setDefault('ConverseStream', throttle());
    const res = await chat(handler, user('x'));
    expect(res.statusCode).toBe(429);
    expect(res.headers['Retry-After']).toBe('2');
    expect(JSON.parse(res.body)).toEqual({ error: 'The model is busy; retry after the delay in Retry-After', requestId: res.headers['X-Request-Id'] });
    expect(fake.count('ConverseStream')).toBe(3);
  });

  test('a stream that ends without messageStop or metadata: error event, not a made-up done', async () => {
    fake.setDefault('ConverseStream', { kind: 'stream-error', afterChunks: 1, type: 'SomethingUnmodeled' });
    const frames = sse((await chat(handler, user('x'))).body);
    expect(frames.at(-1)!.event).toBe('error');
  });
});

describe('guardrail on the stream (windows checked with ApplyGuardrail before release)', () => {
  const blocked = (output: string) => ({
    kind: 'answer' as const,
    override: {
      action: 'GUARDRAIL_INTERVENED',
      outputs: [{ text: output }],
      assessments: [{ contentPolicy: { filters: [{ type: 'VIOLENCE', confidence: 'HIGH', action: 'BLOCKED' }] } }],
    },
  });
  const masked = (output: string) => ({
    kind: 'answer' as const,
    override: {
      action: 'GUARDRAIL_INTERVENED',
      outputs: [{ text: output }],
      assessments: [{ sensitiveInformationPolicy: { piiEntities: [{ type: 'EMAIL', match: 'x', action: 'ANONYMIZED' }] } }],
    },
  });
  const CHUNKS = ['First sentence ', 'is here. ', 'Second sentence ', 'follows it. ', 'Third one ', 'ends the answer.'];

  test('every character sent was checked first, in windows cut at sentence ends', async () => {
    fake.setDefault('ConverseStream', { kind: 'answer', override: { chunks: CHUNKS } });
    const frames = sse((await chat(guarded, user('hi'))).body);
    const checks = fake.requests
      .filter((r) => r.operation === 'ApplyGuardrail')
      .map((r) => r.body as { source: string; content: { text: { text: string } }[] });
    expect(checks[0].source).toBe('INPUT');
    const outputs = checks.filter((c) => c.source === 'OUTPUT').map((c) => c.content[0].text.text);
    expect(outputs).toEqual(['First sentence is here. ', 'Second sentence follows it. ', 'Third one ends the answer.']);
    expect(frames.filter((f) => f.data.delta).map((f) => f.data.delta)).toEqual(outputs);
    expect(frames.at(-1)!.data).toMatchObject({ done: true, stopReason: 'end_turn', guardrail: { input: 'none', output: 'none' } });
  });

  test('a blocked window is never sent: the stream stops with a replace event and guardrail_intervened', async () => {
    fake.setDefault('ConverseStream', { kind: 'answer', override: { chunks: CHUNKS } });
    fake.enqueue('ApplyGuardrail', { kind: 'answer' }, { kind: 'answer' }, blocked('Sorry, I cannot answer that.'));
    const frames = sse((await chat(guarded, user('hi'))).body);
    expect(frames.map((f) => f.data)).toEqual([
      { delta: 'First sentence is here. ' },
      { replace: 'Sorry, I cannot answer that.' },
      expect.objectContaining({ done: true, stopReason: 'guardrail_intervened', usage: null, guardrail: { input: 'none', output: 'blocked' } }),
    ]);
    expect(JSON.stringify(frames)).not.toMatch(/Second sentence/);
  });

  test('masked PII: the masked window is sent instead of the model text', async () => {
    fake.setDefault('ConverseStream', { kind: 'answer', override: { chunks: ['Mail me at jo@example.com today. ', 'Bye.'] } });
    fake.enqueue('ApplyGuardrail', { kind: 'answer' }, masked('Mail me at {EMAIL} today. '));
    const frames = sse((await chat(guarded, user('hi'))).body);
    expect(text(frames)).toBe('Mail me at {EMAIL} today. Bye.');
    expect(frames.at(-1)!.data.guardrail).toEqual({ input: 'none', output: 'masked' });
  });

  test('a blocked input: 422 JSON with the blocked message, and the model is never called', async () => {
    fake.enqueue('ApplyGuardrail', blocked('That request is not allowed.'));
    const res = await chat(guarded, user('something bad'));
    expect(res.statusCode).toBe(422);
    expect(JSON.parse(res.body).error).toBe('That request is not allowed.');
    expect(fake.count('ConverseStream')).toBe(0);
  });

  test('a masked input: the model sees only the masked turn', async () => {
    fake.enqueue('ApplyGuardrail', masked('my mail is {EMAIL}'));
    await chat(guarded, user('my mail is jo@example.com'));
    const sent = fake.requests.find((r) => r.operation === 'ConverseStream')!.body as { messages: { content: { text: string }[] }[] };
    expect(sent.messages[0].content[0].text).toBe('my mail is {EMAIL}');
  });
});

describe('release points', () => {
  test('never past the window, never inside a surrogate pair, all text eventually released', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), fc.integer({ min: 4, max: 120 }), (s, window) => {
        let rest = s;
        const pieces: string[] = [];
        for (let cut = releasePoint(rest, window); cut > 0; cut = releasePoint(rest, window)) {
          expect(cut).toBeLessThanOrEqual(window);
          expect(/[\uD800-\uDBFF]$/.test(rest.slice(0, cut))).toBe(false);
          pieces.push(rest.slice(0, cut));
          rest = rest.slice(cut);
        }
        expect(rest.length).toBeLessThan(window);
        expect(pieces.join('') + rest).toBe(s);
      }),
      { numRuns: 1_000 },
    );
  });
});
