import type { BedrockClientSettings } from '../shared/bedrock';
import type { KnowledgePort, PromptPort, PromptTemplate } from '../shared/model';

/*
 * The prompt route's Bedrock Agent and Agent Runtime ports, each module (and its SDK client) loaded
 * on first use. Here rather than in lambda/shared/bedrock.ts: esbuild wraps every module a dynamic
 * import reaches, and the other functions importing bedrock.ts would pay for it in bundle size.
 */

/**
 * The managed prompt of bedrock-agent.ts, that module and its SDK client loaded by the first `load`
 * (the first request of a container, which reads the prompt then anyway) instead of at a cold start.
 * `import()` of a module in the same bundle: esbuild keeps its code in the file and evaluates it on
 * that call, once.
 */
export function lazyManagedPrompt(
  settings: BedrockClientSettings,
  promptId: string,
  version: string,
  toTemplate: (prompt: unknown, version: string) => PromptTemplate,
): PromptPort {
  const port = onFirstUse(async () => {
    const { createBedrockAgent, managedPrompt } = await import('../shared/bedrock-agent');
    return managedPrompt(createBedrockAgent(settings), promptId, version, toTemplate);
  });
  return { load: async (signal) => (await port()).load(signal) };
}

/** The knowledge base of bedrock-agent-runtime.ts, loaded by the first `retrieve` (see lazyManagedPrompt). */
export function lazyKnowledgeBase(settings: BedrockClientSettings, knowledgeBaseId: string): KnowledgePort {
  const port = onFirstUse(async () => {
    const { createBedrockAgentRuntime, knowledgeBase } = await import('../shared/bedrock-agent-runtime');
    return knowledgeBase(createBedrockAgentRuntime(settings), knowledgeBaseId);
  });
  return { retrieve: async (query, topK, filter, signal) => (await port()).retrieve(query, topK, filter, signal) };
}

/** `build` run once, by the first caller; a failed build is tried again by the next. */
function onFirstUse<T>(build: () => Promise<T>): () => Promise<T> {
  let built: Promise<T> | undefined;
  return () =>
    (built ??= build().catch((error: unknown) => {
      built = undefined;
      throw error;
    }));
}
