/**
 * Prints (JSON, on stdout) what GetPrompt returns for the prompt version the stack deploys, built
 * from the real ManagedPrompt construct as test/lambda/prompt-grounds.test.ts does. Run in a child
 * process by the bench, so aws-cdk-lib never sits in the heap of the in-process handler timings.
 * Usage: tsx bench/prompt-fixture.ts <promptId>
 */
import { App, Stack } from 'aws-cdk-lib';
import { MODEL_CATALOG } from '../lib/config/models';
import { DEFAULT_PROMPT } from '../lib/config/prompts';
import { ManagedPrompt } from '../lib/constructs/prompt-library/managed-prompt';
import { BedrockModel } from '../lib/constructs/shared/bedrock-model';

const id = process.argv[2];
if (!id) throw new Error('usage: tsx bench/prompt-fixture.ts <promptId>');
const managed = new ManagedPrompt(new Stack(new App(), 'P'), 'Prompt', { definition: DEFAULT_PROMPT, model: new BedrockModel(MODEL_CATALOG['nova-lite'], 'us') });
const prompt = {
  name: DEFAULT_PROMPT.name,
  id,
  arn: `arn:aws:bedrock:us-east-1:123456789012:prompt/${id}`,
  version: '1',
  variants: managed.prompt.variants,
};
process.stdout.write(JSON.stringify(prompt));
