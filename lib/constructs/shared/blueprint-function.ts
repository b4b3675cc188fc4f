import * as path from 'node:path';
import { Aws, AssetHashType, DockerImage, Duration, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { bundle, PACKAGE_ROOT, sdkBundled } from './bundling';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { PowertoolsEnvironment } from '../../../contracts/env';
import { METRICS_NAMESPACE } from '../../../contracts/metrics';

/**
 * The newest Node.js runtime this aws-cdk-lib offers, named explicitly so a CDK upgrade never
 * changes it silently (a test fails when a newer one appears).
 */
export const LATEST_NODE_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** CloudWatch namespace of every custom metric the blueprint's functions emit (contracts/metrics.ts). */
export { METRICS_NAMESPACE };

/**
 * What Lambda does with a VPC function's execution role: it creates, describes and deletes the
 * function's network interfaces (Hyperplane ENIs) as that role, and CreateFunction/UpdateFunctionConfiguration
 * are rejected when the role lacks these actions. The list is AWSLambdaVPCAccessExecutionRole's EC2 part
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html, "Required IAM permissions";
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html).
 * aws-cdk-lib attaches that managed policy only to a role it creates itself (`props.role` unset,
 * aws-lambda/lib/function.ts), never to a role passed in, so a function with its own role must get them here.
 */
export const LAMBDA_ENI_ACTIONS = {
  /** No resource-level permissions: "only works if it's allowed on all resources". */
  describe: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
  /** Scoped to this account and Region, the narrowest scope the Lambda guide documents for DeleteNetworkInterface. */
  manage: ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
} as const;

/**
 * Why a function that CloudFormation invokes directly (a custom resource provider's framework
 * function, BucketDeployment's handler) has no dead-letter queue. CloudFormation invokes it
 * asynchronously (https://docs.aws.amazon.com/lambda/latest/dg/services-cloudformation.html), then
 * waits for the response it sends to a pre-signed URL; without one the stack operation fails when
 * the custom resource times out and rolls back. The failure surfaces in the stack operation; an
 * event parked in a queue could not be replayed into it.
 */
export const CLOUDFORMATION_INVOKED_DLQ_REASON =
  'Invoked asynchronously by CloudFormation, which waits for the response the function sends to a pre-signed URL: ' +
  'a failure fails and rolls back the stack operation, and an event kept in a dead-letter queue could not be replayed into that operation';

/** The callers a function may have; none invokes asynchronously, so none needs a DLQ on the function. */
const SYNCHRONOUS_CALLERS = {
  'api-gateway': 'Invoked synchronously by API Gateway only: the caller receives every error and nothing is retried asynchronously',
  sqs: 'Invoked by an SQS event source mapping only: failed messages return to the queue and end in its dead-letter queue',
  'bedrock-agent': 'Invoked synchronously by the Bedrock agent as its action group executor: errors return to the agent, which reports them in the answer',
  'custom-resource':
    "Invoked synchronously (RequestResponse) by aws-cdk-lib's custom resource provider framework function, which reports every failure to the stack operation",
  'step-functions': 'Invoked synchronously by a Step Functions task whose Retry and Catch handle every failure',
  'cognito-trigger': 'Invoked synchronously by Amazon Cognito as a user pool trigger: an error fails the sign-in, which the user sees and retries',
} as const;

export interface BlueprintFunctionProps {
  /** Folder under `lambda/` whose entry file exports `handler`; also the function's Powertools service name. */
  readonly handlerDir: string;
  /** The entry file in that folder, when a function has more than one build. @default 'handler.ts' */
  readonly entryFile?: string;
  readonly description: string;
  /** Memory is explicit on every function: it also sets the CPU share. */
  readonly memorySize: number;
  /** Explicit on every function, sized to the work it does. */
  readonly timeout: Duration;
  readonly logRetention: logs.RetentionDays;
  /** Settings the handler reads at cold start (no secrets: they would show in the console). */
  readonly environment?: Record<string, string>;
  /** @default no reserved concurrency */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Who invokes the function. Neither path invokes asynchronously, so a dead-letter queue or
   * failure destination on the function could never receive anything: API Gateway returns every
   * error to the caller; an SQS event source mapping returns failed messages to the queue, whose
   * own dead-letter queue keeps them.
   */
  readonly invokedBy: keyof typeof SYNCHRONOUS_CALLERS;
  /** Network to run in (ground 5: beside the cache). @default not in a VPC */
  readonly vpc?: ec2.IVpc;
  /** @default the VPC's private subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
}

/**
 * The one function construct of the project: latest Node.js runtime, ARM64, local esbuild
 * bundling (never Docker) with the runtime's AWS SDK, JSON logs into a log group with retention,
 * active tracing, Powertools settings.
 */
export class BlueprintFunction extends lambda.Function {
  /** The TypeScript entry file its bundle is built from. */
  public readonly entry: string;

  constructor(scope: Construct, id: string, props: BlueprintFunctionProps) {
    const entry = path.join(PACKAGE_ROOT, 'lambda', props.handlerDir, props.entryFile ?? 'handler.ts');
    const timeoutSeconds = props.timeout.toSeconds();
    if (!Token.isUnresolved(timeoutSeconds) && (timeoutSeconds < 1 || timeoutSeconds > 900)) {
      throw new Error(`timeout must be between 1 and 900 seconds, got ${timeoutSeconds}`);
    }
    if (!Token.isUnresolved(props.memorySize) && (props.memorySize < 128 || props.memorySize > 10_240)) {
      throw new Error(`memorySize must be between 128 and 10240 MB, got ${props.memorySize}`);
    }
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: props.logRetention });
    // An own role instead of AWSLambdaBasicExecutionRole: logs may go to this function's log group only.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.handlerDir}`,
    });
    logGroup.grantWrite(role);
    // In a VPC: the ENI actions Lambda needs (see LAMBDA_ENI_ACTIONS), on the role's default policy,
    // which the function's resource depends on, so they exist before CreateFunction. And a security
    // group of our own: the one lambda.Function creates carries the construct's unique id (stack id
    // included) in its description, a property that causes replacement, so every ground's stack id
    // would replace it, and Lambda's ENIs hold the old group for many minutes after an update.
    let securityGroups: ec2.ISecurityGroup[] | undefined;
    if (props.vpc) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...LAMBDA_ENI_ACTIONS.describe], resources: ['*'] }));
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: [...LAMBDA_ENI_ACTIONS.manage], resources: [`arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:*/*`] }),
      );
      securityGroups = [new ec2.SecurityGroup(scope, `${id}SecurityGroup`, { vpc: props.vpc, description: `genai-blueprint ${props.handlerDir} function` })];
    }
    const powertools: PowertoolsEnvironment = { POWERTOOLS_SERVICE_NAME: props.handlerDir, POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE };
    super(scope, id, {
      code: bundledCode(entry, { bundleSdk: sdkBundled(props.handlerDir) }),
      handler: 'index.handler',
      description: props.description,
      role,
      vpc: props.vpc,
      vpcSubnets: props.vpc ? props.vpcSubnets : undefined,
      securityGroups,
      runtime: LATEST_NODE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      environment: { ...powertools, ...props.environment },
    });
    this.entry = entry;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: props.vpc
        ? 'Active tracing (xray:PutTraceSegments, xray:PutTelemetryRecords) and the VPC ENI lookups (ec2:DescribeNetworkInterfaces, ec2:DescribeSubnets) ' +
          'have no resource-level permissions (test/policy checks no other action is granted on *)'
        : 'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords ' +
          'have no resource-level permissions (test/policy checks no other action is granted on *)',
    });
    if (props.vpc) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:*/*]',
        reason:
          'Lambda creates and deletes the function ENIs in subnets and security groups it picks at run time; ' +
          'the Lambda guide documents account-and-Region resources as the scope for these actions',
      });
    }
    const why = SYNCHRONOUS_CALLERS[props.invokedBy];
    // (Serverless-LambdaAsyncFailureDestination judges AWS::Lambda::EventInvokeConfig only: none here.)
    Validations.of(this).acknowledge({ id: 'Serverless-LambdaDLQ', reason: why });
  }
}

/**
 * The function's code, bundled by esbuild in this process (never Docker): minified CommonJS for
 * the runtime, with the runtime's SDK v3 and the `@smithy/*` packages it is built on left external,
 * or bundled for the functions in SDK_BUNDLED (lib/constructs/shared/bundling.ts, which says why). In-process rather than
 * NodejsFunction's `npx esbuild`, which costs ~0.35 s of npm start-up per function on every synth;
 * from the bundle cache when nothing it is built from has changed (`bundle`).
 * The asset is hashed by its output, and CDK bundles each entry once per synth (the cache key
 * holds the entry), however many grounds use it.
 */
function bundledCode(entry: string, opts: { bundleSdk: boolean }): lambda.Code {
  return lambda.Code.fromAsset(path.dirname(entry), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Only used if local bundling declines, which it never does: it builds or throws.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24-alpine'),
      environment: { BLUEPRINT_ENTRY: path.relative(PACKAGE_ROOT, entry) },
      local: {
        tryBundle(outputDir: string): boolean {
          bundle(entry, outputDir, opts);
          return true;
        },
      },
    },
  });
}
