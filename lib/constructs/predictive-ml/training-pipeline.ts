import { ArnFormat, Aws, type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { BlueprintFunction } from '../shared/blueprint-function';
import { xgboostImage } from './xgboost-image';
import { functionEnvironment, trainingGateEnvSchema } from '../../../contracts/env';

/** Where an endpoint's model runs. */
export type EndpointHosting =
  | { readonly kind: 'serverless'; readonly memorySizeMb: number; readonly maxConcurrency: number }
  | { readonly kind: 'instance'; readonly instanceType: string; readonly instanceCount: number; readonly dataCapturePercent: number };

export interface TrainingPipelineProps {
  /** Holds `<dataset>/train/`, `<dataset>/validation/`; the pipeline writes `models/` and `capture/`. */
  readonly dataBucket: s3.IBucket;
  readonly datasetName: string;
  /** Encrypts training volumes, model artifacts, captured data, the endpoint and notifications. */
  readonly key: kms.IKey;
  /** Stable endpoint name; training jobs, models and endpoint configs are named `<endpointName>-<run id>`. */
  readonly endpointName: string;
  /** The gate promotes a model only at or above this validation AUC. */
  readonly minValidationAuc: number;
  readonly hosting: EndpointHosting;
  readonly trainingInstanceType: string;
  readonly maxTrainingRuntime: Duration;
  /** @default on demand only */
  readonly schedule?: events.Schedule;
  /**
   * Start when an object lands under `<dataset>/train/` (turns on the bucket's EventBridge notifications).
   * One run per object: upload a batch as one object (or start the pipeline once after the batch),
   * else each object trains a model and the runs race at the endpoint (a run whose update meets
   * another's fails and notifies; the last promoted model serves, not necessarily the best).
   * @default false
   */
  readonly retrainOnUpload?: boolean;
  readonly logRetention: logs.RetentionDays;
}

/** The validation metric XGBoost reports with `eval_metric=auc` and a `validation` channel. */
export const GATE_METRIC = 'validation:auc';
const METRIC_TAG = 'genai-blueprint:promoted-metric';
const ENDPOINT_POLL = Duration.minutes(1);
/** Training attempts per run; each has its own job name `<run>-<attempt>` (at most 63 characters: one digit). */
const TRAINING_ATTEMPTS = 3;

/**
 * The training pipeline of the PredictiveMl block (CloudFormation has no training job resource):
 * prepare → train (built-in XGBoost, .sync) → quality gate → model → endpoint config →
 * create or update the endpoint → wait until it serves this run's config. Every task retries with
 * full jitter, has a timeout, and fails into one notification on the topic.
 *
 * An endpoint in `Failed` status serves nothing: the gate ignores its metric and the pipeline
 * deletes it, waits until SageMaker reports it gone, and creates it anew with the new model.
 * An update SageMaker rolls back (the endpoint returns to `InService` on the previous config)
 * is a failure, not a promotion.
 */
export class TrainingPipeline extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  /** Pipeline outcomes: promoted, not promoted (with the reason), failed. */
  public readonly notifications: sns.Topic;
  /** Role SageMaker assumes for training and hosting; only the pipeline may pass it, only to SageMaker. */
  public readonly sagemakerRole: iam.Role;
  public readonly gateFunction: BlueprintFunction;

  constructor(scope: Construct, id: string, props: TrainingPipelineProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const prefix = `${props.endpointName}-`;
    const arn = (resource: string, resourceName: string) => stack.formatArn({ service: 'sagemaker', resource, resourceName });
    const endpointArn = arn('endpoint', props.endpointName);
    const configArns = arn('endpoint-config', `${prefix}*`);
    const bucketUri = (path: string) => `s3://${props.dataBucket.bucketName}/${path}`;
    const image = xgboostImage(this);

    // --- SageMaker execution role: read the data, write artifacts and captures, logs and metrics.
    this.sagemakerRole = new iam.Role(this, 'SageMakerRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: 'SageMaker training and hosting of the PredictiveMl model',
    });
    // Explicit actions instead of grantRead/grantPut, whose action groups (s3:GetObject*, kms:ReEncrypt*) grant more.
    const objects = (prefix: string) => props.dataBucket.arnForObjects(`${prefix}/*`);
    this.sagemakerRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [props.dataBucket.bucketArn] }));
    this.sagemakerRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [objects(props.datasetName), objects('models')] }));
    this.sagemakerRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [objects('models'), objects('capture')] }));
    props.key.grant(this.sagemakerRole, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:CreateGrant', 'kms:DescribeKey');
    this.sagemakerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    );
    // cloudwatch:PutMetricData and ecr:GetAuthorizationToken have no resource-level permissions.
    this.sagemakerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } },
      }),
    );
    this.sagemakerRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    this.sagemakerRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
        resources: [image.repositoryArn],
      }),
    );

    // --- Notifications.
    this.notifications = new sns.Topic(this, 'Notifications', { masterKey: props.key, enforceSSL: true, displayName: 'genai-blueprint training pipeline' });

    // --- The gate.
    this.gateFunction = new BlueprintFunction(this, 'GateFunction', {
      handlerDir: 'training-gate',
      description: 'Quality gate of the training pipeline: threshold and the model in service',
      memorySize: 256,
      timeout: Duration.seconds(30),
      logRetention: props.logRetention,
      invokedBy: 'step-functions',
      environment: functionEnvironment(trainingGateEnvSchema, {
        ENDPOINT_NAME: props.endpointName,
        METRIC_NAME: GATE_METRIC,
        THRESHOLD: String(props.minValidationAuc),
      }),
    });
    this.gateFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['sagemaker:DescribeEndpoint'], resources: [endpointArn] }));
    this.gateFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sagemaker:DescribeEndpointConfig', 'sagemaker:ListTags'], resources: [configArns] }),
    );

    // --- States.
    const retry = (errors: string[], interval: Duration, maxAttempts = 3): sfn.RetryProps => ({
      errors,
      interval,
      maxAttempts,
      backoffRate: 2,
      maxDelay: Duration.minutes(5),
      jitterStrategy: sfn.JitterType.FULL,
    });
    const transient = retry([sfn.Errors.TASKS_FAILED, sfn.Errors.TIMEOUT], Duration.seconds(5));
    const sdkTask = (
      name: string,
      action: string,
      parameters: Record<string, unknown>,
      iamResources: string[],
      resultPath: string | undefined,
      extra: Partial<tasks.CallAwsServiceProps> = {},
    ) =>
      new tasks.CallAwsService(this, name, {
        service: 'sagemaker',
        action,
        iamAction: `sagemaker:${action[0].toUpperCase()}${action.slice(1)}`,
        parameters,
        iamResources,
        resultPath: resultPath ?? sfn.JsonPath.DISCARD,
        taskTimeout: sfn.Timeout.duration(Duration.minutes(1)),
        ...extra,
      }).addRetry(transient);

    const pipelineFailed = new sfn.Fail(this, 'PipelineFailed', {
      error: 'TrainingPipelineFailed',
      cause: 'A pipeline step failed; the notification carries the error',
    });
    const notify = (name: string, subject: string, message: sfn.TaskInput) =>
      new tasks.SnsPublish(this, name, {
        topic: this.notifications,
        subject,
        message,
        resultPath: sfn.JsonPath.DISCARD,
        taskTimeout: sfn.Timeout.duration(Duration.seconds(30)),
      })
        .addRetry(transient)
        .addCatch(pipelineFailed);
    const notifyFailure = notify(
      'NotifyFailure',
      'Training pipeline failed',
      sfn.TaskInput.fromJsonPathAt("States.Format('Training pipeline run {} failed: {}', $$.Execution.Name, States.JsonToString($.error))"),
    ).next(pipelineFailed);
    const onError = { errors: [sfn.Errors.ALL], resultPath: '$.error' };

    const prepare = new sfn.Pass(this, 'Prepare', {
      comment: 'Names this run (model and endpoint config take this name; each training attempt adds its number)',
      parameters: { 'name.$': `States.Format('${prefix}{}', States.UUID())`, attempt: 1 },
      resultPath: '$.run',
    });
    // A training job name per attempt, <run>-<attempt>: a Retry re-sends the same request, and a
    // CreateTrainingJob that succeeded before the error (the .sync integration's polling can fail
    // after the job exists) would then fail on the duplicate name. So Train has no Retry: a catch
    // stops the previous attempt's job (if it exists and runs), waits, and trains under a new name.
    const trainingJobName = "States.Format('{}-{}', $.run.name, $.run.attempt)";

    const channel = (name: string) => ({
      ChannelName: name,
      ContentType: 'text/csv',
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: bucketUri(`${props.datasetName}/${name}/`), S3DataDistributionType: 'FullyReplicated' } },
    });
    const train = new sfn.CustomState(this, 'Train', {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Aws.PARTITION}:states:::sagemaker:createTrainingJob.sync`,
        TimeoutSeconds: props.maxTrainingRuntime.toSeconds() + 1_800,
        Parameters: {
          'TrainingJobName.$': trainingJobName,
          RoleArn: this.sagemakerRole.roleArn,
          AlgorithmSpecification: { TrainingImage: image.uri, TrainingInputMode: 'File' },
          // Binary churn classifier; AUC on the validation channel is what the gate reads.
          HyperParameters: {
            objective: 'binary:logistic',
            eval_metric: 'auc',
            num_round: '200',
            max_depth: '4',
            eta: '0.1',
            subsample: '0.8',
            min_child_weight: '2',
            early_stopping_rounds: '20',
          },
          InputDataConfig: [channel('train'), channel('validation')],
          OutputDataConfig: { S3OutputPath: bucketUri('models/'), KmsKeyId: props.key.keyArn },
          ResourceConfig: { InstanceType: props.trainingInstanceType, InstanceCount: 1, VolumeSizeInGB: 5, VolumeKmsKeyId: props.key.keyArn },
          StoppingCondition: { MaxRuntimeInSeconds: props.maxTrainingRuntime.toSeconds() },
          // The built-in algorithm needs no network: no data can leave the training container.
          EnableNetworkIsolation: true,
        },
        // The whole training job description: a ResultSelector path that does not resolve (no
        // FinalMetricDataList) is a States.Runtime error, which no Catch (States.ALL included) catches.
        ResultPath: '$.training',
      },
    });
    const backoff = new sfn.Wait(this, 'TrainingBackoff', { time: sfn.WaitTime.duration(Duration.seconds(60)) });
    backoff
      .next(
        new sfn.Pass(this, 'NextTrainingAttempt', {
          parameters: { 'name.$': '$.run.name', 'attempt.$': 'States.MathAdd($.run.attempt, 1)' },
          resultPath: '$.run',
        }),
      )
      .next(train);
    const stopFailed = sdkTask(
      'StopFailedTraining',
      'stopTrainingJob',
      { 'TrainingJobName.$': trainingJobName },
      [arn('training-job', `${prefix}*`)],
      undefined,
    )
      // Nothing to stop (never created, or already ended) is the usual case: go on either way.
      .addCatch(backoff, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
    stopFailed.next(backoff);
    train
      .addCatch(
        new sfn.Choice(this, 'RetryTraining?').when(sfn.Condition.numberLessThan('$.run.attempt', TRAINING_ATTEMPTS), stopFailed).otherwise(notifyFailure),
        {
          errors: ['SageMaker.AmazonSageMakerException', 'SageMaker.ResourceLimitExceededException'],
          resultPath: '$.error',
        },
      )
      .addCatch(notifyFailure, onError);

    const gate = new tasks.LambdaInvoke(this, 'QualityGate', {
      lambdaFunction: this.gateFunction,
      // The training job's description is the payload (always present after Train).
      inputPath: '$.training',
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath: '$.gate',
      taskTimeout: sfn.Timeout.duration(Duration.seconds(60)),
    })
      .addRetry(transient)
      .addCatch(notifyFailure, onError);

    const notPromoted = notify(
      'NotifyNotPromoted',
      'Model not promoted',
      sfn.TaskInput.fromJsonPathAt("States.Format('Run {}: model not promoted: {}', $.run.name, $.gate.reason)"),
    ).next(new sfn.Succeed(this, 'NotPromoted', { comment: 'The model in service stays' }));

    const serverless = props.hosting.kind === 'serverless';
    const createModel = sdkTask(
      'CreateModel',
      'createModel',
      {
        'ModelName.$': '$.run.name',
        ExecutionRoleArn: this.sagemakerRole.roleArn,
        PrimaryContainer: { Image: image.uri, 'ModelDataUrl.$': '$.training.ModelArtifacts.S3ModelArtifacts' },
        // Serverless Inference does not support network isolation.
        ...(serverless ? {} : { EnableNetworkIsolation: true }),
      },
      [arn('model', `${prefix}*`)],
      undefined,
      { additionalIamStatements: [passRole(this.sagemakerRole)] },
    );

    const variant = { VariantName: 'AllTraffic', 'ModelName.$': '$.run.name' };
    const hosting = props.hosting;
    const endpointConfig =
      hosting.kind === 'serverless'
        ? { ProductionVariants: [{ ...variant, ServerlessConfig: { MemorySizeInMB: hosting.memorySizeMb, MaxConcurrency: hosting.maxConcurrency } }] }
        : {
            ProductionVariants: [{ ...variant, InstanceType: hosting.instanceType, InitialInstanceCount: hosting.instanceCount }],
            // The key encrypts the instance's ML storage volume (Serverless Inference has none, and no data capture).
            KmsKeyId: props.key.keyArn,
            DataCaptureConfig: {
              EnableCapture: true,
              InitialSamplingPercentage: hosting.dataCapturePercent,
              DestinationS3Uri: bucketUri('capture/'),
              KmsKeyId: props.key.keyArn,
              CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
              CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'] },
            },
          };
    const createEndpointConfig = sdkTask(
      'CreateEndpointConfig',
      'createEndpointConfig',
      { 'EndpointConfigName.$': '$.run.name', ...endpointConfig, Tags: [{ Key: METRIC_TAG, 'Value.$': '$.gate.metric' }] },
      [configArns],
      undefined,
      { additionalIamStatements: [new iam.PolicyStatement({ actions: ['sagemaker:AddTags'], resources: [configArns] })] },
    );

    const endpointParams = { EndpointName: props.endpointName, 'EndpointConfigName.$': '$.run.name' };
    const createEndpoint = sdkTask('CreateEndpoint', 'createEndpoint', endpointParams, [endpointArn, configArns], undefined);
    // A Retry re-sends the same create: when the first attempt created the resource before the
    // error, the retry fails with SageMaker's "Cannot create already existing ..." (a
    // ValidationException whose text is the Cause). Names are unique per run, so that resource is
    // this run's own: go on as if the create had answered.
    const idempotent = (create: sfn.TaskStateBase, next: sfn.IChainable) =>
      create.addCatch(
        new sfn.Choice(this, `${create.node.id}Done?`)
          .when(sfn.Condition.stringMatches('$.error.Cause', '*Cannot create already existing*'), next)
          .otherwise(notifyFailure),
        onError,
      );
    const updateEndpoint = sdkTask('UpdateEndpoint', 'updateEndpoint', endpointParams, [endpointArn, configArns], undefined).addCatch(notifyFailure, onError);

    // Endpoint states read the whole DescribeEndpoint output: FailureReason is present only after a failure.
    const status = '$.endpoint.EndpointStatus';
    const failWith = (name: string, error: string, cause: string) =>
      new sfn.Pass(this, name, { parameters: { Error: error, 'Cause.$': cause }, resultPath: '$.error' });
    const withFailureReason = new sfn.Choice(this, 'FailureReason?')
      .when(
        sfn.Condition.isPresent('$.endpoint.FailureReason'),
        new sfn.Pass(this, 'AddFailureReason', {
          parameters: { 'Error.$': '$.error.Error', 'Cause.$': "States.Format('{}: {}', $.error.Cause, $.endpoint.FailureReason)" },
          resultPath: '$.error',
        }).next(notifyFailure),
      )
      .otherwise(notifyFailure);

    const waitForEndpoint = new sfn.Wait(this, 'WaitForEndpoint', { time: sfn.WaitTime.duration(ENDPOINT_POLL) });
    const describeEndpoint = sdkTask('DescribeEndpoint', 'describeEndpoint', { EndpointName: props.endpointName }, [endpointArn], '$.endpoint').addCatch(
      notifyFailure,
      onError,
    );
    const promoted = notify(
      'NotifyPromoted',
      'Model promoted',
      sfn.TaskInput.fromJsonPathAt("States.Format('Run {}: model promoted to endpoint {}: {}', $.run.name, $.endpoint.EndpointName, $.gate.reason)"),
    ).next(new sfn.Succeed(this, 'Promoted'));
    const rolledBack = failWith(
      'EndpointRolledBack',
      'EndpointUpdateRolledBack',
      "States.Format('Update of endpoint {} to {} rolled back: it still serves {}', $.endpoint.EndpointName, $.run.name, $.endpoint.EndpointConfigName)",
    ).next(withFailureReason);
    const endpointFailed = failWith(
      'EndpointFailed',
      'EndpointFailed',
      "States.Format('Endpoint {} is {} (config {})', $.endpoint.EndpointName, $.endpoint.EndpointStatus, $.endpoint.EndpointConfigName)",
    ).next(withFailureReason);

    // A failed endpoint is deleted, then recreated once DescribeEndpoint no longer finds it.
    const deleteFailedEndpoint = sdkTask('DeleteFailedEndpoint', 'deleteEndpoint', { EndpointName: props.endpointName }, [endpointArn], undefined).addCatch(
      notifyFailure,
      onError,
    );
    const waitForDeletion = new sfn.Wait(this, 'WaitForDeletion', { time: sfn.WaitTime.duration(ENDPOINT_POLL) });
    const notDeleted = failWith(
      'EndpointNotDeleted',
      'EndpointNotDeleted',
      "States.Format('Failed endpoint {} is {} instead of deleted', $.endpoint.EndpointName, $.endpoint.EndpointStatus)",
    ).next(withFailureReason);
    // The SDK integration's error name for SageMaker's "not found" (an unmodelled ValidationException)
    // is not documented; its Cause carries SageMaker's message, the same text lambda/shared/sagemaker.ts
    // matches. The task's transient retry runs first (about half a minute) before the catch.
    const endpointGone = new sfn.Choice(this, 'EndpointGone?')
      .when(sfn.Condition.stringMatches('$.error.Cause', '*Could not find endpoint*'), createEndpoint)
      .otherwise(notifyFailure);
    const describeDeleting = sdkTask(
      'DescribeDeletingEndpoint',
      'describeEndpoint',
      { EndpointName: props.endpointName },
      [endpointArn],
      '$.endpoint',
    ).addCatch(endpointGone, onError);

    const definition = prepare
      .next(train)
      .next(gate)
      .next(new sfn.Choice(this, 'Promote?').when(sfn.Condition.booleanEquals('$.gate.promote', true), createModel).otherwise(notPromoted));
    const endpointExists = new sfn.Choice(this, 'EndpointExists?')
      .when(sfn.Condition.stringEquals('$.gate.endpointStatus', 'Failed'), deleteFailedEndpoint)
      .when(sfn.Condition.booleanEquals('$.gate.endpointExists', true), updateEndpoint)
      .otherwise(createEndpoint);
    idempotent(createModel, createEndpointConfig);
    idempotent(createEndpointConfig, endpointExists);
    idempotent(createEndpoint, waitForEndpoint);
    createModel.next(createEndpointConfig).next(endpointExists);
    deleteFailedEndpoint
      .next(waitForDeletion)
      .next(describeDeleting)
      .next(new sfn.Choice(this, 'StillDeleting?').when(sfn.Condition.stringEquals(status, 'Deleting'), waitForDeletion).otherwise(notDeleted));
    createEndpoint.next(waitForEndpoint);
    updateEndpoint.next(waitForEndpoint);
    waitForEndpoint.next(describeEndpoint).next(
      new sfn.Choice(this, 'EndpointReady?')
        .when(
          sfn.Condition.and(sfn.Condition.stringEquals(status, 'InService'), sfn.Condition.stringEqualsJsonPath('$.endpoint.EndpointConfigName', '$.run.name')),
          promoted,
        )
        // SageMaker rolls a failed update back: InService again, on the previous config, with a FailureReason.
        .when(sfn.Condition.stringEquals(status, 'InService'), rolledBack)
        .when(sfn.Condition.or(sfn.Condition.stringEquals(status, 'Failed'), sfn.Condition.stringEquals(status, 'OutOfService')), endpointFailed)
        .otherwise(waitForEndpoint),
    );

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      comment: 'PredictiveMl training pipeline: train, gate, deploy',
      timeout: props.maxTrainingRuntime.plus(Duration.hours(2)),
      tracingEnabled: true,
      logs: {
        destination: new logs.LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY }),
        level: sfn.LogLevel.ALL,
        // States carry model metrics and names only, but execution data would also log errors' causes verbatim.
        includeExecutionData: false,
      },
    });
    const role = this.stateMachine.role;
    role.addToPrincipalPolicy(
      // What the .sync integration calls (aws-cdk-lib's SageMakerCreateTrainingJob grants the same), scoped to this pipeline's jobs.
      new iam.PolicyStatement({
        actions: ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob', 'sagemaker:ListTags'],
        resources: [arn('training-job', `${prefix}*`)],
      }),
    );
    role.addToPrincipalPolicy(passRole(this.sagemakerRole));
    // The .sync integration watches the job through this Step Functions-managed rule.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [stack.formatArn({ service: 'events', resource: 'rule', resourceName: 'StepFunctionsGetEventsForSageMakerTrainingJobsRule' })],
      }),
    );
    // SageMaker creates grants on the key for the training volume and the endpoint on the caller's
    // behalf; publishing to the encrypted topic needs a data key.
    props.key.grant(role, 'kms:CreateGrant', 'kms:DescribeKey', 'kms:GenerateDataKey', 'kms:Decrypt');

    // --- Triggers besides on-demand starts.
    if (props.schedule || props.retrainOnUpload) {
      const deadLetters = new sqs.Queue(this, 'TriggerDeadLetters', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      const isDlq = 'This queue is itself the dead-letter queue of the pipeline triggers: events that could not start the pipeline land here';
      Validations.of(deadLetters).acknowledge({ id: 'AwsSolutions-SQS3', reason: isDlq }, { id: 'Serverless-SQSRedrivePolicy', reason: isDlq });
      const target = new targets.SfnStateMachine(this.stateMachine, { deadLetterQueue: deadLetters, retryAttempts: 4, maxEventAge: Duration.hours(2) });
      if (props.schedule)
        new events.Rule(this, 'Schedule', { schedule: props.schedule, description: 'Retrains the PredictiveMl model on a schedule', targets: [target] });
      if (props.retrainOnUpload) {
        new events.Rule(this, 'OnUpload', {
          description: 'Retrains the PredictiveMl model when training data lands',
          eventPattern: {
            source: ['aws.s3'],
            detailType: ['Object Created'],
            detail: { bucket: { name: [props.dataBucket.bucketName] }, object: { key: [{ prefix: `${props.datasetName}/train/` }] } },
          },
          targets: [target],
        });
      }
    }

    // --- Wildcards cdk-nag reports, each on the role that holds it.
    const bucketId = stack.getLogicalId(props.dataBucket.node.defaultChild as CfnElement);
    const named = (resource: string) => `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:${resource}/${prefix}*]`;
    const perRun = 'Every pipeline run creates its own, named <endpoint name>-<run uuid>: the prefix is fixed, the run id is not known before the run';
    Validations.of(this.sagemakerRole).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'cloudwatch:PutMetricData (limited to the /aws/sagemaker/ namespaces by condition) and ecr:GetAuthorizationToken have no resource-level permissions',
      },
      ...[props.datasetName, 'models', 'capture'].map((p) => ({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${p}/*]`,
        reason: `SageMaker reads and writes objects under ${p}/, whose keys (files, run ids) are not known at synth`,
      })),
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/*]',
        reason: 'SageMaker writes training and endpoint logs to log groups it names under /aws/sagemaker/ (one per job family and endpoint)',
      },
    );
    Validations.of(this.gateFunction.role!).acknowledge({
      id: named('endpoint-config'),
      reason: `The gate reads the promoted-metric tag of the config in service. ${perRun}`,
    });
    Validations.of(role).acknowledge(
      ...['training-job', 'model', 'endpoint-config'].map((r) => ({ id: named(r), reason: `The pipeline creates one ${r} per run. ${perRun}` })),
      {
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.gateFunction.node.defaultChild as CfnElement)}.Arn>:*]`,
        reason: 'Step Functions LambdaInvoke grants the gate function and its versions (the qualified ARNs); still this one function only',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'State machine logging (logs:*LogDelivery, Describe*) and X-Ray tracing have no resource-level permissions; aws-cdk-lib adds exactly these',
      },
    );
  }
}

/** iam:PassRole on the SageMaker role, to SageMaker only. */
function passRole(role: iam.IRole): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['iam:PassRole'],
    resources: [role.roleArn],
    conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
  });
}
