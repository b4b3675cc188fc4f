import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { agentSessionId } from '../../lambda/agent/core';
import { apiEvent, lambdaContext, LEAK_PATTERNS, parseResult } from '../support/api-event';
import { BedrockFake, throttle } from '../support/bedrock-fake';

/**
 * The /agent handler through the real @aws-sdk/client-bedrock-agent-runtime against the loopback
 * fake: the event stream is decoded by the SDK's own codec.
 */

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const AGENT_ENV = {
  AGENT_ID: 'AGENT12345',
  AGENT_ALIAS_ID: 'ALIAS12345',
  MAX_INPUT_CHARS: '4000',
  BEDROCK_MAX_ATTEMPTS: '2',
  BEDROCK_ATTEMPT_TIMEOUT_MS: '2000',
  KNOWLEDGE_BASE_ID: 'KB12345678',
};
const TENANTS = { key1: { tenant: 'acme', tier: 'standard' }, key2: { tenant: 'globex', tier: 'basic' } };

let fake: BedrockFake;
let handler: Handler;
beforeAll(async () => {
  fake = await BedrockFake.start();
  fake.exportEndpoints();
  Object.assign(process.env, AGENT_ENV, { TENANTS: JSON.stringify(TENANTS) });
  jest.isolateModules(() => {
    handler = (require('../../lambda/agent/handler') as { handler: Handler }).handler;
  });
});
afterAll(async () => {
  delete process.env.TENANTS;
  await fake.stop();
});
beforeEach(() => fake.reset());

/** A request as API Gateway passes it after checking the API key `apiKeyId`. */
const call = async (body: unknown, apiKeyId = 'key1') => {
  const event = apiEvent('agent', body);
  event.requestContext.identity = { ...event.requestContext.identity, apiKeyId };
  return parseResult(await handler(event, lambdaContext()));
};

const lastAgentRequest = () => fake.requests.filter((r) => r.operation === 'InvokeAgent').at(-1)!;

test('answers with the text, the citations of the knowledge base and the trace id', async () => {
  fake.data.passages = [{ text: 'Refunds are processed within 14 days.', uri: 's3://docs/blueprint/refunds.md', score: 0.9 }];
  const res = await call({ input: 'How long do refunds take?', sessionId: 'conv-1' });
  expect(res.statusCode).toBe(200);
  expect(res.json).toMatchObject({
    sessionId: 'conv-1',
    answer: 'fake agent answer to: How long do refunds take?',
    citations: [{ uri: 's3://docs/blueprint/refunds.md', text: 'Refunds are processed within 14 days.' }],
    blocked: false,
    actions: [],
  });
  expect(res.json.traceId).toBe(`fake-trace-${agentSessionId('apikey:key1', 'conv-1').slice(0, 8)}-0`);
  expect(res.json.confirmationRequired).toBeUndefined();
});

test('the agent session is derived from the caller and the conversation id; identity goes in as session attributes with traces on', async () => {
  await call({ input: 'hello', sessionId: 'conv-1' }, 'key1');
  const first = lastAgentRequest();
  await call({ input: 'hello', sessionId: 'conv-1' }, 'key2');
  const second = lastAgentRequest();
  expect(first.params).toMatchObject({ agentId: 'AGENT12345', agentAliasId: 'ALIAS12345', sessionId: agentSessionId('apikey:key1', 'conv-1') });
  // The same conversation id from another caller is another session: it cannot join the first.
  expect(second.params.sessionId).toBe(agentSessionId('apikey:key2', 'conv-1'));
  expect(second.params.sessionId).not.toBe(first.params.sessionId);
  expect(first.body).toEqual({
    inputText: 'hello',
    enableTrace: true,
    sessionState: { sessionAttributes: { tenant: 'acme', principal: 'apikey:key1' }, knowledgeBaseConfigurations: [scopedTo('acme')] },
  });
  expect(second.body).toMatchObject({
    sessionState: { sessionAttributes: { tenant: 'globex', principal: 'apikey:key2' }, knowledgeBaseConfigurations: [scopedTo('globex')] },
  });
});

/** The knowledge base configuration every invocation carries: searches see the shared documents and the caller's tenant's. */
const scopedTo = (tenant: string) => ({
  knowledgeBaseId: 'KB12345678',
  retrievalConfiguration: {
    vectorSearchConfiguration: {
      filter: { orAll: [{ equals: { key: 'audience', value: 'shared' } }, { equals: { key: 'audience', value: `tenant:${tenant}` } }] },
    },
  },
});

test('without a sessionId a new conversation id is returned and used for the session', async () => {
  const res = await call({ input: 'hello' });
  expect(res.statusCode).toBe(200);
  expect(res.json.sessionId).toMatch(/^[0-9a-f-]{36}$/);
  expect(lastAgentRequest().params.sessionId).toBe(agentSessionId('apikey:key1', res.json.sessionId as string));
});

test('a caller whose API key names no tenant is refused before the agent is called', async () => {
  const res = await call({ input: 'hello' }, 'unknown-key');
  expect(res.statusCode).toBe(403);
  expect(res.json.error).toMatch(/names a tenant/);
  expect(fake.count('InvokeAgent')).toBe(0);
});

test('a side-effecting action comes back as a confirmation question, and the answer to it reaches the agent', async () => {
  fake.enqueue('InvokeAgent', {
    kind: 'answer',
    override: {
      chunks: [],
      traces: [
        {
          orchestrationTrace: {
            invocationInput: { traceId: 'trace-7-1', actionGroupInvocationInput: { actionGroupName: 'CustomerSupport', function: 'create_support_ticket' } },
          },
        },
      ],
      returnControl: {
        invocationId: 'b3c1a0de-1111-2222-3333-444455556666',
        invocationInputs: [
          {
            functionInvocationInput: {
              actionGroup: 'CustomerSupport',
              function: 'create_support_ticket',
              actionInvocationType: 'USER_CONFIRMATION',
              parameters: [
                { name: 'subject', type: 'string', value: 'Broken zipper' },
                { name: 'order_id', type: 'string', value: 'ORD-1003' },
              ],
            },
          },
        ],
      },
    },
  });
  const asked = await call({ input: 'Open a ticket: the zipper of ORD-1003 is broken', sessionId: 'conv-9' });
  expect(asked.statusCode).toBe(200);
  expect(asked.json).toMatchObject({
    sessionId: 'conv-9',
    traceId: 'trace-7-1',
    actions: ['create_support_ticket'],
    confirmationRequired: {
      invocationId: 'b3c1a0de-1111-2222-3333-444455556666',
      actionGroup: 'CustomerSupport',
      function: 'create_support_ticket',
      parameters: { subject: 'Broken zipper', order_id: 'ORD-1003' },
    },
  });

  const confirmed = await call({
    sessionId: 'conv-9',
    confirm: { invocationId: 'b3c1a0de-1111-2222-3333-444455556666', function: 'create_support_ticket', confirmed: true },
  });
  expect(confirmed.statusCode).toBe(200);
  expect(confirmed.json.answer).toBe('fake agent: create_support_ticket done');
  const request = lastAgentRequest();
  expect(request.params.sessionId).toBe(agentSessionId('apikey:key1', 'conv-9'));
  expect(request.body).toEqual({
    enableTrace: true,
    sessionState: {
      sessionAttributes: { tenant: 'acme', principal: 'apikey:key1' },
      // A confirmation is an invocation too: the agent may search after the action.
      knowledgeBaseConfigurations: [scopedTo('acme')],
      invocationId: 'b3c1a0de-1111-2222-3333-444455556666',
      returnControlInvocationResults: [{ functionResult: { actionGroup: 'CustomerSupport', function: 'create_support_ticket', confirmationState: 'CONFIRM' } }],
    },
  });

  const denied = await call({
    sessionId: 'conv-9',
    confirm: { invocationId: 'b3c1a0de-1111-2222-3333-444455556666', function: 'create_support_ticket', confirmed: false },
  });
  expect(denied.json.answer).toBe('fake agent: create_support_ticket cancelled');
  expect(lastAgentRequest().body).toMatchObject({
    sessionState: { returnControlInvocationResults: [{ functionResult: { confirmationState: 'DENY' } }], knowledgeBaseConfigurations: [scopedTo('acme')] },
  });
});

test('a confirmation for a session the agent no longer holds is a 409 asking to start over; a missing alias for new input stays a 500', async () => {
  const gone = {
    kind: 'error',
    status: 404,
    type: 'ResourceNotFoundException',
    message: 'Session not found for arn:aws:bedrock:us-east-1:123456789012:agent-alias/A/B',
  } as const;
  fake.enqueue('InvokeAgent', gone);
  const expired = await call({
    sessionId: 'conv-9',
    confirm: { invocationId: 'b3c1a0de-1111-2222-3333-444455556666', function: 'create_support_ticket', confirmed: true },
  });
  expect(expired.statusCode).toBe(409);
  expect(expired.json.error).toMatch(/expired; send the request again/);
  fake.enqueue('InvokeAgent', gone);
  const misconfigured = await call({ input: 'What is 2 + 2?' });
  expect(misconfigured.statusCode).toBe(500);
  for (const res of [expired, misconfigured]) for (const leak of LEAK_PATTERNS) expect(JSON.stringify(res.json)).not.toMatch(leak);
});

test('only functions that require confirmation can be confirmed', async () => {
  const res = await call({ sessionId: 'conv-9', confirm: { invocationId: 'abc', function: 'lookup_order', confirmed: true } });
  expect(res.statusCode).toBe(400);
  expect(res.json.error).toBe('confirm.function must be one of "create_support_ticket"');
  expect(fake.count('InvokeAgent')).toBe(0);
});

test('a guardrail intervention in the trace marks the answer as blocked', async () => {
  fake.enqueue('InvokeAgent', {
    kind: 'answer',
    override: { chunks: [{ text: 'Sorry, I cannot help with that.' }], traces: [{ guardrailTrace: { action: 'INTERVENED', traceId: 'g-1' } }] },
  });
  const res = await call({ input: 'something unsafe' });
  expect(res.json).toMatchObject({ answer: 'Sorry, I cannot help with that.', blocked: true, traceId: 'g-1' });
});

test('without trace events the InvokeAgent request id is the trace id', async () => {
  fake.enqueue('InvokeAgent', { kind: 'answer', override: { traces: [] } });
  const res = await call({ input: 'hello' });
  expect(res.json.traceId).toBe('fake-agent-request-id');
});

describe('agent errors map like the other routes', () => {
  const cases: [string, Parameters<BedrockFake['enqueue']>[1], number, RegExp][] = [
    ['throttled request', throttle(), 429, /busy; retry after the delay in Retry-After/],
    ['throttling inside the stream', { kind: 'stream-error', afterChunks: 0, type: 'throttlingException' }, 429, /busy/],
    [
      'a failing action or knowledge base inside the stream',
      { kind: 'stream-error', afterChunks: 1, type: 'dependencyFailedException', message: 'Lambda arn:aws:lambda:us-east-1:123456789012:function:x failed' },
      502,
      /tools or knowledge base failed/,
    ],
    ['a bad gateway inside the stream', { kind: 'stream-error', afterChunks: 0, type: 'badGatewayException' }, 502, /tools or knowledge base failed/],
    ['a validation error inside the stream', { kind: 'stream-error', afterChunks: 0, type: 'validationException' }, 400, /agent rejected the request/],
    ['a busy session', { kind: 'error', status: 409, type: 'ConflictException' }, 409, /busy with another request/],
    ['an internal error inside the stream', { kind: 'stream-error', afterChunks: 0, type: 'internalServerException' }, 502, /failed to answer/],
    [
      'access denied',
      { kind: 'error', status: 403, type: 'AccessDeniedException', message: 'User arn:aws:iam::123456789012:role/x is not authorized' },
      500,
      /not configured correctly/,
    ],
    ['a model not ready', { kind: 'stream-error', afterChunks: 0, type: 'modelNotReadyException' }, 503, /unavailable/],
  ];
  test.each(cases)('%s', async (_label, behaviour, status, message) => {
    fake.setDefault('InvokeAgent', behaviour);
    const res = await call({ input: 'hello' });
    expect(res.statusCode).toBe(status);
    expect(res.json.error).toMatch(message);
    if (status === 429) expect(res.headers['Retry-After']).toBe('2');
    const text = JSON.stringify(res.json);
    for (const pattern of LEAK_PATTERNS) expect(text).not.toMatch(pattern);
  });
});
