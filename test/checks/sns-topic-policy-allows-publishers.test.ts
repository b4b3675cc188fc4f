import { Aws, CfnResource, Duration, type Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagRuleCompliance } from 'cdk-nag';
import { SnsTopicPolicyAllowsPublishers } from '../../lib/checks/rules/sns-topic-policy-allows-publishers';
import { findings, fixtureStack, judge } from './fixture';

const RULE = 'SnsTopicPolicyAllowsPublishers';
const CW = 'cloudwatch.amazonaws.com';

function alarmOn(stack: Stack, topic: sns.ITopic): void {
  const alarm = new cloudwatch.Alarm(stack, 'Alarm', {
    metric: new cloudwatch.Metric({ namespace: 'Fixture', metricName: 'Errors', period: Duration.minutes(1) }),
    threshold: 1,
    evaluationPeriods: 1,
  });
  alarm.addAlarmAction(new actions.SnsAction(topic));
}

const allowCloudWatch = (topic: sns.Topic, conditions?: Record<string, unknown>) =>
  topic.addToResourcePolicy(
    new iam.PolicyStatement({ principals: [new iam.ServicePrincipal(CW)], actions: ['sns:Publish'], resources: [topic.topicArn], conditions }),
  );

describe(RULE, () => {
  test('fails when the topic policy (here only the TLS deny) does not allow CloudWatch, whose alarm publishes to the topic', () => {
    const stack = fixtureStack();
    const topic = new sns.Topic(stack, 'Topic', { enforceSSL: true });
    alarmOn(stack, topic);
    expect(findings(stack, RULE)).toEqual([`Publish:${CW} @ Topic/Resource`]);
  });

  test('fails when the Allow for the service has no aws:SourceAccount / aws:SourceArn condition', () => {
    const stack = fixtureStack();
    const topic = new sns.Topic(stack, 'Topic', { enforceSSL: true });
    allowCloudWatch(topic);
    alarmOn(stack, topic);
    expect(findings(stack, RULE)).toEqual([`Publish:${CW} @ Topic/Resource`]);
  });

  test("passes with a scoped Allow for CloudWatch, or with no topic policy at all (SNS's default policy)", () => {
    const scoped = fixtureStack();
    const topic = new sns.Topic(scoped, 'Topic', { enforceSSL: true });
    allowCloudWatch(topic, { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } });
    alarmOn(scoped, topic);
    expect(findings(scoped, RULE)).toEqual([]);

    const defaultPolicy = fixtureStack();
    alarmOn(defaultPolicy, new sns.Topic(defaultPolicy, 'Topic'));
    expect(findings(defaultPolicy, RULE)).toEqual([]);
  });

  test("fails for an EventBridge rule target: aws-cdk-lib's SnsTopic target allows events.amazonaws.com without a source condition", () => {
    const stack = fixtureStack();
    const topic = new sns.Topic(stack, 'Topic');
    new events.Rule(stack, 'Rule', { eventPattern: { source: ['aws.bedrock'] }, targets: [new targets.SnsTopic(topic)] });
    expect(findings(stack, RULE)).toEqual(['Publish:events.amazonaws.com @ Topic/Resource']);
  });

  test("S3 notifications: passes with aws-cdk-lib's SnsDestination (scoped by aws:SourceArn), fails when the policy names only CloudWatch", () => {
    const passing = fixtureStack();
    const topic = new sns.Topic(passing, 'Topic');
    new s3.Bucket(passing, 'Bucket').addObjectCreatedNotification(new s3n.SnsDestination(topic));
    expect(findings(passing, RULE)).toEqual([]);

    const failing = fixtureStack();
    const other = new sns.CfnTopic(failing, 'Topic');
    new s3.CfnBucket(failing, 'Bucket', { notificationConfiguration: { topicConfigurations: [{ event: 's3:ObjectCreated:*', topic: other.ref }] } });
    new sns.CfnTopicPolicy(failing, 'Policy', {
      topics: [other.ref],
      policyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: CW },
            Action: 'sns:Publish',
            Resource: other.ref,
            Condition: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
          },
        ],
      },
    });
    expect(findings(failing, RULE)).toEqual(['Publish:s3.amazonaws.com @ Topic']);
  });

  test("fails when the topic's customer managed key does not let the service use it, or the key is AWS managed", () => {
    const cmk = fixtureStack();
    const key = new kms.Key(cmk, 'Key');
    const topic = new sns.Topic(cmk, 'Topic', { masterKey: key });
    alarmOn(cmk, topic);
    expect(findings(cmk, RULE)).toEqual([`KeyPolicy:${CW} @ Topic/Resource`]);
    key.addToResourcePolicy(
      new iam.PolicyStatement({ principals: [new iam.ServicePrincipal(CW)], actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'] }),
    );
    expect(findings(cmk, RULE)).toEqual([]);

    const awsManaged = fixtureStack();
    const managedTopic = new sns.Topic(awsManaged, 'Topic', { masterKey: kms.Alias.fromAliasName(awsManaged, 'SnsKey', 'alias/aws/sns') });
    alarmOn(awsManaged, managedTopic);
    expect(findings(awsManaged, RULE)).toEqual([`AwsManagedKey:${CW} @ Topic/Resource`]);
  });

  test('fails when two topic policies cover one topic (the last one written wins)', () => {
    const stack = fixtureStack();
    const topic = new sns.CfnTopic(stack, 'Topic');
    new cloudwatch.CfnAlarm(stack, 'Alarm', {
      comparisonOperator: 'GreaterThanThreshold',
      evaluationPeriods: 1,
      threshold: 1,
      metricName: 'Errors',
      namespace: 'Fixture',
      period: 60,
      statistic: 'Sum',
      alarmActions: [topic.ref],
    });
    const allow = {
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: CW },
          Action: 'sns:Publish',
          Resource: topic.ref,
          Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:111122223333:alarm:*' } },
        },
      ],
    };
    new sns.CfnTopicPolicy(stack, 'PolicyA', { topics: [topic.ref], policyDocument: allow });
    expect(findings(stack, RULE)).toEqual([]);
    new sns.CfnTopicPolicy(stack, 'PolicyB', { topics: [topic.ref], policyDocument: allow });
    expect(findings(stack, RULE)).toEqual(['MultipleTopicPolicies @ Topic']);
  });

  test("fails when the key admits only the account's principals through SNS (Principal *, kms:ViaService), which CloudWatch is not", () => {
    const stack = fixtureStack();
    const key = new kms.Key(stack, 'Key');
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:CallerAccount': '111122223333', 'kms:ViaService': 'sns.us-east-1.amazonaws.com' } },
      }),
    );
    const topic = new sns.Topic(stack, 'Topic', { masterKey: key });
    alarmOn(stack, topic);
    expect(findings(stack, RULE)).toEqual([`KeyPolicy:${CW} @ Topic/Resource`]);
  });
});

describe(`${RULE}, judged on one topic`, () => {
  const scopedAllow = (service: string, topicRef: unknown) => ({
    Effect: 'Allow',
    Principal: { Service: service },
    Action: 'sns:Publish',
    Resource: topicRef,
    Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } },
  });

  /** A topic that an alarm and a budget publish to (services listed sorted, once each), with the policies `policies` adds. */
  function topicWith(policies: (stack: Stack, topic: sns.CfnTopic) => void, kmsMasterKeyId?: string): sns.CfnTopic {
    const stack = fixtureStack();
    const topic = new sns.CfnTopic(stack, 'Topic', { kmsMasterKeyId });
    new CfnResource(stack, 'Budget', {
      type: 'AWS::Budgets::Budget',
      properties: { NotificationsWithSubscribers: [{ Subscribers: [{ SubscriptionType: 'SNS', Address: topic.ref }] }] },
    });
    for (const id of ['Alarm', 'Alarm2']) new CfnResource(stack, id, { type: 'AWS::CloudWatch::Alarm', properties: { AlarmActions: [topic.ref] } });
    policies(stack, topic);
    return topic;
  }
  const both = (topic: sns.CfnTopic) => ({ Statement: [scopedAllow(CW, topic.ref), scopedAllow('budgets.amazonaws.com', topic.ref)] });

  test('passes with one topic policy or inline policy allowing every publisher, or with none', () => {
    expect(
      judge(
        SnsTopicPolicyAllowsPublishers,
        topicWith(() => undefined),
      ),
    ).toBe(NagRuleCompliance.COMPLIANT);
    expect(
      judge(
        SnsTopicPolicyAllowsPublishers,
        topicWith((stack, topic) => new sns.CfnTopicPolicy(stack, 'Policy', { topics: [topic.ref], policyDocument: both(topic) })),
      ),
    ).toBe(NagRuleCompliance.COMPLIANT);
    expect(
      judge(
        SnsTopicPolicyAllowsPublishers,
        topicWith((stack, topic) => new sns.CfnTopicInlinePolicy(stack, 'Inline', { topicArn: topic.ref, policyDocument: both(topic) })),
      ),
    ).toBe(NagRuleCompliance.COMPLIANT);
  });

  test('fails for each publisher the policy leaves out, sorted; policies of other topics do not count', () => {
    expect(
      judge(
        SnsTopicPolicyAllowsPublishers,
        topicWith((stack, topic) => {
          new sns.CfnTopicPolicy(stack, 'Policy', { topics: [topic.ref], policyDocument: { Statement: [scopedAllow('s3.amazonaws.com', topic.ref)] } });
          const other = new sns.CfnTopic(stack, 'Other');
          new sns.CfnTopicInlinePolicy(stack, 'OtherPolicy', { topicArn: other.ref, policyDocument: both(topic) });
          new sns.CfnTopicPolicy(stack, 'OtherPolicy2', { topics: [other.ref], policyDocument: both(topic) });
        }),
      ),
    ).toEqual(['Publish:budgets.amazonaws.com', 'Publish:cloudwatch.amazonaws.com']);
  });

  test('fails on two policies of one topic, even if together they allow everything', () => {
    expect(
      judge(
        SnsTopicPolicyAllowsPublishers,
        topicWith((stack, topic) => {
          new sns.CfnTopicPolicy(stack, 'Policy', { topics: [topic.ref], policyDocument: both(topic) });
          new sns.CfnTopicInlinePolicy(stack, 'Inline', { topicArn: topic.ref, policyDocument: { Statement: [scopedAllow(CW, topic.ref)] } });
        }),
      ),
    ).toEqual(['MultipleTopicPolicies']);
  });

  test('adds the key findings of an encrypted topic', () => {
    expect(
      judge(
        SnsTopicPolicyAllowsPublishers,
        topicWith(() => undefined, 'alias/aws/sns'),
      ),
    ).toEqual(['AwsManagedKey:budgets.amazonaws.com', 'AwsManagedKey:cloudwatch.amazonaws.com']);
  });

  test('a topic policy for several topics replaces the default policy of each of them', () => {
    const policyForBoth = (stack: Stack, topic: sns.CfnTopic) => {
      const other = new sns.CfnTopic(stack, 'Other');
      new sns.CfnTopicPolicy(stack, 'Policy', {
        topics: [other.ref, topic.ref],
        policyDocument: { Statement: [scopedAllow('budgets.amazonaws.com', topic.ref)] },
      });
    };
    expect(judge(SnsTopicPolicyAllowsPublishers, topicWith(policyForBoth))).toEqual(['Publish:cloudwatch.amazonaws.com']);
  });

  test('lists the publishing services sorted, whatever the order of their resources in the template', () => {
    const stack = fixtureStack();
    const topic = new sns.CfnTopic(stack, 'Topic', { kmsMasterKeyId: 'alias/aws/sns' });
    new CfnResource(stack, 'Alarm', { type: 'AWS::CloudWatch::Alarm', properties: { AlarmActions: [topic.ref] } });
    new CfnResource(stack, 'Budget', {
      type: 'AWS::Budgets::Budget',
      properties: { NotificationsWithSubscribers: [{ Subscribers: [{ SubscriptionType: 'SNS', Address: topic.ref }] }] },
    });
    expect(judge(SnsTopicPolicyAllowsPublishers, topic)).toEqual(['AwsManagedKey:budgets.amazonaws.com', 'AwsManagedKey:cloudwatch.amazonaws.com']);
  });

  test('does not apply to a queue an EventBridge rule targets, nor to a topic that cannot be rendered alone', () => {
    const stack = fixtureStack();
    const queue = new sqs.CfnQueue(stack, 'Queue');
    // A target ARN that names no resource of the template: the topic that cannot be rendered must not be matched with it.
    new events.CfnRule(stack, 'Rule', {
      eventPattern: { source: ['aws.s3'] },
      targets: [
        { id: 'Queue', arn: queue.attrArn },
        { id: 'Elsewhere', arn: 'arn:aws:sns:us-east-1:111122223333:elsewhere' },
      ],
    });
    expect(judge(SnsTopicPolicyAllowsPublishers, queue)).toBe(NagRuleCompliance.NOT_APPLICABLE);
    const broken = new sns.CfnTopic(stack, 'Broken');
    broken.addPropertyOverride('Bad', {
      resolve: () => {
        throw new Error('cannot render');
      },
    });
    expect(judge(SnsTopicPolicyAllowsPublishers, broken)).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });

  test('does not apply to a topic nothing publishes to, nor to other resources', () => {
    const stack = fixtureStack();
    const topic = new sns.CfnTopic(stack, 'Topic');
    expect(judge(SnsTopicPolicyAllowsPublishers, topic)).toBe(NagRuleCompliance.NOT_APPLICABLE);
    expect(judge(SnsTopicPolicyAllowsPublishers, new sns.CfnTopicPolicy(stack, 'Policy', { topics: [topic.ref], policyDocument: {} }))).toBe(
      NagRuleCompliance.NOT_APPLICABLE,
    );
  });
});
