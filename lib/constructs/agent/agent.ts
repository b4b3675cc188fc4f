import { createHash } from 'node:crypto';
import { Annotations, ArnFormat, Duration, Lazy, Names, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { ACTION_GROUPS, DEMO_ORDERS, orderKey } from '../../../contracts/agent-actions';
import { TENANT_NAME_PATTERN } from '../../../contracts/ids';
import type { IGuardrail } from '../guardrail/guardrail';
import type { IKnowledgeBase } from '../knowledge-base/knowledge-base';
import { BlueprintFunction, CLOUDFORMATION_INVOKED_DLQ_REASON } from '../shared/blueprint-function';
import type { BedrockModel } from '../shared/bedrock-model';
import { dataTable } from '../shared/data-table';
import { agentActionsEnvSchema, functionEnvironment } from '../../../contracts/env';

/** An agent alias another block can invoke: the `Agent` construct, or one imported (`Agent.fromAgentAttributes`). */
export interface IAgent {
  readonly agentId: string;
  /** The alias callers invoke. */
  readonly aliasId: string;
  /**
   * The model the agent runs: its catalog alias and price make a route's usage record (the
   * budget alarms read it). @default unknown: routes publish no usage record
   */
  readonly model?: BedrockModel;
  /**
   * The knowledge base the agent searches: a route scopes every search of it to the caller's
   * tenant. @default none: a route passes no retrieval filter (an imported agent with a knowledge
   * base must name it here, or its searches are not tenant-scoped)
   */
  readonly knowledgeBaseId?: string;
  /** Lets `grantee` invoke this alias only. */
  grantInvoke(grantee: iam.IGrantable): iam.Grant;
}

/** An imported agent alias: `Agent.fromAgentAttributes` (its ARNs are in the importing stack's account and Region). */
export interface ImportedAgent extends IAgent {
  readonly agentArn: string;
  readonly aliasArn: string;
}

export interface AgentAttributes {
  /** 10 upper-case letters or digits. */
  readonly agentId: string;
  /** The alias to invoke, 10 upper-case letters or digits. */
  readonly aliasId: string;
  /** The model the agent runs, for usage records. @default unknown */
  readonly model?: BedrockModel;
  /** The knowledge base attached to the agent, so routes scope its searches to the caller's tenant. @default none */
  readonly knowledgeBaseId?: string;
}

const AGENT_ID = /^[0-9A-Z]{10}$/;

export interface AgentProps {
  /** The model that plans and answers (a foundation model or its cross-region inference profile). */
  readonly model: BedrockModel;
  /** What the agent does and when it uses which tool; 40-20,000 characters. */
  readonly instruction: string;
  /** Searched when a question is about its documents, and cited. @default no knowledge base */
  readonly knowledgeBase?: IKnowledgeBase;
  /** Tells the agent when to search the knowledge base. @default a description of the blueprint's documents */
  readonly knowledgeBaseDescription?: string;
  /** Applied by Bedrock to every input and answer of the agent. @default no guardrail (a synth warning) */
  readonly guardrail?: IGuardrail;
  /** Inactivity after which Bedrock forgets a conversation, 60-3600 s. @default Duration.minutes(10) */
  readonly idleSessionTtl?: Duration;
  /** Tenants that get the demo orders when `seedDemoData` is on (names as the gateway knows them). @default ['default'] */
  readonly demoTenants?: readonly string[];
  /** Write the blueprint's demo orders into the agent's table at deploy, for a demo that answers at once. @default false: the table starts empty */
  readonly seedDemoData?: boolean;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Memory of the action function. @default 256 */
  readonly actionsMemorySize?: number;
  /** Timeout of the action function. @default Duration.seconds(10) */
  readonly actionsTimeout?: Duration;
}

/** The alias callers invoke; `live` always points at the version made from the current configuration. */
const ALIAS_NAME = 'live';
/** BatchWriteItem takes at most 25 items per call. */
const BATCH_SIZE = 25;

/**
 * Ground 6: a Bedrock agent that plans multi-step tasks over tools, with the knowledge base and
 * the guardrail attached. Its action groups run in one Lambda with function schemas: exact
 * arithmetic and date/time computation (what models get wrong), and the caller's orders and
 * support tickets in a table this construct owns, the side-effecting action only after the caller
 * confirms. Callers invoke the `live` alias, pinned to a version that changes only when the
 * agent's configuration does.
 */
export class Agent extends Construct implements IAgent {
  /** An agent alias created elsewhere (same account and Region as `scope`), for a route to invoke. */
  public static fromAgentAttributes(scope: Construct, id: string, attrs: AgentAttributes): ImportedAgent {
    for (const [key, value] of Object.entries({ agentId: attrs.agentId, aliasId: attrs.aliasId })) {
      if (!Token.isUnresolved(value) && !AGENT_ID.test(value)) throw new Error(`${key} must be 10 upper-case letters or digits, got "${value}"`);
    }
    class Import extends Construct implements ImportedAgent {
      public readonly agentId = attrs.agentId;
      public readonly aliasId = attrs.aliasId;
      public readonly model = attrs.model;
      public readonly knowledgeBaseId = attrs.knowledgeBaseId;
      public readonly agentArn = Stack.of(scope).formatArn({
        service: 'bedrock',
        resource: 'agent',
        resourceName: attrs.agentId,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
      public readonly aliasArn = Stack.of(scope).formatArn({
        service: 'bedrock',
        resource: 'agent-alias',
        resourceName: `${attrs.agentId}/${attrs.aliasId}`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
      public grantInvoke(grantee: iam.IGrantable): iam.Grant {
        return grantInvokeAlias(grantee, this.aliasArn);
      }
    }
    return new Import(scope, id);
  }

  public readonly agentId: string;
  public readonly agentArn: string;
  public readonly aliasId: string;
  public readonly aliasArn: string;
  public readonly cfnAgent: bedrock.CfnAgent;
  public readonly cfnAlias: bedrock.CfnAgentAlias;
  /** Role Bedrock assumes to run the agent: this model, this knowledge base, this guardrail. */
  public readonly serviceRole: iam.Role;
  /** Executes every action group. */
  public readonly actionsFunction: BlueprintFunction;
  /** Orders and tickets; every key starts with the tenant. */
  public readonly table: dynamodb.Table;
  /** The model the agent orchestrates with (its route prices the answers with it). */
  public readonly model: BedrockModel;
  /** The knowledge base the agent searches, if any. */
  public readonly knowledgeBaseId?: string;

  constructor(scope: Construct, id: string, props: AgentProps) {
    super(scope, id);
    this.model = props.model;
    this.knowledgeBaseId = props.knowledgeBase?.knowledgeBaseId;
    const stack = Stack.of(this);
    const idleSessionTtl = props.idleSessionTtl ?? Duration.minutes(10);
    const demoTenants = props.demoTenants ?? ['default'];
    const seedDemoData = props.seedDemoData ?? false;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const knowledgeBaseDescription =
      props.knowledgeBaseDescription ?? 'The documents of this deployment: search it for questions about their content and cite what you use.';

    const model = props.model.model;
    if (model.kind !== 'text' || !model.capabilities.toolUse) {
      throw new Error(`model must be a text model that can use tools, got ${props.model.alias}`);
    }
    if (!Token.isUnresolved(props.instruction) && (props.instruction.length < 40 || props.instruction.length > 20_000)) {
      throw new Error(`instruction must be 40-20000 characters, got ${props.instruction.length}`);
    }
    const ttlSeconds = idleSessionTtl.toSeconds();
    if (!Token.isUnresolved(ttlSeconds) && (ttlSeconds < 60 || ttlSeconds > 3_600)) {
      throw new Error(`idleSessionTtl must be between 60 and 3600 seconds, got ${ttlSeconds}`);
    }
    if (!Token.isUnresolved(knowledgeBaseDescription) && (knowledgeBaseDescription.length < 1 || knowledgeBaseDescription.length > 200)) {
      throw new Error(`knowledgeBaseDescription must be 1-200 characters, got ${knowledgeBaseDescription.length}`);
    }
    const badTenant = demoTenants.find((t) => !Token.isUnresolved(t) && !TENANT_NAME_PATTERN.test(t));
    if (badTenant !== undefined) throw new Error(`demoTenants must be 1-64 letters, digits or hyphens, got ${JSON.stringify(badTenant)}`);
    if (!props.guardrail) {
      Annotations.of(this).addWarningV2(
        'genai-blueprint:agent-no-guardrail',
        'The agent has no guardrail: prompt attacks in requests, tool results and retrieved documents reach the model unfiltered.',
      );
    }

    // --- The agent's own data ---------------------------------------------------------------
    // Support tickets are records callers created: kept when the stack goes.
    this.table = dataTable(this, 'Data', { partitionKey: 'pk' });

    // --- Action groups ----------------------------------------------------------------------
    this.actionsFunction = new BlueprintFunction(this, 'ActionsFunction', {
      handlerDir: 'agent-actions',
      description: 'genai-blueprint: action groups of the Bedrock agent (exact math, dates, orders, tickets)',
      memorySize: props.actionsMemorySize ?? 256,
      timeout: props.actionsTimeout ?? Duration.seconds(10),
      logRetention,
      invokedBy: 'bedrock-agent',
      environment: functionEnvironment(agentActionsEnvSchema, { TABLE_NAME: this.table.tableName }),
    });
    // Exactly what the handler does: read an order, write a ticket conditionally.
    this.actionsFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resources: [this.table.tableArn] }));

    const actionGroups: bedrock.CfnAgent.AgentActionGroupProperty[] = ACTION_GROUPS.map((group) => ({
      actionGroupName: group.name,
      description: group.description,
      actionGroupState: 'ENABLED',
      actionGroupExecutor: { lambda: this.actionsFunction.functionArn },
      functionSchema: {
        functions: group.functions.map((f) => ({
          name: f.name,
          description: f.description,
          parameters: Object.fromEntries(
            Object.entries(f.parameters).map(([name, p]) => [name, { type: p.type, description: p.description, required: p.required }]),
          ),
          requireConfirmation: f.requireConfirmation ? 'ENABLED' : 'DISABLED',
        })),
      },
    }));

    // --- Service role -----------------------------------------------------------------------
    this.serviceRole = new iam.Role(this, 'ServiceRole', {
      description: 'Bedrock agent: invokes its model, searches its knowledge base, applies its guardrail',
      // The confused-deputy guard AWS documents for agent roles. The agent's own ARN would be a
      // cycle (the agent needs the role first): any agent of this account and Region.
      assumedBy: new iam.ServicePrincipal('bedrock.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'bedrock', resource: 'agent', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME }) },
      }),
    });
    // Agents stream from their model when the caller asks for streaming: both invoke actions.
    props.model.grantInvoke(this, this.serviceRole, 'both');
    if (props.model.route !== 'in-region') {
      // Bedrock reads the profile when the agent is prepared with a profile as its model.
      this.serviceRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['bedrock:GetInferenceProfile'], resources: [props.model.sourceArn(this)] }));
    }
    const finding = props.model.nagRegionWildcardFinding();
    if (finding) {
      Validations.of(this.serviceRole).acknowledge({
        id: finding,
        reason:
          'A cross-region inference profile may route to any Region of its geography; ' +
          'the statement only applies to calls made through the one configured profile (bedrock:InferenceProfileArn condition)',
      });
    }
    props.knowledgeBase?.grantRetrieve(this.serviceRole);
    props.guardrail?.grantApply(this.serviceRole);

    // --- Agent ------------------------------------------------------------------------------
    const configuration = {
      foundationModel: props.model.invocationId,
      instruction: props.instruction,
      idleSessionTtlInSeconds: ttlSeconds,
      actionGroups,
      knowledgeBases: props.knowledgeBase
        ? [{ knowledgeBaseId: props.knowledgeBase.knowledgeBaseId, description: knowledgeBaseDescription, knowledgeBaseState: 'ENABLED' }]
        : undefined,
      guardrailConfiguration: props.guardrail
        ? { guardrailIdentifier: props.guardrail.guardrailId, guardrailVersion: props.guardrail.guardrailVersion }
        : undefined,
    } satisfies Omit<bedrock.CfnAgentProps, 'agentName'>;
    this.cfnAgent = new bedrock.CfnAgent(this, 'Resource', {
      agentName: Names.uniqueResourceName(this, { maxLength: 100, separator: '-' }),
      description: 'genai-blueprint agent: multi-step tasks over exact tools, the knowledge base and the guardrail',
      agentResourceRoleArn: this.serviceRole.roleArn,
      // The DRAFT is prepared on every change, so the alias below snapshots what was deployed.
      autoPrepare: true,
      ...configuration,
    });
    // Preparing checks the role's permissions: the policies must exist first.
    this.cfnAgent.node.addDependency(this.serviceRole);

    this.actionsFunction.addPermission('InvokedByAgent', {
      principal: new iam.ServicePrincipal('bedrock.amazonaws.com'),
      action: 'lambda:InvokeFunction',
      sourceArn: this.cfnAgent.attrAgentArn,
      sourceAccount: stack.account,
    });

    // An alias without a routing configuration makes a new version of the prepared DRAFT each
    // time it is created or updated. Its Description names everything that makes the agent what
    // it is, so CloudFormation updates the alias, and Bedrock cuts a new version, exactly when
    // that changes; otherwise the alias stays on the version it points at (the same trick as the
    // guardrail and prompt versions). Settings known at synth (model, instruction, session TTL,
    // action group schemas) go in as a hash. Ids only known at deploy go in as themselves, so
    // CloudFormation resolves them: a replaced knowledge base or a new guardrail version changes
    // the text, where a hash of their unresolved references never would. The action function's
    // code is not part of a version: Bedrock calls its unqualified ARN, so code fixes reach the
    // live alias without a new version.
    const hash = Lazy.uncachedString({
      produce: (context) =>
        createHash('sha256')
          .update(JSON.stringify(context.resolve(configuration)))
          .digest('hex')
          .slice(0, 16),
    });
    this.cfnAlias = new bedrock.CfnAgentAlias(this, 'Alias', {
      agentId: this.cfnAgent.attrAgentId,
      agentAliasName: ALIAS_NAME,
      description: [
        `genai-blueprint agent ${hash}`,
        props.knowledgeBase ? ` kb ${props.knowledgeBase.knowledgeBaseId}` : '',
        props.guardrail ? ` guardrail ${props.guardrail.guardrailId}:${props.guardrail.guardrailVersion}` : '',
      ].join(''),
    });

    this.agentId = this.cfnAgent.attrAgentId;
    this.agentArn = this.cfnAgent.attrAgentArn;
    this.aliasId = this.cfnAlias.attrAgentAliasId;
    this.aliasArn = this.cfnAlias.attrAgentAliasArn;

    if (seedDemoData && demoTenants.length) this.seedDemoOrders(demoTenants, logRetention);
  }

  /** Lets `grantee` invoke the `live` alias only (never the DRAFT test alias). */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return grantInvokeAlias(grantee, this.aliasArn);
  }

  /**
   * The demo orders of every tenant, written with BatchWriteItem at deploy (and again when the
   * demo data changes: the rows are overwritten, tickets are never touched).
   */
  private seedDemoOrders(tenants: readonly string[], logRetention: logs.RetentionDays): void {
    const items = tenants.flatMap((tenant) =>
      DEMO_ORDERS.map((order) => ({ PutRequest: { Item: attributeMap({ pk: orderKey(tenant, order.orderId), tenant, ...order }) } })),
    );
    // The provider function is a stack-wide singleton: the first construct to need it sets its log group.
    const singletonExists = Stack.of(this).node.tryFindChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`) !== undefined;
    const logGroup = singletonExists ? undefined : new logs.LogGroup(this, 'SeedLogs', { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY });
    for (let i = 0; i * BATCH_SIZE < items.length; i++) {
      const write: cr.AwsSdkCall = {
        service: 'DynamoDB',
        action: 'batchWriteItem',
        parameters: { RequestItems: { [this.table.tableName]: items.slice(i * BATCH_SIZE, (i + 1) * BATCH_SIZE) } },
        physicalResourceId: cr.PhysicalResourceId.of(`DemoOrders${i}`),
      };
      const seed = new cr.AwsCustomResource(this, `DemoOrders${i}`, {
        onCreate: write,
        onUpdate: write,
        policy: cr.AwsCustomResourcePolicy.fromStatements([
          new iam.PolicyStatement({ actions: ['dynamodb:BatchWriteItem'], resources: [this.table.tableArn] }),
        ]),
        installLatestAwsSdk: false,
        memorySize: 256,
        timeout: Duration.minutes(2),
        logGroup,
      });
      const role = seed.grantPrincipal as iam.Role;
      const cdkOwned = 'Function owned by aws-cdk-lib and run only by CloudFormation during deployments';
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: `${cdkOwned}: aws-cdk-lib attaches the basic execution role (CloudWatch Logs only) and exposes no option to replace it`,
      });
      Validations.of((role.node.scope as Construct).node.defaultChild!).acknowledge(
        { id: 'Serverless-LambdaDLQ', reason: `${cdkOwned}. ${CLOUDFORMATION_INVOKED_DLQ_REASON}` },
        {
          id: 'Serverless-LambdaTracing',
          reason: `${cdkOwned}: runs once per deployment, aws-cdk-lib exposes no tracing option and there is no request path to trace`,
        },
      );
    }
  }
}

type AttributeValue = { S: string } | { N: string } | { BOOL: boolean } | { L: AttributeValue[] } | { M: Record<string, AttributeValue> };

/** A plain object in DynamoDB's attribute-value JSON, as the low-level BatchWriteItem call takes it. */
function attributeMap(item: object): Record<string, AttributeValue> {
  return Object.fromEntries(
    Object.entries(item)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, attributeValue(v)]),
  );
}

function attributeValue(value: unknown): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(attributeValue) };
  if (typeof value === 'object' && value !== null) return { M: attributeMap(value) };
  throw new Error(`demo data holds a value DynamoDB cannot store: ${JSON.stringify(value)}`);
}

function grantInvokeAlias(grantee: iam.IGrantable, aliasArn: string): iam.Grant {
  return iam.Grant.addToPrincipal({ grantee, actions: ['bedrock:InvokeAgent'], resourceArns: [aliasArn] });
}
