import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/**
 * The server access-log bucket of one data bucket: S3-managed keys (log delivery cannot write to a
 * KMS-encrypted target), SSL only, private, a year of logs, kept when the stack goes.
 */
export function accessLogsBucket(scope: Construct, id: string): s3.Bucket {
  const bucket = new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    lifecycleRules: [{ expiration: Duration.days(365) }],
    removalPolicy: RemovalPolicy.RETAIN,
  });
  // No AwsSolutions-S1 acknowledgement: cdk-nag passes a bucket that receives another bucket's access logs.
  return bucket;
}

/**
 * Sends `source`'s server access logs into `logs` under `prefix`, and lets S3 log delivery write
 * them through `logs`' bucket policy, for `source` of this account only. Set here rather than with
 * the Bucket's `serverAccessLogsBucket`, which grants this so only under the
 * `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy` feature flag: without it (a fresh App) it turns
 * on the LogDeliveryWrite ACL, which a bucket with ACLs disabled (BUCKET_OWNER_ENFORCED) rejects.
 * The template is the one the flag gives.
 */
export function logAccessInto(source: s3.Bucket, logs: s3.Bucket, prefix: string): void {
  (source.node.defaultChild as s3.CfnBucket).loggingConfiguration = { destinationBucketName: logs.bucketName, logFilePrefix: prefix };
  logs.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
      actions: ['s3:PutObject'],
      resources: [logs.arnForObjects(`${prefix}*`)],
      conditions: { ArnLike: { 'aws:SourceArn': source.bucketArn }, StringEquals: { 'aws:SourceAccount': Stack.of(source).account } },
    }),
  );
}
