import * as path from 'node:path';
import { type CfnElement, CfnOutput, CustomResource, Duration, Names, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { INSTANCE_TYPE, SERVERLESS_MEMORY_MB } from '../../config/predictive-ml';
import type { IModelApi } from '../api/model-api';
import type { IRouteBlock } from '../shared/routes';
import type { IModelGateway } from '../gateway/model-gateway';
import { BlueprintFunction, CLOUDFORMATION_INVOKED_DLQ_REASON } from '../shared/blueprint-function';
import { CHURN_DATASET, type DatasetSpec, type FeatureSpec } from '../../../contracts/dataset';
import { type EndpointHosting, TrainingPipeline } from './training-pipeline';
import { accessLogsBucket, logAccessInto } from '../shared/access-logs';
import { PACKAGE_ROOT } from '../shared/bundling';
import { functionEnvironment, predictEnvSchema } from '../../../contracts/env';

/** The committed output of data/generate-churn.ts: `train/` and `validation/` CSV folders. */
export const CHURN_DATA_PATH = path.join(PACKAGE_ROOT, 'data', 'churn');

export interface PredictiveMlProps {
  /** The API that serves `POST /predict`. */
  readonly api: IModelApi;
  /** When given, `/predict` also requires a tenant's API key (usage plans meter it). @default IAM authorization only */
  readonly gateway?: IModelGateway;
  /** Features and labels. @default the churn dataset the project generates */
  readonly dataset?: DatasetSpec;
  /** Folder with `train/` and `validation/` CSV files (XGBoost format: label first, no header). @default data/churn */
  readonly dataPath?: string;
  /** Quality gate: lowest validation AUC a model may be deployed with. @default 0.8 */
  readonly minValidationAuc?: number;
  /** @default 'serverless' */
  readonly inference?: 'serverless' | 'instance';
  /** Serverless memory, one of 1024-6144 in steps of 1024. @default 2048 */
  readonly serverlessMemoryMb?: number;
  /** @default 5 */
  readonly serverlessMaxConcurrency?: number;
  /** Instance endpoints only. @default 'ml.m5.large' */
  readonly instanceType?: string;
  /** @default 1 */
  readonly instanceCount?: number;
  /** Instance endpoints only: share of requests captured to S3. @default 100 */
  readonly dataCapturePercent?: number;
  /** @default 'ml.m5.large' */
  readonly trainingInstanceType?: string;
  /** @default Duration.minutes(30) */
  readonly maxTrainingRuntime?: Duration;
  /** @default on demand only */
  readonly schedule?: events.Schedule;
  /**
   * Retrain when a file lands under `<dataset>/train/`: one pipeline run per object, so upload a
   * batch as one object (see TrainingPipelineProps.retrainOnUpload). @default false
   */
  readonly retrainOnUpload?: boolean;
  /** Attempts per endpoint call, including the first. @default 3 */
  readonly maxAttempts?: number;
  /** Socket timeout of one endpoint call (a serverless cold start takes seconds). @default Duration.seconds(12) */
  readonly attemptTimeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(29) */
  readonly timeout?: Duration;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default no reserved concurrency */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * A predictive model beside the generative one: a dataset shipped in an encrypted bucket, a
 * training pipeline with a quality gate that creates or updates a SageMaker endpoint of stable
 * name, and `POST /predict` calling that endpoint only. The endpoint is outside CloudFormation (a
 * pipeline creates it), so a custom resource removes it with the stack.
 */
export class PredictiveMl extends Construct implements IRouteBlock {
  public readonly dataBucket: s3.Bucket;
  public readonly key: kms.Key;
  /** The endpoint the pipeline creates or updates; /predict calls it. */
  public readonly endpointName: string;
  public readonly endpointArn: string;
  public readonly pipeline: TrainingPipeline;
  public readonly predictFunction: BlueprintFunction;
  public readonly method: apigateway.Method;
  public readonly dataset: DatasetSpec;

  constructor(scope: Construct, id: string, props: PredictiveMlProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.dataset = props.dataset ?? CHURN_DATASET;
    const dataPath = props.dataPath ?? CHURN_DATA_PATH;
    const minValidationAuc = props.minValidationAuc ?? 0.8;
    const inference = props.inference ?? 'serverless';
    const serverlessMemoryMb = props.serverlessMemoryMb ?? 2048;
    const serverlessMaxConcurrency = props.serverlessMaxConcurrency ?? 5;
    const instanceType = props.instanceType ?? 'ml.m5.large';
    const instanceCount = props.instanceCount ?? 1;
    const dataCapturePercent = props.dataCapturePercent ?? 100;
    const trainingInstanceType = props.trainingInstanceType ?? 'ml.m5.large';
    const maxTrainingRuntime = props.maxTrainingRuntime ?? Duration.minutes(30);
    const maxAttempts = props.maxAttempts ?? 3;
    const attemptTimeout = props.attemptTimeout ?? Duration.seconds(12);
    const timeout = props.timeout ?? Duration.seconds(29);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    inRange('minValidationAuc', minValidationAuc, 0.5, 1);
    if (inference !== 'serverless' && inference !== 'instance')
      throw new Error(`inference must be 'serverless' or 'instance', got ${JSON.stringify(inference)}`);
    if (!Token.isUnresolved(serverlessMemoryMb) && !SERVERLESS_MEMORY_MB.includes(serverlessMemoryMb)) {
      throw new Error(`serverlessMemoryMb must be one of ${SERVERLESS_MEMORY_MB.join(', ')}, got ${serverlessMemoryMb}`);
    }
    inRange('serverlessMaxConcurrency', serverlessMaxConcurrency, 1, 200);
    inRange('instanceCount', instanceCount, 1, 10);
    inRange('dataCapturePercent', dataCapturePercent, 1, 100);
    inRange('maxTrainingRuntime (minutes)', maxTrainingRuntime.toMinutes(), 5, 1_440);
    inRange('maxAttempts', maxAttempts, 1, 10);
    for (const [key, value] of Object.entries({ instanceType, trainingInstanceType })) {
      if (!Token.isUnresolved(value) && !INSTANCE_TYPE.test(value))
        throw new Error(`${key} must be a SageMaker instance type such as ml.m5.large, got "${value}"`);
    }
    if (attemptTimeout.toMilliseconds() >= timeout.toMilliseconds()) {
      throw new Error(`attemptTimeout must be below timeout (${timeout.toSeconds()} s), got ${attemptTimeout.toSeconds()} s`);
    }
    validateDataset(this.dataset);

    // --- Data: a customer key, an encrypted bucket, the shipped dataset.
    this.key = new kms.Key(this, 'Key', {
      enableKeyRotation: true,
      description: 'genai-blueprint PredictiveMl: data, artifacts, training volumes, endpoint, notifications',
    });
    const accessLogs = accessLogsBucket(this, 'AccessLogs');
    this.dataBucket = new s3.Bucket(this, 'Data', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Training data, model artifacts and captured requests: kept when the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    logAccessInto(this.dataBucket, accessLogs, 'data/');
    if (props.retrainOnUpload) {
      (this.dataBucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    }
    const deployment = new s3deploy.BucketDeployment(this, 'DatasetDeployment', {
      sources: [s3deploy.Source.asset(dataPath)],
      destinationBucket: this.dataBucket,
      destinationKeyPrefix: `${this.dataset.name}/`,
      // Files users add beside the shipped ones (new training data) survive a redeploy.
      prune: false,
      memoryLimit: 512,
      logGroup: new logs.LogGroup(this, 'DeployLogs', { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY }),
    });

    // --- The endpoint's stable name (lowercase: SageMaker ARNs carry names in lowercase), and the pipeline.
    // 24 characters leave room for `-<uuid>` within SageMaker's 63-character names.
    this.endpointName = Names.uniqueResourceName(this, { maxLength: 24, separator: '-' }).toLowerCase();
    this.endpointArn = stack.formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: this.endpointName });
    const hosting: EndpointHosting =
      inference === 'serverless'
        ? { kind: 'serverless', memorySizeMb: serverlessMemoryMb, maxConcurrency: serverlessMaxConcurrency }
        : { kind: 'instance', instanceType, instanceCount, dataCapturePercent };
    this.pipeline = new TrainingPipeline(this, 'Pipeline', {
      dataBucket: this.dataBucket,
      datasetName: this.dataset.name,
      key: this.key,
      endpointName: this.endpointName,
      minValidationAuc,
      hosting,
      trainingInstanceType,
      maxTrainingRuntime,
      schedule: props.schedule,
      retrainOnUpload: props.retrainOnUpload,
      logRetention,
    });
    this.pipeline.node.addDependency(deployment);

    // --- POST /predict.
    this.predictFunction = new BlueprintFunction(this, 'PredictFunction', {
      handlerDir: 'predict',
      description: 'POST /predict: validated features to the SageMaker endpoint',
      memorySize: props.memorySize ?? 512,
      timeout,
      logRetention,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      invokedBy: 'api-gateway',
      environment: functionEnvironment(predictEnvSchema, {
        ENDPOINT_NAME: this.endpointName,
        DATASET: JSON.stringify(this.dataset),
        SAGEMAKER_MAX_ATTEMPTS: String(maxAttempts),
        SAGEMAKER_ATTEMPT_TIMEOUT_MS: String(attemptTimeout.toMilliseconds()),
      }),
    });
    this.grantInvokeEndpoint(this.predictFunction);
    this.method = props.api.addJsonRoute('predict', this.predictFunction, { modelName: 'PredictRequest', bodySchema: requestJsonSchema(this.dataset) });
    props.gateway?.requireApiKeys([this.method]);

    // --- Teardown of what the pipeline created, when the stack (or this block) is deleted.
    const teardownFunction = new BlueprintFunction(this, 'TeardownFunction', {
      handlerDir: 'endpoint-teardown',
      description: 'Deletes the PredictiveMl endpoint, endpoint configs and models on stack deletion',
      memorySize: 256,
      timeout: Duration.minutes(5),
      logRetention,
      invokedBy: 'custom-resource',
    });
    const prefixed = (resource: string) => stack.formatArn({ service: 'sagemaker', resource, resourceName: `${this.endpointName}-*` });
    teardownFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:DeleteEndpoint'], resources: [this.endpointArn] }));
    teardownFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:DeleteEndpointConfig'], resources: [prefixed('endpoint-config')] }));
    teardownFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:DeleteModel'], resources: [prefixed('model')] }));
    // List actions have no resource-level permissions in SageMaker.
    teardownFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:ListEndpointConfigs', 'sagemaker:ListModels'], resources: ['*'] }));
    // An own role for the provider's framework function: logs to its own log group only.
    const providerLogs = new logs.LogGroup(this, 'TeardownProviderLogs', { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const providerRole = new iam.Role(this, 'TeardownProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Custom resource provider of the endpoint teardown',
    });
    providerLogs.grantWrite(providerRole);
    const provider = new cr.Provider(this, 'TeardownProvider', {
      onEventHandler: teardownFunction,
      logGroup: providerLogs,
      frameworkOnEventRole: providerRole,
    });
    const teardown = new CustomResource(this, 'EndpointTeardown', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::SageMakerEndpointTeardown',
      properties: { EndpointName: this.endpointName },
    });
    // Deleted after the pipeline's state machine, so no run can create the endpoint again behind it.
    this.pipeline.node.addDependency(teardown);

    acknowledgeCdkProvidedFunctions(deployment, this.dataBucket, provider, providerRole, teardownFunction);
    Validations.of(teardownFunction.role!).acknowledge(
      ...['model', 'endpoint-config'].map((r) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:${r}/${this.endpointName}-*]`,
        reason: `Deletes the ${r}s the pipeline created, named <endpoint name>-<run uuid>: the prefix is fixed, the run ids are not known at synth`,
      })),
    );
    new CfnOutput(this, 'PipelineArn', {
      value: this.pipeline.stateMachine.stateMachineArn,
      description: 'Start with: aws stepfunctions start-execution --state-machine-arn <this>',
    });
    new CfnOutput(this, 'EndpointName', { value: this.endpointName, description: 'SageMaker endpoint the pipeline creates or updates' });
    new CfnOutput(this, 'NotificationsTopic', {
      value: this.pipeline.notifications.topicArn,
      description: 'Subscribe to hear of promoted, not promoted and failed runs',
    });
    new CfnOutput(this, 'DataBucketName', {
      value: this.dataBucket.bucketName,
      description: `Training data under ${this.dataset.name}/train/ and ${this.dataset.name}/validation/`,
    });
  }

  public get routeFunctions(): BlueprintFunction[] {
    return [this.predictFunction];
  }

  public get methods(): apigateway.Method[] {
    return [this.method];
  }

  /** Lets `grantee` call InvokeEndpoint on this block's endpoint, and no other. */
  public grantInvokeEndpoint(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:InvokeEndpoint'], resourceArns: [this.endpointArn] });
  }

  /** Lets `grantee` start a pipeline run on demand. */
  public grantStartPipeline(grantee: iam.IGrantable): iam.Grant {
    return this.pipeline.stateMachine.grantStartExecution(grantee);
  }
}

function inRange(key: string, value: number, min: number, max: number): void {
  if (!Token.isUnresolved(value) && !(value >= min && value <= max)) throw new Error(`${key} must be between ${min} and ${max}, got ${value}`);
}

function validateDataset(spec: DatasetSpec): void {
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(spec.name)) throw new Error(`dataset.name must be 1-40 lowercase letters, digits or hyphens, got "${spec.name}"`);
  if (spec.features.length < 1 || spec.features.length > 100) throw new Error(`dataset.features must hold 1 to 100 features, got ${spec.features.length}`);
  const names = new Set<string>();
  for (const f of spec.features) {
    if (!/^[a-z][a-z0-9_]{0,39}$/.test(f.name)) throw new Error(`feature name must be 1-40 lowercase letters, digits or underscores, got "${f.name}"`);
    if (names.has(f.name)) throw new Error(`feature names must be unique, got "${f.name}" twice`);
    names.add(f.name);
    if ((f.type === 'integer' || f.type === 'number') && !(f.min <= f.max))
      throw new Error(`feature ${f.name}: min must be at most max, got ${f.min} > ${f.max}`);
    if (f.type === 'choice' && f.values.length < 1) throw new Error(`feature ${f.name}: a choice needs at least one value`);
  }
}

/** API Gateway's copy of the request schema (the function checks the same, authoritatively). */
function requestJsonSchema(spec: DatasetSpec): apigateway.JsonSchema {
  const property = (f: FeatureSpec): apigateway.JsonSchema => {
    switch (f.type) {
      case 'integer':
        return { type: apigateway.JsonSchemaType.INTEGER, minimum: f.min, maximum: f.max, description: f.description };
      case 'number':
        return { type: apigateway.JsonSchemaType.NUMBER, minimum: f.min, maximum: f.max, description: f.description };
      case 'boolean':
        return { type: apigateway.JsonSchemaType.BOOLEAN, description: f.description };
      case 'choice':
        return { type: apigateway.JsonSchemaType.NUMBER, enum: [...f.values], description: f.description };
    }
  };
  return {
    type: apigateway.JsonSchemaType.OBJECT,
    required: ['features'],
    additionalProperties: false,
    properties: {
      features: {
        type: apigateway.JsonSchemaType.OBJECT,
        required: spec.features.map((f) => f.name),
        additionalProperties: false,
        properties: Object.fromEntries(spec.features.map((f) => [f.name, property(f)])),
      },
    },
  };
}

/**
 * The functions aws-cdk-lib creates for BucketDeployment and the custom resource provider take no
 * settings for these rules: their findings are acknowledged on the function and role that cause them.
 */
function acknowledgeCdkProvidedFunctions(
  deployment: s3deploy.BucketDeployment,
  destination: s3.Bucket,
  provider: cr.Provider,
  providerRole: iam.Role,
  teardown: BlueprintFunction,
): void {
  const stack = Stack.of(destination);
  const cdkOwned = 'Function owned by aws-cdk-lib and run only by CloudFormation during deployments';
  const notAsync = `${cdkOwned}. ${CLOUDFORMATION_INVOKED_DLQ_REASON}`;
  const noTracing = {
    id: 'Serverless-LambdaTracing',
    reason: `${cdkOwned}: runs once per deployment, aws-cdk-lib exposes no tracing option and there is no request path to trace`,
  };

  const deployRole = deployment.handlerRole;
  Validations.of(deployRole).acknowledge(
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: `${cdkOwned}: aws-cdk-lib attaches the basic execution role (CloudWatch Logs only) and exposes no option to replace it`,
    },
    ...['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'].map((action) => ({
      id: `AwsSolutions-IAM5[Action::${action}]`,
      reason:
        `${cdkOwned}: BucketDeployment grants itself read on its asset and read/write on the (KMS-encrypted) destination ` +
        `with these aws-cdk-lib action groups`,
    })),
    {
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
      reason: `${cdkOwned}: reads the dataset asset from the CDK bootstrap asset bucket, whose object keys are content hashes`,
    },
    {
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(destination.node.defaultChild as CfnElement)}.Arn>/*]`,
      reason: `${cdkOwned}: copies the dataset into the data bucket (keys of the dataset files, not known to the grant)`,
    },
  );
  Validations.of((deployRole.node.scope as Construct).node.defaultChild!).acknowledge(
    { id: 'AwsSolutions-L1', reason: `${cdkOwned}: BucketDeployment pins the runtime its bundled AWS CLI layer is built for` },
    { id: 'Serverless-LambdaLatestVersion', reason: `${cdkOwned}: BucketDeployment pins the runtime its bundled AWS CLI layer is built for` },
    { id: 'Serverless-LambdaDLQ', reason: notAsync },
    noTracing,
  );

  const framework = provider.node.findChild('framework-onEvent') as Construct;
  Validations.of(framework.node.defaultChild!).acknowledge(
    { id: 'Serverless-LambdaDLQ', reason: notAsync },
    {
      id: 'Serverless-LambdaDefaultMemorySize',
      reason: `${cdkOwned}: the provider framework function only relays the CloudFormation event to the teardown function; aws-cdk-lib sizes it`,
    },
    noTracing,
  );
  Validations.of(providerRole).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(teardown.node.defaultChild as CfnElement)}.Arn>:*]`,
    reason: 'The provider framework may invoke the teardown function and its versions (qualified ARNs); still this one function only',
  });
}
