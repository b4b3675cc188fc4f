import { Template } from 'aws-cdk-lib/assertions';
import { blockView, dotToSvg, renderDiagram, toMermaid } from '../../review/diagram';
import { cfnTemplateSchema, reviewStack, type CfnTemplate, type ReviewStack } from '../../review/model';
import { buildApp } from '../support/synth';

/** One ground synthesized as `npm run synth` does (construct paths included), read by the review. */
function groundReview(ground: number): ReviewStack {
  const { stacks } = buildApp({ ground, 'aws:cdk:enable-path-metadata': true });
  return reviewStack(stacks[0].artifactId, cfnTemplateSchema.parse(Template.fromStack(stacks[0]).toJSON()));
}

const at = (cdkPath: string) => ({ 'aws:cdk:path': `Ground9-Test/${cdkPath}` });

/** A function in `block` whose role may call `actions` on `target`. */
function functionWithGrant(block: string, actions: string[], target: unknown): CfnTemplate['Resources'] {
  return {
    [`${block}Role`]: {
      Type: 'AWS::IAM::Role',
      Metadata: at(`${block}/Role/Resource`),
      Properties: { AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }] } },
    },
    [`${block}Policy`]: {
      Type: 'AWS::IAM::Policy',
      Metadata: at(`${block}/Role/DefaultPolicy/Resource`),
      Properties: {
        Roles: [{ Ref: `${block}Role` }],
        PolicyDocument: { Statement: actions.length > 0 ? [{ Effect: 'Allow', Action: actions, Resource: target }] : [] },
      },
    },
    [`${block}Function`]: {
      Type: 'AWS::Lambda::Function',
      Metadata: at(`${block}/Function/Resource`),
      Properties: { Role: { 'Fn::GetAtt': [`${block}Role`, 'Arn'] } },
    },
  };
}

const guardrail: CfnTemplate['Resources'] = { Guardrail1: { Type: 'AWS::Bedrock::Guardrail', Metadata: at('Guardrail/Resource'), Properties: {} } };

describe('block view of a synthesized ground', () => {
  let ground0: ReviewStack;
  let ground2: ReviewStack;
  beforeAll(() => {
    ground0 = groundReview(0);
    ground2 = groundReview(2);
  });

  test('ground 0 shows the client, the API, the model call and the models it may invoke, and no knowledge base', () => {
    const view = blockView(ground0);
    const ids = view.nodes.map((n) => n.id);
    expect(ids).toEqual(['client', 'Api', 'ModelCall', 'Models']);
    expect(view.edges.filter((e) => e.kind === 'path').map((e) => `${e.from}->${e.to}`)).toEqual(['client->Api', 'Api->ModelCall', 'ModelCall->Models']);
    // Each model named is one the template's IAM grants name as a foundation model.
    const template = JSON.stringify(ground0.template);
    const models = view.nodes.find((n) => n.id === 'Models')!.lines;
    expect(models.length).toBeGreaterThan(0);
    for (const m of models) expect(template).toContain(`foundation-model/${m}`);
  });

  test('ground 2 adds the knowledge base on S3 Vectors, reached by the model call through bedrock:Retrieve', () => {
    const view = blockView(ground2);
    const kb = view.nodes.find((n) => n.id === 'KnowledgeBase')!;
    expect(kb.lines).toEqual(expect.arrayContaining(['S3 Vectors × 2', 'S3 Vectors index: VectorIndex', 'knowledge base on S3_VECTORS']));
    const retrieve = view.edges.find((e) => e.from === 'ModelCall' && e.to === 'KnowledgeBase')!;
    expect([...retrieve.labels]).toContain('Retrieve');
    // The knowledge base's own role embeds documents: an edge to the models.
    expect(view.edges.some((e) => e.from === 'KnowledgeBase' && e.to === 'Models')).toBe(true);
  });

  test('the SVG is rendered offline and the same input gives byte-identical output', async () => {
    const first = await renderDiagram(ground0);
    const second = await renderDiagram(ground0);
    expect(first.svg).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
    expect(first.svg).toContain('Model call');
    expect(second.svg).toBe(first.svg);
    expect(second.dot).toBe(first.dot);
    expect(first.mermaid.split('\n')[0]).toBe('flowchart LR');
    expect(first.mermaid).toContain('client ==> Api');
  });
});

describe('block view of small templates', () => {
  test('a block without resources is not drawn', () => {
    const stack = reviewStack('Ground9-Test', { Resources: { ...functionWithGrant('ModelCall', [], '*') } });
    const view = blockView(stack);
    expect(view.nodes.map((n) => n.id)).toEqual(['client', 'ModelCall']);
    expect(toMermaid(view)).not.toContain('Guardrail');
  });

  test('a grant of bedrock:ApplyGuardrail draws the model call to the guardrail; without the grant there is no such edge', () => {
    const target = { 'Fn::GetAtt': ['Guardrail1', 'GuardrailArn'] };
    const granted = blockView(
      reviewStack('Ground9-Test', { Resources: { ...guardrail, ...functionWithGrant('ModelCall', ['bedrock:ApplyGuardrail'], target) } }),
    );
    const edge = granted.edges.find((e) => e.from === 'ModelCall' && e.to === 'Guardrail');
    expect(edge && [...edge.labels]).toEqual(['ApplyGuardrail']);
    const without = blockView(reviewStack('Ground9-Test', { Resources: { ...guardrail, ...functionWithGrant('ModelCall', [], target) } }));
    expect(without.edges.filter((e) => e.from === 'ModelCall' && e.to === 'Guardrail' && e.labels.size > 0)).toEqual([]);
  });

  test('WAF resources are drawn in front of the API, under the block that creates them', () => {
    const stack = reviewStack('Ground9-Test', {
      Resources: {
        Api1: { Type: 'AWS::ApiGateway::RestApi', Metadata: at('Api/Api/Resource') },
        Acl1: { Type: 'AWS::WAFv2::WebACL', Metadata: at('Gateway/WebAcl') },
        Key1: { Type: 'AWS::ApiGateway::ApiKey', Metadata: at('Gateway/Key/Resource') },
      },
    });
    const view = blockView(stack);
    expect(view.nodes.find((n) => n.id === 'Waf')!.title).toBe('WAF (Gateway and router block)');
    expect(view.edges.map((e) => `${e.from}->${e.to}`)).toEqual(['client->Waf', 'Waf->Api', 'Api->Gateway']);
  });

  test('what runs in the isolated network is drawn inside its boundary', async () => {
    const resources: CfnTemplate['Resources'] = {
      Subnet1: { Type: 'AWS::EC2::Subnet', Metadata: at('Network/Vpc/Subnet1/Resource') },
      Cache1: { Type: 'AWS::ElastiCache::ServerlessCache', Metadata: at('Cache/Cache'), Properties: { Engine: 'valkey', SubnetIds: [{ Ref: 'Subnet1' }] } },
      ...guardrail,
    };
    const view = blockView(reviewStack('Ground9-Test', { Resources: resources }));
    expect([...view.inNetwork].sort()).toEqual(['Cache', 'Network']);
    expect(view.nodes.find((n) => n.id === 'Cache')!.lines).toEqual(['ElastiCache × 1 (1 in the VPC)', 'ElastiCache serverless valkey: Cache']);
    const { dot } = await renderDiagram(reviewStack('Ground9-Test', { Resources: resources }));
    const boundary = dot.slice(dot.indexOf('subgraph cluster_IsolatedNetwork'));
    expect(boundary).toContain('subgraph cluster_Cache');
    expect(boundary).not.toContain('subgraph cluster_Guardrail');
  });

  test('a DOT syntax error is reported, not rendered', async () => {
    await expect(dotToSvg('digraph {')).rejects.toThrow(/Graphviz failed/);
  });
});
