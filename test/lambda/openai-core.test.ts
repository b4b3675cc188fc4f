import type { ChatEvent } from '../../lambda/shared/guarded-chat';
import { HttpError } from '../../lambda/shared/http';
import { parseRequest } from '../../lambda/shared/validation';
import {
  completion,
  completionChunks,
  type CompletionMeta,
  type CompletionRequest,
  completionRequestSchema,
  type CompletionSettings,
  finishReason,
  MAX_MESSAGES,
  openAiError,
  openAiErrorFrame,
  toModelRequest,
} from '../../lambda/openai/core';
import type { RoutingPolicy } from '../../contracts/routing';
import { refusal as refusalOf } from '../support/refusal';

/**
 * The OpenAI-compatible route's core, called directly: the body it accepts (read through the
 * handler's parseRequest), the Converse request built from it, the completion and the SSE chunks
 * built from in-memory chat events, and OpenAI's error envelope. The handler tests (openai.test.ts,
 * openai-bad-input.test.ts) run it through the real Bedrock client against a local fake.
 */

const PRICE = { inputPerMTok: 1, outputPerMTok: 1 };
const POLICY: RoutingPolicy = {
  targets: [
    { alias: 'lite', modelId: 'amazon.nova-lite-v1:0', price: PRICE },
    { alias: 'micro', modelId: 'amazon.nova-micro-v1:0', price: PRICE },
    { alias: 'big', modelId: 'anthropic.claude-sonnet', price: PRICE },
  ],
  defaultAlias: 'lite',
  byTier: { basic: 'micro' },
  longPrompt: { minChars: 20, alias: 'big' },
  fallbacks: {},
};
const SETTINGS: CompletionSettings = { policy: POLICY, maxTokens: 100, temperature: 0.4, maxMessageChars: 10 };
const schema = completionRequestSchema(SETTINGS);

type Role = 'system' | 'developer' | 'user' | 'assistant';
const msg = (role: Role, content: string | { type: 'text'; text: string }[]) => ({ role, content });
const body = (...messages: ReturnType<typeof msg>[]): CompletionRequest => ({ messages });

const refusal = (value: unknown): string => refusalOf(schema, value);

/** The status and message of what `run` throws. */
const failure = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    return { status: (error as HttpError).statusCode, message: (error as Error).message };
  }
  throw new Error('expected a failure');
};

describe('completionRequestSchema', () => {
  const user = msg('user', 'hi');

  test('accepts what OpenAI clients send, nulls for every optional field, and ignores fields it does not use', () => {
    expect(parseRequest(schema, { messages: [user] })).toEqual({ messages: [user] });
    const full = {
      model: 'x'.repeat(200),
      messages: [msg('system', 'be brief'), msg('developer', 'no'), user, msg('assistant', 'yo'), msg('user', [{ type: 'text', text: 'more than ten chars' }])],
      max_tokens: 100,
      max_completion_tokens: 1,
      temperature: 2,
      stream: true,
      stream_options: { include_usage: true },
      n: 1,
      tools: [],
    };
    expect(parseRequest(schema, { ...full, user: 'bob', top_p: 0.9, seed: 7 })).toEqual(full);
    const nulls = { model: null, max_tokens: null, max_completion_tokens: null, temperature: null, stream: null, stream_options: null, n: null, tools: null };
    expect(parseRequest(schema, { messages: [user], ...nulls })).toEqual({ messages: [user], ...nulls });
    expect(parseRequest(schema, { messages: [msg('user', '0123456789')], temperature: 0, stream_options: { include_usage: null } })).toEqual({
      messages: [msg('user', '0123456789')],
      temperature: 0,
      stream_options: { include_usage: null },
    });
    expect(MAX_MESSAGES).toBe(50);
    expect(parseRequest(schema, { messages: Array.from({ length: 50 }, () => user) }).messages).toHaveLength(50);
    const parts = Array.from({ length: 20 }, () => ({ type: 'text', text: 'a' }));
    expect(parseRequest(schema, { messages: [msg('user', parts as never)] }).messages[0]?.content).toHaveLength(20);
  });

  test('fails when messages are missing, empty or more than MAX_MESSAGES', () => {
    expect(refusal({})).toBe('messages is required');
    expect(refusal({ messages: [] })).toBe('messages must be at least 1 items');
    expect(refusal({ messages: Array.from({ length: 51 }, () => user) })).toBe('messages must be at most 50 items');
  });

  test('fails when a message has a role OpenAI tools use but Converse cannot take', () => {
    expect(refusal({ messages: [{ role: 'tool', content: 'x' }] })).toBe('messages.0.role must be one of "system", "developer", "user", "assistant"');
  });

  test('fails when a content is not a string or text parts, or too long, naming it', () => {
    const notText = 'messages.0.content must be a string or an array of text parts';
    expect(refusal({ messages: [msg('user', '01234567890')] })).toBe('messages.0.content must be at most 10 characters');
    expect(refusal({ messages: [{ role: 'user', content: 5 }] })).toBe(notText);
    expect(refusal({ messages: [{ role: 'user', content: [{ type: 'image_url', text: 'a' }] }] })).toBe(notText);
    expect(refusal({ messages: [{ role: 'user', content: [{ type: 'text' }] }] })).toBe(notText);
    expect(refusal({ messages: [{ role: 'user', content: Array.from({ length: 21 }, () => ({ type: 'text', text: 'a' })) }] })).toBe(notText);
    expect(refusal({ messages: [{ role: 'user', content: [] }] })).toBe('messages.0.content must be at least 1 items');
  });

  test('fails when the model name is empty or longer than 200 characters', () => {
    expect(refusal({ messages: [user], model: '' })).toBe('model must be at least 1 characters');
    expect(refusal({ messages: [user], model: 'x'.repeat(201) })).toBe('model must be at most 200 characters');
  });

  test('fails when max_tokens or max_completion_tokens is not an integer from 1 to the cap', () => {
    for (const field of ['max_tokens', 'max_completion_tokens']) {
      expect(refusal({ messages: [user], [field]: 0 })).toBe(`${field} must be at least 1`);
      expect(refusal({ messages: [user], [field]: 101 })).toBe(`${field} must be at most 100`);
      expect(refusal({ messages: [user], [field]: 1.5 })).toBe(`${field} must be an integer`);
    }
  });

  test("fails when temperature is outside OpenAI's 0 to 2, or a flag is not a boolean", () => {
    expect(refusal({ messages: [user], temperature: -0.1 })).toBe('temperature must be at least 0');
    expect(refusal({ messages: [user], temperature: 2.1 })).toBe('temperature must be at most 2');
    expect(refusal({ messages: [user], stream: 'yes' })).toBe('stream must be a boolean');
    expect(refusal({ messages: [user], stream_options: { include_usage: 1 } })).toBe('stream_options.include_usage must be a boolean');
  });

  test('fails when the answer would not have the shape asked for: n other than 1, tools', () => {
    expect(refusal({ messages: [user], n: 2 })).toBe('n must be 1: one choice per request');
    expect(refusal({ messages: [user], tools: [{ type: 'function' }] })).toBe('tools are not supported by this gateway');
    // Not an array at all: the same one message, not "must be an array" beside it.
    expect(refusal({ messages: [user], tools: 'x' })).toBe('tools are not supported by this gateway');
    expect(refusal({ messages: [user], tools: { type: 'function' } })).toBe('tools are not supported by this gateway');
  });
});

describe('toModelRequest', () => {
  test('system and developer messages become system blocks; the turns keep their order', () => {
    const routed = toModelRequest(
      body(msg('system', 'be brief'), msg('user', 'hi'), msg('developer', 'in French'), msg('assistant', 'yo'), msg('user', 'why')),
      SETTINGS,
    );
    expect(routed).toStrictEqual({
      alias: 'big',
      request: {
        modelId: 'anthropic.claude-sonnet',
        system: ['be brief', 'in French'],
        messages: [
          { role: 'user', text: 'hi' },
          { role: 'assistant', text: 'yo' },
          { role: 'user', text: 'why' },
        ],
        maxTokens: 100,
        temperature: 0.4,
      },
    });
  });

  test('without system messages the request has no system field', () => {
    expect(toModelRequest(body(msg('user', 'hi')), SETTINGS)).toStrictEqual({
      alias: 'lite',
      request: { modelId: 'amazon.nova-lite-v1:0', messages: [{ role: 'user', text: 'hi' }], maxTokens: 100, temperature: 0.4 },
    });
  });

  test('consecutive turns of one role are joined; text parts are joined without separator', () => {
    const routed = toModelRequest(
      body(
        msg('user', 'a'),
        msg('user', [
          { type: 'text', text: 'b' },
          { type: 'text', text: 'c' },
        ]),
        msg('assistant', 'd'),
        msg('assistant', 'e'),
        msg('user', 'f'),
      ),
      SETTINGS,
    );
    expect(routed.request.messages).toEqual([
      { role: 'user', text: 'a\n\nbc' },
      { role: 'assistant', text: 'd\n\ne' },
      { role: 'user', text: 'f' },
    ]);
  });

  test('fails when a message is empty or blank, naming its index among all messages', () => {
    expect(failure(() => toModelRequest(body(msg('system', 'x'), msg('user', '  \n')), SETTINGS))).toEqual({
      status: 400,
      message: 'messages.1.content must not be empty',
    });
    expect(failure(() => toModelRequest(body(msg('user', '')), SETTINGS))).toEqual({ status: 400, message: 'messages.0.content must not be empty' });
    expect(failure(() => toModelRequest(body(msg('user', 'hi'), msg('assistant', 'a'), msg('user', [{ type: 'text', text: ' ' }])), SETTINGS))).toEqual({
      status: 400,
      message: 'messages.2.content must not be empty',
    });
  });

  test('fails when text parts together are longer than maxMessageChars; exactly the limit passes', () => {
    const parts = (n: number) => Array.from({ length: n }, () => ({ type: 'text' as const, text: 'ab' }));
    expect(failure(() => toModelRequest(body(msg('user', 'hi'), msg('assistant', 'a'), msg('user', parts(6))), SETTINGS))).toEqual({
      status: 400,
      message: 'messages.2.content must be at most 10 characters',
    });
    expect(toModelRequest(body(msg('user', parts(5))), SETTINGS).request.messages).toEqual([{ role: 'user', text: 'ababababab' }]);
  });

  test('fails when no user message comes before the first assistant message, or there is none', () => {
    const message = 'messages must hold a user message before any assistant message';
    expect(failure(() => toModelRequest(body(msg('assistant', 'yo'), msg('user', 'hi')), SETTINGS))).toEqual({ status: 400, message });
    expect(failure(() => toModelRequest(body(msg('system', 'be brief')), SETTINGS))).toEqual({ status: 400, message });
  });

  test('fails when the conversation ends with the assistant', () => {
    expect(failure(() => toModelRequest(body(msg('user', 'hi'), msg('assistant', 'yo')), SETTINGS))).toEqual({
      status: 400,
      message: 'messages must end with a user message',
    });
  });

  test('the model asked for is used; an unknown one fails naming the aliases; null lets the policy choose', () => {
    expect(toModelRequest({ ...body(msg('user', 'hi')), model: 'micro' }, SETTINGS)).toMatchObject({
      alias: 'micro',
      request: { modelId: 'amazon.nova-micro-v1:0' },
    });
    expect(failure(() => toModelRequest({ ...body(msg('user', 'hi')), model: 'gpt-4o' }, SETTINGS))).toEqual({
      status: 400,
      message: 'model must be one of lite, micro, big',
    });
    expect(toModelRequest({ ...body(msg('user', 'hi')), model: null }, SETTINGS, { tier: 'basic' }).alias).toBe('micro');
  });

  test("the tenant's tier chooses the model, and its application inference profile is called when it has one", () => {
    expect(toModelRequest(body(msg('user', 'hi')), SETTINGS, { tier: 'basic' }).request.modelId).toBe('amazon.nova-micro-v1:0');
    expect(toModelRequest(body(msg('user', 'hi')), SETTINGS, { tier: 'premium' }).alias).toBe('lite');
    const profiles = { micro: 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/acme-micro' };
    expect(toModelRequest(body(msg('user', 'hi')), SETTINGS, { tier: 'basic', modelIds: profiles })).toMatchObject({
      alias: 'micro',
      request: { modelId: profiles.micro },
    });
    expect(toModelRequest(body(msg('user', 'hi')), SETTINGS, { tier: 'standard', modelIds: profiles }).request.modelId).toBe('amazon.nova-lite-v1:0');
  });

  test('the prompt length that picks the long-prompt model counts system blocks, turns and the joins between turns', () => {
    const alias = (...messages: ReturnType<typeof msg>[]) => toModelRequest(body(...messages), SETTINGS).alias;
    expect(alias(msg('system', '12345'), msg('user', '1234567890'), msg('assistant', '1234'), msg('user', '1'))).toBe('big');
    expect(alias(msg('system', '1234'), msg('user', '1234567890'), msg('assistant', '1234'), msg('user', '1'))).toBe('lite');
    expect(alias(msg('user', '123456789'), msg('user', '123456789'))).toBe('big');
    expect(alias(msg('user', '12345678'), msg('user', '123456789'))).toBe('lite');
  });

  test('max_completion_tokens, then max_tokens, then the configured cap; nulls fall through', () => {
    const tokens = (extra: Partial<CompletionRequest>) => toModelRequest({ ...body(msg('user', 'hi')), ...extra }, SETTINGS).request.maxTokens;
    expect(tokens({ max_completion_tokens: 7, max_tokens: 9 })).toBe(7);
    expect(tokens({ max_completion_tokens: null, max_tokens: 9 })).toBe(9);
    expect(tokens({ max_tokens: 9 })).toBe(9);
    expect(tokens({ max_completion_tokens: null, max_tokens: null })).toBe(100);
  });

  test("OpenAI's temperatures above 1 are capped at Converse's 1; lower ones, 0 included, are kept", () => {
    const temperature = (value: number | null | undefined) => toModelRequest({ ...body(msg('user', 'hi')), temperature: value }, SETTINGS).request.temperature;
    expect(temperature(2)).toBe(1);
    expect(temperature(1.5)).toBe(1);
    expect(temperature(0.7)).toBe(0.7);
    expect(temperature(0)).toBe(0);
    expect(temperature(null)).toBe(0.4);
    expect(temperature(undefined)).toBe(0.4);
  });
});

describe('finishReason', () => {
  test.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['guardrail_intervened', 'content_filter'],
    ['content_filtered', 'content_filter'],
    ['tool_use', 'tool_calls'],
    ['', 'stop'],
  ])('%j is %j', (stopReason, expected) => {
    expect(finishReason(stopReason)).toBe(expected);
  });
});

const META: CompletionMeta = { id: 'chatcmpl-1', created: 1_700_000_000, model: 'lite' };
const USAGE = { inputTokens: 12, outputTokens: 5, totalTokens: 17 };

async function* events(...list: ChatEvent[]): AsyncGenerator<ChatEvent> {
  for (const event of list) yield event;
}

describe('completion', () => {
  test('the deltas as one chat.completion, with the finish reason and usage', async () => {
    const done: ChatEvent = { type: 'done', stopReason: 'max_tokens', usage: USAGE, latencyMs: 40 };
    expect(await completion(events({ type: 'delta', text: 'Hel' }, { type: 'delta', text: 'lo' }, done), META)).toStrictEqual({
      body: {
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1_700_000_000,
        model: 'lite',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hello', refusal: null }, logprobs: null, finish_reason: 'length' }],
        usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
      },
      done,
    });
  });

  test('a guardrail block replaces the text sent so far; no usage when the model reported none', async () => {
    const result = await completion(
      events({ type: 'delta', text: 'secret' }, { type: 'replace', text: 'Withheld' }, { type: 'done', stopReason: 'guardrail_intervened' }),
      META,
    );
    expect(result.body).toStrictEqual({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'lite',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Withheld', refusal: null }, logprobs: null, finish_reason: 'content_filter' }],
    });
  });

  test('fails with 502 when the answer never finishes', async () => {
    const caught: unknown = await completion(events({ type: 'delta', text: 'Hel' }), META).catch((error: unknown) => error);
    expect(caught).toBeInstanceOf(HttpError);
    expect(caught).toMatchObject({ statusCode: 502, message: 'The model returned a malformed answer' });
  });
});

describe('completionChunks', () => {
  const frame = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    frame({
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'lite',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
  const usageChunk = (usage: unknown) =>
    frame({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'lite', choices: [], usage });
  const collect = async (stream: AsyncIterable<string>) => {
    const out: string[] = [];
    for await (const s of stream) out.push(s);
    return out;
  };

  test('the role, each delta, the finish reason, then [DONE]; usage only when asked for', async () => {
    const done: ChatEvent = { type: 'done', stopReason: 'end_turn', usage: USAGE };
    const seen: ChatEvent[] = [];
    const frames = await collect(
      completionChunks(events({ type: 'delta', text: 'Hel' }, { type: 'delta', text: 'lo' }, done), META, false, (d) => seen.push(d)),
    );
    expect(frames).toEqual([
      chunk({ role: 'assistant', content: '' }, null),
      chunk({ content: 'Hel' }, null),
      chunk({ content: 'lo' }, null),
      chunk({}, 'stop'),
      'data: [DONE]\n\n',
    ]);
    expect(seen).toEqual([done]);
  });

  test('with include_usage, a last chunk without choices carries the usage (null when unknown)', async () => {
    expect(await collect(completionChunks(events({ type: 'done', stopReason: 'max_tokens', usage: USAGE }), META, true))).toEqual([
      chunk({ role: 'assistant', content: '' }, null),
      chunk({}, 'length'),
      usageChunk({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 }),
      'data: [DONE]\n\n',
    ]);
    expect(await collect(completionChunks(events({ type: 'done', stopReason: 'guardrail_intervened' }), META, true))).toEqual([
      chunk({ role: 'assistant', content: '' }, null),
      chunk({}, 'content_filter'),
      usageChunk(null),
      'data: [DONE]\n\n',
    ]);
  });

  test('a guardrail block after text was sent is appended after a blank line; before any text it is the whole content', async () => {
    const blocked: ChatEvent = { type: 'done', stopReason: 'guardrail_intervened' };
    expect(await collect(completionChunks(events({ type: 'delta', text: 'Hel' }, { type: 'replace', text: 'Withheld' }, blocked), META, false))).toEqual([
      chunk({ role: 'assistant', content: '' }, null),
      chunk({ content: 'Hel' }, null),
      chunk({ content: '\n\nWithheld' }, null),
      chunk({}, 'content_filter'),
      'data: [DONE]\n\n',
    ]);
    expect(await collect(completionChunks(events({ type: 'replace', text: 'Withheld' }, blocked), META, false))).toEqual([
      chunk({ role: 'assistant', content: '' }, null),
      chunk({ content: 'Withheld' }, null),
      chunk({}, 'content_filter'),
      'data: [DONE]\n\n',
    ]);
  });
  test('events that end with no finish reason throw a 502 after the text sent, never [DONE] (as completion() answers 502)', async () => {
    const out: string[] = [];
    const stream = completionChunks(events({ type: 'delta', text: 'Hel' }), META, true, () => out.push('onDone'));
    await expect(
      (async () => {
        for await (const s of stream) out.push(s);
      })(),
    ).rejects.toMatchObject({ statusCode: 502, message: 'The model returned a malformed answer' });
    expect(out).toEqual([chunk({ role: 'assistant', content: '' }, null), chunk({ content: 'Hel' }, null)]);
  });
});

describe('openAiError', () => {
  const envelope = (status: number, message: string) => openAiError(new HttpError(status, message)).error;

  test("a 400 names the field its message starts with as param, and an unknown model is OpenAI's model_not_found", () => {
    expect(envelope(400, 'messages.12.content must not be empty')).toEqual({
      message: 'messages.12.content must not be empty',
      type: 'invalid_request_error',
      param: 'messages.12.content',
      code: null,
    });
    expect(envelope(400, 'model must be one of lite, micro')).toEqual({
      message: 'model must be one of lite, micro',
      type: 'invalid_request_error',
      param: 'model',
      code: 'model_not_found',
    });
    expect(envelope(400, 'stream_options.include_usage must be a boolean').param).toBe('stream_options.include_usage');
    expect(envelope(400, 'messages.0.Content_2 must be a string').param).toBe('messages.0.Content_2');
    expect(envelope(400, 'max_tokens is required').param).toBe('max_tokens');
    expect(envelope(400, 'tools are not supported by this gateway').param).toBe('tools');
  });

  test('a 400 whose message does not start with a field has no param', () => {
    for (const message of [
      'unknown field: "x"',
      'Messages must be at least 1 items',
      'the model must be one of lite',
      'model mustard',
      'model-x must be',
      'messages. must be',
    ])
      expect(envelope(400, message)).toEqual({ message, type: 'invalid_request_error', param: null, code: null });
  });

  test.each([
    [401, 'authentication_error', null],
    [403, 'authentication_error', null],
    [404, 'invalid_request_error', null],
    [413, 'invalid_request_error', null],
    [422, 'invalid_request_error', 'content_filter'],
    [429, 'rate_limit_error', 'rate_limit_exceeded'],
    [499, 'invalid_request_error', null],
    [500, 'server_error', null],
    [502, 'server_error', null],
    [503, 'server_error', null],
    [504, 'server_error', 'timeout'],
  ])('status %i is type %s, code %s, and never a param', (status, type, code) => {
    expect(envelope(status, 'model must be one of lite')).toEqual({ message: 'model must be one of lite', type, param: null, code });
  });

  test('as an SSE frame for a stream already started', () => {
    expect(openAiErrorFrame(new HttpError(429, 'Too many requests'))).toBe(
      'data: {"error":{"message":"Too many requests","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}\n\n',
    );
  });
});
