import { parseRequest } from '../../lambda/shared/validation';
import { type ChatSettings, chatRequestSchema, MAX_MESSAGES, modelRequest } from '../../lambda/chat-stream/core';
import { refusal as refusalOf } from '../support/refusal';

/**
 * The streaming chat route's core, called directly: the body `POST /chat/stream` accepts (read
 * through the handler's parseRequest, so the messages are the client's) and the model request
 * built from it. The handler tests (chat-stream.test.ts, chat-stream-bad-input.test.ts) stream it
 * through the real Bedrock client against a local fake.
 */

const SETTINGS: ChatSettings = { modelId: 'amazon.nova-lite-v1:0', maxTokens: 100, temperature: 0.5, maxMessageChars: 5, guardrailWindowChars: 1000 };
const schema = chatRequestSchema(SETTINGS);

const user = (content: string) => ({ role: 'user' as const, content });
const assistant = (content: string) => ({ role: 'assistant' as const, content });
/** `count` turns that alternate, starting with the user. */
const turns = (count: number) => Array.from({ length: count }, (_, i) => (i % 2 === 0 ? user('q') : assistant('a')));

const refusal = (body: unknown): string => refusalOf(schema, body);

const ALTERNATE = 'messages must alternate user and assistant turns, starting and ending with user';

describe('chatRequestSchema', () => {
  test('accepts one question, a conversation that ends with the user, and every limit exactly', () => {
    expect(parseRequest(schema, { messages: [user('hi')] })).toEqual({ messages: [user('hi')] });
    expect(parseRequest(schema, { messages: [user('hi'), assistant('yo'), user('why?')] })).toEqual({
      messages: [user('hi'), assistant('yo'), user('why?')],
    });
    expect(parseRequest(schema, { messages: [user('12345')], maxTokens: 100, temperature: 1 })).toEqual({
      messages: [user('12345')],
      maxTokens: 100,
      temperature: 1,
    });
    expect(parseRequest(schema, { messages: [user(' x ')], maxTokens: 1, temperature: 0 })).toEqual({ messages: [user(' x ')], maxTokens: 1, temperature: 0 });
    expect(MAX_MESSAGES).toBe(50);
    expect(parseRequest(schema, { messages: turns(49) }).messages).toHaveLength(49);
  });

  test('fails when there is no message, or more than MAX_MESSAGES', () => {
    expect(refusal({ messages: [] })).toBe('messages must be at least 1 items');
    expect(refusal({ messages: turns(51) })).toBe('messages must be at most 50 items');
    expect(refusal({})).toBe('messages is required');
  });

  test('fails when the turns do not alternate user, assistant, ..., user', () => {
    expect(refusal({ messages: [assistant('yo')] })).toBe(ALTERNATE);
    expect(refusal({ messages: [user('hi'), assistant('yo')] })).toBe(ALTERNATE);
    expect(refusal({ messages: [user('a'), user('b'), user('c')] })).toBe(ALTERNATE);
    expect(refusal({ messages: [user('a'), assistant('b'), assistant('c')] })).toBe(ALTERNATE);
    expect(refusal({ messages: [assistant('a'), user('b'), assistant('c')] })).toBe(ALTERNATE);
    expect(refusal({ messages: [user('a'), assistant('b'), user('c'), user('d'), user('e')] })).toBe(ALTERNATE);
  });

  test('fails when a message is empty, blank or longer than maxMessageChars, naming it', () => {
    expect(refusal({ messages: [user('')] })).toBe('messages.0.content must be at least 1 characters; messages.0.content must not be blank');
    expect(refusal({ messages: [user(' \n\t ')] })).toBe('messages.0.content must not be blank');
    expect(refusal({ messages: [user('hi'), assistant('  '), user('x')] })).toBe('messages.1.content must not be blank');
    expect(refusal({ messages: [user('123456')] })).toBe('messages.0.content must be at most 5 characters');
    expect(parseRequest(chatRequestSchema({ maxTokens: 100, maxMessageChars: 6 }), { messages: [user('123456')] }).messages[0]?.content).toBe('123456');
  });

  test('fails when a message has another role, a missing content or an unknown field', () => {
    expect(refusal({ messages: [{ role: 'system', content: 'x' }] })).toBe('messages.0.role must be one of "user", "assistant"');
    expect(refusal({ messages: [user('hi'), { role: 'assistant' }, user('x')] })).toBe('messages.1.content is required');
    expect(refusal({ messages: [{ ...user('hi'), name: 'bob' }] })).toBe('messages.0 has unknown field: "name"');
    expect(refusal({ messages: [null] })).toBe('messages.0 must be an object');
  });

  test('fails when maxTokens is not an integer from 1 to the configured cap', () => {
    expect(refusal({ messages: [user('hi')], maxTokens: 1.5 })).toBe('maxTokens must be an integer');
    expect(refusal({ messages: [user('hi')], maxTokens: 0 })).toBe('maxTokens must be at least 1');
    expect(refusal({ messages: [user('hi')], maxTokens: 101 })).toBe('maxTokens must be at most 100');
  });

  test('fails when temperature is not a number from 0 to 1', () => {
    expect(refusal({ messages: [user('hi')], temperature: -0.1 })).toBe('temperature must be at least 0');
    expect(refusal({ messages: [user('hi')], temperature: 1.1 })).toBe('temperature must be at most 1');
    expect(refusal({ messages: [user('hi')], temperature: 'hot' })).toBe('temperature must be a number');
  });

  test('fails when the body has a field it does not know', () => {
    expect(refusal({ messages: [user('hi')], stream: true })).toBe('unknown field: "stream"');
  });
});

describe('modelRequest', () => {
  test('the configured model, the turns as texts, and the configured maxTokens and temperature by default', () => {
    expect(modelRequest({ messages: [user('hi'), assistant('yo'), user('why?')] }, SETTINGS)).toEqual({
      modelId: 'amazon.nova-lite-v1:0',
      messages: [
        { role: 'user', text: 'hi' },
        { role: 'assistant', text: 'yo' },
        { role: 'user', text: 'why?' },
      ],
      maxTokens: 100,
      temperature: 0.5,
    });
  });

  test("the request's maxTokens and temperature win, a temperature of 0 included", () => {
    expect(modelRequest({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 7, temperature: 0 }, SETTINGS)).toEqual({
      modelId: 'amazon.nova-lite-v1:0',
      messages: [{ role: 'user', text: 'hi' }],
      maxTokens: 7,
      temperature: 0,
    });
  });
});
