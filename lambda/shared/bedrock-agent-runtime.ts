import { BedrockAgentRuntimeClient, RetrieveCommand } from '@aws-sdk/client-bedrock-agent-runtime';
import { type BedrockClientSettings, clientConfig } from './bedrock';
import { HttpError } from './http';
import type { KnowledgePort, Passage } from './model';
import { tracer } from './observability';

/*
 * The Bedrock Agent Runtime client (Retrieve, InvokeAgent), apart from bedrock.ts so that a bundle
 * evaluates its SDK code only where it is used: the prompt route loads this module on its first
 * Retrieve (lambda/prompt/deferred-ports.ts), and only on grounds with a knowledge base.
 */

export function createBedrockAgentRuntime(settings: BedrockClientSettings): BedrockAgentRuntimeClient {
  return tracer.captureAWSv3Client(new BedrockAgentRuntimeClient(clientConfig(settings)));
}

/** Retrieve on one knowledge base, with the caller's filter (lambda/shared/retrieval-filter.ts) as given. */
export function knowledgeBase(client: BedrockAgentRuntimeClient, knowledgeBaseId: string): KnowledgePort {
  return {
    async retrieve(query, topK, filter, signal): Promise<Passage[]> {
      const out = await client.send(
        new RetrieveCommand({
          knowledgeBaseId,
          retrievalQuery: { text: query },
          retrievalConfiguration: {
            vectorSearchConfiguration: { numberOfResults: topK, filter },
          },
        }),
        { abortSignal: signal },
      );
      if (!Array.isArray(out.retrievalResults)) throw new HttpError(502, 'The knowledge base returned a malformed answer');
      return out.retrievalResults
        .filter((r) => typeof r.content?.text === 'string')
        .map((r) => ({ text: r.content!.text!, score: typeof r.score === 'number' ? r.score : 0, source: sourceOf(r.location) }));
    },
  };
}

function sourceOf(location: { s3Location?: { uri?: string }; webLocation?: { url?: string }; type?: string } | undefined): string {
  return location?.s3Location?.uri ?? location?.webLocation?.url ?? location?.type ?? 'unknown';
}
