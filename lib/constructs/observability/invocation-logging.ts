import { ArnFormat, CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { BlueprintFunction, CLOUDFORMATION_INVOKED_DLQ_REASON } from '../shared/blueprint-function';
import { retainedResourceName } from '../shared/names';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';

export interface InvocationLoggingProps {
  /** Retention of the invocation logs (they hold prompts and answers). @default logs.RetentionDays.ONE_MONTH */
  readonly retention?: logs.RetentionDays;
  /**
   * Replace a configuration that exists already in the account and Region (it is kept and put back
   * when this resource is deleted). Without it, such a configuration fails the deployment.
   * @default false
   */
  readonly takeOver?: boolean;
  /** The setting a user changes to allow taking over, named in the failure message. @default 'observability.invocationLogging' */
  readonly takeOverKey?: string;
  /** Retention of the custom resource function's own logs. @default logs.RetentionDays.ONE_MONTH */
  readonly functionLogRetention?: logs.RetentionDays;
}

/**
 * Bedrock model invocation logging (an account- and Region-wide setting with no CloudFormation
 * resource) into a CloudWatch log group encrypted with a customer key, through a custom resource
 * that never overwrites an existing configuration silently and puts it back on delete (see
 * lambda/invocation-logging/core.ts).
 *
 * Text only, no S3 bucket: requests and answers of this blueprint are text; Bedrock drops bodies
 * over 100 KB from CloudWatch delivery when no large-data bucket is set, which these are not.
 */
export class InvocationLogging extends Construct {
  public readonly logGroup: logs.LogGroup;
  public readonly encryptionKey: kms.Key;
  /** The role Bedrock assumes to deliver the logs. */
  public readonly deliveryRole: iam.Role;
  public readonly function: BlueprintFunction;
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: InvocationLoggingProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const retention = props.retention ?? logs.RetentionDays.ONE_MONTH;
    const takeOverKey = props.takeOverKey ?? 'observability.invocationLogging';
    if (retention === logs.RetentionDays.INFINITE) throw new Error('retention must be finite (the logs hold prompts and answers), got INFINITE');

    // Named here (the key policy names the log group, and a reference to the log group's ARN from
    // the key it is encrypted with would be circular); retained, so the name changes with each create of the stack.
    const logGroupName = retainedResourceName(this, '/genai-blueprint/bedrock-invocations/', 250);
    const logGroupArn = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });

    this.encryptionKey = new kms.Key(this, 'Key', { description: 'genai-blueprint: Bedrock model invocation logs', enableKeyRotation: true });
    // What CloudWatch Logs documents for a KMS-encrypted log group: this log group's context only.
    this.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': logGroupArn } },
      }),
    );
    this.logGroup = new logs.LogGroup(this, 'Logs', { logGroupName, retention, encryptionKey: this.encryptionKey });
    this.logGroup.node.addDependency(this.encryptionKey);

    this.deliveryRole = new iam.Role(this, 'DeliveryRole', {
      description: 'Bedrock delivers model invocation logs to the encrypted log group',
      // The confused-deputy guard: only Bedrock acting for this account and Region.
      assumedBy: new iam.ServicePrincipal('bedrock.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'bedrock', resource: '*' }) },
      }),
    });
    const streams = `${logGroupArn}:log-stream:*`;
    this.deliveryRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [streams] }));
    Validations.of(this.deliveryRole).acknowledge({
      // The finding names the resource as cdk-nag flattens it (the name holds the stack's UUID, an intrinsic).
      id: `AwsSolutions-IAM5[Resource::${flattenCfnReference(stack.resolve(streams))}]`,
      reason: 'Bedrock names the log streams it writes; the grant is limited to the streams of this one log group',
    });

    this.function = new BlueprintFunction(this, 'Function', {
      handlerDir: 'invocation-logging',
      description: 'Sets Bedrock model invocation logging without overwriting an existing configuration',
      memorySize: 256,
      timeout: Duration.minutes(1),
      logRetention: props.functionLogRetention ?? logs.RetentionDays.ONE_MONTH,
      invokedBy: 'custom-resource',
    });
    // The Service Authorization Reference lists no resource type for these three actions: they act
    // on the account's one setting, so `*` is the only resource they accept.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'bedrock:GetModelInvocationLoggingConfiguration',
          'bedrock:PutModelInvocationLoggingConfiguration',
          'bedrock:DeleteModelInvocationLoggingConfiguration',
        ],
        resources: ['*'],
      }),
    );
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.deliveryRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'bedrock.amazonaws.com' } },
      }),
    );
    Validations.of(this.function.role!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only actions without resource-level permissions get *: bedrock Get/Put/DeleteModelInvocationLoggingConfiguration ' +
        '(one account-wide setting) and the X-Ray writes of active tracing',
    });

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.function,
      logGroup: new logs.LogGroup(this, 'ProviderLogs', { retention: props.functionLogRetention ?? logs.RetentionDays.ONE_MONTH }),
    });
    acknowledgeProviderFramework(provider, this.function);

    const desired = {
      cloudWatchConfig: { logGroupName, roleArn: this.deliveryRole.roleArn },
      textDataDeliveryEnabled: true,
      imageDataDeliveryEnabled: false,
      embeddingDataDeliveryEnabled: false,
    };
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::BedrockInvocationLogging',
      // CloudFormation hands every property to the function as a string.
      properties: { Configuration: stack.toJsonString(desired), TakeOver: String(props.takeOver ?? false), TakeOverKey: takeOverKey },
    });
    // Bedrock checks at Put that it can assume the role and write: both must exist first.
    this.resource.node.addDependency(this.deliveryRole, this.logGroup);
  }

  /** Lets `grantee` read the invocation logs (they hold prompts and answers: keep this list short). */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    this.encryptionKey.grantDecrypt(grantee);
    return this.logGroup.grantRead(grantee);
  }
}

/** The provider framework's function belongs to aws-cdk-lib: its findings are acknowledged on it, one by one. */
function acknowledgeProviderFramework(provider: cr.Provider, onEvent: BlueprintFunction): void {
  const framework = provider.node.findChild('framework-onEvent');
  const onEventId = Stack.of(onEvent).getLogicalId(onEvent.node.defaultChild as lambda.CfnFunction);
  const cdkOwned = 'Provider framework function owned by aws-cdk-lib, run only by CloudFormation during deployments';
  Validations.of(framework).acknowledge(
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: `${cdkOwned}: aws-cdk-lib attaches the basic execution role and offers no option to replace it`,
    },
    {
      id: `AwsSolutions-IAM5[Resource::<${onEventId}.Arn>:*]`,
      reason: `${cdkOwned}: aws-cdk-lib grants it lambda:InvokeFunction on the one handler function and its versions`,
    },
    {
      id: 'Serverless-LambdaDefaultMemorySize',
      reason: `${cdkOwned}: it only relays one event to the handler function; aws-cdk-lib exposes no memory setting for it`,
    },
    { id: 'Serverless-LambdaDLQ', reason: `${cdkOwned}. ${CLOUDFORMATION_INVOKED_DLQ_REASON}` },
    { id: 'Serverless-LambdaTracing', reason: `${cdkOwned}: runs once per deployment, aws-cdk-lib exposes no tracing option for it` },
  );
}
