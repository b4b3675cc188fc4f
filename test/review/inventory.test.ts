import { Template } from 'aws-cdk-lib/assertions';
import { inventoryMarkdown } from '../../review/inventory';
import { cfnTemplateSchema, reviewStack, type CfnTemplate, type ReviewStack } from '../../review/model';
import { buildApp } from '../support/synth';

/** One ground synthesized as `npm run synth` does (construct paths included), as a template to edit. */
function groundTemplate(ground: number): { id: string; template: CfnTemplate } {
  const { stacks } = buildApp({ ground, 'aws:cdk:enable-path-metadata': true });
  return { id: stacks[0].artifactId, template: cfnTemplateSchema.parse(Template.fromStack(stacks[0]).toJSON()) };
}

/** The section of the inventory that starts with `heading`, up to the next heading of its level. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`${heading}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const level = heading.split(' ')[0];
  const next = markdown.indexOf(`\n${level} `, start + heading.length);
  return markdown.slice(start, next === -1 ? undefined : next);
}

const row = (markdown: string, cell: string) => markdown.split('\n').find((l) => l.startsWith('|') && l.includes(cell)) ?? '';

const at = (cdkPath: string) => ({ 'aws:cdk:path': `Ground9-Test/${cdkPath}` });

describe('inventory of ground 7', () => {
  let ground7: { id: string; template: CfnTemplate };
  let markdown: string;
  beforeAll(() => {
    ground7 = groundTemplate(7);
    markdown = inventoryMarkdown(reviewStack(ground7.id, ground7.template));
  });

  test('the sessions table: encryption, retention, TTL and PITR as the template sets them', () => {
    const table = Object.values(ground7.template.Resources).find((r) => r.Metadata?.['aws:cdk:path'] === `${ground7.id}/Sessions/Table/Resource`)!;
    // What the template says today: SSE on, no key named (the AWS managed key), retained, TTL and PITR on.
    expect(table.Properties?.SSESpecification).toEqual({ SSEEnabled: true });
    const sessions = row(section(markdown, '## Stored data'), '`Sessions/Table`');
    expect(sessions).toContain('| AWS managed KMS key (SSEEnabled, no key named) |');
    expect(sessions).not.toContain('customer-managed');
    expect(sessions).toContain('| Retain / Retain |');
    expect(sessions).toContain('TTL on `expiresAt`; PITR on; deletion protection on');
  });

  test('the prompt function is described in words: models through inference profiles, the guardrail, the knowledge base', () => {
    const prompt = section(markdown, '### Model call: `ModelCall/PromptFunctionRole`');
    expect(prompt).toContain('used by Lambda function `ModelCall/PromptFunction`');
    expect(prompt).toMatch(/- invoke \d+ models \(.*\) through inference profiles .*Gateway\/TenantDemo\/InferenceProfile.* \(bedrock:InvokeModel\)/);
    expect(prompt).toContain('- apply guardrail Guardrail (bedrock:ApplyGuardrail)');
    expect(prompt).toContain('- retrieve from knowledge base KnowledgeBase (bedrock:Retrieve)');
    expect(prompt).not.toContain('arn:');
  });

  test('removing the ApplyGuardrail grant from the template removes the words', () => {
    const template: CfnTemplate = structuredClone(ground7.template);
    const policy = Object.values(template.Resources).find(
      (r) => r.Metadata?.['aws:cdk:path'] === `${ground7.id}/ModelCall/PromptFunctionRole/DefaultPolicy/Resource`,
    )!;
    const document = policy.Properties!.PolicyDocument as { Statement: { Action: unknown }[] };
    document.Statement = document.Statement.filter((s) => s.Action !== 'bedrock:ApplyGuardrail');
    const prompt = section(inventoryMarkdown(reviewStack(ground7.id, template)), '### Model call: `ModelCall/PromptFunctionRole`');
    expect(prompt).not.toContain('apply guardrail');
    expect(prompt).toContain('retrieve from knowledge base KnowledgeBase');
  });

  test('public entry points: Cognito-authorized methods with scopes and API keys, behind the WAF, and the Cognito domain', () => {
    const entry = section(markdown, '## Public entry points');
    expect(entry).toContain('WAF web ACL: `Gateway/WebAcl`');
    expect(row(entry, '| /prompt | POST |')).toMatch(
      /\| COGNITO_USER_POOLS \(`Auth\/UserPool`\) \| genai\/invoke \| required \| Lambda function `ModelCall\/PromptFunction` \|/,
    );
    expect(row(entry, '`genaiblueprint-<AccountId>`')).toContain('`Auth/UserPool`');
  });
});

describe('inventory of small templates', () => {
  const template: CfnTemplate = {
    Description: 'test stack',
    Resources: {
      Key1: { Type: 'AWS::KMS::Key', Metadata: at('Sessions/Key/Resource'), Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain' },
      Table1: {
        Type: 'AWS::DynamoDB::Table',
        Metadata: at('Sessions/Table/Resource'),
        Properties: { SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': ['Key1', 'Arn'] } } },
      },
      Bucket1: { Type: 'AWS::S3::Bucket', Metadata: at('KnowledgeBase/Documents/Resource') },
      Logs1: { Type: 'AWS::Logs::LogGroup', Metadata: at('ModelCall/Logs/Resource'), Properties: { RetentionInDays: 7 } },
      Method1: {
        Type: 'AWS::ApiGateway::Method',
        Metadata: at('Api/Api/Default/POST/Resource'),
        Properties: { HttpMethod: 'POST', AuthorizationType: 'AWS_IAM' },
      },
    },
  };

  test('a table encrypted with a key of the template names the customer-managed key; what is not set says so', () => {
    const stored = section(inventoryMarkdown(reviewStack('Ground9-Test', template)), '## Stored data');
    expect(row(stored, '`Sessions/Table`')).toContain('| customer-managed KMS key `Sessions/Key` | not set / not set | TTL not set; PITR not set |');
    expect(row(stored, '`KnowledgeBase/Documents`')).toContain('| S3 bucket | not set | not set / not set | versioning not set; lifecycle rules not set |');
    expect(row(stored, '`ModelCall/Logs`')).toContain('retention 7 days');
    expect(row(stored, '| `Sessions/Key` |')).toContain('rotation on | Retain / not set');
  });

  test('a method without a REST API in the template is not listed as an entry point; none is said', () => {
    expect(section(inventoryMarkdown(reviewStack('Ground9-Test', template)), '## Public entry points')).toContain('None:');
  });

  test('the same resources in another order give the same text', () => {
    const reversed: CfnTemplate = { ...template, Resources: Object.fromEntries(Object.entries(template.Resources).reverse()) };
    const a = inventoryMarkdown(reviewStack('Ground9-Test', template));
    expect(inventoryMarkdown(reviewStack('Ground9-Test', reversed))).toBe(a);
    expect(a).toContain('| Sessions | DynamoDB | `AWS::DynamoDB::Table` | 1 |');
  });
});

describe('inventory of ground 0', () => {
  let ground0: ReviewStack;
  beforeAll(() => {
    const { id, template } = groundTemplate(0);
    ground0 = reviewStack(id, template);
  });

  test('the one method uses IAM authorization and no API key; nothing stores data but log groups', () => {
    const markdown = inventoryMarkdown(ground0);
    expect(row(section(markdown, '## Public entry points'), '| /prompt | POST |')).toContain('| AWS_IAM | — | no |');
    const stored = section(markdown, '## Stored data')
      .split('\n')
      .filter((l) => l.startsWith('| ') && !l.startsWith('| Block'));
    expect(stored.length).toBeGreaterThan(0);
    for (const line of stored) expect(line).toContain('CloudWatch Logs log group');
  });
});
