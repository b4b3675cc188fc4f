import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { MODEL_CATALOG } from '../../lib/config/models';
import { BLUEPRINT_CORPUS, KnowledgeBase, type KnowledgeBaseProps } from '../../lib/constructs/knowledge-base/knowledge-base';
import { CDK_JSON_CONTEXT } from '../support/synth';
import * as fs from 'node:fs';
import { AUDIENCE_KEY, sidecarBody } from '../../contracts/tenant-documents';
import { ACCOUNT, type CfnTemplate, TemplateResolver } from '../support/iam/resolve';
import { evaluate, type NamedPolicy, rolePolicies } from '../support/iam/simulate';

const TITAN = MODEL_CATALOG['titan-embed-text-v2'];

function build(props: Partial<KnowledgeBaseProps> = {}, use?: (stack: Stack, kb: KnowledgeBase) => void) {
  const stack = new Stack(new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false }), 'Test');
  const kb = new KnowledgeBase(stack, 'KnowledgeBase', { embeddingModel: TITAN, ...props });
  use?.(stack, kb);
  return { stack, kb, template: Template.fromStack(stack) };
}

const ref = (logicalIdPrefix: string, attr: string) => ({ 'Fn::GetAtt': [Match.stringLikeRegexp(`^${logicalIdPrefix}`), attr] });
const kbArn = ref('KnowledgeBaseB1C941BD', 'KnowledgeBaseArn');

describe('KnowledgeBase (defaults)', () => {
  const { kb, template } = build();

  test('documents bucket: S3-managed encryption, versioned, all public access blocked, access logs, kept on delete, EventBridge on', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('^KnowledgeBaseAccessLogs') }, LogFilePrefix: 'documents/' },
        NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('both buckets refuse requests without TLS; the access-log bucket is encrypted and blocks public access', () => {
    for (const bucket of ['KnowledgeBaseDocuments', 'KnowledgeBaseAccessLogs']) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: Match.stringLikeRegexp(`^${bucket}`) },
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
    }
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: Match.absent(),
    });
  });

  test('vector index: float32, the embedding dimension, cosine, Bedrock keys non-filterable, encrypted', () => {
    template.hasResourceProperties('AWS::S3Vectors::VectorBucket', { EncryptionConfiguration: { SseType: 'AES256' } });
    template.hasResourceProperties('AWS::S3Vectors::Index', {
      DataType: 'float32',
      Dimension: 1024,
      DistanceMetric: 'cosine',
      MetadataConfiguration: { NonFilterableMetadataKeys: ['AMAZON_BEDROCK_TEXT', 'AMAZON_BEDROCK_METADATA'] },
      EncryptionConfiguration: { SseType: 'AES256' },
      VectorBucketArn: ref('KnowledgeBaseVectorBucket', 'VectorBucketArn'),
    });
  });

  test('knowledge base: VECTOR on the Titan v2 ARN (no hard-coded partition or region), S3 Vectors storage', () => {
    template.hasResource('AWS::Bedrock::KnowledgeBase', {
      Properties: {
        RoleArn: ref('KnowledgeBaseServiceRole', 'Arn'),
        KnowledgeBaseConfiguration: {
          Type: 'VECTOR',
          VectorKnowledgeBaseConfiguration: {
            EmbeddingModelArn: {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, '::foundation-model/amazon.titan-embed-text-v2:0']],
            },
            EmbeddingModelConfiguration: { BedrockEmbeddingModelConfiguration: { Dimensions: 1024, EmbeddingDataType: 'FLOAT32' } },
          },
        },
        StorageConfiguration: {
          Type: 'S3_VECTORS',
          S3VectorsConfiguration: {
            IndexArn: ref('KnowledgeBaseVectorIndex', 'IndexArn'),
            VectorBucketArn: ref('KnowledgeBaseVectorBucket', 'VectorBucketArn'),
          },
        },
      },
      // Created only once Bedrock may reach the index.
      DependsOn: Match.arrayWith([Match.stringLikeRegexp('^KnowledgeBaseServiceRoleDefaultPolicy')]),
    });
  });

  test('data source: the documents bucket, fixed-size chunking by default, its chunks deleted with it', () => {
    template.hasResourceProperties('AWS::Bedrock::DataSource', {
      KnowledgeBaseId: ref('KnowledgeBaseB1C941BD', 'KnowledgeBaseId'),
      DataDeletionPolicy: 'DELETE',
      DataSourceConfiguration: { Type: 'S3', S3Configuration: { BucketArn: ref('KnowledgeBaseDocuments', 'Arn') } },
      VectorIngestionConfiguration: {
        ChunkingConfiguration: { ChunkingStrategy: 'FIXED_SIZE', FixedSizeChunkingConfiguration: { MaxTokens: 300, OverlapPercentage: 20 } },
      },
    });
  });

  test('service role: trusted by Bedrock for knowledge bases of this account only', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { Service: 'bedrock.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':knowledge-base/*'],
                  ],
                },
              },
            },
          },
        ],
      },
    });
  });

  test('service role: invoke the embedding model, read the documents, write the index, nothing else', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^KnowledgeBaseServiceRole') }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'bedrock:InvokeModel',
            Resource: {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, '::foundation-model/amazon.titan-embed-text-v2:0']],
            },
          },
          {
            Effect: 'Allow',
            Action: 's3:ListBucket',
            Resource: ref('KnowledgeBaseDocuments', 'Arn'),
            Condition: { StringEquals: { 'aws:ResourceAccount': { Ref: 'AWS::AccountId' } } },
          },
          {
            Effect: 'Allow',
            Action: 's3:GetObject',
            Resource: { 'Fn::Join': ['', [ref('KnowledgeBaseDocuments', 'Arn'), '/*']] },
            Condition: { StringEquals: { 'aws:ResourceAccount': { Ref: 'AWS::AccountId' } } },
          },
          {
            Effect: 'Allow',
            Action: ['s3vectors:DeleteVectors', 's3vectors:GetIndex', 's3vectors:GetVectors', 's3vectors:PutVectors', 's3vectors:QueryVectors'],
            Resource: ref('KnowledgeBaseVectorIndex', 'IndexArn'),
          },
        ],
      },
    });
  });

  test('no IAM statement of the construct has a wildcard action or a Bedrock/S3 Vectors action on *', () => {
    const own = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('KnowledgeBase'));
    expect(own.length).toBeGreaterThanOrEqual(2);
    for (const [, policy] of own) {
      for (const s of policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]) {
        const actions = [s.Action].flat();
        for (const action of actions) expect(action).not.toMatch(/\*/);
        if (actions.some((a) => /^(bedrock|s3vectors):/.test(a))) expect(JSON.stringify(s.Resource)).not.toBe('"*"');
      }
    }
  });

  test('grantRetrieve: bedrock:Retrieve on this knowledge base only', () => {
    const { template: withReader } = build({}, (scope, knowledgeBase) => {
      knowledgeBase.grantRetrieve(new iam.Role(scope, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }));
    });
    withReader.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Reader') }],
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'bedrock:Retrieve', Resource: kbArn }] },
    });
  });

  test('uploads reach the ingestion queue through EventBridge; the rule has a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created', 'Object Deleted'],
        // Not the sidecars ingestion writes itself: their events would come back to it.
        detail: {
          bucket: { name: [{ Ref: Match.stringLikeRegexp('^KnowledgeBaseDocuments') }] },
          object: { key: [{ 'anything-but': { suffix: '.metadata.json' } }] },
        },
      },
      Targets: [
        Match.objectLike({ Arn: ref('KnowledgeBaseIngestionQueue', 'Arn'), DeadLetterConfig: { Arn: ref('KnowledgeBaseIngestionDeadLetters', 'Arn') } }),
      ],
    });
  });

  test('queues: encrypted, TLS only, the ingestion queue redrives to its dead-letter queue after a bounded number of receives', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 6 * 60 + 60,
      RedrivePolicy: { deadLetterTargetArn: ref('KnowledgeBaseIngestionDeadLetters', 'Arn'), maxReceiveCount: 10 },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, RedrivePolicy: Match.absent(), MessageRetentionPeriod: 14 * 86_400 });
    for (const queue of ['KnowledgeBaseIngestionQueue', 'KnowledgeBaseIngestionDeadLetters']) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: Match.stringLikeRegexp(`^${queue}`) }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    }
  });

  test('the ingestion function drains the queue in large batches over the batching window and reports item failures', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: ref('KnowledgeBaseIngestionQueue', 'Arn'),
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 60,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Timeout: 60,
      Environment: {
        Variables: Match.objectLike({
          KNOWLEDGE_BASE_ID: ref('KnowledgeBaseB1C941BD', 'KnowledgeBaseId'),
          DATA_SOURCE_ID: ref('KnowledgeBaseDataSource', 'DataSourceId'),
          QUEUE_URL: { Ref: Match.stringLikeRegexp('^KnowledgeBaseIngestionQueue') },
          CHECK_DELAY_SECONDS: '120',
          MAX_CHECKS: '720',
          POWERTOOLS_SERVICE_NAME: 'ingest',
        }),
      },
    });
  });

  test('the ingestion function may start, read and list jobs of this knowledge base and send to its own queue only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^KnowledgeBaseIngestFunctionRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          // Consume (what the event source mapping does as the role) and send (its own checks), on its own queue only.
          {
            Effect: 'Allow',
            Action: ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage', 'sqs:SendMessage'],
            Resource: ref('KnowledgeBaseIngestionQueue', 'Arn'),
          },
          { Effect: 'Allow', Action: ['bedrock:GetIngestionJob', 'bedrock:ListIngestionJobs', 'bedrock:StartIngestionJob'], Resource: kbArn },
        ]),
      },
    });
  });

  test('tenant metadata: the ingestion function may check any key, write and remove sidecars only; it knows the bucket and its host', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          DOCUMENTS_BUCKET: { Ref: Match.stringLikeRegexp('^KnowledgeBaseDocuments') },
          DOCUMENTS_BUCKET_DOMAIN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KnowledgeBaseDocuments'), 'RegionalDomainName'] },
        }),
      },
    });
    const documents = ref('KnowledgeBaseDocuments', 'Arn');
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^KnowledgeBaseIngestFunctionRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Effect: 'Allow', Action: 's3:ListBucket', Resource: documents },
          { Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [documents, '/*']] } },
          { Effect: 'Allow', Action: ['s3:DeleteObject', 's3:PutObject'], Resource: { 'Fn::Join': ['', [documents, '/*.metadata.json']] } },
        ]),
      },
    });
  });

  test('the audience key stays filterable in the vector index (every Retrieve filters on it)', () => {
    const [index] = Object.values(template.findResources('AWS::S3Vectors::Index'));
    expect(index.Properties.MetadataConfiguration.NonFilterableMetadataKeys).not.toContain(AUDIENCE_KEY);
  });

  test('only the ingestion function may write or delete a sidecar: an explicit deny in the bucket policy (IAM simulation)', async () => {
    const cfn = template.toJSON() as CfnTemplate;
    const r = new TemplateResolver(cfn, 'Test');
    const [policyId] = Object.keys(
      template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: Match.stringLikeRegexp('^KnowledgeBaseDocuments') } } }),
    );
    const bucketPolicy = r.resolve(cfn.Resources[policyId].Properties!.PolicyDocument);
    const bucketArn = r.getAtt(Object.keys(template.findResources('AWS::S3::Bucket', { Properties: { VersioningConfiguration: Match.anyValue() } }))[0], 'Arn');
    const ingestRole = Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.startsWith('KnowledgeBaseIngestFunctionRole'))!;
    const ingestArn = r.getAtt(ingestRole, 'Arn');
    const adminArn = `arn:aws:iam::${ACCOUNT}:role/Administrator`;
    const admin: NamedPolicy[] = [{ name: 'AdministratorAccess', policy: { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }];
    const call = (principal: string, action: string, key: string) => ({
      action,
      resource: `${bucketArn}/${key}`,
      why: `${principal} ${action} ${key}`,
      context: { 'aws:PrincipalArn': principal },
      resourcePolicy: bucketPolicy,
    });
    const verdict = async (principal: string, policies: NamedPolicy[], action: string, key: string) =>
      (await evaluate(principal, policies, call(principal, action, key))).result;
    const ingest = rolePolicies(r, ingestRole);
    expect(await verdict(ingestArn, ingest, 's3:PutObject', 'tenants/acme/x.pdf.metadata.json')).toBe('Allowed');
    expect(await verdict(ingestArn, ingest, 's3:DeleteObject', 'x.pdf.metadata.json')).toBe('Allowed');
    expect(await verdict(ingestArn, ingest, 's3:PutObject', 'tenants/acme/x.pdf')).toBe('ImplicitlyDenied');
    // An administrator uploads documents, but cannot claim an audience for one.
    expect(await verdict(adminArn, admin, 's3:PutObject', 'tenants/acme/x.pdf')).toBe('Allowed');
    expect(await verdict(adminArn, admin, 's3:PutObject', 'tenants/acme/x.pdf.metadata.json')).toBe('ExplicitlyDenied');
    expect(await verdict(adminArn, admin, 's3:DeleteObjectVersion', 'x.pdf.metadata.json')).toBe('ExplicitlyDenied');
  });

  test('no demo content: nothing is uploaded or ingested at deploy', () => {
    template.resourceCountIs('Custom::CDKBucketDeployment', 0);
    template.resourceCountIs('Custom::AWS', 0);
  });

  test('S3 log delivery writes the access logs through the log bucket policy, for the documents bucket of this account only', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^KnowledgeBaseAccessLogs') },
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [ref('KnowledgeBaseAccessLogs', 'Arn'), '/documents/*']] },
            Condition: { ArnLike: { 'aws:SourceArn': ref('KnowledgeBaseDocuments', 'Arn') }, StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ]),
      },
    });
  });
  test('a failed ingestion job raises an alarm (threshold 1) on the metric the function emits', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'GenAiBlueprint',
      MetricName: 'IngestionJobsFailed',
      Dimensions: [
        { Name: 'KnowledgeBaseId', Value: ref('KnowledgeBaseB1C941BD', 'KnowledgeBaseId') },
        { Name: 'service', Value: 'ingest' },
      ],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
    expect(kb.metricIngestionJobsFailed().metricName).toBe('IngestionJobsFailed');
  });

  test.each([
    ['AwsSolutions', new AwsSolutionsChecks()],
    ['Serverless', new ServerlessChecks()],
  ])('cdk-nag %s pack: no unacknowledged finding on a stack holding only this construct', (_pack, checks) => {
    const { stack: alone } = build();
    const findings = checks.validateScope(alone).violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
  });
});

describe('KnowledgeBase with a corpus (corpusPath)', () => {
  const { template } = build({ corpusPath: BLUEPRINT_CORPUS });

  test('at deploy: every corpus document is uploaded with its shared sidecar; the deployment may write them, nobody else but ingestion', () => {
    const [deployment] = Object.values(template.findResources('Custom::CDKBucketDeployment'));
    // The corpus asset, and one sidecar per document (Source.data).
    const documents = fs.readdirSync(BLUEPRINT_CORPUS).length;
    expect(deployment.Properties.SourceObjectKeys).toHaveLength(1 + documents);
    expect(sidecarBody('blueprint/01-overview.md')).toBe('{"metadataAttributes":{"audience":"shared"}}');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^KnowledgeBaseDocuments') },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'OnlyIngestionWritesDocumentMetadata',
            Effect: 'Deny',
            Condition: {
              ArnNotEquals: {
                'aws:PrincipalArn': [ref('KnowledgeBaseIngestFunctionRole', 'Arn'), ref('CustomCDKBucketDeployment', 'Arn')],
              },
            },
          }),
        ]),
      },
    });
  });

  test('at deploy: the corpus is uploaded under blueprint/, then a custom resource starts an ingestion job on create and on update', () => {
    template.hasResourceProperties('Custom::CDKBucketDeployment', { DestinationBucketKeyPrefix: 'blueprint/', Prune: true });
    const [[id, resource]] = Object.entries(template.findResources('Custom::AWS'));
    expect(id).toMatch(/^KnowledgeBaseCorpusIngestion/);
    expect(resource.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^KnowledgeBaseCorpusDeploymentCustomResource/)]));
    const create = JSON.stringify(resource.Properties.Create);
    expect(create).toContain('\\"service\\":\\"bedrock-agent\\",\\"action\\":\\"startIngestionJob\\"');
    expect(create).toContain('KnowledgeBaseId');
    expect(create).toContain('DataSourceId');
    expect(JSON.stringify(resource.Properties.Update)).toBe(create);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('CorpusIngestionCustomResourcePolicy'),
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'bedrock:StartIngestionJob', Resource: kbArn }] },
    });
  });

  test.each([
    ['AwsSolutions', new AwsSolutionsChecks()],
    ['Serverless', new ServerlessChecks()],
  ])('cdk-nag %s pack: no unacknowledged finding (the deployment functions aws-cdk-lib provides included)', (_pack, checks) => {
    const { stack } = build({ corpusPath: BLUEPRINT_CORPUS });
    const findings = checks.validateScope(stack).violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
  });
});

describe('KnowledgeBase in a fresh App (no feature flags, no context)', () => {
  test('builds: access logs are granted through the bucket policy, never the LogDeliveryWrite ACL that ACL-less buckets reject', () => {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Fresh');
    new KnowledgeBase(stack, 'KnowledgeBase', { embeddingModel: TITAN });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^KnowledgeBaseAccessLogs') },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject' })]) },
    });
    expect(Object.values(template.findResources('AWS::S3::Bucket')).map((b) => b.Properties.AccessControl)).toEqual([undefined, undefined]);
  });
});

describe('KnowledgeBase chunking strategies', () => {
  test.each([
    [
      { strategy: 'fixed', maxTokens: 512, overlapPercentage: 10 } as const,
      { ChunkingStrategy: 'FIXED_SIZE', FixedSizeChunkingConfiguration: { MaxTokens: 512, OverlapPercentage: 10 } },
    ],
    [
      { strategy: 'hierarchical', parentMaxTokens: 1500, childMaxTokens: 300, overlapTokens: 60 } as const,
      {
        ChunkingStrategy: 'HIERARCHICAL',
        HierarchicalChunkingConfiguration: { LevelConfigurations: [{ MaxTokens: 1500 }, { MaxTokens: 300 }], OverlapTokens: 60 },
      },
    ],
    [
      { strategy: 'semantic', maxTokens: 300, bufferSize: 1, breakpointPercentileThreshold: 95 } as const,
      { ChunkingStrategy: 'SEMANTIC', SemanticChunkingConfiguration: { MaxTokens: 300, BufferSize: 1, BreakpointPercentileThreshold: 95 } },
    ],
    [{ strategy: 'none' } as const, { ChunkingStrategy: 'NONE' }],
  ])('%o', (chunking, expected) => {
    const { template } = build({ chunking });
    template.hasResourceProperties('AWS::Bedrock::DataSource', { VectorIngestionConfiguration: { ChunkingConfiguration: Match.exact(expected) } });
  });

  test('a chunking change renames the data source (its replacement cannot share the old name)', () => {
    const name = (chunking: KnowledgeBaseProps['chunking']) =>
      Object.values(build({ chunking }).template.findResources('AWS::Bedrock::DataSource'))[0].Properties.Name;
    expect(name({ strategy: 'none' })).not.toEqual(name({ strategy: 'fixed', maxTokens: 300, overlapPercentage: 20 }));
    expect(name({ strategy: 'none' })).toEqual(name({ strategy: 'none' }));
  });
});

describe('KnowledgeBase settings', () => {
  test('dimensions and batching window reach the index, the knowledge base and the event source', () => {
    const { template } = build({ dimensions: 512, ingestionBatchWindow: Duration.seconds(120) });
    template.hasResourceProperties('AWS::S3Vectors::Index', { Dimension: 512 });
    template.hasResourceProperties('AWS::Bedrock::KnowledgeBase', {
      KnowledgeBaseConfiguration: {
        VectorKnowledgeBaseConfiguration: { EmbeddingModelConfiguration: { BedrockEmbeddingModelConfiguration: { Dimensions: 512 } } },
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { MaximumBatchingWindowInSeconds: 120, BatchSize: 1000 });
  });

  test('a zero batching window falls back to the batch size Lambda allows without one', () => {
    const { template } = build({ ingestionBatchWindow: Duration.seconds(0) });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 10, MaximumBatchingWindowInSeconds: Match.absent() });
  });

  test('token values (CfnParameter) are not validated at synth', () => {
    const stack = new Stack(new App({ context: CDK_JSON_CONTEXT }), 'Tokens');
    const dims = new CfnParameter(stack, 'Dims', { type: 'Number' }).valueAsNumber;
    const maxTokens = new CfnParameter(stack, 'MaxTokens', { type: 'Number' }).valueAsNumber;
    const window = new CfnParameter(stack, 'Window', { type: 'Number' }).valueAsNumber;
    expect(
      () =>
        new KnowledgeBase(stack, 'KnowledgeBase', {
          embeddingModel: TITAN,
          dimensions: dims,
          chunking: { strategy: 'fixed', maxTokens, overlapPercentage: 20 },
          ingestionBatchWindow: Duration.seconds(window),
        }),
    ).not.toThrow();
    Template.fromStack(stack).hasResourceProperties('AWS::S3Vectors::Index', { Dimension: { Ref: 'Dims' } });
  });
});

describe('KnowledgeBase validation', () => {
  test.each<[string, Partial<KnowledgeBaseProps>, RegExp]>([
    [
      'fails when dimensions is not one the model produces',
      { dimensions: 768 },
      /^dimensions must be one of 256, 512, 1024 for amazon\.titan-embed-text-v2:0, got 768$/,
    ],
    [
      'fails when the vector store is OpenSearch Serverless (not built yet)',
      { vectorStore: 'opensearch-serverless' },
      /^vectorStore 'opensearch-serverless' is not built yet; use 's3-vectors'$/,
    ],
    [
      'fails when fixed maxTokens is 0',
      { chunking: { strategy: 'fixed', maxTokens: 0, overlapPercentage: 20 } },
      /^chunking\.maxTokens must be an integer between 1 and 8192, got 0$/,
    ],
    [
      'fails when overlapPercentage is 100',
      { chunking: { strategy: 'fixed', maxTokens: 300, overlapPercentage: 100 } },
      /^chunking\.overlapPercentage must be an integer between 1 and 99, got 100$/,
    ],
    [
      'fails when the hierarchical child is not smaller than the parent',
      { chunking: { strategy: 'hierarchical', parentMaxTokens: 300, childMaxTokens: 300, overlapTokens: 60 } },
      /^chunking\.childMaxTokens must be below chunking\.parentMaxTokens \(300\), got 300$/,
    ],
    [
      'fails when the semantic breakpoint threshold is below 50',
      { chunking: { strategy: 'semantic', maxTokens: 300, bufferSize: 0, breakpointPercentileThreshold: 40 } },
      /^chunking\.breakpointPercentileThreshold must be an integer between 50 and 99, got 40$/,
    ],
    [
      'fails when the batching window is over 300 s',
      { ingestionBatchWindow: Duration.minutes(6) },
      /^ingestionBatchWindow \(seconds\) must be an integer between 0 and 300, got 360$/,
    ],
    [
      'fails when the check interval is over 900 s',
      { ingestionCheckInterval: Duration.minutes(20) },
      /^ingestionCheckInterval \(seconds\) must be an integer between 60 and 900, got 1200$/,
    ],
  ])('%s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});
