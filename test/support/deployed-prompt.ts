import { App, Stack } from 'aws-cdk-lib';
import { MODEL_CATALOG } from '../../lib/config/models';
import { DEFAULT_PROMPT, type PromptDefinition } from '../../lib/config/prompts';
import { ManagedPrompt } from '../../lib/constructs/prompt-library/managed-prompt';
import { BedrockModel } from '../../lib/constructs/shared/bedrock-model';

/** What GetPrompt returns for the prompt version a ManagedPrompt construct deploys. */
export function deployedPrompt(id: string, definition: PromptDefinition = DEFAULT_PROMPT) {
  const managed = new ManagedPrompt(new Stack(new App(), 'P'), 'Prompt', { definition, model: new BedrockModel(MODEL_CATALOG['nova-lite'], 'us') });
  return { name: definition.name, id, arn: `arn:aws:bedrock:us-east-1:123456789012:prompt/${id}`, version: '1', variants: managed.prompt.variants };
}
