import { CfnResource, CustomResourceProviderBase, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import type { IRegulatedControl } from './control';
import { RegulatedData } from './data';

/**
 * The regulated profile's log groups that AWS services would otherwise create outside the template
 * (docs/compliance.md, "Logs"): such a group is encrypted with CloudWatch Logs' own key, never
 * expires and outlives the stack, so "every log group on the stack's logs key" would be untrue.
 * The profile creates them in the template, on the logs key, with a retention, before the service
 * writes to them:
 * - API Gateway execution logs. "When you enable execution logging on a stage, API Gateway
 *   automatically creates and manages a CloudWatch Logs log group ... named
 *   API-Gateway-Execution-Logs_{rest-api-id}/{stage_name}"
 *   (docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-execution-logging.html). The stage
 *   depends on the group, so the group exists before the first logged request.
 * - Functions CloudFormation runs without a `LoggingConfig` (aws-cdk-lib's custom resource provider
 *   handlers, such as the one that empties the default security group): "By default, CloudWatch
 *   automatically creates a log group named /aws/lambda/<function name> for your function when it's
 *   first invoked" (docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html);
 *   the profile points the function's LoggingConfig at a group of the stack instead.
 */
export const SERVICE_LOG_GROUPS: IRegulatedControl = {
  rules: [],
  visit(node: IConstruct): void {
    if (node instanceof apigateway.Stage && node.restApi instanceof apigateway.RestApi) executionLogGroup(node);
    else if (node instanceof CfnResource && node.cfnResourceType === 'AWS::Lambda::Function') functionLogGroup(node);
  },
};

/** Retention of a group the profile creates when the stack gives none to copy (the HIPAA and NIST rules ask for one to be set). */
export const SERVICE_LOG_RETENTION = logs.RetentionDays.ONE_YEAR;

const EXECUTION_LOGS_ID = 'ExecutionLogs';
const FUNCTION_LOGS_ID = 'Logs';

function executionLogGroup(stage: apigateway.Stage): void {
  const cfn = stage.node.defaultChild as apigateway.CfnStage;
  const settings = Stack.of(stage).resolve(cfn.methodSettings) as { loggingLevel?: string }[] | undefined;
  const logged = (settings ?? []).some((s) => s.loggingLevel === 'ERROR' || s.loggingLevel === 'INFO');
  if (!logged || stage.node.tryFindChild(EXECUTION_LOGS_ID)) return;
  const group = new logs.CfnLogGroup(stage, EXECUTION_LOGS_ID, {
    logGroupName: Fn.join('', ['API-Gateway-Execution-Logs_', stage.restApi.restApiId, `/${cfn.stageName}`]),
    retentionInDays: accessLogRetention(cfn) ?? SERVICE_LOG_RETENTION,
    kmsKeyId: RegulatedData.of(stage).logsKey.keyArn,
  });
  group.applyRemovalPolicy(RemovalPolicy.RETAIN);
  cfn.addResourceDependency(group, 'API Gateway would create the group itself at the first logged request');
}

/** The retention of the stage's access log group, when the stack created it: execution logs are kept as long. */
function accessLogRetention(stage: apigateway.CfnStage): number | undefined {
  const stack = Stack.of(stage);
  const destination = JSON.stringify(stack.resolve(stage.accessLogSetting) ?? {});
  const group = stack.node
    .findAll()
    .find((c): c is logs.CfnLogGroup => c instanceof logs.CfnLogGroup && destination.includes(`"${stack.resolve(c.logicalId)}"`));
  return typeof group?.retentionInDays === 'number' ? group.retentionInDays : undefined;
}

function functionLogGroup(fn: CfnResource): void {
  if (fn instanceof lambda.CfnFunction) {
    if (fn.loggingConfig !== undefined) return;
  } else if (!(fn.node.scope instanceof CustomResourceProviderBase)) {
    throw new Error(
      `${fn.node.path} is a Lambda function that is neither a lambda.CfnFunction nor a custom resource provider's handler, so the regulated ` +
        `profile cannot tell whether it has a LoggingConfig; give it one (a log group of the stack on the logs key)`,
    );
  }
  const scope = fn.node.scope ?? Stack.of(fn);
  const id = `${fn.node.id}${FUNCTION_LOGS_ID}`;
  if (scope.node.tryFindChild(id)) return;
  const group = new logs.CfnLogGroup(scope, id, { retentionInDays: SERVICE_LOG_RETENTION, kmsKeyId: RegulatedData.of(fn).logsKey.keyArn });
  group.applyRemovalPolicy(RemovalPolicy.RETAIN);
  if (fn instanceof lambda.CfnFunction) fn.loggingConfig = { logGroup: group.ref };
  // aws-cdk-lib's core providers (the VPC's Custom::VpcRestrictDefaultSG handler) never set one.
  else fn.addPropertyOverride('LoggingConfig', { LogGroup: group.ref });
}
