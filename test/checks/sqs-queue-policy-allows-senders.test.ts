import { CfnResource, type Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagRuleCompliance } from 'cdk-nag';
import { SqsQueuePolicyAllowsSenders } from '../../lib/checks/rules/sqs-queue-policy-allows-senders';
import { findings, fixtureStack, judge } from './fixture';

const RULE = 'SqsQueuePolicyAllowsSenders';
const EVENTS = new iam.ServicePrincipal('events.amazonaws.com');
const SNS = new iam.ServicePrincipal('sns.amazonaws.com');

describe(RULE, () => {
  test('fails for a queue that an EventBridge rule targets when no queue policy allows events.amazonaws.com', () => {
    const stack = fixtureStack();
    const queue = new sqs.Queue(stack, 'Queue');
    new events.CfnRule(stack, 'Rule', { eventPattern: { source: ['aws.bedrock'] }, targets: [{ id: 'Queue', arn: queue.queueArn }] });
    expect(findings(stack, RULE)).toEqual(['SendMessage:events.amazonaws.com @ Queue/Resource']);
  });

  test("passes with aws-cdk-lib's SqsQueue target and SqsSubscription (both scoped by aws:SourceArn)", () => {
    const stack = fixtureStack();
    const queue = new sqs.Queue(stack, 'Queue');
    new events.Rule(stack, 'Rule', { eventPattern: { source: ['aws.bedrock'] }, targets: [new targets.SqsQueue(queue)] });
    new sns.Topic(stack, 'Topic').addSubscription(new subscriptions.SqsSubscription(queue));
    expect(findings(stack, RULE)).toEqual([]);
  });

  test("fails when the queue's customer managed key does not let the sending service use it, passes once it does", () => {
    const stack = fixtureStack();
    const key = new kms.Key(stack, 'Key');
    const queue = new sqs.Queue(stack, 'Queue', { encryptionMasterKey: key });
    const rule = new events.CfnRule(stack, 'Rule', { eventPattern: { source: ['aws.bedrock'] }, targets: [{ id: 'Queue', arn: queue.queueArn }] });
    queue.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [EVENTS],
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': rule.attrArn } },
      }),
    );
    expect(findings(stack, RULE)).toEqual(['KeyPolicy:events.amazonaws.com @ Queue/Resource']);
    key.grant(EVENTS, 'kms:Decrypt', 'kms:GenerateDataKey*');
    expect(findings(stack, RULE)).toEqual([]);
  });

  test("fails for aws-cdk-lib's SqsQueue target on an encrypted queue, which allows events.amazonaws.com without a source condition", () => {
    const stack = fixtureStack();
    const queue = new sqs.Queue(stack, 'Queue', { encryptionMasterKey: new kms.Key(stack, 'Key') });
    new events.Rule(stack, 'Rule', { eventPattern: { source: ['aws.bedrock'] }, targets: [new targets.SqsQueue(queue)] });
    expect(findings(stack, RULE)).toEqual(['SendMessage:events.amazonaws.com @ Queue/Resource']);
  });

  test('fails for an encrypted dead-letter queue of an EventBridge target whose key does not admit events.amazonaws.com, passes once it does', () => {
    const stack = fixtureStack();
    const key = new kms.Key(stack, 'Key');
    const deadLetters = new sqs.Queue(stack, 'DeadLetters', { encryptionMasterKey: key });
    const target = new sqs.Queue(stack, 'Target');
    // The SqsQueue target's dead-letter queue policy is scoped by aws:SourceArn (aws-cdk-lib's addToDeadLetterQueueResourcePolicy).
    new events.Rule(stack, 'Rule', { eventPattern: { source: ['aws.s3'] }, targets: [new targets.SqsQueue(target, { deadLetterQueue: deadLetters })] });
    expect(findings(stack, RULE)).toEqual(['KeyPolicy:events.amazonaws.com @ DeadLetters/Resource']);
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [EVENTS],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': '111122223333' } },
      }),
    );
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('fails for a dead-letter queue of an EventBridge target without a queue policy for events.amazonaws.com', () => {
    const stack = fixtureStack();
    const deadLetters = new sqs.Queue(stack, 'DeadLetters');
    new events.CfnRule(stack, 'Rule', {
      eventPattern: { source: ['aws.s3'] },
      targets: [{ id: 'Fn', arn: 'arn:aws:lambda:us-east-1:111122223333:function:f', deadLetterConfig: { arn: deadLetters.queueArn } }],
    });
    expect(findings(stack, RULE)).toEqual(['SendMessage:events.amazonaws.com @ DeadLetters/Resource']);
  });

  test('a Principal * key statement limited to the account (kms:CallerAccount, kms:ViaService) admits no service; one limited by source does', () => {
    const stack = fixtureStack();
    const key = new kms.Key(stack, 'Key');
    const queue = new sqs.Queue(stack, 'Queue', { encryptionMasterKey: key });
    const topic = new sns.Topic(stack, 'Topic');
    // L1, so that no aws-cdk-lib binding adds key statements of its own.
    new sns.CfnSubscription(stack, 'Subscription', { topicArn: topic.topicArn, protocol: 'sqs', endpoint: queue.queueArn });
    const fromThisAccount = { StringEquals: { 'aws:SourceAccount': '111122223333' } };
    const everyone = (conditions: Record<string, unknown>) =>
      new iam.PolicyStatement({ principals: [new iam.AnyPrincipal()], actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'], conditions });
    queue.addToResourcePolicy(
      new iam.PolicyStatement({ principals: [SNS], actions: ['sqs:SendMessage'], resources: [queue.queueArn], conditions: fromThisAccount }),
    );
    key.addToResourcePolicy(everyone({ StringEquals: { 'kms:CallerAccount': '111122223333', 'kms:ViaService': 'sqs.us-east-1.amazonaws.com' } }));
    expect(findings(stack, RULE)).toEqual(['KeyPolicy:sns.amazonaws.com @ Queue/Resource']);
    key.addToResourcePolicy(everyone(fromThisAccount));
    expect(findings(stack, RULE)).toEqual([]);
  });

  test("fails for an SNS subscription's encrypted dead-letter queue whose key does not admit sns.amazonaws.com", () => {
    const stack = fixtureStack();
    const key = new kms.Key(stack, 'Key');
    const deadLetters = new sqs.Queue(stack, 'DeadLetters', { encryptionMasterKey: key });
    deadLetters.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [SNS],
        actions: ['sqs:SendMessage'],
        resources: [deadLetters.queueArn],
        conditions: { StringEquals: { 'aws:SourceAccount': '111122223333' } },
      }),
    );
    new sns.Topic(stack, 'Topic').addSubscription(new subscriptions.UrlSubscription('https://example.com/hook', { deadLetterQueue: deadLetters }));
    expect(findings(stack, RULE)).toEqual(['KeyPolicy:sns.amazonaws.com @ DeadLetters/Resource']);
  });
});

describe(`${RULE}, judged on one queue`, () => {
  const scopedAllow = (service: string, queueArn: unknown) => ({
    Effect: 'Allow',
    Principal: { Service: service },
    Action: 'sqs:SendMessage',
    Resource: queueArn,
    Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:us-east-1:111122223333:t' } },
  });

  /** A queue that an SNS subscription and an S3 bucket send to, with the queue policies `policies` adds. */
  function queueWith(policies: (stack: Stack, queue: sqs.CfnQueue) => void, kmsMasterKeyId?: string): sqs.CfnQueue {
    const stack = fixtureStack();
    const queue = new sqs.CfnQueue(stack, 'Queue', { kmsMasterKeyId });
    new sns.CfnSubscription(stack, 'Subscription', { protocol: 'sqs', endpoint: queue.attrArn, topicArn: 'arn:aws:sns:us-east-1:111122223333:t' });
    new CfnResource(stack, 'Bucket', {
      type: 'AWS::S3::Bucket',
      properties: { NotificationConfiguration: { QueueConfigurations: [{ Queue: queue.attrArn, Event: 's3:ObjectCreated:*' }] } },
    });
    policies(stack, queue);
    return queue;
  }

  test('fails for each sender without a scoped Allow, sorted; without a queue policy for all of them', () => {
    expect(
      judge(
        SqsQueuePolicyAllowsSenders,
        queueWith(() => undefined),
      ),
    ).toEqual(['SendMessage:s3.amazonaws.com', 'SendMessage:sns.amazonaws.com']);
    expect(
      judge(
        SqsQueuePolicyAllowsSenders,
        queueWith((stack, queue) => {
          new sqs.CfnQueuePolicy(stack, 'Policy', { queues: [queue.ref], policyDocument: { Statement: [scopedAllow('sns.amazonaws.com', queue.attrArn)] } });
          const other = new sqs.CfnQueue(stack, 'Other');
          new sqs.CfnQueuePolicy(stack, 'OtherPolicy', {
            queues: [other.ref],
            policyDocument: { Statement: [scopedAllow('s3.amazonaws.com', queue.attrArn)] },
          });
        }),
      ),
    ).toEqual(['SendMessage:s3.amazonaws.com']);
  });

  test('passes when its policies allow every sender, and adds the key findings of an encrypted queue', () => {
    const allowBoth = (stack: Stack, queue: sqs.CfnQueue) =>
      new sqs.CfnQueuePolicy(stack, 'Policy', {
        queues: [queue.ref],
        policyDocument: { Statement: [scopedAllow('sns.amazonaws.com', queue.attrArn), scopedAllow('s3.amazonaws.com', queue.attrArn)] },
      });
    expect(judge(SqsQueuePolicyAllowsSenders, queueWith(allowBoth))).toBe(NagRuleCompliance.COMPLIANT);
    expect(judge(SqsQueuePolicyAllowsSenders, queueWith(allowBoth, 'alias/aws/sqs'))).toEqual([
      'AwsManagedKey:s3.amazonaws.com',
      'AwsManagedKey:sns.amazonaws.com',
    ]);
  });

  test('a queue policy for several queues counts for each of them', () => {
    const policyForBoth = (stack: Stack, queue: sqs.CfnQueue) => {
      const other = new sqs.CfnQueue(stack, 'Other');
      new sqs.CfnQueuePolicy(stack, 'Policy', {
        queues: [other.ref, queue.ref],
        policyDocument: { Statement: [scopedAllow('sns.amazonaws.com', queue.attrArn), scopedAllow('s3.amazonaws.com', queue.attrArn)] },
      });
    };
    expect(judge(SqsQueuePolicyAllowsSenders, queueWith(policyForBoth))).toBe(NagRuleCompliance.COMPLIANT);
  });

  test('does not apply to a topic an EventBridge rule targets, nor to a queue that cannot be rendered alone', () => {
    const stack = fixtureStack();
    const topic = new sns.CfnTopic(stack, 'Topic');
    // A target ARN that names no resource of the template: the queue that cannot be rendered must not be matched with it.
    new events.CfnRule(stack, 'Rule', {
      eventPattern: { source: ['aws.s3'] },
      targets: [
        { id: 'Topic', arn: topic.ref },
        { id: 'Elsewhere', arn: 'arn:aws:sqs:us-east-1:111122223333:elsewhere' },
      ],
    });
    expect(judge(SqsQueuePolicyAllowsSenders, topic)).toBe(NagRuleCompliance.NOT_APPLICABLE);
    const broken = new sqs.CfnQueue(stack, 'Broken');
    broken.addPropertyOverride('Bad', {
      resolve: () => {
        throw new Error('cannot render');
      },
    });
    expect(judge(SqsQueuePolicyAllowsSenders, broken)).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });

  test('does not apply to a queue nothing sends to, nor to other resources', () => {
    const stack = fixtureStack();
    const queue = new sqs.CfnQueue(stack, 'Queue');
    expect(judge(SqsQueuePolicyAllowsSenders, queue)).toBe(NagRuleCompliance.NOT_APPLICABLE);
    expect(judge(SqsQueuePolicyAllowsSenders, new sqs.CfnQueuePolicy(stack, 'Policy', { queues: [queue.ref], policyDocument: {} }))).toBe(
      NagRuleCompliance.NOT_APPLICABLE,
    );
  });
});
