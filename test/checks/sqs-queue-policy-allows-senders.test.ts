import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { findings, fixtureStack } from './fixture';

const RULE = 'SqsQueuePolicyAllowsSenders';
const EVENTS = new iam.ServicePrincipal('events.amazonaws.com');

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
});
