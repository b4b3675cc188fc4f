import { Match } from 'aws-cdk-lib/assertions';
import { groundTemplate } from '../support/synth';

/** What each ground adds to the request path, as the prompt function and POST /prompt see it. */
describe('ground 3 request path', () => {
  const template = groundTemplate(3);

  test('the prompt function gets the pinned prompt, the knowledge base and the pinned guardrail', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          PROMPT_ID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Prompt'), 'Id'] },
          PROMPT_VERSION: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PromptVersion'), 'Version'] },
          KNOWLEDGE_BASE_ID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KnowledgeBase'), 'KnowledgeBaseId'] },
          DEFAULT_TOP_K: '5',
          MAX_TOP_K: '10',
          MIN_SCORE: '0',
          GUARDRAIL_ID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Guardrail'), 'GuardrailId'] },
          GUARDRAIL_VERSION: { 'Fn::GetAtt': [Match.stringLikeRegexp('^GuardrailVersion'), 'Version'] },
        }),
      },
    });
  });

  test('its role may read the prompt, retrieve from the knowledge base and apply the guardrail, each on that resource only', () => {
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('PromptFunctionRole') } }));
    for (const [action, target] of [
      ['bedrock:GetPrompt', '"Prompt'],
      ['bedrock:Retrieve', '"KnowledgeBase'],
      ['bedrock:ApplyGuardrail', '"Guardrail'],
    ]) {
      const statement = new RegExp(`\\{"Action":"${action}","Effect":"Allow","Resource":(\\{"Fn::GetAtt":\\[${target}|\\[\\{"Fn::GetAtt":\\[${target})`);
      expect(policies).toMatch(statement);
    }
  });

  test('the body model accepts variables, topK and filter within bounds', () => {
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Schema: Match.objectLike({
        properties: Match.objectLike({
          variables: { type: 'object', maxProperties: 10, additionalProperties: { type: 'string', maxLength: 1000 } },
          topK: { type: 'integer', minimum: 1, maximum: 10 },
          filter: { type: 'object', minProperties: 1, maxProperties: 5, additionalProperties: { type: ['string', 'number', 'boolean'] } },
        }),
      }),
    });
  });
});

test('ground 0 has none of it', () => {
  const template = groundTemplate(0);
  const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0];
  expect(Object.keys(fn.Properties.Environment.Variables)).not.toEqual(expect.arrayContaining(['PROMPT_ID']));
  template.resourceCountIs('AWS::Bedrock::Prompt', 0);
  template.hasResourceProperties('AWS::ApiGateway::Model', { Schema: Match.objectLike({ properties: Match.not(Match.objectLike({ topK: Match.anyValue() })) }) });
});
