import { BedrockAgentClient, GetPromptCommand } from '@aws-sdk/client-bedrock-agent';
import { type BedrockClientSettings, clientConfig } from './bedrock';
import type { PromptPort, PromptTemplate } from './model';
import { tracer } from './observability';

/*
 * The Bedrock Agent client (Prompt Management, knowledge base ingestion), apart from bedrock.ts so
 * that a bundle evaluates its SDK code only where it is used: the prompt route loads this module on
 * its first GetPrompt (lambda/prompt/deferred-ports.ts), and only on grounds with a managed prompt.
 */

export function createBedrockAgent(settings: BedrockClientSettings): BedrockAgentClient {
  return tracer.captureAWSv3Client(new BedrockAgentClient(clientConfig(settings)));
}

/** Reads the pinned prompt version once per container (versions are immutable); retries after a failure. */
export function managedPrompt(
  client: BedrockAgentClient,
  promptId: string,
  version: string,
  toTemplate: (prompt: unknown, version: string) => PromptTemplate,
): PromptPort {
  let loading: Promise<PromptTemplate> | undefined;
  return {
    load(signal) {
      loading ??= client
        .send(new GetPromptCommand({ promptIdentifier: promptId, promptVersion: version }), { abortSignal: signal })
        .then((prompt) => toTemplate(prompt, version))
        .catch((error: unknown) => {
          loading = undefined;
          throw error;
        });
      return loading;
    },
  };
}
