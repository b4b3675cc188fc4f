import { createHash } from 'node:crypto';
import { ArnFormat, Duration, Fn, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import { Agent } from '../constructs/agent/agent';
import { KnowledgeBase } from '../constructs/knowledge-base/knowledge-base';
import { PredictiveMl } from '../constructs/predictive-ml/predictive-ml';
import type { IRegulatedControl } from './control';

/** The packs whose findings this module acknowledges (rule ids are `<pack>-<rule>`). */
const PACKS = ['NIST.800.53.R5', 'HIPAA.Security'] as const;

/** How long a version that is no longer current is kept in a bucket this profile versions. */
export const NONCURRENT_VERSION_DAYS = 30;

/** The AWS managed policies of the backup role (AWS Backup Developer Guide, "Default service role"). */
const BACKUP_MANAGED_POLICIES = ['service-role/AWSBackupServiceRolePolicyForBackup', 'AWSBackupServiceRolePolicyForS3Backup'] as const;

/**
 * The resources of the regulated profile's data controls in one stack, created on first need:
 * a key for CloudWatch Logs, a key for data at rest (buckets, tables, backups), and an AWS Backup plan.
 * Queues and topics have a key of their own (messaging.ts).
 * One per stack (`RegulatedData.of(scope)`), at the stack's root under the id `RegulatedData`.
 */
export class RegulatedData extends Construct {
  /** The stack's instance, created on first call. */
  public static of(scope: IConstruct): RegulatedData {
    const stack = Stack.of(scope);
    return (stack.node.tryFindChild(REGULATED_DATA_ID) as RegulatedData | undefined) ?? new RegulatedData(stack, REGULATED_DATA_ID);
  }

  /** Whether `node` is one of the constructs this class created (the controls leave them alone). */
  public static owns(node: IConstruct): boolean {
    return node.node.scopes.some((s) => s instanceof RegulatedData);
  }

  private logsKeyValue?: kms.Key;
  private dataKeyValue?: kms.Key;
  private tableStatementsAdded = false;
  private bedrockStatementsAdded = false;
  private readonly backedUp: string[] = [];
  private selection?: backup.CfnBackupSelection;

  private constructor(scope: Stack, id: string) {
    super(scope, id);
  }

  /**
   * The key of every log group of the stack. Its policy is the one the CloudWatch Logs User Guide
   * gives ("Encrypt log data in CloudWatch Logs using AWS KMS",
   * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html): the account
   * (IAM decides for its principals) and the Regional CloudWatch Logs service principal, limited by
   * the encryption context CloudWatch Logs sends to log groups of this account and Region.
   */
  public get logsKey(): kms.Key {
    if (!this.logsKeyValue) {
      const stack = Stack.of(this);
      const key = new kms.Key(this, 'LogsKey', { description: 'genai-blueprint regulated profile: CloudWatch Logs log groups', enableKeyRotation: true });
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
          actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
          resources: ['*'],
          conditions: {
            ArnLike: {
              'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
                service: 'logs',
                resource: 'log-group',
                resourceName: '*',
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
            },
          },
        }),
      );
      this.logsKeyValue = key;
    }
    return this.logsKeyValue;
  }

  /**
   * The key of data at rest: the buckets it is the default key of, the tables (`tableKey`), and the backup vault.
   *
   * Who may read a bucket is IAM's and the bucket policy's decision, made before this profile runs
   * (`bucket.grantRead(...)`, Bedrock's service role, BucketDeployment, users who upload documents):
   * rather than finding every such principal and adding a key grant beside each S3 grant, the key
   * policy lets any principal of this account use the key through S3 in this Region only, the policy
   * of the AWS managed key aws/s3 (AWS KMS Developer Guide, "AWS managed keys"). A principal thus
   * reads an object exactly when S3 lets it; the key adds rotation we control, a key policy and
   * CloudTrail records of each use, and no one can use it outside S3 without an IAM grant.
   */
  public get dataKey(): kms.Key {
    if (!this.dataKeyValue) {
      const stack = Stack.of(this);
      const key = new kms.Key(this, 'DataKey', { description: 'genai-blueprint regulated profile: buckets, tables and backups', enableKeyRotation: true });
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowThroughS3ForThisAccount',
          principals: [new iam.AnyPrincipal()],
          actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:CallerAccount': stack.account, 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
        }),
      );
      this.dataKeyValue = key;
    }
    return this.dataKeyValue;
  }

  /**
   * The data key, usable through DynamoDB as well: the key policy the DynamoDB Developer Guide gives
   * for a customer managed key ("Encryption at rest: How it works", key policy): principals of this
   * account through DynamoDB in this Region (`kms:ViaService` dynamodb, `kms:CallerAccount`), with
   * kms:CreateGrant because DynamoDB keeps a grant per table and replica; and DynamoDB's service
   * principal may read the key's metadata and grants (it checks the key is usable). As for S3, who
   * reads a table is IAM's decision (`table.grantReadData(...)`): the key adds no grant beside it.
   */
  public get tableKey(): kms.Key {
    const key = this.dataKey;
    if (!this.tableStatementsAdded) {
      const stack = Stack.of(this);
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowThroughDynamoDbForThisAccount',
          principals: [new iam.AnyPrincipal()],
          actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant', 'kms:DescribeKey'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:CallerAccount': stack.account, 'kms:ViaService': `dynamodb.${stack.region}.amazonaws.com` } },
        }),
      );
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowDynamoDbToDescribeTheKey',
          principals: [new iam.ServicePrincipal('dynamodb.amazonaws.com')],
          actions: ['kms:DescribeKey', 'kms:ListGrants'],
          resources: ['*'],
        }),
      );
      this.tableStatementsAdded = true;
    }
    return key;
  }

  /**
   * The data key, usable by Amazon Bedrock for the knowledge base's data source, the agent, the
   * guardrail and the prompts (BEDROCK_ENCRYPTION). Two statements:
   * - Bedrock's service principal, for resources of this account only (`aws:SourceAccount`):
   *   kms:GenerateDataKey, kms:Decrypt and kms:DescribeKey, the statement the Bedrock User Guide
   *   gives for prompts ("Prerequisites for prompt management",
   *   https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-management-prereq.html) and for
   *   agents ("Encryption of agent resources",
   *   https://docs.aws.amazon.com/bedrock/latest/userguide/encryption-agents.html).
   * - Principals of this account through Bedrock in this Region (`kms:ViaService`,
   *   `kms:CallerAccount`, as for S3 and DynamoDB): the callers whose key permissions the guides ask
   *   for, who create guardrails, agents and prompts (CloudFormation's role: kms:Decrypt,
   *   GenerateDataKey, DescribeKey, CreateGrant, "guardrail creators" in
   *   https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-kms.html) and who
   *   use them (GetPrompt, ApplyGuardrail or Converse with a guardrail, InvokeAgent: kms:Decrypt).
   *   Who may call those is IAM's decision on the Bedrock action, made before this profile runs, so
   *   no role needs a key grant beside it, and no one uses the key outside Bedrock without one.
   * The roles Bedrock assumes itself get their grant from BEDROCK_ENCRYPTION.
   */
  public get bedrockKey(): kms.Key {
    const key = this.dataKey;
    if (!this.bedrockStatementsAdded) {
      const stack = Stack.of(this);
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowBedrockForThisAccount',
          principals: [new iam.ServicePrincipal('bedrock.amazonaws.com')],
          actions: ['kms:GenerateDataKey', 'kms:Decrypt', 'kms:DescribeKey'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
        }),
      );
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowThroughBedrockForThisAccount',
          principals: [new iam.AnyPrincipal()],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey', 'kms:CreateGrant'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:CallerAccount': stack.account, 'kms:ViaService': `bedrock.${stack.region}.amazonaws.com` } },
        }),
      );
      this.bedrockStatementsAdded = true;
    }
    return key;
  }

  /** Adds `resourceArn` (a table or a bucket) to the stack's daily backup. */
  public backUp(resourceArn: string): void {
    if (!this.selection) this.selection = this.createBackupPlan();
    this.backedUp.push(resourceArn);
  }

  /**
   * A daily backup (AWS Backup's daily rule: 05:00 UTC, kept 35 days) into a vault encrypted with
   * the data key. The vault is retained (it holds the recovery points, which must outlive the stack),
   * so it is named with the stack's creation id: the same through every update (going up a ground
   * keeps the vault), new for every create of the stack (no clash with the vault a destroyed stack
   * left). The plan is named the same way, so two stacks of one account never share a plan name.
   */
  private createBackupPlan(): backup.CfnBackupSelection {
    const stackUuid = Fn.select(2, Fn.split('/', Stack.of(this).stackId));
    const vault = new backup.BackupVault(this, 'BackupVault', {
      backupVaultName: Fn.join('-', ['backup', stackUuid]),
      encryptionKey: this.dataKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const plan = new backup.BackupPlan(this, 'BackupPlan', {
      backupPlanName: Fn.join('-', ['daily', stackUuid]),
      backupVault: vault,
      backupPlanRules: [backup.BackupPlanRule.daily()],
    });
    const role = new iam.Role(this, 'BackupRole', {
      description: 'AWS Backup: backs up the tables and buckets of the regulated profile',
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      managedPolicies: BACKUP_MANAGED_POLICIES.map((name) => iam.ManagedPolicy.fromAwsManagedPolicyName(name)),
    });
    Validations.of(role).acknowledge(
      ...BACKUP_MANAGED_POLICIES.map((name) => ({
        id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`,
        reason:
          'The AWS managed policies AWS Backup documents for its service role; AWS keeps them current with the services it backs up ' +
          '(a copy of ours would fall behind); the role is assumable by backup.amazonaws.com only',
      })),
    );
    // Resources are listed as the aspect meets them: the list is read when the template is written.
    // Every property of a selection is create-only, so a new list (a ground's new table) replaces it:
    // CloudFormation creates the new selection before it deletes the old one, in the same plan, where
    // a selection's name must be unique. The name therefore changes with the list (a hash of the
    // resolved, sorted resources), and stays the same while the list does.
    return new backup.CfnBackupSelection(this, 'BackupSelection', {
      backupPlanId: plan.backupPlanId,
      backupSelection: {
        selectionName: Lazy.uncachedString({ produce: (context) => backupSelectionName(this.backedUp.map((arn) => context.resolve(arn))) }),
        iamRoleArn: role.roleArn,
        resources: Lazy.list({ produce: () => [...this.backedUp] }),
      },
    });
  }
}

const REGULATED_DATA_ID = 'RegulatedData';

/** The backup selection's name for `resources` (as the template has them): the same for the same set, in any order. */
export function backupSelectionName(resources: readonly unknown[]): string {
  const sorted = resources.map((r) => JSON.stringify(r)).sort();
  return `TablesAndBuckets-${createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 12)}`;
}

/** Acknowledges `rule` of both packs on `node`, with `reason`. */
function acknowledge(node: IConstruct, rule: string, reason: string): void {
  Validations.of(node).acknowledge(...PACKS.map((pack) => ({ id: `${pack}-${rule}`, reason })));
}

/** Whether `bucket` receives the server access logs of another bucket of its stack. */
function isAccessLogTarget(bucket: s3.CfnBucket): boolean {
  const stack = Stack.of(bucket);
  const logicalId = stack.getLogicalId(bucket);
  return stack.node.findAll().some((c) => {
    if (!(c instanceof s3.CfnBucket) || c === bucket || !c.loggingConfiguration) return false;
    // L1 properties resolve in their camelCase form (CloudFormation's names are given at rendering).
    const target = stack.resolve(c.loggingConfiguration) as { destinationBucketName?: unknown } | undefined;
    return JSON.stringify(target?.destinationBucketName) === JSON.stringify({ Ref: logicalId });
  });
}

/** What a bucket of the blueprint holds, for the acknowledgements that depend on it. */
interface BucketContents {
  /** Why it is not replicated to a second Region (S3BucketReplicationEnabled). */
  readonly noReplication: string;
}

const ACCESS_LOGS: BucketContents = {
  noReplication:
    'S3 server access logs of a bucket of this stack: best-effort delivery records (the S3 User Guide says logs may be lost or late), ' +
    'never a recovery source; versioned and kept a year here. An organisation that keeps a second copy of logs does so in its ' +
    'log-archive account, not per stack',
};

/** The blueprint's own buckets, by the construct that owns them; a bucket not listed keeps its findings for a person to judge. */
function contentsOf(bucket: s3.CfnBucket): BucketContents | undefined {
  if (isAccessLogTarget(bucket)) return ACCESS_LOGS;
  const owner = bucket.node.scope?.node.scope;
  if (owner instanceof KnowledgeBase && owner.documentsBucket.node.defaultChild === bucket) {
    return {
      noReplication:
        'The knowledge base documents: the corpus the blueprint ships (uploaded again by every deploy) and the documents users add. ' +
        'Recovery is in this Region: versioning (every overwrite and delete can be undone) and a daily AWS Backup recovery point ' +
        '(this profile). A second Region is a disaster-recovery decision of the deployer (Region, key and role there), not a default',
    };
  }
  if (owner instanceof PredictiveMl && owner.dataBucket.node.defaultChild === bucket) {
    return {
      noReplication:
        'Training data (the dataset the blueprint ships, uploaded again by every deploy, and files users add), model artifacts the ' +
        'pipeline re-creates from it, and captured endpoint requests. Recovery is in this Region: versioning and a daily AWS Backup ' +
        'recovery point (this profile). A second Region is a disaster-recovery decision of the deployer, not a default',
    };
  }
  return undefined;
}

/** Whether S3 encrypts new objects of `bucket` with a KMS key by default. */
function encryptedWithKms(bucket: s3.CfnBucket): boolean {
  const encryption = Stack.of(bucket).resolve(bucket.bucketEncryption) as
    { serverSideEncryptionConfiguration?: { serverSideEncryptionByDefault?: { sseAlgorithm?: string } }[] } | undefined;
  const rules = encryption?.serverSideEncryptionConfiguration ?? [];
  return rules.length > 0 && rules.every((r) => r.serverSideEncryptionByDefault?.sseAlgorithm?.startsWith('aws:kms'));
}

function versioned(bucket: s3.CfnBucket): boolean {
  const config = Stack.of(bucket).resolve(bucket.versioningConfiguration) as { status?: string } | undefined;
  return config?.status === 'Enabled';
}

/** Whether a lifecycle rule of `bucket` expires noncurrent versions. */
function expiresNoncurrentVersions(bucket: s3.CfnBucket): boolean {
  const config = Stack.of(bucket).resolve(bucket.lifecycleConfiguration) as
    { rules?: { status?: string; noncurrentVersionExpiration?: unknown; noncurrentVersionExpirationInDays?: unknown }[] } | undefined;
  return (config?.rules ?? []).some(
    (r) => r.status !== 'Disabled' && (r.noncurrentVersionExpiration !== undefined || r.noncurrentVersionExpirationInDays !== undefined),
  );
}

/**
 * Lets noncurrent versions expire after NONCURRENT_VERSION_DAYS, so that a versioned bucket's storage stays bounded:
 * without a rule S3 keeps every overwritten or deleted object's version for ever. `LifecycleConfiguration` updates
 * without interruption (CloudFormation, AWS::S3::Bucket).
 */
function expireNoncurrentVersions(bucket: s3.CfnBucket): void {
  const rule = { noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS), expiredObjectDeleteMarker: true };
  const l2 = bucket.node.scope;
  if (l2 instanceof s3.Bucket && l2.node.defaultChild === bucket) {
    l2.addLifecycleRule(rule);
    return;
  }
  const existing = (Stack.of(bucket).resolve(bucket.lifecycleConfiguration) as { rules?: unknown[] } | undefined)?.rules ?? [];
  bucket.lifecycleConfiguration = {
    rules: [
      ...(existing as s3.CfnBucket.RuleProperty[]),
      { status: 'Enabled', noncurrentVersionExpiration: { noncurrentDays: NONCURRENT_VERSION_DAYS }, expiredObjectDeleteMarker: true },
    ],
  };
}

/**
 * CloudWatchLogGroupEncrypted: every log group without a key gets the stack's logs key. The log
 * group names the key by `Fn::GetAtt` of its ARN, so CloudFormation creates it only once the key,
 * and the key policy (a property of the key), exist: CloudWatch Logs checks that it may use the key
 * when the log group is created.
 */
export const LOG_GROUP_ENCRYPTION: IRegulatedControl = {
  rules: ['CloudWatchLogGroupEncrypted'],
  visit(node) {
    if (!(node instanceof logs.CfnLogGroup) || node.kmsKeyId !== undefined || RegulatedData.owns(node)) return;
    node.kmsKeyId = RegulatedData.of(node).logsKey.keyArn;
  },
};

/**
 * S3DefaultEncryptionKMS, S3BucketVersioningEnabled, S3BucketReplicationEnabled: buckets default
 * to the stack's data key (S3 Bucket Keys on, so S3 asks KMS once per bucket key rather than per
 * object), are versioned, noncurrent versions expire after NONCURRENT_VERSION_DAYS unless a rule
 * of the bucket expires them already (whoever turned versioning on), and the
 * blueprint's buckets carry the reason they are not replicated to a second Region.
 *
 * A bucket that receives server access logs keeps S3-managed keys: the S3 User Guide ("Enabling
 * Amazon S3 server access logging") allows default encryption on the destination bucket only with
 * SSE-S3 (AES-256) and says SSE-KMS is not supported. Its S3DefaultEncryptionKMS finding is
 * acknowledged on that bucket alone.
 */
export const BUCKET_PROTECTION: IRegulatedControl = {
  rules: ['S3DefaultEncryptionKMS', 'S3BucketVersioningEnabled', 'S3BucketReplicationEnabled'],
  visit(node) {
    if (!(node instanceof s3.CfnBucket) || RegulatedData.owns(node)) return;
    const contents = contentsOf(node);
    if (contents === ACCESS_LOGS) {
      acknowledge(
        node,
        'S3DefaultEncryptionKMS',
        'Receives S3 server access logs: the S3 User Guide ("Enabling Amazon S3 server access logging") allows default encryption ' +
          'on the destination bucket only with SSE-S3 (AES-256), which it keeps',
      );
    } else if (!encryptedWithKms(node)) {
      node.bucketEncryption = {
        serverSideEncryptionConfiguration: [
          { serverSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: RegulatedData.of(node).dataKey.keyArn }, bucketKeyEnabled: true },
        ],
      };
    }
    if (!versioned(node)) node.versioningConfiguration = { status: 'Enabled' };
    // Also on a bucket its block versioned without a rule (the knowledge-base documents, the PredictiveMl data).
    if (!expiresNoncurrentVersions(node)) expireNoncurrentVersions(node);
    if (contents && !node.replicationConfiguration) acknowledge(node, 'S3BucketReplicationEnabled', contents.noReplication);
  },
};

/**
 * DynamoDBInBackupPlan, and the buckets of user data: every table, and every bucket that does not
 * receive access logs, is in the stack's daily AWS Backup plan (S3 backups need versioning, which
 * BUCKET_PROTECTION turns on).
 */
export const BACKUP_PLAN: IRegulatedControl = {
  rules: ['DynamoDBInBackupPlan'],
  visit(node) {
    if (RegulatedData.owns(node)) return;
    if (node instanceof dynamodb.CfnTable) RegulatedData.of(node).backUp(node.attrArn);
    else if (node instanceof s3.CfnBucket && !isAccessLogTarget(node)) RegulatedData.of(node).backUp(node.attrArn);
  },
};

/** Whether `table` names a KMS key of its own (then it keeps it). */
function hasOwnTableKey(table: dynamodb.CfnTable): boolean {
  const sse = Stack.of(table).resolve(table.sseSpecification) as { kmsMasterKeyId?: unknown } | undefined;
  return sse?.kmsMasterKeyId !== undefined;
}

/**
 * Tables: every table without a key of its own is encrypted with the stack's data key (issue 14,
 * a customer managed key per data class; no rule of the two packs asks, DynamoDBInBackupPlan aside).
 * SSESpecification changes without interruption (CloudFormation: "Update requires: No
 * interruption"); DynamoDB re-encrypts the table in the background.
 */
export const TABLE_ENCRYPTION: IRegulatedControl = {
  rules: [],
  visit(node) {
    if (!(node instanceof dynamodb.CfnTable) || RegulatedData.owns(node) || hasOwnTableKey(node)) return;
    node.sseSpecification = { sseEnabled: true, sseType: 'KMS', kmsMasterKeyId: RegulatedData.of(node).tableKey.keyArn };
  },
};

/** Lets `role`, which Bedrock assumes to work with its resources, use the key as the guides ask of it. */
function grantBedrockRole(role: iam.IRole, key: kms.IKey, actions: string[]): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [key.keyArn] }));
}

/**
 * Bedrock resources on the data key instead of keys AWS owns (issue 14; no rule of the two packs
 * asks): the knowledge base's data source (`ServerSideEncryptionConfiguration.KmsKeyArn`: the
 * transient data of ingestion jobs), the agent (`CustomerEncryptionKeyArn`), the guardrail
 * (`KmsKeyArn`) and each prompt (`CustomerEncryptionKeyArn`), each only when it has no key of its
 * own. Every one of these properties updates without interruption (CloudFormation template
 * reference, "Update requires: No interruption", e.g. for the data source's key:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-bedrock-datasource-serversideencryptionconfiguration.html;
 * aws-service-spec marks none of them as causing replacement), so switching a deployed stack keeps
 * the knowledge base, the named agent and guardrail, and the prompts. The guardrail, agent alias
 * and prompt versions hash what decides their behaviour, not the key, so no new version is cut.
 *
 * The key policy is `RegulatedData.bedrockKey`'s. The roles Bedrock assumes call KMS as themselves,
 * so they get the identity statements the guides give: the knowledge base's service role
 * kms:GenerateDataKey and kms:Decrypt ("Encryption of transient data storage during data ingestion",
 * https://docs.aws.amazon.com/bedrock/latest/userguide/encryption-kb.html), the agent's service role
 * kms:GenerateDataKey and kms:Decrypt (the agent's own resources, and its guardrail during
 * inference: https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-kms.html).
 */
export const BEDROCK_ENCRYPTION: IRegulatedControl = {
  rules: [],
  visit(node) {
    if (RegulatedData.owns(node)) return;
    const stack = Stack.of(node);
    if (node instanceof bedrock.CfnDataSource) {
      const sse = stack.resolve(node.serverSideEncryptionConfiguration) as { kmsKeyArn?: unknown } | undefined;
      if (sse?.kmsKeyArn !== undefined) return;
      const key = RegulatedData.of(node).bedrockKey;
      node.serverSideEncryptionConfiguration = { kmsKeyArn: key.keyArn };
      const owner = node.node.scope;
      if (owner instanceof KnowledgeBase) grantBedrockRole(owner.serviceRole, key, ['kms:GenerateDataKey', 'kms:Decrypt']);
    } else if (node instanceof bedrock.CfnAgent) {
      if (node.customerEncryptionKeyArn !== undefined) return;
      const key = RegulatedData.of(node).bedrockKey;
      node.customerEncryptionKeyArn = key.keyArn;
      const owner = node.node.scope;
      if (owner instanceof Agent && owner.cfnAgent === node) grantBedrockRole(owner.serviceRole, key, ['kms:GenerateDataKey', 'kms:Decrypt']);
    } else if (node instanceof bedrock.CfnGuardrail) {
      if (node.kmsKeyArn === undefined) node.kmsKeyArn = RegulatedData.of(node).bedrockKey.keyArn;
    } else if (node instanceof bedrock.CfnPrompt) {
      if (node.customerEncryptionKeyArn === undefined) node.customerEncryptionKeyArn = RegulatedData.of(node).bedrockKey.keyArn;
    }
  },
};

/** The data controls, in the order the profile runs them (buckets are versioned before they are backed up). */
export const DATA_CONTROLS: readonly IRegulatedControl[] = [LOG_GROUP_ENCRYPTION, BUCKET_PROTECTION, TABLE_ENCRYPTION, BEDROCK_ENCRYPTION, BACKUP_PLAN];
