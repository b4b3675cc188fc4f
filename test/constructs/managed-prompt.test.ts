import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { MODEL_CATALOG, type ModelAlias } from '../../lib/config/models';
import { DEFAULT_PROMPT, type PromptDefinition } from '../../lib/config/prompts';
import { ManagedPrompt, USER_TEMPLATE } from '../../lib/constructs/prompt-library/managed-prompt';
import { BedrockModel } from '../../lib/constructs/shared/bedrock-model';

function build(definition: PromptDefinition = DEFAULT_PROMPT, alias: ModelAlias = 'nova-lite') {
  const stack = new Stack(new App(), 'Test');
  const prompt = new ManagedPrompt(stack, 'Prompt', { definition, model: new BedrockModel(MODEL_CATALOG[alias], 'us') });
  const role = new iam.Role(stack, 'Fn', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  prompt.grantRead(role);
  return { prompt, template: Template.fromStack(stack) };
}

describe('ManagedPrompt', () => {
  const { template, prompt } = build();

  test('a CHAT prompt: the sections as system text, the fenced context and query as the user turn, every variable declared', () => {
    template.hasResourceProperties('AWS::Bedrock::Prompt', {
      DefaultVariant: 'default',
      Variants: [
        {
          Name: 'default',
          TemplateType: 'CHAT',
          ModelId: 'us.amazon.nova-lite-v1:0',
          InferenceConfiguration: { Text: { MaxTokens: 1024, Temperature: 0.5 } },
          TemplateConfiguration: {
            Chat: {
              System: [{ Text: Match.stringLikeRegexp('^## Persona\nYou are a precise, helpful assistant for \\{\\{audience\\}\\}\\.\n\n## Objective') }],
              Messages: [{ Role: 'user', Content: [{ Text: USER_TEMPLATE }] }],
              InputVariables: [{ Name: 'query' }, { Name: 'context' }, { Name: 'audience' }],
            },
          },
          Metadata: [{ Key: 'default.audience', Value: 'a software engineer' }],
        },
      ],
    });
    for (const section of ['Persona', 'Objective', 'Instructions', 'Constraints', 'Tone', 'Examples']) expect(prompt.systemText).toContain(`## ${section}\n`);
  });

  test('a pinned version of that prompt', () => {
    template.hasResourceProperties('AWS::Bedrock::PromptVersion', {
      PromptArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Prompt[0-9A-F]{8}$'), 'Arn'] },
      Description: Match.stringLikeRegexp('^assistant [0-9a-f]{12}$'),
    });
  });

  test('the version changes exactly when the prompt changes', () => {
    const description = (t: Template) => Object.values(t.findResources('AWS::Bedrock::PromptVersion'))[0].Properties.Description;
    expect(description(build().template)).toBe(description(template));
    expect(description(build({ ...DEFAULT_PROMPT, tone: 'Formal.' }).template)).not.toBe(description(template));
  });

  test('the function may read this prompt and its pinned version only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'bedrock:GetPrompt',
            Resource: [
              { 'Fn::GetAtt': [Match.stringLikeRegexp('^Prompt[0-9A-F]{8}$'), 'Arn'] },
              { 'Fn::GetAtt': [Match.stringLikeRegexp('PromptVersion'), 'Arn'] },
            ],
          },
        ],
      },
    });
  });

  test('no cache point when the static prefix is under the model minimum', () => {
    expect(prompt.cachesSystemPrefix).toBe(false);
  });

  test('a cache point after the system prefix when the model caches and the prefix is long enough', () => {
    const long = { ...DEFAULT_PROMPT, instructions: 'Follow the house style guide. '.repeat(200) };
    const { prompt: cached, template: t } = build(long, 'claude-sonnet-4-5');
    expect(cached.cachesSystemPrefix).toBe(true);
    t.hasResourceProperties('AWS::Bedrock::Prompt', {
      Variants: [
        Match.objectLike({
          TemplateConfiguration: { Chat: Match.objectLike({ System: [Match.objectLike({ Text: Match.anyValue() }), { CachePoint: { Type: 'default' } }] }) },
        }),
      ],
    });
  });

  test('fails when a prompt declares a reserved variable', () => {
    expect(() => build({ ...DEFAULT_PROMPT, variables: [{ name: 'context', description: 'x' }] })).toThrow(
      'prompt variable context is reserved (query, context), rename it',
    );
  });
});
