import { CfnResource, Stack } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3express from 'aws-cdk-lib/aws-s3express';
import { NagRuleCompliance } from 'cdk-nag';
import { KnowledgeBaseBucketTls } from '../../lib/checks/rules/knowledge-base-bucket-tls';
import { findings, fixtureStack, judge } from './fixture';

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

describe(`${RULE}, judged on one bucket`, () => {
  /** A document bucket with one bucket policy statement; `changes` replace the TLS deny's fields. */
  function documentBucket(changes: Record<string, unknown> | undefined, policyOn?: 'other'): s3.CfnBucket {
    const stack = fixtureStack();
    const bucket = new s3.CfnBucket(stack, 'Docs');
    const other = new s3.CfnBucket(stack, 'Other');
    new bedrock.CfnDataSource(stack, 'DataSource', {
      knowledgeBaseId: 'KB12345678',
      name: 'documents',
      dataSourceConfiguration: { type: 'S3', s3Configuration: { bucketArn: bucket.attrArn } },
    });
    if (changes) {
      const statement = {
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [bucket.attrArn, `${bucket.attrArn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        ...changes,
      };
      new s3.CfnBucketPolicy(stack, 'Policy', { bucket: (policyOn === 'other' ? other : bucket).ref, policyDocument: { Statement: [statement] } });
    }
    return bucket;
  }

  test('passes for a deny of everyone without TLS on the objects, or on *; aws:SecureTransport as a string or a boolean', () => {
    for (const changes of [
      {},
      { Principal: { AWS: '*' } },
      { Action: ['s3:GetObject', 's3:PutObject'] },
      { Condition: { Bool: { 'aws:SecureTransport': false } } },
      { Resource: '*' },
    ]) {
      expect(judge(KnowledgeBaseBucketTls, documentBucket(changes))).toBe(NagRuleCompliance.COMPLIANT);
    }
  });

  test.each([
    ['no bucket policy', undefined],
    ['an Allow', { Effect: 'Allow' }],
    ['a deny of one account only', { Principal: { AWS: 'arn:aws:iam::111122223333:root' } }],
    ['a deny of reads only', { Action: 's3:GetObject' }],
    ['a deny of writes only', { Action: 's3:PutObject' }],
    ['a deny of requests with TLS', { Condition: { Bool: { 'aws:SecureTransport': 'true' } } }],
    ['a deny without condition key', { Condition: { Bool: { 'aws:ViaAWSService': 'false' } } }],
    ['a deny without condition', { Condition: undefined }],
    ['a deny on the bucket but not its objects', { Resource: { 'Fn::GetAtt': ['Docs', 'Arn'] } }],
    ['a deny on the objects of another bucket', { Resource: 'arn:aws:s3:::other/*' }],
  ])('fails with %s', (_, changes) => {
    expect(judge(KnowledgeBaseBucketTls, documentBucket(changes))).toBe(NagRuleCompliance.NON_COMPLIANT);
  });

  test('fails when the deny is in the policy of another bucket', () => {
    expect(judge(KnowledgeBaseBucketTls, documentBucket({}, 'other'))).toBe(NagRuleCompliance.NON_COMPLIANT);
  });

  test('does not apply to a bucket no data source reads, nor to other resources', () => {
    const bucket = documentBucket(undefined);
    const stack = Stack.of(bucket);
    expect(judge(KnowledgeBaseBucketTls, stack.node.findChild('Other') as s3.CfnBucket)).toBe(NagRuleCompliance.NOT_APPLICABLE);
    expect(judge(KnowledgeBaseBucketTls, stack.node.findChild('DataSource') as bedrock.CfnDataSource)).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });

  test('a bucket one of several data sources reads is a document bucket; with no data source, no bucket is', () => {
    const stack = fixtureStack();
    const docs = new s3.CfnBucket(stack, 'Docs');
    const other = new s3.CfnBucket(stack, 'Other');
    for (const [id, bucket] of [
      ['First', other],
      ['Second', docs],
    ] as const) {
      new bedrock.CfnDataSource(stack, id, {
        knowledgeBaseId: 'KB12345678',
        name: id,
        dataSourceConfiguration: { type: 'S3', s3Configuration: { bucketArn: bucket.attrArn } },
      });
    }
    expect(judge(KnowledgeBaseBucketTls, docs)).toBe(NagRuleCompliance.NON_COMPLIANT);
    const alone = new s3.CfnBucket(fixtureStack(), 'Alone');
    expect(judge(KnowledgeBaseBucketTls, alone)).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });

  test('does not apply to a resource of another type that a data source names as its bucket, and reads data sources without S3 configuration', () => {
    const stack = fixtureStack();
    const directory = new s3express.CfnDirectoryBucket(stack, 'Directory', { dataRedundancy: 'SingleAvailabilityZone', locationName: 'use1-az4--x-s3' });
    new bedrock.CfnDataSource(stack, 'DataSource', {
      knowledgeBaseId: 'KB12345678',
      name: 'documents',
      dataSourceConfiguration: { type: 'S3', s3Configuration: { bucketArn: directory.attrArn } },
    });
    new bedrock.CfnDataSource(stack, 'Web', {
      knowledgeBaseId: 'KB12345678',
      name: 'web',
      dataSourceConfiguration: { type: 'WEB', webConfiguration: { sourceConfiguration: { urlConfiguration: { seedUrls: [{ url: 'https://example.com' }] } } } },
    });
    // A template that CloudFormation would refuse (DataSourceConfiguration is required) is read without error.
    new CfnResource(stack, 'Bare', { type: 'AWS::Bedrock::DataSource', properties: { KnowledgeBaseId: 'KB12345678', Name: 'bare' } });
    expect(judge(KnowledgeBaseBucketTls, directory)).toBe(NagRuleCompliance.NOT_APPLICABLE);
    expect(judge(KnowledgeBaseBucketTls, new s3.CfnBucket(stack, 'Docs'))).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });
});
