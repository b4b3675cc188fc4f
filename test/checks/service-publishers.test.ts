import { CfnResource, type Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { allowsServiceScoped, keyFindings, servicePublishers } from '../../lib/checks/service-publishers';
import { StackTemplate, type TemplateResource } from '../../lib/checks/template';
import { fixtureStack } from './fixture';

/** A stack with a topic and a queue, the resources `build` adds, and the template read afresh. */
function templateWith(build: (stack: Stack, topic: sns.CfnTopic, queue: sqs.CfnQueue) => void) {
  const stack = fixtureStack();
  const topic = new sns.CfnTopic(stack, 'Topic');
  const queue = new sqs.CfnQueue(stack, 'Queue');
  build(stack, topic, queue);
  StackTemplate.reset();
  const template = StackTemplate.of(topic);
  const of = (node: CfnResource) => template.resourceOf(node) as TemplateResource;
  return { template, topic: of(topic), queue: of(queue), of };
}

const raw = (stack: Stack, id: string, type: string, properties: Record<string, unknown>) => new CfnResource(stack, id, { type, properties });
const publishersOf = (t: ReturnType<typeof templateWith>, target: TemplateResource) =>
  servicePublishers(t.template, target).map((p) => `${p.service} ${p.resource.logicalId}`);

describe('servicePublishers: the AWS services that deliver to a topic or queue', () => {
  test('alarms through any of their three action lists, composite alarms too, each once', () => {
    const t = templateWith((stack, topic) => {
      raw(stack, 'Alarm', 'AWS::CloudWatch::Alarm', { AlarmActions: [topic.ref, topic.ref], OKActions: [topic.ref] });
      raw(stack, 'Ok', 'AWS::CloudWatch::Alarm', { OKActions: topic.ref });
      raw(stack, 'Insufficient', 'AWS::CloudWatch::Alarm', { InsufficientDataActions: [topic.ref] });
      raw(stack, 'Composite', 'AWS::CloudWatch::CompositeAlarm', { AlarmActions: [topic.ref] });
      raw(stack, 'Elsewhere', 'AWS::CloudWatch::Alarm', { AlarmActions: ['arn:aws:sns:us-east-1:111122223333:other'] });
      raw(stack, 'Both', 'AWS::CloudWatch::Alarm', { AlarmActions: ['arn:aws:sns:us-east-1:111122223333:other', topic.ref] });
    });
    expect(publishersOf(t, t.topic)).toEqual([
      'cloudwatch.amazonaws.com Alarm',
      'cloudwatch.amazonaws.com Ok',
      'cloudwatch.amazonaws.com Insufficient',
      'cloudwatch.amazonaws.com Composite',
      'cloudwatch.amazonaws.com Both',
    ]);
  });

  test('EventBridge targets without a role, and dead-letter queues of any target', () => {
    const t = templateWith((stack, topic, queue) => {
      raw(stack, 'Direct', 'AWS::Events::Rule', { Targets: [null, { Id: '1', Arn: topic.attrTopicArn }] });
      raw(stack, 'WithRole', 'AWS::Events::Rule', { Targets: [{ Id: '1', Arn: topic.attrTopicArn, RoleArn: 'arn:aws:iam::111122223333:role/r' }] });
      raw(stack, 'Dlq', 'AWS::Events::Rule', {
        Targets: [{ Id: '1', Arn: 'arn:aws:lambda:us-east-1:111122223333:function:f', RoleArn: 'r', DeadLetterConfig: { Arn: queue.attrArn } }],
      });
    });
    expect(publishersOf(t, t.topic)).toEqual(['events.amazonaws.com Direct']);
    expect(publishersOf(t, t.queue)).toEqual(['events.amazonaws.com Dlq']);
  });

  test("S3 notifications to topics and queues, on the bucket or through aws-cdk-lib's custom resource", () => {
    const t = templateWith((stack, topic, queue) => {
      raw(stack, 'ByTopic', 'AWS::S3::Bucket', { NotificationConfiguration: { TopicConfigurations: [{ Topic: topic.ref, Event: 's3:ObjectCreated:*' }] } });
      raw(stack, 'ByTopicArn', 'Custom::S3BucketNotifications', { NotificationConfiguration: { TopicConfigurations: [null, { TopicArn: topic.ref }] } });
      raw(stack, 'ByQueue', 'AWS::S3::Bucket', { NotificationConfiguration: { QueueConfigurations: [null, { Queue: queue.attrArn }] } });
      raw(stack, 'ByQueueArn', 'Custom::S3BucketNotifications', { NotificationConfiguration: { QueueConfigurations: { QueueArn: queue.attrArn } } });
      raw(stack, 'Plain', 'AWS::S3::Bucket', {});
    });
    expect(publishersOf(t, t.topic)).toEqual(['s3.amazonaws.com ByTopic', 's3.amazonaws.com ByTopicArn']);
    expect(publishersOf(t, t.queue)).toEqual(['s3.amazonaws.com ByQueue', 's3.amazonaws.com ByQueueArn']);
  });

  test('budgets notifying an SNS subscriber (not an e-mail address)', () => {
    const t = templateWith((stack, topic) => {
      const notification = (type: string) => ({
        NotificationsWithSubscribers: [null, { Subscribers: [null, { SubscriptionType: type, Address: topic.ref }] }],
      });
      raw(stack, 'Sns', 'AWS::Budgets::Budget', notification('SNS'));
      raw(stack, 'Email', 'AWS::Budgets::Budget', notification('EMAIL'));
    });
    expect(publishersOf(t, t.topic)).toEqual(['budgets.amazonaws.com Sns']);
  });

  test("SNS subscriptions of a queue over sqs, and any subscription's dead-letter queue", () => {
    const t = templateWith((stack, topic, queue) => {
      raw(stack, 'Sqs', 'AWS::SNS::Subscription', { Protocol: 'sqs', Endpoint: queue.attrArn, TopicArn: topic.ref });
      raw(stack, 'Lambda', 'AWS::SNS::Subscription', { Protocol: 'lambda', Endpoint: queue.attrArn, TopicArn: topic.ref });
    });
    expect(publishersOf(t, t.queue)).toEqual(['sns.amazonaws.com Sqs']);
    const dlq = templateWith((stack, topic, queue) => {
      raw(stack, 'Lambda', 'AWS::SNS::Subscription', {
        Protocol: 'lambda',
        Endpoint: 'f',
        TopicArn: topic.ref,
        RedrivePolicy: { deadLetterTargetArn: queue.attrArn },
      });
    });
    expect(publishersOf(dlq, dlq.queue)).toEqual(['sns.amazonaws.com Lambda']);
  });
});

describe('allowsServiceScoped: a resource policy letting the service act, for this account only', () => {
  const t = templateWith(() => undefined);
  const allows = (statement: Record<string, unknown>) =>
    allowsServiceScoped(t.template, [{ Statement: [statement] }], 'events.amazonaws.com', 'sns:Publish', t.topic);
  const scoped = {
    Effect: 'Allow',
    Principal: { Service: 'events.amazonaws.com' },
    Action: 'sns:Publish',
    Resource: { Ref: t.topic.logicalId },
    Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } },
  };

  test('yes: the service or everyone, the topic or *, aws:SourceAccount or aws:SourceArn', () => {
    expect(allows(scoped)).toBe(true);
    expect(allows({ ...scoped, Principal: '*', Resource: '*' })).toBe(true);
    expect(allows({ ...scoped, Action: 'sns:*', Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:events:*' } } })).toBe(true);
    expect(allows({ ...scoped, Resource: ['arn:aws:sns:us-east-1:111122223333:other', { Ref: t.topic.logicalId }] })).toBe(true);
  });

  test('no: a Deny, another action, another service, another resource, no source condition, no policy', () => {
    expect(allows({ ...scoped, Effect: 'Deny' })).toBe(false);
    expect(allows({ ...scoped, Action: 'sns:Subscribe' })).toBe(false);
    expect(allows({ ...scoped, Principal: { Service: 's3.amazonaws.com' } })).toBe(false);
    expect(allows({ ...scoped, Resource: 'arn:aws:sns:us-east-1:111122223333:other' })).toBe(false);
    expect(allows({ ...scoped, Condition: { StringEquals: { 'aws:PrincipalAccount': '111122223333' } } })).toBe(false);
    expect(allowsServiceScoped(t.template, [], 'events.amazonaws.com', 'sns:Publish', t.topic)).toBe(false);
  });
});

describe('keyFindings: the key of an encrypted topic or queue must admit each service', () => {
  const SERVICES = ['events.amazonaws.com', 's3.amazonaws.com'];
  /** A customer managed key with `statements`, reached through `via` (the key itself or an alias). */
  function withKey(statements: Record<string, unknown>[], via: 'key' | 'alias' = 'key') {
    let keyId: unknown;
    const t = templateWith((stack) => {
      const key = new kms.CfnKey(stack, 'Key', { keyPolicy: { Statement: statements } });
      new kms.CfnAlias(stack, 'Alias', { aliasName: 'alias/messaging', targetKeyId: key.ref });
      keyId = via === 'key' ? { 'Fn::GetAtt': ['Key', 'Arn'] } : { Ref: 'Alias' };
    });
    return keyFindings(t.template, keyId, SERVICES);
  }
  const use = (principal: unknown, extra: Record<string, unknown> = {}) => ({
    Effect: 'Allow',
    Principal: principal,
    Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
    Resource: '*',
    ...extra,
  });

  test('none without a key, or with a key outside the template', () => {
    const t = templateWith(() => undefined);
    expect(keyFindings(t.template, undefined, SERVICES)).toEqual([]);
    expect(keyFindings(t.template, 'arn:aws:kms:us-east-1:111122223333:key/abc', SERVICES)).toEqual([]);
  });

  test('an AWS managed key, by alias or alias ARN, for every service', () => {
    const t = templateWith(() => undefined);
    expect(keyFindings(t.template, 'alias/aws/sns', SERVICES)).toEqual(['AwsManagedKey:events.amazonaws.com', 'AwsManagedKey:s3.amazonaws.com']);
    expect(keyFindings(t.template, 'arn:aws:kms:us-east-1:111122223333:alias/aws/sqs', ['sns.amazonaws.com'])).toEqual(['AwsManagedKey:sns.amazonaws.com']);
    expect(keyFindings(t.template, 'alias/awsome/key', ['sns.amazonaws.com'])).toEqual([]);
  });

  test('a key (or its alias) admitting a service by name, or everyone with only source conditions', () => {
    expect(withKey([use({ Service: SERVICES })])).toEqual([]);
    expect(withKey([use({ Service: SERVICES })], 'alias')).toEqual([]);
    expect(withKey([use({ Service: 'events.amazonaws.com' })])).toEqual(['KeyPolicy:s3.amazonaws.com']);
    expect(withKey([use({ Service: 'events.amazonaws.com' })], 'alias')).toEqual(['KeyPolicy:s3.amazonaws.com']);
    expect(withKey([use('*', { Condition: { StringEquals: { 'aws:SourceAccount': '1', 'kms:EncryptionContext:aws:sns:topicArn': 'a' } } })])).toEqual([]);
    expect(
      withKey([use('*', { Condition: { ArnLike: { 'aws:SourceArn': 'a' }, StringEquals: { 'aws:SourceOrgID': 'o', 'kms:EncryptionContextKeys': 'k' } } })]),
    ).toEqual([]);
  });

  test("findings when a service lacks one of the two actions, the statement is a Deny, or everyone is limited to the account's principals", () => {
    expect(withKey([use({ Service: SERVICES }, { Action: 'kms:Decrypt' })])).toEqual(['KeyPolicy:events.amazonaws.com', 'KeyPolicy:s3.amazonaws.com']);
    expect(withKey([use({ Service: SERVICES }, { Action: 'kms:GenerateDataKey' })])).toEqual(['KeyPolicy:events.amazonaws.com', 'KeyPolicy:s3.amazonaws.com']);
    expect(withKey([use({ Service: SERVICES }, { Effect: 'Deny' })])).toEqual(['KeyPolicy:events.amazonaws.com', 'KeyPolicy:s3.amazonaws.com']);
    for (const condition of [
      { StringEquals: { 'kms:CallerAccount': '1' } },
      { StringEquals: { 'kms:ViaService': 'sns.us-east-1.amazonaws.com' } },
      { StringEquals: { 'aws:SourceAccountX': '1' } },
      { StringEquals: { 'xaws:SourceAccount': '1' } },
      { StringEquals: { 'aws:SourceAccount': '1', 'kms:CallerAccount': '1' } },
    ]) {
      expect(withKey([use('*', { Condition: condition })])).toEqual(['KeyPolicy:events.amazonaws.com', 'KeyPolicy:s3.amazonaws.com']);
    }
    expect(withKey([use({ AWS: 'arn:aws:iam::111122223333:root' })])).toEqual(['KeyPolicy:events.amazonaws.com', 'KeyPolicy:s3.amazonaws.com']);
  });
});
