import type { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance, type NagRuleResult } from 'cdk-nag';
import { allowsServiceScoped, keyFindings, servicePublishers } from '../service-publishers';
import { asArray, referencedId, StackTemplate } from '../template';

/**
 * An SQS queue that an AWS service sends to from the same template (an EventBridge rule target
 * without `RoleArn`, or the dead-letter queue of any rule target: `events.amazonaws.com`; S3 event
 * notifications: `s3.amazonaws.com`; an SNS subscription, or its dead-letter queue:
 * `sns.amazonaws.com`) but whose queue policy does not allow that service `sqs:SendMessage`, scoped
 * with `aws:SourceArn` or `aws:SourceAccount`.
 *
 * Unlike a topic, a queue has no default policy that admits services: without an
 * `AWS::SQS::QueuePolicy` statement for the service, deliveries are refused (Amazon EventBridge
 * User Guide, "Using resource-based policies for Amazon EventBridge", Amazon SQS permissions;
 * Amazon S3 User Guide, "Granting permissions to publish event notification messages to a
 * destination"; Amazon SNS Developer Guide, fanout to Amazon SQS queues). An encrypted queue's
 * key must let the service `kms:GenerateDataKey*` + `kms:Decrypt` (SQS Developer Guide, "Configure KMS
 * permissions for AWS services",
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html),
 * which an AWS managed key (`alias/aws/sqs`) cannot: a statement naming the service principal, or
 * `Principal *` without a condition only principals of an account meet (`kms:CallerAccount`,
 * `kms:ViaService`: the regulated profile's messaging key has such a statement for the account's
 * roles, which does not admit EventBridge). Otherwise SQS refuses the message and the service drops
 * it, with no deploy error. Senders with an IAM role of the account (a function's dead-letter queue,
 * a state machine) are IAM's and the key policy's account statements' business and are not checked.
 *
 * Findings: `SendMessage:<service>`, `KeyPolicy:<service>`, `AwsManagedKey:<service>`.
 */
export function SqsQueuePolicyAllowsSenders(node: CfnResource): NagRuleResult {
  if (node.cfnResourceType !== 'AWS::SQS::Queue') return NagRuleCompliance.NOT_APPLICABLE;
  const template = StackTemplate.of(node);
  const queue = template.resourceOf(node);
  if (!queue) return NagRuleCompliance.NOT_APPLICABLE;
  const services = [...new Set(servicePublishers(template, queue).map((p) => p.service))].sort();
  if (services.length === 0) return NagRuleCompliance.NOT_APPLICABLE;

  const documents = template
    .ofType('AWS::SQS::QueuePolicy')
    .filter((p) => asArray(p.properties.Queues).some((q) => referencedId(q) === queue.logicalId))
    .map((p) => p.properties.PolicyDocument);
  const findings = services.filter((s) => !allowsServiceScoped(template, documents, s, 'sqs:SendMessage', queue)).map((s) => `SendMessage:${s}`);
  findings.push(...keyFindings(template, queue.properties.KmsMasterKeyId, services));
  return findings.length > 0 ? findings : NagRuleCompliance.COMPLIANT;
}
