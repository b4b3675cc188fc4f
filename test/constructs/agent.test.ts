import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_AGENT_INSTRUCTION } from '../../lib/config/agent';
import { MODEL_CATALOG } from '../../lib/config/models';
import { Agent, type AgentProps } from '../../lib/constructs/agent/agent';
import { AgentRoute } from '../../lib/constructs/agent/agent-route';
import { ModelApi } from '../../lib/constructs/api/model-api';
import { Guardrail } from '../../lib/constructs/guardrail/guardrail';
import { KnowledgeBase } from '../../lib/constructs/knowledge-base/knowledge-base';
import { BedrockModel } from '../../lib/constructs/shared/bedrock-model';
import { ACTION_GROUPS, DEMO_ORDERS, orderKey } from '../../contracts/agent-actions';
import { startLocalDynamoDb } from '../support/dynamodb-local';
import { CDK_JSON_CONTEXT } from '../support/synth';
import * as z from 'zod/mini';
import { jsonObject, parseJson } from '../support/json';

const MODEL = new BedrockModel(MODEL_CATALOG['nova-lite'], 'us');
const KB = { knowledgeBaseId: 'KB12345678', knowledgeBaseArn: 'arn:aws:bedrock:us-east-1:123456789012:knowledge-base/KB12345678' };

interface BuildOptions {
  readonly props?: Partial<AgentProps>;
  readonly guardrail?: boolean;
  readonly route?: boolean;
  readonly app?: App;
}

function build(opts: BuildOptions = {}) {
  const app = opts.app ?? new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
  const stack = new Stack(app, `Test${app.node.children.length}`);
  const guardrail = opts.guardrail === false ? undefined : new Guardrail(stack, 'Guardrail');
  const agent = new Agent(stack, 'Agent', {
    model: MODEL,
    instruction: DEFAULT_AGENT_INSTRUCTION,
    knowledgeBase: KnowledgeBase.fromKnowledgeBaseAttributes(stack, 'ImportedKnowledgeBase', { knowledgeBaseArn: KB.knowledgeBaseArn }),
    guardrail,
    demoTenants: ['acme', 'globex'],
    seedDemoData: true,
    ...opts.props,
  });
  const withApi = () => {
    const api = new ModelApi(stack, 'Api');
    api.acknowledgeNoWebAcl('Test fixture: the block alone, without the gateway that adds the web ACL');
    return api;
  };
  const route =
    opts.route === false
      ? undefined
      : new AgentRoute(stack, 'AgentRoute', { api: withApi(), agent, tenants: [{ apiKeyId: 'key1', name: 'acme', tier: 'standard' }] });
  return { app, stack, agent, route, guardrail, template: Template.fromStack(stack) };
}

const only = (template: Template, type: string) => {
  const found = Object.values(template.findResources(type));
  expect(found).toHaveLength(1);
  return found[0].Properties as Record<string, any>;
};
const statementsOf = (template: Template, roleLogicalId: string) =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, any>[]);

describe('Agent', () => {
  const { stack, agent, template } = build();
  const cfnAgent = only(template, 'AWS::Bedrock::Agent');
  const agentLogicalId = stack.getLogicalId(agent.cfnAgent);

  test('model, instruction and a bounded idle session from the props; prepared on every change', () => {
    expect(cfnAgent).toMatchObject({
      FoundationModel: 'us.amazon.nova-lite-v1:0',
      Instruction: DEFAULT_AGENT_INSTRUCTION,
      IdleSessionTTLInSeconds: 600,
      AutoPrepare: true,
      AgentResourceRoleArn: { 'Fn::GetAtt': [stack.getLogicalId(agent.serviceRole.node.defaultChild as iam.CfnRole), 'Arn'] },
    });
    expect(cfnAgent.AgentName).toMatch(/^([0-9a-zA-Z][_-]?){1,100}$/);
  });

  test('the knowledge base and the pinned guardrail version are attached', () => {
    expect(cfnAgent.KnowledgeBases).toEqual([{ KnowledgeBaseId: KB.knowledgeBaseId, Description: expect.any(String), KnowledgeBaseState: 'ENABLED' }]);
    expect(cfnAgent.GuardrailConfiguration).toEqual({
      GuardrailIdentifier: { 'Fn::GetAtt': [expect.stringMatching(/^Guardrail/), 'GuardrailId'] },
      GuardrailVersion: { 'Fn::GetAtt': [expect.stringMatching(/^GuardrailVersion/), 'Version'] },
    });
  });

  test('action groups: the function schemas of lambda/agent-actions, executed by the action function', () => {
    const fnArn = { 'Fn::GetAtt': [stack.getLogicalId(agent.actionsFunction.node.defaultChild as any), 'Arn'] };
    expect(cfnAgent.ActionGroups.map((g: any) => g.ActionGroupName)).toEqual(ACTION_GROUPS.map((g) => g.name));
    for (const group of cfnAgent.ActionGroups) {
      expect(group.ActionGroupExecutor).toEqual({ Lambda: fnArn });
      expect(group.ActionGroupState).toBe('ENABLED');
    }
    const calculate = cfnAgent.ActionGroups[0].FunctionSchema.Functions[0];
    expect(calculate).toEqual({
      Name: 'calculate',
      Description: expect.stringMatching(/exactly/),
      Parameters: { expression: { Type: 'string', Description: expect.any(String), Required: true } },
      RequireConfirmation: 'DISABLED',
    });
    const addToDate = cfnAgent.ActionGroups[0].FunctionSchema.Functions.find((f: any) => f.Name === 'add_to_date');
    expect(addToDate.Parameters.amount).toMatchObject({ Type: 'integer', Required: true });
    expect(addToDate.Parameters.time_zone).toMatchObject({ Type: 'string', Required: false });
  });

  test('the side-effecting action, and only it, requires confirmation', () => {
    const functions = cfnAgent.ActionGroups.flatMap((g: any) => g.FunctionSchema.Functions);
    expect(functions.filter((f: any) => f.RequireConfirmation === 'ENABLED').map((f: any) => f.Name)).toEqual(['create_support_ticket']);
    expect(functions.filter((f: any) => f.RequireConfirmation === 'DISABLED')).toHaveLength(6);
  });

  test('the action function may be invoked by this agent only, from this account', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [stack.getLogicalId(agent.actionsFunction.node.defaultChild as any), 'Arn'] },
      Principal: 'bedrock.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [agentLogicalId, 'AgentArn'] },
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter((p) => p.Properties.Principal === 'bedrock.amazonaws.com');
    expect(permissions).toHaveLength(1);
  });

  test('the service role trusts Bedrock agents of this account only', () => {
    const role = template.findResources('AWS::IAM::Role')[stack.getLogicalId(agent.serviceRole.node.defaultChild as iam.CfnRole)];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'bedrock.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':agent/*']],
            },
          },
        },
      },
    ]);
  });

  test('the service role: exactly the model (profile + its foundation model under the profile condition), the knowledge base, the guardrail', () => {
    const statements = statementsOf(template, stack.getLogicalId(agent.serviceRole.node.defaultChild as iam.CfnRole));
    const profileArn = {
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':inference-profile/us.amazon.nova-lite-v1:0'],
      ],
    };
    const invoke = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'];
    expect(statements).toEqual(
      expect.arrayContaining([
        // IAM statement merging puts the profile read beside the profile invoke.
        { Action: ['bedrock:GetInferenceProfile', ...invoke], Effect: 'Allow', Resource: profileArn },
        {
          Action: invoke,
          Effect: 'Allow',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:*::foundation-model/amazon.nova-lite-v1:0']] },
          Condition: { StringEquals: { 'bedrock:InferenceProfileArn': profileArn } },
        },
        { Action: 'bedrock:Retrieve', Effect: 'Allow', Resource: KB.knowledgeBaseArn },
        { Action: 'bedrock:ApplyGuardrail', Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Guardrail/), 'GuardrailArn'] } },
      ]),
    );
    expect(statements).toHaveLength(4);
  });

  test('the action function reads and writes its table only, with the two calls it makes', () => {
    const role = stack.getLogicalId((agent.actionsFunction.role as iam.Role).node.defaultChild as iam.CfnRole);
    const dynamo = statementsOf(template, role).filter((s) => JSON.stringify(s.Action).includes('dynamodb'));
    expect(dynamo).toEqual([
      {
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [stack.getLogicalId(agent.table.node.defaultChild as any), 'Arn'] },
      },
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TABLE_NAME: { Ref: stack.getLogicalId(agent.table.node.defaultChild as any) } }) },
    });
  });

  test('the table: on demand, point-in-time recovery, encrypted with a KMS key, kept on delete', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('the alias is the only thing the route may invoke', () => {
    const alias = only(template, 'AWS::Bedrock::AgentAlias');
    expect(alias).toMatchObject({ AgentId: { 'Fn::GetAtt': [agentLogicalId, 'AgentId'] }, AgentAliasName: 'live' });
    expect(alias.RoutingConfiguration).toBeUndefined();
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 'bedrock:InvokeAgent', Effect: 'Allow', Resource: { 'Fn::GetAtt': [stack.getLogicalId(agent.cfnAlias), 'AgentAliasArn'] } },
        ]),
      },
    });
    const invokeAgent = JSON.stringify(template.toJSON()).match(/bedrock:InvokeAgent/g);
    expect(invokeAgent).toHaveLength(1);
  });

  test('no demo orders unless seedDemoData is on: the table starts empty', () => {
    const { template: plain } = build({ route: false, props: { seedDemoData: undefined } });
    plain.resourceCountIs('Custom::AWS', 0);
    expect(JSON.stringify(plain.toJSON())).not.toContain('dynamodb:BatchWriteItem');
  });

  test('demo orders are written for each tenant with BatchWriteItem, allowed on this table only', () => {
    const seeds = Object.values(template.findResources('Custom::AWS'));
    expect(seeds).toHaveLength(1);
    const create = JSON.stringify(stack.resolve(seeds[0].Properties.Create));
    expect(create).toContain('"action\\":\\"batchWriteItem');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Action: 'dynamodb:BatchWriteItem', Effect: 'Allow', Resource: { 'Fn::GetAtt': [stack.getLogicalId(agent.table.node.defaultChild as any), 'Arn'] } },
        ],
      },
    });
  });

  test('the /agent route: body schema, environment, API key tenants', () => {
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Name: 'AgentRequest',
      Schema: Match.objectLike({ additionalProperties: false, oneOf: [{ required: ['input'] }, { required: ['sessionId', 'confirm'] }] }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          AGENT_ID: { 'Fn::GetAtt': [agentLogicalId, 'AgentId'] },
          AGENT_ALIAS_ID: { 'Fn::GetAtt': [stack.getLogicalId(agent.cfnAlias), 'AgentAliasId'] },
          MAX_INPUT_CHARS: '4000',
          TENANTS: '{"key1":{"tenant":"acme","tier":"standard"}}',
        }),
      },
    });
  });

  test.each([
    ['AwsSolutions', new AwsSolutionsChecks()],
    ['Serverless', new ServerlessChecks()],
  ])('cdk-nag %s pack: no unacknowledged finding on a stack with the agent and its route', (_pack, checks) => {
    const findings = checks.validateScope(stack).violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
  });
});

describe('Agent alias version', () => {
  const description = (opts: BuildOptions = {}) => {
    const { stack, template } = build({ route: false, ...opts });
    return JSON.stringify(stack.resolve(only(template, 'AWS::Bedrock::AgentAlias').Description));
  };
  const base = description();

  test('the same configuration gives the same description (no new version)', () => {
    expect(description()).toBe(base);
    expect(description({ props: { logRetention: 7, actionsMemorySize: 512, demoTenants: ['other'] } })).toBe(base);
  });

  test.each([
    ['instruction', { instruction: `${DEFAULT_AGENT_INSTRUCTION} Answer in French.` }],
    ['model', { model: new BedrockModel(MODEL_CATALOG['nova-micro'], 'us') }],
    ['idle session TTL', { idleSessionTtl: Duration.minutes(30) }],
    [
      'knowledge base',
      {
        knowledgeBase: {
          knowledgeBaseId: 'KB99999999',
          knowledgeBaseArn: KB.knowledgeBaseArn.replace('KB12345678', 'KB99999999'),
          grantRetrieve: () => undefined as unknown as iam.Grant,
        },
      },
    ],
    ['knowledge base description', { knowledgeBaseDescription: 'Product manuals of the shop.' }],
  ])('a new %s gives a new description (a new version)', (_label, props) => {
    expect(description({ props })).not.toBe(base);
  });

  test('no guardrail gives a new description; the guardrail version is resolved at deploy, not hashed', () => {
    expect(description({ guardrail: false })).not.toBe(base);
    expect(base).toMatch(/"GuardrailVersion[A-F0-9]+","Version"/);
    expect(base).toMatch(/"Fn::Join"/);
  });
});

describe('Agent validation', () => {
  test.each([
    [{ instruction: 'too short' }, /instruction must be 40-20000 characters, got 9/],
    [{ idleSessionTtl: Duration.seconds(30) }, /idleSessionTtl must be between 60 and 3600 seconds, got 30/],
    [{ idleSessionTtl: Duration.hours(2) }, /idleSessionTtl must be between 60 and 3600 seconds, got 7200/],
    [{ model: new BedrockModel(MODEL_CATALOG['titan-embed-text-v2'], 'in-region') }, /model must be a text model that can use tools, got titan-embed-text-v2/],
    [{ demoTenants: ['acme', 'bad#tenant'] }, /demoTenants must be 1-64 letters, digits or hyphens, got "bad#tenant"/],
    [{ knowledgeBaseDescription: 'x'.repeat(201) }, /knowledgeBaseDescription must be 1-200 characters, got 201/],
  ])('fails when %o', (props, message) => {
    expect(() => build({ props: props as Partial<AgentProps>, route: false })).toThrow(message);
  });

  test('a CfnParameter instruction is not checked at synth', () => {
    const app = new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Param');
    new Agent(stack, 'Agent', { model: MODEL, instruction: new CfnParameter(stack, 'Instruction').valueAsString });
    expect(only(Template.fromStack(stack), 'AWS::Bedrock::Agent').Instruction).toEqual({ Ref: 'Instruction' });
  });

  test('warns when the agent has no guardrail, and only then', () => {
    const warnings = (guardrail: boolean) =>
      Annotations.fromStack(build({ guardrail, route: false }).stack).findWarning('*', Match.stringLikeRegexp('genai-blueprint:agent-no-guardrail'));
    expect(warnings(false)).toHaveLength(1);
    expect(warnings(true)).toHaveLength(0);
  });

  test.each([
    [{ maxInputChars: 25_001 }, /maxInputChars must be an integer between 1 and 25000, got 25001/],
    [{ timeout: Duration.seconds(30) }, /timeout \(seconds\) must be an integer between 1 and 29, got 30/],
    [{ attemptTimeout: Duration.seconds(29) }, /attemptTimeout must be below timeout \(29 s\), got 29 s/],
  ])('the route fails when %o', (props, message) => {
    const stack = new Stack(new App({ context: CDK_JSON_CONTEXT }), 'Route');
    const agent = Agent.fromAgentAttributes(stack, 'Imported', { agentId: 'AGENT12345', aliasId: 'ALIAS12345' });
    expect(() => new AgentRoute(stack, 'AgentRoute', { api: new ModelApi(stack, 'Api'), agent, ...props })).toThrow(message);
  });
});

test('the seeded rows are what the action handler reads (sent to a local DynamoDB as the custom resource sends them)', async () => {
  const { stack, template } = build({ route: false, props: { demoTenants: ['acme'] } });
  // The call is a Fn::Join of JSON text around the table's Ref: join it as CloudFormation would.
  const joined = stack.resolve(Object.values(template.findResources('Custom::AWS'))[0].Properties.Create) as { 'Fn::Join': [string, unknown[]] };
  // DynamoDB Local below checks the items; the schema checks the call's shape.
  const call = parseJson(
    z.object({
      parameters: z.custom<ConstructorParameters<typeof BatchWriteItemCommand>[0]>(
        (p) => jsonObject.safeParse(p).success && jsonObject.safeParse((p as { RequestItems?: unknown }).RequestItems).success,
      ),
    }),
    joined['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'agent-data')).join(''),
  );
  const db = await startLocalDynamoDb();
  try {
    await db.createTable({
      TableName: 'agent-data',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    await db.client().send(new BatchWriteItemCommand(call.parameters));
    const documents = DynamoDBDocumentClient.from(db.client());
    for (const order of DEMO_ORDERS) {
      const { Item } = await documents.send(new GetCommand({ TableName: 'agent-data', Key: { pk: orderKey('acme', order.orderId) } }));
      expect(Item).toEqual({ pk: orderKey('acme', order.orderId), tenant: 'acme', ...order });
    }
  } finally {
    await db.stop();
  }
});

test('the template passes CloudFormation spec validation (property names, enums)', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-validate-'));
  try {
    const app = new App({ outdir, context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: true });
    build({ app });
    app.synth();
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    const findings = report.pluginReports.flatMap((r: { violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }) =>
      r.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName}: ${c.constructPath}`)),
    );
    expect(findings).toEqual([]);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});
