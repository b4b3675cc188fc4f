import { Match } from 'aws-cdk-lib/assertions';
import { MODEL_CATALOG } from '../../lib/config/models';
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
  template.hasResourceProperties('AWS::ApiGateway::Model', {
    Schema: Match.objectLike({ properties: Match.not(Match.objectLike({ topK: Match.anyValue() })) }),
  });
});

describe('ground 4 gateway', () => {
  const template = groundTemplate(4);

  test('POST /prompt needs both SigV4 and a tenant API key', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'AWS_IAM', ApiKeyRequired: true });
  });

  test('the function knows each tenant by its API key, with its tier and its own inference profile for the default model', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'prompt',
    )!;
    const tenants = JSON.stringify(fn.Properties.Environment.Variables.TENANTS);
    expect(tenants).toMatch(/\{"Ref":"GatewayTenantDemoApiKey[0-9A-F]{8}"\}/);
    expect(tenants).toContain('\\"tenant\\":\\"demo\\",\\"tier\\":\\"standard\\"');
    expect(tenants).toMatch(/"Fn::GetAtt":\["GatewayTenantDemo\w*Profile\w*","InferenceProfileArn"\]/);
    const routing = JSON.parse(fn.Properties.Environment.Variables.ROUTING_POLICY);
    expect(routing.targets.map((t: { alias: string }) => t.alias)).toEqual(['nova-lite', 'nova-micro', 'claude-haiku-4-5']);
  });

  test('a WAF web ACL guards the stage', () => {
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    template.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 1);
  });
});

describe('ground 5 caches', () => {
  const template = groundTemplate(5);

  test('the prompt function runs in the isolated network and reaches the cache with IAM, exact and semantic', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
      Environment: {
        Variables: Match.objectLike({
          CACHE_ENDPOINT: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Cache'), 'Endpoint.Address'] },
          CACHE_TTL_SECONDS: '3600',
          CACHE_TIMEOUT_MS: '50',
          CACHE_SEMANTIC_THRESHOLD: '0.9',
          CACHE_EMBEDDING_MODEL_ID: 'amazon.titan-embed-text-v2:0',
          CACHE_EMBEDDING_DIMENSIONS: '256',
        }),
      },
    });
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', { Engine: 'valkey' });
  });
});

describe('ground 6 spend controls', () => {
  test('the agent route writes the usage record with the agent model alias and catalog price', () => {
    const template = groundTemplate(6);
    const [agent] = Object.values(template.findResources('AWS::Lambda::Function'))
      .map((f) => f.Properties.Environment?.Variables ?? {})
      .filter((v) => v.POWERTOOLS_SERVICE_NAME === 'agent');
    expect(agent.MODEL_ALIAS).toBe('nova-lite');
    expect(JSON.parse(agent.MODEL_PRICE)).toEqual({
      inputPerMTok: MODEL_CATALOG['nova-lite'].price.inputPerMTok,
      outputPerMTok: MODEL_CATALOG['nova-lite'].price.outputPerMTok,
    });
  });
});
