import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';

export interface DataTableProps {
  readonly partitionKey: string;
  /** @default no sort key */
  readonly sortKey?: string;
  /** @default no TTL */
  readonly timeToLiveAttribute?: string;
  /** @default unset (CloudFormation's default: off) */
  readonly deletionProtection?: boolean;
}

/**
 * A table of data callers created (sessions, feedback, tickets): on-demand, point-in-time
 * recovery, the AWS-managed key (aws/dynamodb: key use shows in CloudTrail, no key policy to get
 * wrong), string keys, and kept when the stack goes.
 */
export function dataTable(scope: Construct, id: string, props: DataTableProps): dynamodb.Table {
  return new dynamodb.Table(scope, id, {
    partitionKey: { name: props.partitionKey, type: dynamodb.AttributeType.STRING },
    ...(props.sortKey ? { sortKey: { name: props.sortKey, type: dynamodb.AttributeType.STRING } } : {}),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: props.timeToLiveAttribute,
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    deletionProtection: props.deletionProtection,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}
