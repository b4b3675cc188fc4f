import type { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance, type NagRuleResult } from 'cdk-nag';
import { allowsServiceScoped, keyFindings, servicePublishers } from '../service-publishers';
import { asArray, referencedId, StackTemplate } from '../template';

/**
 * An SQS queue that an AWS service sends to from the same template (an EventBridge rule target
 * without `RoleArn`: `events.amazonaws.com`; S3 event notifications: `s3.amazonaws.com`; an SNS
 * subscription: `sns.amazonaws.com`) but whose queue policy does not allow that service
 * `sqs:SendMessage`, scoped with `aws:SourceArn` or `aws:SourceAccount`.
 *
 * Unlike a topic, a queue has no default policy that admits services: without an
 * `AWS::SQS::QueuePolicy` statement for the service, deliveries are refused (Amazon EventBridge
 * User Guide, "Using resource-based policies for Amazon EventBridge", Amazon SQS permissions;
 * Amazon S3 User Guide, "Granting permissions to publish event notification messages to a
 * destination"; Amazon SNS Developer Guide, fanout to Amazon SQS queues). An encrypted queue's
 * key must let the service `kms:GenerateDataKey*` + `kms:Decrypt`, which an AWS managed key
 * (`alias/aws/sqs`) cannot.
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
