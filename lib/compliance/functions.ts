import { CfnResource, Duration, Lazy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct, IConstruct } from 'constructs';
import { type IRegulatedControl, packRules } from './control';
import { RegulatedMessaging } from './messaging';

/**
 * The regulated profile's controls on functions and their permissions (docs/compliance.md,
 * "Functions"): reserved concurrency and a dead-letter queue on every function, and every inline
 * identity policy turned into a customer managed policy.
 */

/**
 * Reserved concurrency of a function on the request path (one that API Gateway, a Bedrock agent or
 * Cognito invokes) that has none of its own (`lambda.reservedConcurrency` sets the model, agent and
 * predict routes').
 */
export const REQUEST_PATH_RESERVED_CONCURRENCY = 10;

/**
 * Reserved concurrency of every other function (custom resource handlers, queue consumers, Step
 * Functions tasks): a few at a time, never the account's pool. A queue consumer's SQS event source
 * mapping is capped at the same number (QUEUE_POLLER_CONCURRENCY), so its pollers never invoke more
 * than the reservation admits.
 */
export const BACKGROUND_RESERVED_CONCURRENCY = 5;

/** Service principals whose invocations are on a client's request path. */
const REQUEST_PATH_PRINCIPALS: readonly string[] = ['apigateway.amazonaws.com', 'bedrock.amazonaws.com', 'cognito-idp.amazonaws.com'];

/** Whether a resource-based permission lets a request-path service invoke `fn`. */
function onRequestPath(fn: lambda.CfnFunction): boolean {
  const stack = Stack.of(fn);
  const ref = `"${stack.resolve(fn.logicalId)}"`;
  return stack.node
    .findAll()
    .some(
      (c) =>
        c instanceof lambda.CfnPermission &&
        REQUEST_PATH_PRINCIPALS.includes(String(stack.resolve(c.principal))) &&
        JSON.stringify(stack.resolve(c.functionName)).includes(ref),
    );
}

/**
 * LambdaConcurrency: every function without reserved concurrency gets
 * REQUEST_PATH_RESERVED_CONCURRENCY or BACKGROUND_RESERVED_CONCURRENCY. A value the function has
 * already (`lambda.reservedConcurrency`) is kept.
 */
export const RESERVED_CONCURRENCY: IRegulatedControl = {
  rules: packRules('LambdaConcurrency'),
  visit(node: IConstruct): void {
    if (!(node instanceof lambda.CfnFunction) || node.reservedConcurrentExecutions !== undefined) return;
    node.reservedConcurrentExecutions = onRequestPath(node) ? REQUEST_PATH_RESERVED_CONCURRENCY : BACKGROUND_RESERVED_CONCURRENCY;
  },
};

/** Fewest concurrent invocations an SQS event source mapping's ScalingConfig.MaximumConcurrency accepts (Lambda API Reference, ScalingConfig). */
export const MIN_SQS_MAXIMUM_CONCURRENCY = 2;

/** The `AWS::Lambda::Function` an event source mapping's `FunctionName` refers to, when it is one of this stack. */
function mappedFunction(mapping: lambda.CfnEventSourceMapping): lambda.CfnFunction | undefined {
  const stack = Stack.of(mapping);
  const target = JSON.stringify(stack.resolve(mapping.functionName));
  return stack.node
    .findAll()
    .find((c): c is lambda.CfnFunction => c instanceof lambda.CfnFunction && target.includes(`"${stack.resolve(c.logicalId) as string}"`));
}

/** Whether the mapping reads an SQS queue: a queue of this stack (`Fn::GetAtt` of an `AWS::SQS::Queue`) or an SQS ARN. */
function readsSqs(mapping: lambda.CfnEventSourceMapping): boolean {
  const stack = Stack.of(mapping);
  const source = JSON.stringify(stack.resolve(mapping.eventSourceArn) ?? null);
  if (source.includes(':sqs:')) return true;
  return stack.node.findAll().some((c) => c instanceof sqs.CfnQueue && source.includes(`"${stack.resolve(c.logicalId) as string}"`));
}

/**
 * Every SQS event source mapping of a function with reserved concurrency polls with at most that
 * many concurrent invocations (ScalingConfig.MaximumConcurrency). An SQS mapping scales its
 * pollers up to 1,000 concurrent batches without regard to the function's reservation; the
 * invocations over it are throttled, and each throttled batch goes back to the queue and counts
 * toward the queue's maxReceiveCount, so messages land in the dead-letter queue unprocessed
 * ("Configuring maximum concurrency for Amazon SQS event sources",
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html). Lambda accepts 2 to
 * 1,000 (https://docs.aws.amazon.com/lambda/latest/dg/API_ScalingConfig.html); a reservation of 1
 * cannot be matched and fails synthesis. A cap the mapping has already, at or under the
 * reservation, is kept. `ScalingConfig` updates without interruption (CloudFormation).
 *
 * Read when the template is written, so the reservation RESERVED_CONCURRENCY gives is seen
 * whatever the order in which the aspect meets the function and its mapping.
 */
export const QUEUE_POLLER_CONCURRENCY: IRegulatedControl = {
  rules: [],
  visit(node: IConstruct): void {
    if (!(node instanceof lambda.CfnEventSourceMapping) || !readsSqs(node)) return;
    const mapping = node;
    const current = Stack.of(mapping).resolve(mapping.scalingConfig) as { maximumConcurrency?: unknown } | undefined;
    mapping.scalingConfig = Lazy.any({
      produce: () => {
        const reserved = mappedFunction(mapping)?.reservedConcurrentExecutions;
        if (typeof reserved !== 'number') return current;
        if (reserved < MIN_SQS_MAXIMUM_CONCURRENCY) {
          throw new Error(
            `regulated profile: ${mapping.node.path} reads an SQS queue for a function with reserved concurrency ${reserved}; ` +
              `its ScalingConfig.MaximumConcurrency must be between ${MIN_SQS_MAXIMUM_CONCURRENCY} and 1000, ` +
              `so reserve at least ${MIN_SQS_MAXIMUM_CONCURRENCY}`,
          );
        }
        const kept = typeof current?.maximumConcurrency === 'number' && current.maximumConcurrency <= reserved;
        return { maximumConcurrency: kept ? current.maximumConcurrency : reserved };
      },
    });
  },
};

/** Construct id of the dead-letter queue the regulated profile adds to each stack with a function. */
export const FUNCTION_DEAD_LETTERS_ID = 'FunctionDeadLetters';

/** The stack's dead-letter queue for its functions, created on first need. */
function deadLetterQueue(stack: Stack): sqs.Queue {
  const existing = stack.node.tryFindChild(FUNCTION_DEAD_LETTERS_ID);
  if (existing instanceof sqs.Queue) return existing;
  if (existing)
    throw new Error(
      `${stack.node.path}/${FUNCTION_DEAD_LETTERS_ID} is not an SQS queue: the regulated profile keeps that id for the functions' dead-letter queue`,
    );
  // On the stack's messaging key (messaging.ts): Lambda sends as the function's role, which the key
  // admits through SQS, so no key grant is added beside the sqs:SendMessage below.
  const queue = new sqs.Queue(stack, FUNCTION_DEAD_LETTERS_ID, {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: RegulatedMessaging.of(stack).queueKey,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  // AwsSolutions-SQS3 counts a queue named in a DeadLetterConfig as a dead-letter queue; Serverless-SQSRedrivePolicy does not.
  Validations.of(queue).acknowledge({
    id: 'Serverless-SQSRedrivePolicy',
    reason: "This is the functions' dead-letter queue, kept for an operator: a queue behind it would add nothing",
  });
  return queue;
}

/**
 * LambdaDLQ: every function without a dead-letter target sends the asynchronous invocations that
 * failed to the stack's queue (FUNCTION_DEAD_LETTERS_ID: the stack's messaging key, TLS only, 14 days, the most SQS
 * keeps). Lambda sends as the function's execution role, which gets `sqs:SendMessage` on that queue
 * in the policy the function already depends on (Lambda checks the permission when the function
 * is created or updated).
 */
export const DEAD_LETTER_QUEUES: IRegulatedControl = {
  rules: packRules('LambdaDLQ'),
  // The blocks acknowledge Serverless-LambdaDLQ on functions nothing invokes asynchronously.
  supersedes: ['Serverless-LambdaDLQ'],
  visit(node: IConstruct): void {
    if (!(node instanceof lambda.CfnFunction)) return;
    const stack = Stack.of(node);
    const current = stack.resolve(node.deadLetterConfig) as { targetArn?: unknown } | undefined;
    if (current?.targetArn !== undefined) return;
    const fn = node.node.scope;
    if (!(fn instanceof lambda.Function) || !fn.role) {
      throw new Error(
        `regulated profile: ${node.node.path} is a Lambda function without a lambda.Function construct and role around it, ` +
          `so its execution role cannot be allowed sqs:SendMessage on the dead-letter queue; give it a DeadLetterConfig of its own`,
      );
    }
    const queue = deadLetterQueue(stack);
    node.deadLetterConfig = { targetArn: queue.queueArn };
    fn.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
  },
};

/**
 * Most characters of a customer managed policy document, white space not counted (IAM User Guide,
 * "IAM and AWS STS quotas": 6,144; the inline policies of one role may total 10,240).
 */
export const MANAGED_POLICY_MAX_CHARS = 6_144;

/** Construct id of the managed policy that replaces an inline policy's `Resource`. */
export const MANAGED_POLICY_ID = 'Managed';

/** The inline policy's interface this file calls (protected in CfnResource). */
interface Conditional {
  shouldSynthesize(): boolean;
}

/**
 * A customer managed policy with the document and principals of the inline `AWS::IAM::Policy` it
 * replaces, rendered when and only when that one would have been (an `iam.Policy` renders no
 * resource while it is empty or attached to nothing).
 */
class ManagedInsteadOfInline extends iam.CfnManagedPolicy {
  constructor(
    scope: Construct,
    id: string,
    private readonly inline: iam.CfnPolicy,
  ) {
    super(scope, id, { policyDocument: inline.policyDocument, roles: inline.roles, users: inline.users, groups: inline.groups });
    this.cfnOptions.condition = inline.cfnOptions.condition;
    this.node.addValidation({ validate: () => this.validateSize() });
  }

  protected shouldSynthesize(): boolean {
    return (this.inline as unknown as Conditional).shouldSynthesize();
  }

  /** The size IAM counts: the document without white space. Intrinsics count as written in the template, not as resolved. */
  private validateSize(): string[] {
    if (!this.shouldSynthesize()) return [];
    const size = JSON.stringify(Stack.of(this).resolve(this.policyDocument)).replace(/\s/g, '').length;
    return size > MANAGED_POLICY_MAX_CHARS
      ? [
          `regulated profile: the managed policy ${this.node.path} has ${size} characters, ` +
            `more than IAM's ${MANAGED_POLICY_MAX_CHARS} for a managed policy; split its grants`,
        ]
      : [];
  }
}

/**
 * IAMNoInlinePolicy: every `AWS::IAM::Policy` (a role's DefaultPolicy, an `iam.Policy`) becomes an
 * `AWS::IAM::ManagedPolicy` with the same document, attached to the same roles, users and groups.
 * The managed policy has its own construct id (MANAGED_POLICY_ID) and so its own logical id:
 * CloudFormation refuses an update that changes the type of a logical id ("Update of resource type
 * is not permitted"), so keeping the inline policy's id would make an existing standard stack
 * impossible to switch. Dependencies follow: a construct dependency on the role or policy (how
 * lambda.Function depends on its role's DefaultPolicy) covers the new resource, and each resource
 * that depended on the inline policy itself is made to depend on the managed one.
 */
export const MANAGED_POLICIES: IRegulatedControl = {
  rules: packRules('IAMNoInlinePolicy'),
  visit(node: IConstruct): void {
    if (!(node instanceof iam.CfnPolicy)) return;
    const scope = node.node.scope;
    if (!scope) return;
    const stack = Stack.of(node);
    const managed = new ManagedInsteadOfInline(
      scope,
      scope.node.tryFindChild(MANAGED_POLICY_ID) ? `${node.node.id}${MANAGED_POLICY_ID}` : MANAGED_POLICY_ID,
      node,
    );
    for (const entry of node.node.metadata) if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) managed.node.addMetadata(entry.type, entry.data);
    managed.cfnOptions.metadata = node.cfnOptions.metadata;
    for (const target of node.obtainDependencies()) if (target instanceof CfnResource) managed.addDependency(target);
    managed.node.addDependency(...node.node.dependencies);
    for (const r of stack.node.findAll()) {
      if (r instanceof CfnResource && r !== node && r.obtainDependencies().includes(node)) {
        r.removeDependency(node);
        r.addDependency(managed);
      }
    }
    scope.node.tryRemoveChild(node.node.id);
  },
};

/** The controls of this file, in the order the profile applies them. */
export const FUNCTION_CONTROLS: readonly IRegulatedControl[] = [RESERVED_CONCURRENCY, QUEUE_POLLER_CONCURRENCY, DEAD_LETTER_QUEUES, MANAGED_POLICIES];
