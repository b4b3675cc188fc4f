import type { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance, type NagRuleResult } from 'cdk-nag';
import { allowsServiceScoped, keyFindings, servicePublishers } from '../service-publishers';
import { asArray, referencedId, StackTemplate } from '../template';

/**
 * An SNS topic with a topic policy that does not let an AWS service publish that publishes to
 * it from the same template: CloudWatch alarm actions (`cloudwatch.amazonaws.com`), EventBridge
 * rule targets (`events.amazonaws.com`), S3 event notifications (`s3.amazonaws.com`), AWS Budgets
 * notifications (`budgets.amazonaws.com`).
 *
 * An `AWS::SNS::TopicPolicy` replaces the topic's default access policy (which lets the owning
 * account's resources publish): every service then needs its own `Allow sns:Publish`
 * (Amazon EventBridge User Guide, "Using resource-based policies for Amazon EventBridge", Amazon
 * SNS permissions; Amazon S3 User Guide, "Granting permissions to publish event notification
 * messages to a destination"; Amazon CloudWatch User Guide, alarm actions to an SNS topic). Without
 * it the alarm fires, the rule matches, and nothing is delivered, with no deploy error. The Allow
 * must carry `aws:SourceAccount` or `aws:SourceArn` (the confused-deputy protection AWS documents
 * for service principals). For an encrypted topic the key must let the service
 * `kms:GenerateDataKey*` + `kms:Decrypt`, and an AWS managed key cannot (Amazon SNS Developer
 * Guide, "Enable compatibility between event sources from AWS services and encrypted topics",
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html): a statement naming the service
 * principal, or `Principal *` without a condition only principals of an account meet
 * (`kms:CallerAccount`, `kms:ViaService`).
 *
 * Findings: `Publish:<service>` (no scoped Allow), `KeyPolicy:<service>`,
 * `AwsManagedKey:<service>`, `MultipleTopicPolicies` (several policies for one topic: the last
 * one written wins). Publishers that use an IAM role of the account (Lambda, Step Functions, an
 * EventBridge target with `RoleArn`) need no topic policy and are not checked.
 */
export function SnsTopicPolicyAllowsPublishers(node: CfnResource): NagRuleResult {
  if (node.cfnResourceType !== 'AWS::SNS::Topic') return NagRuleCompliance.NOT_APPLICABLE;
  const template = StackTemplate.of(node);
  const topic = template.resourceOf(node);
  if (!topic) return NagRuleCompliance.NOT_APPLICABLE;
  const services = [...new Set(servicePublishers(template, topic).map((p) => p.service))].sort();
  if (services.length === 0) return NagRuleCompliance.NOT_APPLICABLE;

  const policies = [
    ...template.ofType('AWS::SNS::TopicPolicy').filter((p) => asArray(p.properties.Topics).some((t) => referencedId(t) === topic.logicalId)),
    ...template.ofType('AWS::SNS::TopicInlinePolicy').filter((p) => referencedId(p.properties.TopicArn) === topic.logicalId),
  ];
  const findings: string[] = [];
  if (policies.length > 1) findings.push('MultipleTopicPolicies');
  if (policies.length > 0) {
    const documents = policies.map((p) => p.properties.PolicyDocument);
    for (const service of services) if (!allowsServiceScoped(template, documents, service, 'sns:Publish', topic)) findings.push(`Publish:${service}`);
  }
  findings.push(...keyFindings(template, topic.properties.KmsMasterKeyId, services));
  return findings.length > 0 ? findings : NagRuleCompliance.COMPLIANT;
}
