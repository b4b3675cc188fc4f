import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

/**
 * An encrypted SNS topic CloudWatch alarms of this account and Region can publish to: its own key
 * (rotated), TLS-only, and the two Allows an alarm needs, each limited to this account's alarms.
 * Created under `scope` as `TopicKey` and `Topic` (the ids Observability has always used).
 *
 * CloudWatch alarms publish as the service principal cloudwatch.amazonaws.com, so they need two
 * Allows: in the key policy (an encrypted topic: "Enable compatibility between event sources from
 * AWS services and encrypted topics", https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html)
 * and in the topic policy, because `enforceSSL` writes an AWS::SNS::TopicPolicy, and a topic policy
 * replaces SNS's default one (https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html).
 * Both only for alarms of this account and Region (confused deputy).
 */
export function encryptedAlarmTopic(scope: Construct, description: string, displayName: string): { key: kms.Key; topic: sns.Topic } {
  const key = new kms.Key(scope, 'TopicKey', { description, enableKeyRotation: true });
  const topic = new sns.Topic(scope, 'Topic', { displayName, masterKey: key, enforceSSL: true });
  const fromAlarms = {
    StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
    ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
  };
  const cloudwatchService = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
  key.addToResourcePolicy(
    new iam.PolicyStatement({ principals: [cloudwatchService], actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: ['*'], conditions: fromAlarms }),
  );
  topic.addToResourcePolicy(
    new iam.PolicyStatement({ principals: [cloudwatchService], actions: ['sns:Publish'], resources: [topic.topicArn], conditions: fromAlarms }),
  );
  return { key, topic };
}
