import { Duration, RemovalPolicy, Size, Stack, Token, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { IKnowledgeBase } from '../knowledge-base/knowledge-base';

/** What Bedrock knowledge bases parse from an S3 data source. */
export const DEFAULT_DOCUMENT_EXTENSIONS = ['txt', 'md', 'html', 'doc', 'docx', 'csv', 'xls', 'xlsx', 'pdf'] as const;

export interface DocumentPipelineProps {
  /** The knowledge base to ingest into; it must have an S3 data source (`dataSourceId` and `documentsBucket`). */
  readonly knowledgeBase: IKnowledgeBase;
  /** Receives one message per run: ingested, rejected or failed. */
  readonly topic: sns.ITopic;
  /** Largest document accepted (Bedrock takes at most 50 MB per file). @default Size.mebibytes(50) */
  readonly maxDocumentSize?: Size;
  /** File extensions accepted, lower case, without the dot. @default DEFAULT_DOCUMENT_EXTENSIONS */
  readonly allowedExtensions?: readonly string[];
  /** Wait between two status checks of the ingestion job (10 s - 1 h). @default Duration.minutes(1) */
  readonly checkInterval?: Duration;
  /** Status checks before giving up on a job (1-1000). @default 60 */
  readonly maxChecks?: number;
  /**
   * Also start for every object created in the documents bucket. The knowledge base already
   * ingests uploads by itself (debounced through its queue), so this only adds validation and a
   * notification per document, at the price of one ingestion job per upload.
   * @default false
   */
  readonly onUpload?: boolean;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** Timeout of each AWS call: control-plane calls answer in seconds. */
const TASK_TIMEOUT = Duration.seconds(30);

/**
 * An operator's ingestion pipeline for one document: validate (exists in the documents bucket,
 * size, type: else rejected) → start an ingestion job (waiting out a running one) → wait → check
 * the job, looping a bounded number of times → notify success or failure. Every task retries with full jitter,
 * catches into a failure notification and has a timeout; the machine has one too. Start it with
 * `{"key": "<object key>"}` (a `bucket`, if given, must be the documents bucket).
 */
export class DocumentPipeline extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;
  /** Events the upload rule could not deliver (only with `onUpload`). */
  public readonly deadLetterQueue?: sqs.Queue;

  constructor(scope: Construct, id: string, props: DocumentPipelineProps) {
    super(scope, id);
    const maxSize = props.maxDocumentSize ?? Size.mebibytes(50);
    const extensions = props.allowedExtensions ?? DEFAULT_DOCUMENT_EXTENSIONS;
    const checkInterval = props.checkInterval ?? Duration.minutes(1);
    const maxChecks = props.maxChecks ?? 60;
    const { topic } = props;
    const { dataSourceId, documentsBucket } = props.knowledgeBase;
    if (dataSourceId === undefined || documentsBucket === undefined) {
      throw new Error(
        'knowledgeBase must have an S3 data source (dataSourceId and documentsBucket) to ingest into, ' +
          `got knowledge base ${props.knowledgeBase.knowledgeBaseId} without ${dataSourceId === undefined ? 'dataSourceId' : 'documentsBucket'}`,
      );
    }
    const kb = { knowledgeBaseId: props.knowledgeBase.knowledgeBaseId, knowledgeBaseArn: props.knowledgeBase.knowledgeBaseArn, dataSourceId, documentsBucket };

    const maxBytes = maxSize.toBytes();
    if (!Token.isUnresolved(maxBytes) && (maxBytes < 1 || maxBytes > Size.mebibytes(50).toBytes())) {
      throw new Error(`maxDocumentSize must be between 1 byte and 50 MiB (Bedrock's limit per file), got ${maxBytes} bytes`);
    }
    if (extensions.length === 0 || extensions.some((e) => !/^[a-z0-9]{1,10}$/.test(e))) {
      throw new Error(`allowedExtensions must be a non-empty list of lower-case extensions without the dot, got ${JSON.stringify(extensions)}`);
    }
    const interval = checkInterval.toSeconds();
    if (!Token.isUnresolved(interval) && (interval < 10 || interval > 3_600))
      throw new Error(`checkInterval must be between 10 and 3600 seconds, got ${interval}`);
    if (!Token.isUnresolved(maxChecks) && (!Number.isInteger(maxChecks) || maxChecks < 1 || maxChecks > 1_000)) {
      throw new Error(`maxChecks must be an integer between 1 and 1000, got ${maxChecks}`);
    }

    // Every task: retried with full jitter and a delay cap, caught into the failure notification, timed out.
    const retry = (task: sfn.TaskStateBase, errors: string[] = ['States.Timeout', 'States.TaskFailed']) =>
      task.addRetry({
        errors,
        interval: Duration.seconds(2),
        backoffRate: 2,
        maxAttempts: 3,
        maxDelay: Duration.seconds(30),
        jitterStrategy: sfn.JitterType.FULL,
      });
    const notify = (stateId: string, message: Record<string, unknown>) =>
      new tasks.SnsPublish(this, stateId, {
        topic,
        subject: 'genai-blueprint document pipeline',
        message: sfn.TaskInput.fromObject({ ...message, key: sfn.JsonPath.stringAt('$.key'), execution: sfn.JsonPath.executionId }),
        resultPath: sfn.JsonPath.DISCARD,
        taskTimeout: sfn.Timeout.duration(TASK_TIMEOUT),
      });

    const failed = new sfn.Fail(this, 'Failed', {
      error: 'IngestionFailed',
      cause: 'The document could not be ingested; the notification and the execution history say why',
    });
    const notificationFailed = new sfn.Fail(this, 'NotificationFailed', {
      error: 'NotificationFailed',
      cause: 'The outcome could not be published to the topic',
    });
    const notifyFailure = notify('NotifyFailure', { outcome: 'FAILED', error: sfn.JsonPath.stringAt('$.error.Error') });
    retry(notifyFailure).addCatch(notificationFailed, { resultPath: '$.notificationError' }).next(failed);
    const task = <T extends sfn.TaskStateBase>(t: T, errors?: string[]) => {
      retry(t, errors).addCatch(notifyFailure, { resultPath: '$.error' });
      return t;
    };

    // --- Validate ----------------------------------------------------------------------------
    const rejected = new sfn.Fail(this, 'Rejected', { error: 'InvalidDocument', causePath: '$.invalid.reason' });
    const notifyRejected = task(notify('NotifyRejected', { outcome: 'REJECTED', reason: sfn.JsonPath.stringAt('$.invalid.reason') })).next(rejected);
    const invalid = (stateId: string, reason: string) =>
      new sfn.Pass(this, stateId, { result: sfn.Result.fromObject({ reason }), resultPath: '$.invalid' }).next(notifyRejected);

    const readDocument = new tasks.CallAwsService(this, 'ReadDocument', {
      service: 's3',
      action: 'headObject',
      parameters: { Bucket: kb.documentsBucket.bucketName, Key: sfn.JsonPath.stringAt('$.key') },
      // HeadObject is authorized by s3:GetObject.
      iamAction: 's3:GetObject',
      iamResources: [kb.documentsBucket.arnForObjects('*')],
      // Without s3:ListBucket, S3 answers a missing key with 403 (like a denied one), not 404.
      additionalIamStatements: [new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [kb.documentsBucket.bucketArn] })],
      resultSelector: { size: sfn.JsonPath.numberAt('$.ContentLength') },
      resultPath: '$.object',
      taskTimeout: sfn.Timeout.duration(TASK_TIMEOUT),
    });
    // A missing key is the operator's mistake, not an outage: rejected at once, not retried. HeadObject
    // has no error body; the SDK behind Step Functions (Java v2) turns its 404 into NoSuchKeyException,
    // which Step Functions names S3.NoSuchKeyException. This catcher comes before the catch-all.
    readDocument.addCatch(invalid('Missing', 'The document does not exist in the documents bucket'), {
      errors: ['S3.NoSuchKeyException'],
      resultPath: '$.error',
    });
    // S3.S3Exception also carries S3's 5XX (InternalError, SlowDown): it stays retried. S3.NoSuchKeyException
    // is a different error name, so no retrier matches it.
    const headObject = task(readDocument, ['States.Timeout', 'S3.SdkClientException', 'S3.S3Exception']);
    const typeAllowed = sfn.Condition.or(
      ...extensions.flatMap((e) => [sfn.Condition.stringMatches('$.key', `*.${e}`), sfn.Condition.stringMatches('$.key', `*.${e.toUpperCase()}`)]),
    );
    const checkDocument = new sfn.Choice(this, 'CheckDocument')
      .when(
        sfn.Condition.numberGreaterThan('$.object.size', maxBytes),
        invalid(
          'TooLarge',
          `The document is larger than the ${Math.floor(maxBytes / 1_048_576) || maxBytes} ${Math.floor(maxBytes / 1_048_576) ? 'MiB' : 'bytes'} allowed`,
        ),
      )
      .when(sfn.Condition.not(typeAllowed), invalid('UnsupportedType', `The document type is not one of ${extensions.join(', ')}`));

    const checkInput = new sfn.Choice(this, 'CheckInput')
      .when(
        sfn.Condition.or(sfn.Condition.isNotPresent('$.key'), sfn.Condition.isNotString('$.key')),
        new sfn.Fail(this, 'BadInput', { error: 'BadInput', cause: 'Start the pipeline with {"key": "<object key in the documents bucket>"}' }),
      )
      .when(
        sfn.Condition.and(sfn.Condition.isPresent('$.bucket'), sfn.Condition.not(sfn.Condition.stringEquals('$.bucket', kb.documentsBucket.bucketName))),
        invalid('WrongBucket', 'Only documents in the knowledge base documents bucket can be ingested'),
      )
      .otherwise(headObject);

    // --- Ingest and watch --------------------------------------------------------------------
    const startJob = task(
      new tasks.CallAwsService(this, 'StartIngestion', {
        service: 'bedrockagent',
        action: 'startIngestionJob',
        parameters: {
          KnowledgeBaseId: kb.knowledgeBaseId,
          DataSourceId: kb.dataSourceId,
          Description: sfn.JsonPath.format('Pipeline run for {}', sfn.JsonPath.stringAt('$.key')),
        },
        iamAction: 'bedrock:StartIngestionJob',
        iamResources: [kb.knowledgeBaseArn],
        resultSelector: { jobId: sfn.JsonPath.stringAt('$.IngestionJob.IngestionJobId') },
        resultPath: '$.job',
        taskTimeout: sfn.Timeout.duration(TASK_TIMEOUT),
      }),
      ['States.Timeout', 'BedrockAgent.ThrottlingException', 'BedrockAgent.InternalServerException'],
    );
    // One job at a time per data source: a running one (the upload queue's, or another run's) is waited out.
    startJob.addRetry({
      errors: ['BedrockAgent.ConflictException'],
      interval: Duration.seconds(30),
      backoffRate: 1.5,
      maxAttempts: 12,
      maxDelay: Duration.minutes(5),
      jitterStrategy: sfn.JitterType.FULL,
    });
    const wait = new sfn.Wait(this, 'WaitForJob', { time: sfn.WaitTime.duration(checkInterval) });
    const getJob = task(
      new tasks.CallAwsService(this, 'CheckJob', {
        service: 'bedrockagent',
        action: 'getIngestionJob',
        parameters: { KnowledgeBaseId: kb.knowledgeBaseId, DataSourceId: kb.dataSourceId, IngestionJobId: sfn.JsonPath.stringAt('$.job.jobId') },
        iamAction: 'bedrock:GetIngestionJob',
        iamResources: [kb.knowledgeBaseArn],
        resultSelector: { status: sfn.JsonPath.stringAt('$.IngestionJob.Status'), statistics: sfn.JsonPath.objectAt('$.IngestionJob.Statistics') },
        resultPath: '$.jobState',
        taskTimeout: sfn.Timeout.duration(TASK_TIMEOUT),
      }),
      ['States.Timeout', 'BedrockAgent.ThrottlingException', 'BedrockAgent.InternalServerException'],
    );
    const countCheck = new sfn.Pass(this, 'CountCheck', { parameters: { 'count.$': 'States.MathAdd($.checks.count, 1)' }, resultPath: '$.checks' });
    const notifySuccess = task(
      notify('NotifySuccess', { outcome: 'INGESTED', jobId: sfn.JsonPath.stringAt('$.job.jobId'), statistics: sfn.JsonPath.objectAt('$.jobState.statistics') }),
    ).next(new sfn.Succeed(this, 'Ingested'));
    const gaveUp = new sfn.Pass(this, 'GaveUp', { result: sfn.Result.fromObject({ Error: 'IngestionJobStillRunning' }), resultPath: '$.error' }).next(
      notifyFailure,
    );
    const jobFailed = new sfn.Pass(this, 'JobFailed', {
      parameters: { 'Error.$': "States.Format('IngestionJob{}', $.jobState.status)" },
      resultPath: '$.error',
    }).next(notifyFailure);
    const jobStatus = new sfn.Choice(this, 'JobStatus')
      .when(sfn.Condition.stringEquals('$.jobState.status', 'COMPLETE'), notifySuccess)
      .when(sfn.Condition.or(sfn.Condition.stringEquals('$.jobState.status', 'FAILED'), sfn.Condition.stringEquals('$.jobState.status', 'STOPPED')), jobFailed)
      .when(sfn.Condition.numberGreaterThanEquals('$.checks.count', maxChecks), gaveUp)
      .otherwise(wait);

    headObject.next(checkDocument.otherwise(startJob));
    startJob.next(new sfn.Pass(this, 'StartCount', { result: sfn.Result.fromObject({ count: 0 }), resultPath: '$.checks' })).next(wait);
    wait.next(getJob).next(countCheck).next(jobStatus);

    // --- Machine -------------------------------------------------------------------------------
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const worstCase = Token.isUnresolved(interval) || Token.isUnresolved(maxChecks) ? Duration.hours(24) : Duration.seconds(interval * maxChecks + 3_600);
    this.stateMachine = new sfn.StateMachine(this, 'Resource', {
      comment: 'genai-blueprint: validate a document, ingest it into the knowledge base, watch the job, notify',
      definitionBody: sfn.DefinitionBody.fromChainable(checkInput),
      // The checks, plus an hour for waiting out running jobs and retries.
      timeout: worstCase,
      tracingEnabled: true,
      // Execution data holds object keys, job ids and statistics, never document content.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    // An encrypted topic: publishing needs a data key of its key.
    topic.masterKey?.grant(this.stateMachine, 'kms:GenerateDataKey', 'kms:Decrypt');

    const bucket = kb.documentsBucket.node.defaultChild;
    // The finding names the bucket as cdk-nag prints it: a reference to a bucket of this app, or an imported bucket's ARN.
    const bucketInFinding = bucket instanceof s3.CfnBucket ? `<${Stack.of(this).getLogicalId(bucket)}.Arn>` : kb.documentsBucket.bucketArn;
    Validations.of(this.stateMachine.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only actions without resource-level permissions get *: the X-Ray writes of tracing and the CloudWatch Logs delivery actions of execution logging',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${bucketInFinding}/*]`,
        reason:
          'The pipeline reads the metadata (HeadObject, authorized by s3:GetObject) of whichever document an operator names; limited to the documents bucket',
      },
    );

    if (props.onUpload) {
      this.deadLetterQueue = new sqs.Queue(this, 'UploadDeadLetters', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      Validations.of(this.deadLetterQueue).acknowledge(
        {
          id: 'AwsSolutions-SQS3',
          reason: 'This is the dead-letter queue of the upload rule: its messages wait for an operator to start the pipeline by hand',
        },
        { id: 'Serverless-SQSRedrivePolicy', reason: 'This is the dead-letter queue of the upload rule: a further queue behind it would add nothing' },
      );
      new events.Rule(this, 'UploadRule', {
        description: 'Documents created in the documents bucket: run the document pipeline',
        eventPattern: { source: ['aws.s3'], detailType: ['Object Created'], detail: { bucket: { name: [kb.documentsBucket.bucketName] } } },
        targets: [
          new targets.SfnStateMachine(this.stateMachine, {
            input: events.RuleTargetInput.fromObject({ key: events.EventField.fromPath('$.detail.object.key') }),
            deadLetterQueue: this.deadLetterQueue,
            retryAttempts: 10,
          }),
        ],
      });
    }
  }

  /** Lets `grantee` (an operator role, a CI principal) start runs of the pipeline. */
  public grantStart(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }
}
