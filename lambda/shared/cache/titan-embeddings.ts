import { type BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import type { EmbeddingPort } from './cache';
import { isJsonObject } from '../json';

/**
 * Titan Text Embeddings v2 through InvokeModel (it has no Converse API). `modelId` and
 * `dimensions` come from the model catalog via the function's environment; `normalize: true`
 * returns unit vectors, so cosine similarity is a dot product.
 */
export function titanEmbeddings(client: BedrockRuntimeClient, modelId: string, dimensions: number): EmbeddingPort {
  return {
    async embed(text, signal) {
      const out = await client.send(
        new InvokeModelCommand({
          modelId,
          contentType: 'application/json',
          accept: 'application/json',
          body: JSON.stringify({ inputText: text, dimensions, normalize: true }),
        }),
        { abortSignal: signal },
      );
      let embedding: unknown;
      try {
        const body: unknown = JSON.parse(new TextDecoder().decode(out.body));
        embedding = isJsonObject(body) ? body.embedding : undefined;
      } catch {
        throw new Error('the embedding model returned a body that is not JSON');
      }
      if (!Array.isArray(embedding) || embedding.length !== dimensions || !embedding.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new Error(`the embedding model returned no ${dimensions}-dimension vector`);
      }
      return embedding as number[];
    },
  };
}
