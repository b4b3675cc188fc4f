import type { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance, type NagRuleResult } from 'cdk-nag';
import { coversAction, isEveryone, type Statement, statementsOf } from '../policy';
import { asArray, flatten, referencedId, StackTemplate, type TemplateResource } from '../template';

/**
 * A knowledge-base document bucket (an S3 bucket that an `AWS::Bedrock::DataSource` reads through
 * `S3Configuration.BucketArn`) whose bucket policy does not deny requests without TLS.
 *
 * S3 accepts HTTP as well as HTTPS; only a bucket policy that denies requests with
 * `"Condition": { "Bool": { "aws:SecureTransport": "false" } }` enforces TLS (Amazon S3 User
 * Guide, "Protecting data in transit with encryption": enforcing encryption in transit; the AWS
 * Config rule s3-bucket-ssl-requests-only). The documents of a knowledge base are the enterprise text the
 * model will quote: they should never travel in the clear. AwsSolutions-S10 checks every bucket;
 * this rule keeps the check on the document bucket even where S10 is acknowledged for others.
 */
export function KnowledgeBaseBucketTls(node: CfnResource): NagRuleResult {
  if (node.cfnResourceType !== 'AWS::S3::Bucket') return NagRuleCompliance.NOT_APPLICABLE;
  const template = StackTemplate.of(node);
  const bucket = template.resourceOf(node);
  if (!bucket) return NagRuleCompliance.NOT_APPLICABLE;
  const isDocumentBucket = template
    .ofType('AWS::Bedrock::DataSource')
    .some((d) => template.referencedResources(d.properties.DataSourceConfiguration?.S3Configuration?.BucketArn).includes(bucket));
  if (!isDocumentBucket) return NagRuleCompliance.NOT_APPLICABLE;
  const statements = template
    .ofType('AWS::S3::BucketPolicy')
    .filter((p) => referencedId(p.properties.Bucket) === bucket.logicalId)
    .flatMap((p) => statementsOf(p.properties.PolicyDocument));
  return statements.some((s) => deniesPlainHttp(template, s, bucket)) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}

function deniesPlainHttp(template: StackTemplate, s: Statement, bucket: TemplateResource): boolean {
  if (s.effect !== 'Deny' || !isEveryone(s)) return false;
  if (!['s3:GetObject', 's3:PutObject'].every((a) => coversAction(s, a))) return false;
  const secure = (s.condition.Bool as Record<string, unknown> | undefined)?.['aws:SecureTransport'];
  if (secure !== 'false' && secure !== false) return false;
  return asArray(s.resources).some((r) => flatten(r) === '*' || (flatten(r).endsWith('/*') && template.referencedResources(r).includes(bucket)));
}
