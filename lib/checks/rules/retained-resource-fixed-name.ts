import type { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance, type NagRuleResult } from 'cdk-nag';
import { STABLE_PSEUDO_PARAMETERS, StackTemplate, type TemplateResource } from '../template';

/**
 * The property that sets the physical name of resource types whose names are unique in an
 * account and Region (or globally), so that a second resource of the same name cannot be created.
 * `Ref` of each of these returns that name.
 */
export const NAME_PROPERTIES: Readonly<Record<string, string>> = {
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::S3Vectors::VectorBucket': 'VectorBucketName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::KMS::Alias': 'AliasName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::SSM::Parameter': 'Name',
  'AWS::ECR::Repository': 'RepositoryName',
  'AWS::Kinesis::Stream': 'Name',
  'AWS::KinesisFirehose::DeliveryStream': 'DeliveryStreamName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::Events::EventBus': 'Name',
  'AWS::ElastiCache::ServerlessCache': 'ServerlessCacheName',
  'AWS::OpenSearchServerless::Collection': 'Name',
  'AWS::RDS::DBInstance': 'DBInstanceIdentifier',
  'AWS::RDS::DBCluster': 'DBClusterIdentifier',
  'AWS::Cognito::UserPoolDomain': 'Domain',
};

const RETAINED = new Set(['Retain', 'RetainExceptOnCreate']);

/**
 * A retained resource (`DeletionPolicy: Retain` or `RetainExceptOnCreate`) whose physical name
 * is fixed: a literal, or built only from the stack name, Region, account, partition, URL suffix
 * or parameters, so the next deploy of the same stack asks for the same name.
 *
 * CloudFormation keeps a retained resource when the stack is deleted (CloudFormation User Guide,
 * "DeletionPolicy attribute"); the next create of the stack then fails with "already exists" on
 * that name. A name that carries a generated part (a generated name of another resource, or the
 * stack id, which is new on every create) is not reused.
 */
export function RetainedResourceFixedName(node: CfnResource): NagRuleResult {
  const template = StackTemplate.of(node);
  const resource = template.resourceOf(node);
  if (!resource || !RETAINED.has(resource.deletionPolicy ?? '')) return NagRuleCompliance.NOT_APPLICABLE;
  const nameProperty = NAME_PROPERTIES[resource.type];
  if (!nameProperty) return NagRuleCompliance.NOT_APPLICABLE;
  const name = resource.properties[nameProperty];
  if (name === undefined) return NagRuleCompliance.COMPLIANT; // CloudFormation generates one per create
  return isFixed(template, name, new Set([resource.logicalId])) ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
}

/** Whether `value` resolves to the same string on the next create of the same stack. */
export function isFixed(template: StackTemplate, value: unknown, seen: Set<string>): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) return value.every((v) => isFixed(template, v, seen));
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return refIsFixed(template, v.Ref, seen);
  if ('Fn::GetAtt' in v) return false; // an attribute of a resource of this stack: new on each create
  if ('Fn::If' in v) {
    const [, a, b] = v['Fn::If'] as unknown[];
    return isFixed(template, a, seen) || isFixed(template, b, seen);
  }
  if ('Fn::ImportValue' in v) return true; // another stack's output: the same across this stack's redeploys
  if ('Fn::Sub' in v) {
    const sub = v['Fn::Sub'];
    const [text, vars] = (Array.isArray(sub) ? sub : [sub, {}]) as [string, Record<string, unknown>];
    for (const m of String(text).matchAll(/\$\{([^!}][^}]*)\}/g)) {
      const name = m[1];
      if (vars && name in vars) {
        if (!isFixed(template, vars[name], seen)) return false;
      } else if (name.includes('.')) {
        return false;
      } else if (!refIsFixed(template, name, seen)) {
        return false;
      }
    }
    return true;
  }
  return Object.values(v).every((x) => isFixed(template, x, seen));
}

function refIsFixed(template: StackTemplate, ref: string, seen: Set<string>): boolean {
  if (ref.startsWith('AWS::')) return STABLE_PSEUDO_PARAMETERS.has(ref);
  const target: TemplateResource | undefined = template.resources.get(ref);
  if (!target) return true; // a parameter: the operator passes the same value again
  const nameProperty = NAME_PROPERTIES[target.type];
  if (!nameProperty || seen.has(ref)) return false;
  const name = target.properties[nameProperty];
  return name !== undefined && isFixed(template, name, new Set([...seen, ref]));
}
