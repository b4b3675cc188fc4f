import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/**
 * The server access-log bucket of one data bucket: S3-managed
 * keys (log delivery cannot write to a KMS-encrypted target), SSL only, private, a year of logs,
 * kept when the stack goes.
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
