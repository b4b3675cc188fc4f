import type { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagPack, type NagPackProps } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { BedrockGuardrailGiven } from './rules/bedrock-guardrail-given';
import { BedrockInvokeModelScoped } from './rules/bedrock-invoke-model-scoped';
import { KnowledgeBaseBucketTls } from './rules/knowledge-base-bucket-tls';
import { LambdaVpcEniPermissions } from './rules/lambda-vpc-eni-permissions';
import { RetainedResourceFixedName } from './rules/retained-resource-fixed-name';
import { SnsTopicPolicyAllowsPublishers } from './rules/sns-topic-policy-allows-publishers';
import { SqsQueuePolicyAllowsSenders } from './rules/sqs-queue-policy-allows-senders';
import { StackTemplate } from './template';

/**
 * What a real account does that a synthesized template does not show: failure modes of Lambda in a
 * VPC, resource policies, retained resources and Bedrock that deploy cleanly (or fail only at
 * deploy) and that AwsSolutions and Serverless do not check. One rule per file in `./rules`;
 * rule ids are `GenAiBlueprint-<RuleName>`, acknowledged like any cdk-nag rule:
 * `Validations.of(construct).acknowledge({ id: 'GenAiBlueprint-<RuleName>[<finding>]', reason })`.
 *
 * ```ts
 * Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new GenAiBlueprintChecks(app));
 * ```
 */
export class GenAiBlueprintChecks extends NagPack {
  public readonly name = 'GenAiBlueprint';

  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = 'GenAiBlueprint';
  }

  /** Each run reads the templates afresh (a test may build more resources between runs). */
  public validateScope(scope: IConstruct) {
    StackTemplate.reset();
    try {
      return super.validateScope(scope);
    } finally {
      StackTemplate.reset();
    }
  }

  protected checkResource(node: CfnResource): void {
    this.applyRule({
      info: "The VPC-attached Lambda function's role cannot manage the network interfaces Lambda creates for it.",
      explanation:
        "Lambda creates and deletes a VPC function's ENIs with the function's own role (ec2:CreateNetworkInterface, DescribeNetworkInterfaces, " +
        'DescribeSubnets, DeleteNetworkInterface, AssignPrivateIpAddresses, UnassignPrivateIpAddresses, as in AWSLambdaVPCAccessExecutionRole), ' +
        'before the function exists: the policy must be attached to the role or be a dependency of the function. aws-cdk-lib attaches that managed ' +
        'policy only to roles it creates.',
      level: NagMessageLevel.ERROR,
      rule: LambdaVpcEniPermissions,
      node,
    });
    this.applyRule({
      info: "The SNS topic's policy (or key) does not let an AWS service that publishes to it in this template publish.",
      explanation:
        "A topic policy replaces SNS's default policy: CloudWatch alarms, EventBridge rules, S3 notifications and Budgets each need an Allow " +
        "sns:Publish for their service principal, scoped with aws:SourceAccount or aws:SourceArn, and an encrypted topic's customer managed key " +
        'must allow them kms:GenerateDataKey* and kms:Decrypt. Otherwise notifications are dropped silently.',
      level: NagMessageLevel.ERROR,
      rule: SnsTopicPolicyAllowsPublishers,
      node,
    });
    this.applyRule({
      info: "The SQS queue's policy (or key) does not let an AWS service that sends to it in this template send.",
      explanation:
        'A queue admits an AWS service (EventBridge targets and their dead-letter queues, S3 notifications, SNS subscriptions and their dead-letter ' +
        'queues) only through a queue policy statement allowing sqs:SendMessage to its service principal, scoped with aws:SourceArn or ' +
        "aws:SourceAccount; an encrypted queue's customer managed key must allow that service principal kms:GenerateDataKey* and kms:Decrypt " +
        '(a Principal * statement limited to the account or to kms:ViaService does not). Otherwise messages are dropped silently.',
      level: NagMessageLevel.ERROR,
      rule: SqsQueuePolicyAllowsSenders,
      node,
    });
    this.applyRule({
      info: 'The retained resource has a fixed physical name: the next deploy of this stack after a delete fails on it.',
      explanation:
        'DeletionPolicy Retain/RetainExceptOnCreate keeps the resource when the stack is deleted; a name made only of literals, the stack name, ' +
        'Region, account or partition is asked for again by the next create, which fails with "already exists". Let CloudFormation name it, or add ' +
        'a part that is new on each create (the stack id).',
      level: NagMessageLevel.ERROR,
      rule: RetainedResourceFixedName,
      node,
    });
    this.applyRule({
      info: 'The policy allows bedrock:InvokeModel* on more than one model, or on a cross-Region model ARN without a bedrock:InferenceProfileArn condition.',
      explanation:
        'Grant invocation on the exact foundation-model or inference-profile ARNs the code calls. A cross-Region inference profile needs its model ' +
        'in every Region it routes to: grant that ARN only with the bedrock:InferenceProfileArn condition, so the model cannot be called directly ' +
        'in any Region.',
      level: NagMessageLevel.ERROR,
      rule: BedrockInvokeModelScoped,
      node,
    });
    this.applyRule({
      info: 'The stack has a Bedrock guardrail, but this agent or model-invoking function is not given it.',
      explanation:
        'An agent applies a guardrail only through its GuardrailConfiguration; a function applies it only if its role may bedrock:ApplyGuardrail ' +
        'on it and its environment names the guardrail (id and version). Otherwise model input and output bypass the guardrail the stack pays for.',
      level: NagMessageLevel.ERROR,
      rule: BedrockGuardrailGiven,
      node,
    });
    this.applyRule({
      info: "The knowledge base's document bucket does not deny requests without TLS (aws:SecureTransport false).",
      explanation:
        'S3 accepts plain HTTP unless the bucket policy denies it. The documents a knowledge base indexes are the text the model quotes: deny ' +
        'every request without TLS on the bucket and its objects.',
      level: NagMessageLevel.ERROR,
      rule: KnowledgeBaseBucketTls,
      node,
    });
  }
}
