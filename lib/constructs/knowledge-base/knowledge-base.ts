import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Arn, ArnFormat, Duration, FileSystem, Names, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as s3vectors from 'aws-cdk-lib/aws-s3vectors';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { EmbeddingModel } from '../../config/models';
import { BlueprintFunction, CLOUDFORMATION_INVOKED_DLQ_REASON } from '../shared/blueprint-function';
import { type ChunkingStrategy, chunkingConfiguration, DEFAULT_CHUNKING, inRange, validateChunking } from './chunking';
import { accessLogsBucket, logAccessInto } from '../shared/access-logs';
import { PACKAGE_ROOT } from '../shared/bundling';
import type { IAlarmSource } from '../shared/routes';
import { functionEnvironment, ingestEnvSchema } from '../../../contracts/env';
import { INGESTION_DIMENSIONS, INGESTION_METRICS, METRICS_NAMESPACE, SERVICE_DIMENSION } from '../../../contracts/metrics';
import { AUDIENCE_KEY, SIDECAR_SUFFIX, sidecarBody } from '../../../contracts/tenant-documents';

export type { ChunkingStrategy } from './chunking';

/** The blueprint's demo documents (the grounds upload them with `corpusPath`). */
export const BLUEPRINT_CORPUS = path.join(PACKAGE_ROOT, 'corpus');

/**
 * A knowledge base another block can use: created here (`KnowledgeBase`) or imported
 * (`KnowledgeBase.fromKnowledgeBaseAttributes`). The model call and the agent retrieve from it;
 * the document pipeline ingests into its S3 data source.
 */
export interface IKnowledgeBase {
  readonly knowledgeBaseId: string;
  readonly knowledgeBaseArn: string;
  /** Its S3 data source (the document pipeline starts ingestion jobs of it). @default none: no pipeline can ingest into it */
  readonly dataSourceId?: string;
  /** The bucket of that data source. @default none */
  readonly documentsBucket?: s3.IBucket;
  /** Lets `grantee` call Retrieve on this knowledge base only. */
  grantRetrieve(grantee: iam.IGrantable): iam.Grant;
}

export interface KnowledgeBaseAttributes {
  /** `arn:<partition>:bedrock:<region>:<account>:knowledge-base/<id>`. */
  readonly knowledgeBaseArn: string;
  /** Its S3 data source, for a document pipeline. @default none */
  readonly dataSourceId?: string;
  /** The bucket of that data source. @default none */
  readonly documentsBucket?: s3.IBucket;
}

const KNOWLEDGE_BASE_ARN = /^arn:aws[a-z-]*:bedrock:[a-z0-9-]+:\d{12}:knowledge-base\/[0-9A-Za-z]{10}$/;

/**
 * Keys Bedrock writes into every vector; filterable metadata is capped at 2 KB per vector, so these
 * must not be filterable. Every other key stays filterable, AUDIENCE_KEY (the tenant scope of every
 * Retrieve) among them: https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-vectors-limitations.html.
 */
const BEDROCK_METADATA_KEYS = ['AMAZON_BEDROCK_TEXT', 'AMAZON_BEDROCK_METADATA'];
if (BEDROCK_METADATA_KEYS.includes(AUDIENCE_KEY)) throw new Error(`${AUDIENCE_KEY} must stay filterable: every Retrieve filters on it`);

/** The ingestion function's timeout; the queue's visibility timeout is derived from it. */
const INGEST_TIMEOUT = Duration.seconds(60);

export interface KnowledgeBaseProps {
  /** Catalog entry of the embedding model (for example `MODEL_CATALOG['titan-embed-text-v2']`). */
  readonly embeddingModel: EmbeddingModel;
  /**
   * Size of each vector; must be one the embedding model produces. Changing it replaces the
   * vector index and the knowledge base (the next ingestion re-embeds the documents).
   * @default embeddingModel.defaultDimensions
   */
  readonly dimensions?: number;
  /**
   * Where vectors are stored. `s3-vectors` has no idle cost; `opensearch-serverless` is not built
   * yet and fails synth.
   * @default 's3-vectors'
   */
  readonly vectorStore?: 's3-vectors' | 'opensearch-serverless';
  /** How documents are split before embedding. @default fixed size, 300 tokens, 20% overlap */
  readonly chunking?: ChunkingStrategy;
  /** Uploads within this window start one ingestion job, not one per file (0-300 s). @default Duration.seconds(60) */
  readonly ingestionBatchWindow?: Duration;
  /** Time between two status checks of a running ingestion job (60-900 s). @default Duration.minutes(2) */
  readonly ingestionCheckInterval?: Duration;
  /**
   * Folder uploaded to the documents bucket (under `blueprint/`, pruned there) and ingested at
   * deploy, so a fresh deployment answers at once; `BLUEPRINT_CORPUS` is the blueprint's demo corpus.
   * @default nothing uploaded: the knowledge base holds what you put in `documentsBucket`
   */
  readonly corpusPath?: string;
  /** Retention of the ingestion function's logs. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * RAG's external knowledge: a documents bucket, a Bedrock knowledge base that chunks and embeds
 * what is in it into an S3 Vectors index, and ingestion that runs by itself: once at deploy for
 * a corpus given in `corpusPath`, and after uploads, debounced through a queue, with failed jobs
 * counted and alarmed.
 */
export class KnowledgeBase extends Construct implements IKnowledgeBase, IAlarmSource {
  /** A knowledge base created elsewhere, for the blocks that retrieve from or ingest into it. */
  public static fromKnowledgeBaseAttributes(scope: Construct, id: string, attrs: KnowledgeBaseAttributes): IKnowledgeBase {
    if (!Token.isUnresolved(attrs.knowledgeBaseArn) && !KNOWLEDGE_BASE_ARN.test(attrs.knowledgeBaseArn)) {
      throw new Error(`knowledgeBaseArn must be arn:<partition>:bedrock:<region>:<account>:knowledge-base/<10-character id>, got "${attrs.knowledgeBaseArn}"`);
    }
    if ((attrs.dataSourceId === undefined) !== (attrs.documentsBucket === undefined)) {
      throw new Error(
        `dataSourceId and documentsBucket go together (a data source and its bucket), ` +
          `got ${attrs.dataSourceId === undefined ? 'documentsBucket alone' : 'dataSourceId alone'}`,
      );
    }
    class Import extends Construct implements IKnowledgeBase {
      public readonly knowledgeBaseArn = attrs.knowledgeBaseArn;
      public readonly knowledgeBaseId = Arn.split(attrs.knowledgeBaseArn, ArnFormat.SLASH_RESOURCE_NAME).resourceName!;
      public readonly dataSourceId = attrs.dataSourceId;
      public readonly documentsBucket = attrs.documentsBucket;
      public grantRetrieve(grantee: iam.IGrantable): iam.Grant {
        return grantRetrieve(grantee, this.knowledgeBaseArn);
      }
    }
    return new Import(scope, id);
  }

  public readonly knowledgeBaseId: string;
  public readonly knowledgeBaseArn: string;
  public readonly dataSourceId: string;
  /** Put documents here; they are ingested within the batching window. */
  public readonly documentsBucket: s3.Bucket;
  public readonly vectorIndex: s3vectors.CfnIndex;
  /** Role Bedrock assumes to read the documents, embed them and write the vectors. */
  public readonly serviceRole: iam.Role;
  public readonly ingestionQueue: sqs.Queue;
  public readonly ingestionDeadLetterQueue: sqs.Queue;
  public readonly ingestionFunction: BlueprintFunction;
  /** In ALARM when an ingestion job failed or left documents unindexed. */
  public readonly ingestionFailedAlarm: cloudwatch.Alarm;
  /** In ALARM when upload events could not be handled and sit in the dead-letter queue. */
  public readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: KnowledgeBaseProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const dimensions = props.dimensions ?? props.embeddingModel.defaultDimensions;
    const vectorStore = props.vectorStore ?? 's3-vectors';
    const chunking = props.chunking ?? DEFAULT_CHUNKING;
    const batchWindow = props.ingestionBatchWindow ?? Duration.seconds(60);
    const checkInterval = props.ingestionCheckInterval ?? Duration.minutes(2);

    if (props.embeddingModel.kind !== 'embedding') {
      throw new Error(`embeddingModel must be an embedding model, got ${(props.embeddingModel as { modelId: string }).modelId}`);
    }
    if (!Token.isUnresolved(dimensions) && !props.embeddingModel.dimensions.includes(dimensions)) {
      throw new Error(`dimensions must be one of ${props.embeddingModel.dimensions.join(', ')} for ${props.embeddingModel.modelId}, got ${dimensions}`);
    }
    if (vectorStore === 'opensearch-serverless') {
      throw new Error("vectorStore 'opensearch-serverless' is not built yet; use 's3-vectors'");
    }
    if (vectorStore !== 's3-vectors') throw new Error(`vectorStore must be 's3-vectors' or 'opensearch-serverless', got ${JSON.stringify(vectorStore)}`);
    validateChunking(chunking);
    inRange('ingestionBatchWindow (seconds)', batchWindow.toSeconds(), 0, 300);
    inRange('ingestionCheckInterval (seconds)', checkInterval.toSeconds(), 60, 900);

    // --- Documents -------------------------------------------------------------------------
    // S3-managed keys: log delivery cannot write to a KMS-encrypted target, and the documents are
    // meant for retrieval by every caller of the knowledge base, so a customer key would add cost
    // and a key policy to get right without narrowing who can read them (IAM already does).
    const accessLogs = accessLogsBucket(this, 'AccessLogs');
    this.documentsBucket = new s3.Bucket(this, 'Documents', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // The source of truth of the knowledge base: kept when the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    logAccessInto(this.documentsBucket, accessLogs, 'documents/');
    // Set on the L1: the L2's `eventBridgeEnabled` goes through a notifications custom resource (one more Lambda).
    (this.documentsBucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };

    // --- Vector store ----------------------------------------------------------------------
    // Vectors are derived data (re-embedded from the documents by any ingestion), so the vector
    // bucket and index keep CloudFormation's default deletion: nothing orphaned on replacement.
    const vectorBucket = new s3vectors.CfnVectorBucket(this, 'VectorBucket', { encryptionConfiguration: { sseType: 'AES256' } });
    this.vectorIndex = new s3vectors.CfnIndex(this, 'VectorIndex', {
      vectorBucketArn: vectorBucket.attrVectorBucketArn,
      dataType: 'float32',
      dimension: dimensions,
      distanceMetric: 'cosine',
      metadataConfiguration: { nonFilterableMetadataKeys: BEDROCK_METADATA_KEYS },
      encryptionConfiguration: { sseType: 'AES256' },
    });

    // --- Knowledge base --------------------------------------------------------------------
    const embeddingModelArn = stack.formatArn({
      service: 'bedrock',
      account: '',
      resource: 'foundation-model',
      resourceName: props.embeddingModel.modelId,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.serviceRole = new iam.Role(this, 'ServiceRole', {
      description: 'Bedrock knowledge base: reads the documents bucket, embeds, writes the vector index',
      // The confused-deputy guard AWS documents for knowledge base roles.
      assumedBy: new iam.ServicePrincipal('bedrock.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({ service: 'bedrock', resource: 'knowledge-base', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
        },
      }),
    });
    this.serviceRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: [embeddingModelArn] }));
    this.serviceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.documentsBucket.bucketArn],
        conditions: { StringEquals: { 'aws:ResourceAccount': stack.account } },
      }),
    );
    this.serviceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [this.documentsBucket.arnForObjects('*')],
        conditions: { StringEquals: { 'aws:ResourceAccount': stack.account } },
      }),
    );
    this.serviceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3vectors:PutVectors', 's3vectors:GetVectors', 's3vectors:DeleteVectors', 's3vectors:QueryVectors', 's3vectors:GetIndex'],
        resources: [this.vectorIndex.attrIndexArn],
      }),
    );
    Validations.of(this.serviceRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.documentsBucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
      reason: 'Bedrock ingests every document of the bucket, whatever its key; read-only (s3:GetObject) and limited to this account',
    });

    const knowledgeBase = new bedrock.CfnKnowledgeBase(this, 'Resource', {
      name: physicalName(this, 'kb', [props.embeddingModel.modelId, dimensions, vectorStore]),
      description: 'genai-blueprint knowledge base: documents bucket embedded into S3 Vectors',
      roleArn: this.serviceRole.roleArn,
      knowledgeBaseConfiguration: {
        type: 'VECTOR',
        vectorKnowledgeBaseConfiguration: {
          embeddingModelArn,
          embeddingModelConfiguration: { bedrockEmbeddingModelConfiguration: { dimensions, embeddingDataType: 'FLOAT32' } },
        },
      },
      storageConfiguration: {
        type: 'S3_VECTORS',
        s3VectorsConfiguration: { vectorBucketArn: vectorBucket.attrVectorBucketArn, indexArn: this.vectorIndex.attrIndexArn },
      },
    });
    // Bedrock checks its access to the index when the knowledge base is created.
    knowledgeBase.node.addDependency(this.serviceRole);
    this.knowledgeBaseId = knowledgeBase.attrKnowledgeBaseId;
    this.knowledgeBaseArn = knowledgeBase.attrKnowledgeBaseArn;

    const dataSource = new bedrock.CfnDataSource(this, 'DataSource', {
      name: physicalName(this, 'docs', [JSON.stringify(chunking)]),
      description: 'The documents bucket',
      knowledgeBaseId: this.knowledgeBaseId,
      // DELETE: when the data source is replaced (a chunking change), its old chunks leave the
      // index instead of answering next to the new ones. The documents themselves stay in the bucket.
      dataDeletionPolicy: 'DELETE',
      dataSourceConfiguration: { type: 'S3', s3Configuration: { bucketArn: this.documentsBucket.bucketArn, bucketOwnerAccountId: stack.account } },
      vectorIngestionConfiguration: { chunkingConfiguration: chunkingConfiguration(chunking) },
    });
    this.dataSourceId = dataSource.attrDataSourceId;

    // --- Ingestion after uploads, debounced ------------------------------------------------
    this.ingestionDeadLetterQueue = new sqs.Queue(this, 'IngestionDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.ingestionDeadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'This is the dead-letter queue of the ingestion queue and of the upload rule: ' +
        'its messages wait for an operator (alarmed), a further queue would add nothing',
    });
    this.ingestionQueue = new sqs.Queue(this, 'IngestionQueue', {
      // SQS-managed keys: EventBridge can deliver to them without a key policy.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's advice for Lambda consumers: six function timeouts plus the batching window.
      visibilityTimeout: Duration.seconds(6 * INGEST_TIMEOUT.toSeconds() + (Token.isUnresolved(batchWindow.toSeconds()) ? 300 : batchWindow.toSeconds())),
      // Uploads deferred by a running job come back once per visibility timeout: ten returns
      // (over an hour) before they are parked in the dead-letter queue, which is alarmed.
      deadLetterQueue: { queue: this.ingestionDeadLetterQueue, maxReceiveCount: 10 },
    });
    new events.Rule(this, 'UploadRule', {
      description: 'Documents created or deleted: queue an ingestion',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created', 'Object Deleted'],
        // Not the metadata sidecars, which ingestion writes itself: their events would come back to it
        // ("anything-but" with a suffix, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html).
        detail: { bucket: { name: [this.documentsBucket.bucketName] }, object: { key: events.Match.anythingButSuffix(SIDECAR_SUFFIX) } },
      },
      targets: [new targets.SqsQueue(this.ingestionQueue, { deadLetterQueue: this.ingestionDeadLetterQueue, retryAttempts: 10 })],
    });

    this.ingestionFunction = new BlueprintFunction(this, 'IngestFunction', {
      handlerDir: 'ingest',
      description: 'Starts one knowledge base ingestion job per batch of uploads and watches it',
      memorySize: 256,
      timeout: INGEST_TIMEOUT,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      invokedBy: 'sqs',
      environment: functionEnvironment(ingestEnvSchema, {
        KNOWLEDGE_BASE_ID: this.knowledgeBaseId,
        DATA_SOURCE_ID: this.dataSourceId,
        DOCUMENTS_BUCKET: this.documentsBucket.bucketName,
        DOCUMENTS_BUCKET_DOMAIN: this.documentsBucket.bucketRegionalDomainName,
        QUEUE_URL: this.ingestionQueue.queueUrl,
        CHECK_DELAY_SECONDS: String(checkInterval.toSeconds()),
        // A day of checks: longer than any corpus this blueprint expects.
        MAX_CHECKS: String(Math.ceil(86_400 / (Token.isUnresolved(checkInterval.toSeconds()) ? 60 : checkInterval.toSeconds()))),
        BEDROCK_MAX_ATTEMPTS: '4',
        BEDROCK_ATTEMPT_TIMEOUT_MS: '10000',
      }),
    });
    // The mapping SqsEventSource would add, under a fixed id: SqsEventSource names it after the
    // queue's unique id, which carries the stack id, so each ground renamed it and CloudFormation
    // created a second mapping for the same queue and function before deleting the first, which
    // Lambda refuses (ResourceConflictException: the mapping already exists).
    const trigger = this.ingestionFunction.addEventSourceMapping('IngestionQueueSource', {
      eventSourceArn: this.ingestionQueue.queueArn,
      // One invocation gathers the uploads of the whole window (Lambda allows up to 10,000 with a
      // window; 1,000 S3 events stay well below the 6 MB payload limit). Without a window Lambda caps it at 10.
      batchSize: batchWindow.toSeconds() === 0 ? 10 : 1_000,
      maxBatchingWindow: batchWindow.toSeconds() === 0 ? undefined : batchWindow,
      reportBatchItemFailures: true,
    });
    // What the event source mapping does as the function's role (the Lambda guide's "Execution role
    // permissions" for SQS: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html),
    // not grantConsumeMessages, which adds sqs:ChangeMessageVisibility and sqs:GetQueueUrl that
    // neither Lambda nor the handler calls (test/policy/iam-simulation.test.ts).
    this.ingestionFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], resources: [this.ingestionQueue.queueArn] }),
    );
    Validations.of(trigger).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        'Lambda supports no on-failure destination for SQS event sources: ' +
        'failed messages return to the queue and its redrive policy parks them in the (alarmed) dead-letter queue',
    });
    this.grantIngestion(this.ingestionFunction);
    this.grantSidecars(this.ingestionFunction);
    // Its own delayed checks: SendMessage only (grantSendMessages adds GetQueueAttributes and GetQueueUrl).
    this.ingestionFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.ingestionQueue.queueArn] }));

    this.ingestionFailedAlarm = this.metricIngestionJobsFailed().createAlarm(this, 'IngestionFailedAlarm', {
      alarmDescription: 'A knowledge base ingestion job failed or left documents unindexed: see the ingest function logs',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.deadLetterAlarm = this.ingestionDeadLetterQueue
      .metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' })
      .createAlarm(this, 'DeadLetterAlarm', {
        alarmDescription: 'Upload events could not be ingested and sit in the dead-letter queue: redrive them once the cause is fixed',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });

    // --- Ingestion at deploy ---------------------------------------------------------------
    const corpusWriter = props.corpusPath !== undefined ? this.ingestCorpusAtDeploy(props.corpusPath) : undefined;

    // --- Tenant metadata: written by ingestion alone --------------------------------------
    // A sidecar decides who may retrieve its document (contracts/tenant-documents.ts). Ingestion
    // writes it from the object key; nobody else may write or delete one, so no uploader can
    // claim another tenant's audience or make a tenant's document shared. An explicit deny in the
    // bucket policy holds against any identity policy in this account, administrators' included.
    this.documentsBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyIngestionWritesDocumentMetadata',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
        resources: [this.documentsBucket.arnForObjects(`*${SIDECAR_SUFFIX}`)],
        conditions: {
          ArnNotEquals: { 'aws:PrincipalArn': [this.ingestionFunction.role!.roleArn, ...(corpusWriter ? [corpusWriter.roleArn] : [])] },
        },
      }),
    );
  }

  /** Lets `grantee` call Retrieve on this knowledge base only. */
  public grantRetrieve(grantee: iam.IGrantable): iam.Grant {
    return grantRetrieve(grantee, this.knowledgeBaseArn);
  }

  /** The alarms of this block (failed ingestion jobs, undelivered upload events), for a topic to notify. */
  public get alarms(): cloudwatch.Alarm[] {
    return [this.ingestionFailedAlarm, this.deadLetterAlarm];
  }

  /** Ingestion jobs that failed or completed with failed documents (sum per period). */
  public metricIngestionJobsFailed(opts: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: INGESTION_METRICS.jobsFailed,
      // The dimensions the ingest function's Powertools metrics carry.
      dimensionsMap: { [SERVICE_DIMENSION]: 'ingest', [INGESTION_DIMENSIONS.knowledgeBase]: this.knowledgeBaseId },
      statistic: 'Sum',
      period: Duration.minutes(5),
      ...opts,
    });
  }

  /**
   * What labelling needs (lambda/ingest/s3.ts): HeadObject of any key (s3:GetObject; with
   * s3:ListBucket a missing key answers 404 rather than 403), PutObject and DeleteObject of sidecars only.
   */
  private grantSidecars(fn: BlueprintFunction): void {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.documentsBucket.bucketArn] }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.documentsBucket.arnForObjects('*')] }));
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:DeleteObject'], resources: [this.documentsBucket.arnForObjects(`*${SIDECAR_SUFFIX}`)] }),
    );
    const bucket = Stack.of(this).getLogicalId(this.documentsBucket.node.defaultChild as s3.CfnBucket);
    Validations.of(fn.role!).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/*]`,
        reason: 'Ingestion checks that the uploaded document exists (HeadObject, read as s3:GetObject) whatever its key; it reads no content',
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${bucket}.Arn>/*${SIDECAR_SUFFIX}]`,
        reason: 'Ingestion writes and removes the metadata sidecar of any document (contracts/tenant-documents.ts); no other object',
      },
    );
  }

  private grantIngestion(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['bedrock:StartIngestionJob', 'bedrock:GetIngestionJob', 'bedrock:ListIngestionJobs'],
      resourceArns: [this.knowledgeBaseArn],
    });
  }

  /**
   * Uploads the corpus under `blueprint/` and starts an ingestion job when it was uploaded, so a
   * fresh deployment answers at once. The job request carries the corpus fingerprint: a changed
   * corpus changes the request, and CloudFormation runs it again on update.
   */
  private ingestCorpusAtDeploy(corpusPath: string): iam.IRole {
    const logGroup = new logs.LogGroup(this, 'DeployLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const deployment = new s3deploy.BucketDeployment(this, 'CorpusDeployment', {
      // Each document with its metadata sidecar, so the job below, which may run before the
      // ingestion function has seen the uploads, indexes the corpus as shared at once.
      sources: [s3deploy.Source.asset(corpusPath), ...corpusSidecars(corpusPath)],
      destinationBucket: this.documentsBucket,
      // Pruning stays inside this prefix: documents users upload elsewhere are never deleted.
      destinationKeyPrefix: 'blueprint/',
      prune: true,
      memoryLimit: 512,
      logGroup,
    });
    // The sidecars are part of what is deployed: a change of their format runs the job again.
    const fingerprint = crypto.createHash('sha256').update(FileSystem.fingerprint(corpusPath)).update(corpusSidecars.format).digest('hex').slice(0, 16);
    const startIngestion: cr.AwsSdkCall = {
      service: 'bedrock-agent',
      action: 'startIngestionJob',
      parameters: { knowledgeBaseId: this.knowledgeBaseId, dataSourceId: this.dataSourceId, description: `Corpus ${fingerprint} deployed by CloudFormation` },
      physicalResourceId: cr.PhysicalResourceId.of('CorpusIngestion'),
      // The uploads above also reach the queue: if their job won the race, the corpus is being ingested already.
      ignoreErrorCodesMatching: 'ConflictException',
    };
    const ingestion = new cr.AwsCustomResource(this, 'CorpusIngestion', {
      onCreate: startIngestion,
      onUpdate: startIngestion,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['bedrock:StartIngestionJob'], resources: [this.knowledgeBaseArn] }),
      ]),
      // The runtime's SDK has bedrock-agent: no npm install from the internet during deploys.
      installLatestAwsSdk: false,
      memorySize: 256,
      timeout: Duration.minutes(2),
      logGroup,
    });
    ingestion.node.addDependency(deployment);
    acknowledgeCdkProvidedFunctions(deployment, this.documentsBucket, ingestion);
    return deployment.handlerRole;
  }
}

/** The sidecar of every file of the corpus (keys relative to `blueprint/`), as ingestion writes it for `blueprint/<file>`. */
function corpusSidecars(corpusPath: string): s3deploy.ISource[] {
  const files = fs.readdirSync(corpusPath, { recursive: true, withFileTypes: true }).filter((f) => f.isFile() && !f.name.endsWith(SIDECAR_SUFFIX));
  return files
    .map((f) => path.relative(corpusPath, path.join(f.parentPath, f.name)).split(path.sep).join('/'))
    .sort()
    .map((key) => s3deploy.Source.data(`${key}${SIDECAR_SUFFIX}`, sidecarBody(`blueprint/${key}`)));
}
/** What the sidecars hold, for the corpus fingerprint: any change of the format deploys and ingests again. */
corpusSidecars.format = sidecarBody('blueprint/x');

/**
 * A generated, stable name that changes with the create-only settings it is given: CloudFormation
 * creates the replacement before deleting the old resource, and two of them cannot share a name.
 */
function physicalName(scope: Construct, suffix: string, replacing: readonly unknown[]): string {
  const hash = crypto
    .createHash('sha256')
    .update(JSON.stringify(replacing.map((v) => (Token.isUnresolved(v) ? Stack.of(scope).resolve(v) : v))))
    .digest('hex')
    .slice(0, 8);
  return `${Names.uniqueResourceName(scope, { maxLength: 80 })}-${suffix}-${hash}`;
}

/**
 * The singleton functions aws-cdk-lib creates for BucketDeployment and AwsCustomResource live at
 * the stack's root, outside this construct, and take no settings for these rules: their findings
 * are acknowledged on the function and role that cause them, one finding at a time.
 */
function acknowledgeCdkProvidedFunctions(deployment: s3deploy.BucketDeployment, destination: s3.Bucket, ingestion: cr.AwsCustomResource): void {
  const cdkOwned = 'Function owned by aws-cdk-lib and run only by CloudFormation during deployments';
  const notAsync = `${cdkOwned}. ${CLOUDFORMATION_INVOKED_DLQ_REASON}`;
  const basicRole = {
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: `${cdkOwned}: aws-cdk-lib attaches the basic execution role (CloudWatch Logs only) and exposes no option to replace it`,
  };
  const noTracing = {
    id: 'Serverless-LambdaTracing',
    reason: `${cdkOwned}: runs once per deployment, aws-cdk-lib exposes no tracing option and there is no request path to trace`,
  };

  const deployRole = deployment.handlerRole;
  const deployFunction = deployRole.node.scope as Construct;
  Validations.of(deployRole).acknowledge(
    basicRole,
    ...['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*'].map((action) => ({
      id: `AwsSolutions-IAM5[Action::${action}]`,
      reason: `${cdkOwned}: BucketDeployment grants itself read on its asset and read/write on the destination with these aws-cdk-lib action groups`,
    })),
    {
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
      reason: `${cdkOwned}: reads the corpus asset from the CDK bootstrap asset bucket, whose object keys are content hashes`,
    },
    {
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(destination).getLogicalId(destination.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
      reason: `${cdkOwned}: syncs the corpus into the documents bucket (under blueprint/; the bucket's keys are not known at synth)`,
    },
  );
  Validations.of(deployFunction.node.defaultChild!).acknowledge(
    { id: 'AwsSolutions-L1', reason: `${cdkOwned}: BucketDeployment pins the runtime its bundled AWS CLI layer is built for` },
    { id: 'Serverless-LambdaLatestVersion', reason: `${cdkOwned}: BucketDeployment pins the runtime its bundled AWS CLI layer is built for` },
    { id: 'Serverless-LambdaDLQ', reason: notAsync },
    noTracing,
  );

  const ingestRole = ingestion.grantPrincipal as iam.Role;
  Validations.of(ingestRole).acknowledge(basicRole);
  Validations.of((ingestRole.node.scope as Construct).node.defaultChild!).acknowledge({ id: 'Serverless-LambdaDLQ', reason: notAsync }, noTracing);
}

function grantRetrieve(grantee: iam.IGrantable, knowledgeBaseArn: string): iam.Grant {
  return iam.Grant.addToPrincipal({ grantee, actions: ['bedrock:Retrieve'], resourceArns: [knowledgeBaseArn] });
}
