import { BedrockAgentClient } from '@aws-sdk/client-bedrock-agent';
import { BedrockAgentRuntimeClient } from '@aws-sdk/client-bedrock-agent-runtime';
import { createBedrockAgent, managedPrompt } from '../../lambda/shared/bedrock-agent';
import { createBedrockAgentRuntime, knowledgeBase } from '../../lambda/shared/bedrock-agent-runtime';
import { HttpError, toHttpError } from '../../lambda/shared/http';
import type { Passage, PromptTemplate } from '../../lambda/shared/model';
import type { RetrievalFilter } from '../../lambda/shared/retrieval-filter';
import { answering, answeringHttp } from '../support/sdk-client';

/**
 * lambda/shared/bedrock-agent.ts (GetPrompt) and bedrock-agent-runtime.ts (Retrieve) on their own,
 * in process, through real clients whose `send` (or request handler) answers from memory.
 */

afterEach(() => jest.restoreAllMocks());

const SETTINGS = { maxAttempts: 2, attemptTimeoutMs: 1_500 };

/** A call's rejection, or a failure of the test when it resolves. */
async function rejection(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

/** The client's request handler options, resolved by one call whose signal is already aborted (no connection is opened). */
async function handlerOptions(client: { config: { requestHandler?: unknown } }, call: (signal: AbortSignal) => Promise<unknown>) {
  const error = await rejection(call(AbortSignal.abort()));
  expect(toHttpError(error).error).toMatchObject({ statusCode: 504 });
  return (client.config.requestHandler as { httpHandlerConfigs(): Record<string, unknown> }).httpHandlerConfigs();
}

describe('managedPrompt', () => {
  const TEMPLATE: PromptTemplate = { version: '3', system: 'Be brief.', cacheSystem: false, user: '{{query}}', variables: [], defaults: {} };
  const PROMPT = { id: 'PROMPT1234', version: '3', variants: [{ name: 'v', templateType: 'CHAT' }] };

  test('createBedrockAgent: retries a failed GetPrompt up to maxAttempts calls, cutting each attempt at attemptTimeoutMs', async () => {
    const agent = createBedrockAgent(SETTINGS);
    const sent = answeringHttp(agent, () => ({ status: 500, headers: { 'x-amzn-errortype': 'InternalServerException' }, body: { message: 'boom' } }));
    const port = managedPrompt(agent, 'PROMPT1234', '3', () => TEMPLATE);
    expect(toHttpError(await rejection(port.load())).error).toMatchObject({ statusCode: 502, message: 'The model failed to answer' });
    expect(sent.map((r) => [`${r.method} ${r.hostname}${r.path}`, r.query])).toEqual([
      ['GET bedrock-agent.us-east-1.amazonaws.com/prompts/PROMPT1234/', { promptVersion: '3' }],
      ['GET bedrock-agent.us-east-1.amazonaws.com/prompts/PROMPT1234/', { promptVersion: '3' }],
    ]);
    jest.restoreAllMocks();
    const fresh = createBedrockAgent(SETTINGS);
    const options = await handlerOptions(fresh, (signal) => managedPrompt(fresh, 'PROMPT1234', '3', () => TEMPLATE).load(signal));
    expect(options).toMatchObject({ requestTimeout: 1_500, connectionTimeout: 1_500, throwOnRequestTimeout: true });
  });

  test('reads the pinned version with the caller’s signal and renders the reply with that version', async () => {
    const client = new BedrockAgentClient({ region: 'us-east-1' });
    const sent = answering(client, () => PROMPT);
    const seen: unknown[] = [];
    const signal = new AbortController().signal;
    const port = managedPrompt(client, 'PROMPT1234', '3', (prompt, version) => {
      seen.push({ prompt, version });
      return TEMPLATE;
    });
    expect(await port.load(signal)).toBe(TEMPLATE);
    expect(sent).toEqual([{ command: 'GetPromptCommand', input: { promptIdentifier: 'PROMPT1234', promptVersion: '3' }, abortSignal: signal }]);
    expect(seen).toEqual([{ prompt: { $metadata: {}, ...PROMPT }, version: '3' }]);
  });

  test('reads the prompt once for every later load, concurrent or not', async () => {
    const client = new BedrockAgentClient({ region: 'us-east-1' });
    const sent = answering(client, () => PROMPT);
    const port = managedPrompt(client, 'PROMPT1234', '3', () => TEMPLATE);
    const [a, b] = await Promise.all([port.load(), port.load()]);
    expect(await port.load()).toBe(TEMPLATE);
    expect([a, b]).toEqual([TEMPLATE, TEMPLATE]);
    expect(sent).toHaveLength(1);
  });

  test('a failed read reaches the caller as raised, and the next load reads again', async () => {
    const client = new BedrockAgentClient({ region: 'us-east-1' });
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    let calls = 0;
    const sent = answering(client, () => {
      calls += 1;
      if (calls === 1) throw throttled;
      return PROMPT;
    });
    const port = managedPrompt(client, 'PROMPT1234', '3', () => TEMPLATE);
    expect(await rejection(port.load())).toBe(throttled);
    expect(await port.load()).toBe(TEMPLATE);
    expect(sent).toHaveLength(2);
  });

  test('a prompt the renderer refuses is not kept either', async () => {
    const client = new BedrockAgentClient({ region: 'us-east-1' });
    const sent = answering(client, () => PROMPT);
    let renders = 0;
    const port = managedPrompt(client, 'PROMPT1234', '3', () => {
      renders += 1;
      if (renders === 1) throw new HttpError(500, 'The prompt has no chat variant');
      return TEMPLATE;
    });
    expect(await rejection(port.load())).toMatchObject({ statusCode: 500, message: 'The prompt has no chat variant' });
    expect(await port.load()).toBe(TEMPLATE);
    expect(sent).toHaveLength(2);
  });
});

describe('knowledgeBase', () => {
  const FILTER: RetrievalFilter = { equals: { key: 'tenant', value: 'acme' } };

  async function retrieve(out: object): Promise<Passage[] | string> {
    const client = new BedrockAgentRuntimeClient({ region: 'us-east-1' });
    answering(client, () => out);
    try {
      return await knowledgeBase(client, 'KB12345678').retrieve('What is the refund policy?', 4, FILTER);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      return `${error.statusCode} ${error.message}`;
    }
  }

  test('createBedrockAgentRuntime: retries a throttled Retrieve up to maxAttempts calls, cutting each attempt at attemptTimeoutMs', async () => {
    const runtime = createBedrockAgentRuntime({ maxAttempts: 2, attemptTimeoutMs: 4_000 });
    const sent = answeringHttp(runtime, () => ({ status: 500, headers: { 'x-amzn-errortype': 'InternalServerException' }, body: { message: 'x' } }));
    const error = await rejection(knowledgeBase(runtime, 'KB12345678').retrieve('q', 4, FILTER));
    expect((error as Error).name).toBe('InternalServerException');
    expect(sent.map((r) => `${r.method} ${r.hostname}${r.path}`)).toEqual([
      'POST bedrock-agent-runtime.us-east-1.amazonaws.com/knowledgebases/KB12345678/retrieve',
      'POST bedrock-agent-runtime.us-east-1.amazonaws.com/knowledgebases/KB12345678/retrieve',
    ]);
    jest.restoreAllMocks();
    const fresh = createBedrockAgentRuntime({ maxAttempts: 2, attemptTimeoutMs: 4_000 });
    const options = await handlerOptions(fresh, (signal) => knowledgeBase(fresh, 'KB12345678').retrieve('q', 4, FILTER, signal));
    expect(options).toMatchObject({ requestTimeout: 4_000, connectionTimeout: 3_000, throwOnRequestTimeout: true });
  });

  test('sends the query, the number of results and the caller’s filter as given, with the caller’s signal', async () => {
    const client = new BedrockAgentRuntimeClient({ region: 'us-east-1' });
    const sent = answering(client, () => ({ retrievalResults: [] }));
    const signal = new AbortController().signal;
    expect(await knowledgeBase(client, 'KB12345678').retrieve('What is the refund policy?', 4, FILTER, signal)).toEqual([]);
    expect(sent).toEqual([
      {
        command: 'RetrieveCommand',
        input: {
          knowledgeBaseId: 'KB12345678',
          retrievalQuery: { text: 'What is the refund policy?' },
          retrievalConfiguration: { vectorSearchConfiguration: { numberOfResults: 4, filter: FILTER } },
        },
        abortSignal: signal,
      },
    ]);
  });

  test('passages in order with their score and source: the S3 object, else the web page, else the kind of source', async () => {
    expect(
      await retrieve({
        retrievalResults: [
          { content: { type: 'TEXT', text: 'Refunds within 30 days.' }, score: 0.82, location: { type: 'S3', s3Location: { uri: 's3://docs/refunds.md' } } },
          { content: { text: 'See the web page.' }, score: 0.61, location: { type: 'WEB', webLocation: { url: 'https://example.com/refunds' } } },
          { content: { text: 'From Confluence.' }, score: 0.5, location: { type: 'CONFLUENCE', confluenceLocation: { url: 'https://wiki' } } },
          { content: { text: 'Nowhere.' }, score: 0.4 },
        ],
      }),
    ).toEqual([
      { text: 'Refunds within 30 days.', score: 0.82, source: 's3://docs/refunds.md' },
      { text: 'See the web page.', score: 0.61, source: 'https://example.com/refunds' },
      { text: 'From Confluence.', score: 0.5, source: 'CONFLUENCE' },
      { text: 'Nowhere.', score: 0.4, source: 'unknown' },
    ]);
  });

  test('results without text are left out, and a missing score counts as 0', async () => {
    expect(
      await retrieve({
        retrievalResults: [
          { location: { type: 'S3', s3Location: { uri: 's3://docs/a.png' } } },
          { content: { type: 'IMAGE', byteContent: 'data:image/png;base64,AA==' }, score: 0.9 },
          { content: { text: 'Kept.' }, location: { type: 'S3', s3Location: {} } },
        ],
      }),
    ).toEqual([{ text: 'Kept.', score: 0, source: 'S3' }]);
  });

  test('fails 502 when the reply has no list of results', async () => {
    expect(await retrieve({})).toBe('502 The knowledge base returned a malformed answer');
    expect(await retrieve({ retrievalResults: { content: { text: 'x' } } })).toBe('502 The knowledge base returned a malformed answer');
  });
});
