import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { asArray, referencedId } from '../checks/template';
import { type IRegulatedControl, packRules } from './control';

/** Construct id, at the stack's root, of the regulated profile's messaging key. */
export const REGULATED_MESSAGING_ID = 'RegulatedMessaging';

/**
 * The AWS services that deliver to a queue or topic of a stack as their own service principal (not
 * through an IAM role of the account), each with the ARNs of the resources that make them deliver in
 * this account and Region (the `aws:SourceArn` of their requests).
 */
export const DELIVERING_SERVICES = {
  /** EventBridge rule targets without a `RoleArn`, and the dead-letter queues of rule targets. */
  events: (stack: Stack) => stack.formatArn({ service: 'events', resource: 'rule', resourceName: '*' }),
  /** CloudWatch alarm actions. */
  cloudwatch: (stack: Stack) => stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
  /** S3 event notifications (a bucket ARN names no account: `aws:SourceAccount` does). */
  s3: (stack: Stack) => stack.formatArn({ service: 's3', region: '', account: '', resource: '*' }),
  /** SNS subscriptions of a queue. */
  sns: (stack: Stack) => stack.formatArn({ service: 'sns', resource: '*' }),
} as const;

export type DeliveringService = keyof typeof DELIVERING_SERVICES;

/**
 * The key of the stack's SQS queues and SNS topics that have none of their own, created on first
 * need under `RegulatedMessaging` at the stack's root.
 *
 * Its own key rather than the data key: service principals (EventBridge, S3, SNS, CloudWatch) need
 * statements in the policy of the key of a queue or topic they deliver to, which the data key (the key
 * of the buckets, tables and the retained backup vault) should not carry; and a queue key can be
 * disabled in an incident without making a byte of stored data unreadable. Messages live 14 days at
 * most, but the key is retained like the others: a queue the stack deletes takes its messages with it,
 * while a switch back to the standard profile leaves the messages already in a queue under this key.
 *
 * Who may send to or receive from a queue, or publish to a topic, is the queue or topic policy's and
 * IAM's decision, made before this profile runs (`grantSendMessages`, an event source mapping, a
 * function's dead-letter queue, a state machine's publish), so the policy lets principals of this
 * account use the key through SQS or SNS in this Region only (`kms:ViaService`, `kms:CallerAccount`),
 * as the AWS managed keys aws/sqs and aws/sns do: a function's role, a state machine's role and the
 * ingest function reach their queue exactly when SQS lets them, and no one uses the key outside SQS
 * and SNS without an IAM grant. A service principal is not a principal of the account: each service
 * that delivers gets its own statement (`allowDelivery`).
 */
export class RegulatedMessaging extends Construct {
  /** The stack's instance, created on first call. */
  public static of(scope: IConstruct): RegulatedMessaging {
    const stack = Stack.of(scope);
    return (stack.node.tryFindChild(REGULATED_MESSAGING_ID) as RegulatedMessaging | undefined) ?? new RegulatedMessaging(stack, REGULATED_MESSAGING_ID);
  }

  private keyValue?: kms.Key;
  private readonly through = new Set<'sqs' | 'sns'>();
  private readonly delivering = new Set<DeliveringService>();

  private constructor(scope: Stack, id: string) {
    super(scope, id);
  }

  /** The key, with the statement for principals of this account through SQS. */
  public get queueKey(): kms.Key {
    return this.keyThrough('sqs');
  }

  /** The key, with the statement for principals of this account through SNS. */
  public get topicKey(): kms.Key {
    return this.keyThrough('sns');
  }

  /**
   * Lets `service` use the key to deliver to a queue or topic on it, for resources of this account and
   * Region only: the statement the SQS and SNS Developer Guides give for AWS services as event sources
   * ("Configure KMS permissions for AWS services",
   * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html;
   * "Enable compatibility between event sources from AWS services and encrypted topics",
   * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html): kms:GenerateDataKey* and
   * kms:Decrypt, with `aws:SourceAccount` and `aws:SourceArn` against the confused deputy.
   *
   * The source is every resource of the service in this account and Region, not the one rule or
   * bucket: a key policy naming the rule (`Fn::GetAtt`) would make the key wait for the rule, the rule
   * for its target queue and the queue for its key, a cycle CloudFormation refuses (aws-cdk-lib's
   * SqsQueue target drops `aws:SourceArn` on encrypted queues for the same reason).
   */
  public allowDelivery(service: DeliveringService): void {
    if (this.delivering.has(service)) return;
    const stack = Stack.of(this);
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `Allow${service[0].toUpperCase()}${service.slice(1)}ToDeliver`,
        principals: [new iam.ServicePrincipal(`${service}.amazonaws.com`)],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account }, ArnLike: { 'aws:SourceArn': DELIVERING_SERVICES[service](stack) } },
      }),
    );
    this.delivering.add(service);
  }

  private get key(): kms.Key {
    this.keyValue ??= new kms.Key(this, 'Key', {
      description: 'genai-blueprint regulated profile: SQS queues and SNS topics',
      enableKeyRotation: true,
    });
    return this.keyValue;
  }

  private keyThrough(service: 'sqs' | 'sns'): kms.Key {
    const key = this.key;
    if (!this.through.has(service)) {
      const stack = Stack.of(this);
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: service === 'sqs' ? 'AllowThroughSqsForThisAccount' : 'AllowThroughSnsForThisAccount',
          principals: [new iam.AnyPrincipal()],
          actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:CallerAccount': stack.account, 'kms:ViaService': `${service}.${stack.region}.amazonaws.com` } },
        }),
      );
      this.through.add(service);
    }
    return key;
  }
}

/** A queue or topic: the resources this control encrypts. */
type Destination = sqs.CfnQueue | sns.CfnTopic;

/**
 * The services that deliver to `destination` as their service principal, from the resources of its
 * stack that point at it: EventBridge rule targets without a role and target dead-letter queues,
 * alarm actions, S3 notification configurations, SNS subscriptions of a queue and their dead-letter queues.
 * (`GenAiBlueprint-SqsQueuePolicyAllowsSenders` / `SnsTopicPolicyAllowsPublishers` check the
 * finished template for any this misses: aws-cdk-lib's notifications custom resource, for one.)
 */
export function deliveringServices(destination: Destination): Set<DeliveringService> {
  const stack = Stack.of(destination);
  const logicalId = stack.resolve(destination.logicalId) as string;
  const points = (value: unknown) => referencedId(value) === logicalId;
  const found = new Set<DeliveringService>();
  for (const c of stack.node.findAll()) {
    if (c instanceof events.CfnRule) {
      const targets = asArray(stack.resolve(c.targets) as { arn?: unknown; roleArn?: unknown; deadLetterConfig?: { arn?: unknown } }[] | undefined);
      if (targets.some((t) => (t.roleArn === undefined && points(t.arn)) || points(t.deadLetterConfig?.arn))) found.add('events');
    } else if (c instanceof cloudwatch.CfnAlarm || c instanceof cloudwatch.CfnCompositeAlarm) {
      const actions = [c.alarmActions, c.okActions, c.insufficientDataActions].flatMap((a) => asArray(stack.resolve(a) as unknown[] | undefined));
      if (actions.some(points)) found.add('cloudwatch');
    } else if (c instanceof s3.CfnBucket) {
      const config = stack.resolve(c.notificationConfiguration) as
        { topicConfigurations?: { topic?: unknown }[]; queueConfigurations?: { queue?: unknown }[] } | undefined;
      const to = [...asArray(config?.topicConfigurations).map((t) => t.topic), ...asArray(config?.queueConfigurations).map((q) => q.queue)];
      if (to.some(points)) found.add('s3');
    } else if (c instanceof sns.CfnSubscription) {
      // SNS delivers to a subscribed queue, and to the dead-letter queue of any subscription.
      const redrive = stack.resolve(c.redrivePolicy) as { deadLetterTargetArn?: unknown } | undefined;
      if ((c.protocol === 'sqs' && points(stack.resolve(c.endpoint))) || points(redrive?.deadLetterTargetArn)) found.add('sns');
    }
  }
  return found;
}

/** Whether `destination` names a key already: then it keeps it. */
function hasOwnKey(destination: Destination): boolean {
  return destination.kmsMasterKeyId !== undefined;
}

/**
 * Queues and topics: every `AWS::SQS::Queue` and `AWS::SNS::Topic` without a key of its own (the
 * knowledge base's ingestion queue and its dead-letter queue, the document pipeline's and the training
 * pipeline's trigger dead-letter queues; the functions' dead-letter queue is created on this key, see
 * functions.ts) is encrypted with the stack's messaging key instead of SSE-SQS, and the key lets each
 * service that delivers to it do so. A queue or topic with a key of its own (the alarm topics, the
 * training pipeline's notifications) keeps it, with the statements its block gave the key.
 *
 * `KmsMasterKeyId` changes without interruption on both types (CloudFormation: "Update requires: No
 * interruption"), so a deployed queue is not replaced: SQS encrypts the messages sent after the change
 * with the new key; those already in the queue stay readable (SQS keeps their data key).
 */
export const MESSAGE_ENCRYPTION: IRegulatedControl = {
  rules: packRules('SNSEncryptedKMS'),
  visit(node) {
    if (!(node instanceof sqs.CfnQueue || node instanceof sns.CfnTopic) || hasOwnKey(node)) return;
    const messaging = RegulatedMessaging.of(node);
    if (node instanceof sqs.CfnQueue) {
      node.kmsMasterKeyId = messaging.queueKey.keyArn;
      // SSE-SQS and a KMS key exclude each other (SetQueueAttributes refuses both).
      node.sqsManagedSseEnabled = undefined;
    } else {
      node.kmsMasterKeyId = messaging.topicKey.keyArn;
    }
    for (const service of deliveringServices(node)) messaging.allowDelivery(service);
  },
};
