import type { Stack } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { findings, fixtureStack } from './fixture';

const RULE = 'KnowledgeBaseBucketTls';

function dataSourceOf(stack: Stack, bucket: s3.IBucket): void {
  new bedrock.CfnDataSource(stack, 'DataSource', {
    knowledgeBaseId: 'KB12345678',
    name: 'documents',
    dataSourceConfiguration: { type: 'S3', s3Configuration: { bucketArn: bucket.bucketArn } },
  });
}

describe(RULE, () => {
  test("fails for a knowledge base's document bucket whose policy does not deny aws:SecureTransport false", () => {
    const stack = fixtureStack();
    const bucket = new s3.Bucket(stack, 'Docs');
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], principals: [new iam.AccountRootPrincipal()], resources: [bucket.arnForObjects('*')] }),
    );
    dataSourceOf(stack, bucket);
    expect(findings(stack, RULE)).toEqual([`${RULE} @ Docs/Resource`]);
  });

  test('passes with enforceSSL (deny s3:* on the bucket and its objects without TLS); does not apply to other buckets', () => {
    const stack = fixtureStack();
    dataSourceOf(stack, new s3.Bucket(stack, 'Docs', { enforceSSL: true }));
    new s3.Bucket(stack, 'Unrelated');
    expect(findings(stack, RULE)).toEqual([]);
  });
});
