import { conditionKeys, coversAction, isEveryone, type Statement, servicePrincipals, statementsOf } from './policy';
import { asArray, flatten, type StackTemplate, type TemplateResource } from './template';

/** An AWS service that delivers to a topic or queue of the template, and what makes it do so. */
export interface ServicePublisher {
  /** Service principal, e.g. `cloudwatch.amazonaws.com`. */
  readonly service: string;
  readonly resource: TemplateResource;
}

function pointsTo(template: StackTemplate, value: unknown, target: TemplateResource): boolean {
  return template.target(value) === target;
}

/**
 * Resources of the template that make an AWS service (not an IAM role of the account) send to
 * `target`: CloudWatch alarm actions, EventBridge rule targets without a `RoleArn`, S3 event
 * notifications (the bucket's own or aws-cdk-lib's notifications custom resource), AWS Budgets
 * notifications, SNS subscriptions of a queue; and the dead-letter queues EventBridge targets and SNS
 * subscriptions send what they could not deliver to.
 */
export function servicePublishers(template: StackTemplate, target: TemplateResource): ServicePublisher[] {
  const found: ServicePublisher[] = [];
  const add = (service: string, resource: TemplateResource) => {
    if (!found.some((p) => p.service === service && p.resource === resource)) found.push({ service, resource });
  };
  for (const r of template.resources.values()) {
    const p = r.properties;
    switch (r.type) {
      case 'AWS::CloudWatch::Alarm':
      case 'AWS::CloudWatch::CompositeAlarm':
        if ([...asArray(p.AlarmActions), ...asArray(p.OKActions), ...asArray(p.InsufficientDataActions)].some((a) => pointsTo(template, a, target)))
          add('cloudwatch.amazonaws.com', r);
        break;
      case 'AWS::Events::Rule':
        // A target with RoleArn is sent with that role's identity policy, not the resource policy; the
        // target's dead-letter queue is sent by EventBridge itself either way (EventBridge User Guide,
        // "Using dead-letter queues to process undelivered events").
        if (
          asArray(p.Targets).some(
            (t: { Arn?: unknown; RoleArn?: unknown; DeadLetterConfig?: { Arn?: unknown } }) =>
              t && ((t.RoleArn === undefined && pointsTo(template, t.Arn, target)) || pointsTo(template, t.DeadLetterConfig?.Arn, target)),
          )
        )
          add('events.amazonaws.com', r);
        break;
      case 'AWS::S3::Bucket':
      case 'Custom::S3BucketNotifications': {
        const config = p.NotificationConfiguration ?? {};
        const destinations = [
          ...asArray(config.TopicConfigurations).flatMap((c: { Topic?: unknown; TopicArn?: unknown }) => [c?.Topic, c?.TopicArn]),
          ...asArray(config.QueueConfigurations).flatMap((c: { Queue?: unknown; QueueArn?: unknown }) => [c?.Queue, c?.QueueArn]),
        ];
        if (destinations.some((d) => d !== undefined && pointsTo(template, d, target))) add('s3.amazonaws.com', r);
        break;
      }
      case 'AWS::Budgets::Budget':
        if (
          asArray(p.NotificationsWithSubscribers).some((n: { Subscribers?: unknown }) =>
            asArray(n?.Subscribers as { SubscriptionType?: string; Address?: unknown }[]).some(
              (s) => s?.SubscriptionType === 'SNS' && pointsTo(template, s.Address, target),
            ),
          )
        )
          add('budgets.amazonaws.com', r);
        break;
      case 'AWS::SNS::Subscription':
        // A subscribed queue, and the dead-letter queue of any subscription (its RedrivePolicy).
        if ((p.Protocol === 'sqs' && pointsTo(template, p.Endpoint, target)) || pointsTo(template, p.RedrivePolicy?.deadLetterTargetArn, target))
          add('sns.amazonaws.com', r);
        break;
    }
  }
  return found;
}

/**
 * Whether a resource policy lets `service` perform `action` on `target`, scoped to a source
 * (`aws:SourceAccount` or `aws:SourceArn`, so that the service acts only for resources of this
 * account: the confused-deputy protection AWS documents for service principals).
 */
export function allowsServiceScoped(template: StackTemplate, documents: unknown[], service: string, action: string, target: TemplateResource): boolean {
  return documents.some((doc) =>
    statementsOf(doc).some((s) => {
      if (s.effect !== 'Allow' || !coversAction(s, action)) return false;
      if (!servicePrincipals(s).includes(service) && !isEveryone(s)) return false;
      if (!asArray(s.resources).some((r) => r === '*' || pointsTo(template, r, target))) return false;
      const keys = conditionKeys(s);
      return keys.has('aws:sourceaccount') || keys.has('aws:sourcearn');
    }),
  );
}

/**
 * Findings for the customer managed key of an encrypted topic or queue: each publishing service
 * needs `kms:GenerateDataKey*` and `kms:Decrypt` in the key policy; an AWS managed key
 * (`alias/aws/sns`, `alias/aws/sqs`) cannot be given to a service at all (Amazon SNS Developer
 * Guide, "Enable compatibility between event sources from AWS services and encrypted topics").
 */
export function keyFindings(template: StackTemplate, keyId: unknown, services: string[]): string[] {
  if (keyId === undefined) return [];
  if (/(^|:)alias\/aws\//.test(flatten(keyId))) return services.map((s) => `AwsManagedKey:${s}`);
  let key = template.target(keyId);
  if (key?.type === 'AWS::KMS::Alias') key = template.target(key.properties.TargetKeyId);
  if (key?.type !== 'AWS::KMS::Key') return [];
  const statements = statementsOf(key.properties.KeyPolicy).filter((s) => s.effect === 'Allow');
  return services
    .filter(
      (service) =>
        !['kms:GenerateDataKey', 'kms:Decrypt'].every((action) =>
          statements.some((s) => coversAction(s, action) && (servicePrincipals(s).includes(service) || admitsServicePrincipals(s))),
        ),
    )
    .map((s) => `KeyPolicy:${s}`);
}

/** Condition keys a service principal's request can satisfy (it has no account, role or via-service of ours). */
const SERVICE_REQUEST_KEYS = /^(aws:source(account|arn|orgid|orgpaths)|kms:encryptioncontext(:.*|keys))$/;

/**
 * Whether a `Principal *` statement admits a service principal: not when a condition limits it to
 * principals of an account or to calls through a service (`kms:CallerAccount`, `kms:ViaService`,
 * `aws:PrincipalAccount` ...), as the key policies of AWS managed keys and our data and messaging keys
 * do. A service principal is no principal of the account (SQS Developer Guide, "Configure KMS
 * permissions for AWS services": the service needs a statement of its own).
 */
function admitsServicePrincipals(statement: Statement): boolean {
  return isEveryone(statement) && [...conditionKeys(statement)].every((k) => SERVICE_REQUEST_KEYS.test(k));
}
