import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { titanEmbeddings } from '../../lambda/shared/cache/titan-embeddings';
import { jsonObject, parseJson } from '../support/json';
import { answering } from '../support/sdk-client';

/**
 * lambda/shared/cache/titan-embeddings.ts on its own, in process: InvokeModel through a real
 * BedrockRuntimeClient whose `send` answers from memory with the body Titan would return.
 */

afterEach(() => jest.restoreAllMocks());

const MODEL = 'amazon.titan-embed-text-v2:0';

/** A client whose InvokeModel answers `body` (text as given), recording what it was sent. */
function titanAnswering(body: string) {
  const client = new BedrockRuntimeClient({ region: 'us-east-1' });
  const sent = answering(client, () => ({ body: new TextEncoder().encode(body), contentType: 'application/json' }));
  return { port: titanEmbeddings(client, MODEL, 3), sent };
}

async function failure(body: string): Promise<string> {
  return titanAnswering(body)
    .port.embed('hello')
    .then(
      (vector) => `no failure: ${JSON.stringify(vector)}`,
      (error: unknown) => (error as Error).message,
    );
}

test('asks the pinned model for a normalized vector of the configured size, with the caller’s signal', async () => {
  const { port, sent } = titanAnswering(JSON.stringify({ embedding: [0.6, 0, -0.8], inputTextTokenCount: 2 }));
  const signal = new AbortController().signal;
  expect(await port.embed('Refund policy?', signal)).toEqual([0.6, 0, -0.8]);
  expect(sent).toEqual([
    {
      command: 'InvokeModelCommand',
      input: { modelId: MODEL, contentType: 'application/json', accept: 'application/json', body: expect.any(String) },
      abortSignal: signal,
    },
  ]);
  expect(parseJson(jsonObject, (sent[0]!.input as { body: string }).body)).toEqual({ inputText: 'Refund policy?', dimensions: 3, normalize: true });
});

test('fails naming the problem when the body is not JSON', async () => {
  expect(await failure('<html>502 Bad Gateway</html>')).toBe('the embedding model returned a body that is not JSON');
});

test.each([
  ['JSON null', 'null'],
  ['a list, not an object', '[0.6, 0, -0.8]'],
  ['no embedding', '{"embeddingsByType": {}}'],
  ['an embedding that is not a list', '{"embedding": "0.6,0,-0.8"}'],
  ['too few numbers', '{"embedding": [0.6, 0.8]}'],
  ['too many numbers', '{"embedding": [0.6, 0, 0.8, 0]}'],
  ['a number given as a string', '{"embedding": [0.6, "0", -0.8]}'],
  ['an infinite number', '{"embedding": [0.6, 1e999, -0.8]}'],
  ['a null in place of a number', '{"embedding": [null, 0, -0.8]}'],
])('fails naming the size expected when the body holds %s', async (_, body) => {
  expect(await failure(body)).toBe('the embedding model returned no 3-dimension vector');
});

test('an error of the model reaches the caller as raised', async () => {
  const client = new BedrockRuntimeClient({ region: 'us-east-1' });
  const throttled = Object.assign(new Error('Too many requests'), { name: 'ThrottlingException' });
  answering(client, () => {
    throw throttled;
  });
  await expect(titanEmbeddings(client, MODEL, 3).embed('x')).rejects.toBe(throttled);
});
