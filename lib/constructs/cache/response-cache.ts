import { createHash } from 'node:crypto';
import { Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { checkInteger } from '../shared/checks';
import { allowFromStably } from './stable-ingress';
import type { CacheConnectionEnvironment } from '../../../contracts/env';

/** The port of a serverless cache's endpoint (6380 is the reader endpoint, which nothing here uses). */
export const CACHE_PORT = 6379;

/**
 * What the application user may do: keys under `genai:` only (every key the exact and semantic
 * caches write, see lambda/shared/cache/keys.ts), and only the commands the iovalkey store sends:
 * - data: GET, SET (with EX), MGET, DEL, EXPIRE, LPUSH, LREM, LTRIM, LRANGE, in MULTI/EXEC/DISCARD;
 * - connection: PING, QUIT, INFO (iovalkey's ready check), CLUSTER (iovalkey's cluster mode reads
 *   CLUSTER SLOTS and CLUSTER INFO; `+cluster` rather than `+cluster|slots` because ElastiCache does
 *   not document subcommand rules in access strings, and serverless caches refuse every CLUSTER
 *   subcommand that changes the cluster anyway).
 * No scripting (EVAL), no key scans (KEYS, SCAN), no FLUSH*, no CONFIG, no pub/sub.
 */
export const DEFAULT_ACCESS_STRING =
  'on ~genai:* -@all +get +set +mget +del +expire +lpush +lrem +ltrim +lrange +multi +exec +discard +ping +quit +info +cluster';

/** The default user can neither log in (`off`) nor run anything (`-@all`); it has no key pattern. */
export const DISABLED_DEFAULT_ACCESS_STRING = 'off -@all';

export interface ResponseCacheProps {
  /** Network the cache lives in. */
  readonly vpc: ec2.IVpc;
  /** Subnets of the cache's endpoints, in at least two AZs. @default the VPC's PRIVATE_ISOLATED subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Most data the cache may hold, 1 to 5000 GB; writes beyond it evict. @default 1 */
  readonly maxDataStorageGb?: number;
  /** Most ElastiCache Processing Units per second, 1000 to 15,000,000; requests beyond it are throttled. @default 5000 */
  readonly maxEcpuPerSecond?: number;
  /** Daily snapshots kept, 1 to 35. @default 1 */
  readonly snapshotRetentionLimit?: number;
  /** Time of the daily snapshot, `HH:MM` in UTC. @default '03:00' */
  readonly dailySnapshotTime?: string;
  /** Valkey major version. @default '8' */
  readonly majorEngineVersion?: string;
  /** ACL of the IAM-authenticated application user. @default DEFAULT_ACCESS_STRING */
  readonly accessString?: string;
  /** Key for data at rest. @default an AWS-owned key (the cache is always encrypted at rest) */
  readonly encryptionKey?: kms.IKey;
}

/** A response cache functions connect to: the `ResponseCache` construct, or one imported (`ResponseCache.fromResponseCacheAttributes`). */
export interface IResponseCache extends ec2.IConnectable {
  /** Name of the serverless cache (the `clusterId` dimension of its metrics). */
  readonly cacheName: string;
  /**
   * Lets `fn` (a function in the cache's VPC) use the cache: TCP 6379 from its security groups,
   * `elasticache:Connect` on the cache and the user, and CACHE_* in its environment.
   */
  grantConnect(fn: lambda.Function): iam.Grant;
  /** A metric of this cache from `AWS/ElastiCache`. */
  metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /** Share of reads that found a key, 0 to 1. */
  metricHitRate(props?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression;
  /** ElastiCache Processing Units consumed. */
  metricEcpu(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

export interface ResponseCacheAttributes {
  /** Name of the serverless cache. */
  readonly cacheName: string;
  /** ARN of the serverless cache. */
  readonly cacheArn: string;
  /** Address and port of its endpoint. */
  readonly endpointAddress: string;
  /** @default '6379' */
  readonly endpointPort?: string;
  /** The IAM-authenticated user functions connect as (its id equals its user name). */
  readonly userId: string;
  /** ARN of that user. */
  readonly userArn: string;
  /** The cache's security group: granted functions get an ingress rule into it. */
  readonly securityGroup: ec2.ISecurityGroup;
}

abstract class ResponseCacheBase extends Construct implements IResponseCache {
  public abstract readonly cacheName: string;
  public abstract readonly userId: string;
  public abstract readonly connections: ec2.Connections;
  protected abstract readonly ingressGroup: ec2.ISecurityGroup;
  protected abstract readonly cacheArn: string;
  protected abstract readonly userArn: string;
  protected abstract readonly endpointAddress: string;
  protected abstract readonly endpointPort: string;

  /**
   * Lets `fn` (a function in the cache's VPC) use the cache: TCP 6379 from its security groups,
   * `elasticache:Connect` on the cache and the user (IAM authentication checks both), and
   * CACHE_ENDPOINT, CACHE_PORT, CACHE_NAME and CACHE_USER_ID in its environment.
   */
  public grantConnect(fn: lambda.Function): iam.Grant {
    if (!fn.isBoundToVpc) {
      throw new Error(`grantConnect needs a function in the cache's VPC, got ${fn.node.path} which has no VPC configuration`);
    }
    allowFromStably(this.ingressGroup, fn, CACHE_PORT, 'Valkey over TLS from a granted function');
    const grant = iam.Grant.addToPrincipal({
      grantee: fn,
      actions: ['elasticache:Connect'],
      resourceArns: [this.cacheArn, this.userArn],
    });
    const environment: CacheConnectionEnvironment = {
      CACHE_ENDPOINT: this.endpointAddress,
      CACHE_PORT: this.endpointPort,
      CACHE_NAME: this.cacheName,
      CACHE_USER_ID: this.userId,
    };
    for (const [name, value] of Object.entries(environment)) fn.addEnvironment(name, value);
    return grant;
  }

  /** A metric of this cache from `AWS/ElastiCache` (serverless caches use the `clusterId` dimension). */
  public metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/ElastiCache',
      metricName,
      dimensionsMap: { clusterId: this.cacheName },
      period: Duration.minutes(5),
      statistic: cloudwatch.Stats.SUM,
      ...props,
    });
  }

  /** Share of reads that found a key, 0 to 1: CacheHits / (CacheHits + CacheMisses). */
  public metricHitRate(props: cloudwatch.MathExpressionOptions = {}): cloudwatch.MathExpression {
    const period = props.period ?? Duration.minutes(5);
    return new cloudwatch.MathExpression({
      // IF avoids a division by zero (no reads in the period) showing as a gap or an error.
      expression: 'IF((hits + misses) > 0, hits / (hits + misses), 0)',
      usingMetrics: {
        hits: this.metric('CacheHits', { period }),
        misses: this.metric('CacheMisses', { period }),
      },
      label: 'Cache hit rate',
      ...props,
      period,
    });
  }

  /** ElastiCache Processing Units consumed (what a serverless cache bills and throttles on). */
  public metricEcpu(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.metric('ElastiCacheProcessingUnits', props);
  }
}

/**
 * Ground 5: an ElastiCache Serverless (Valkey) cache for the exact-match and semantic response
 * caches.
 *
 * - In transit: serverless caches accept TLS connections only (there is no setting to turn it
 *   off); clients connect with `tls: true`.
 * - Authentication: RBAC with a user group holding an IAM-authenticated application user and a
 *   disabled replacement of the `default` user, so no connection can act without an IAM token.
 * - Network: its own security group with no ingress except TCP 6379 from functions granted
 *   `grantConnect`, and nothing out.
 * - Cost and abuse bounds: storage and ECPU maxima; a daily snapshot.
 */
export class ResponseCache extends ResponseCacheBase {
  /** A serverless cache created elsewhere, for functions to connect to (IAM authentication, as this block sets it up). */
  public static fromResponseCacheAttributes(scope: Construct, id: string, attrs: ResponseCacheAttributes): IResponseCache {
    if (!Token.isUnresolved(attrs.userId) && !/^[a-z][a-z0-9-]{0,39}$/.test(attrs.userId)) {
      throw new Error(`userId must be 1-40 lower-case letters, digits or hyphens starting with a letter, got "${attrs.userId}"`);
    }
    class Import extends ResponseCacheBase {
      public readonly cacheName = attrs.cacheName;
      public readonly userId = attrs.userId;
      public readonly connections = new ec2.Connections({ securityGroups: [attrs.securityGroup], defaultPort: ec2.Port.tcp(CACHE_PORT) });
      protected readonly ingressGroup = attrs.securityGroup;
      protected readonly cacheArn = attrs.cacheArn;
      protected readonly userArn = attrs.userArn;
      protected readonly endpointAddress = attrs.endpointAddress;
      protected readonly endpointPort = attrs.endpointPort ?? String(CACHE_PORT);
    }
    return new Import(scope, id);
  }

  public readonly cache: elasticache.CfnServerlessCache;
  public readonly connections: ec2.Connections;
  public readonly securityGroup: ec2.SecurityGroup;
  /** The IAM-authenticated user the functions connect as. */
  public readonly user: elasticache.CfnUser;
  /** The `default` user every user group must hold, disabled. */
  public readonly defaultUser: elasticache.CfnUser;
  public readonly userGroup: elasticache.CfnUserGroup;
  /** Name of the serverless cache (the host part of an IAM auth token). */
  public readonly cacheName: string;
  /** Id of the application user (equal to its user name, as IAM authentication requires). */
  public readonly userId: string;

  constructor(scope: Construct, id: string, props: ResponseCacheProps) {
    super(scope, id);
    const vpcSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const maxDataStorageGb = props.maxDataStorageGb ?? 1;
    const maxEcpuPerSecond = props.maxEcpuPerSecond ?? 5000;
    const snapshotRetentionLimit = props.snapshotRetentionLimit ?? 1;
    const dailySnapshotTime = props.dailySnapshotTime ?? '03:00';
    const majorEngineVersion = props.majorEngineVersion ?? '8';
    const accessString = props.accessString ?? DEFAULT_ACCESS_STRING;

    checkInteger('maxDataStorageGb', maxDataStorageGb, 1, 5000);
    checkInteger('maxEcpuPerSecond', maxEcpuPerSecond, 1000, 15_000_000);
    checkInteger('snapshotRetentionLimit', snapshotRetentionLimit, 1, 35);
    if (!Token.isUnresolved(dailySnapshotTime) && !/^([01]\d|2[0-3]):[0-5]\d$/.test(dailySnapshotTime)) {
      throw new Error(`dailySnapshotTime must be HH:MM in UTC (00:00 to 23:59), got ${dailySnapshotTime}`);
    }
    if (!Token.isUnresolved(majorEngineVersion) && !/^[7-9]$/.test(majorEngineVersion)) {
      throw new Error(`majorEngineVersion must be a Valkey major version from 7 to 9, got ${majorEngineVersion}`);
    }
    if (!Token.isUnresolved(accessString)) {
      const words = accessString.trim().split(/\s+/);
      if (!words.includes('on')) throw new Error(`accessString must enable the user with "on", got ${accessString}`);
      if (words.some((w) => w === '~*' || w === 'allkeys')) {
        throw new Error(`accessString must restrict keys to a prefix (e.g. ~genai:*), not all keys, got ${accessString}`);
      }
    }
    const subnetIds = props.vpc.selectSubnets(vpcSubnets).subnetIds;
    if (!Token.isUnresolved(subnetIds) && subnetIds.length < 2) {
      throw new Error(`vpcSubnets must select at least 2 subnets (in different AZs), got ${subnetIds.length}`);
    }

    // ServerlessCacheName, UserId and UserGroupId are required physical names: derived from the stack
    // name (the same in every ground) and this construct's path, so they stay the same when the
    // ground goes up and differ between two stacks or two caches in one account.
    const base = physicalName(this);
    this.cacheName = base;
    this.userId = `${base}-app`;
    const defaultUserId = `${base}-default`;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Response cache: Valkey (TLS) from granted functions only',
      // The cache never opens connections.
      allowAllOutbound: false,
    });
    this.connections = new ec2.Connections({ securityGroups: [this.securityGroup], defaultPort: ec2.Port.tcp(CACHE_PORT) });

    // Engine "redis" on the users and the group, on purpose: a "valkey" user group accepts only
    // users that authenticate (password or IAM), and a disabled default user with a password
    // would need a secret for nothing. Valkey caches accept "redis" user groups (ElastiCache RBAC docs).
    this.user = new elasticache.CfnUser(this, 'AppUser', {
      engine: 'redis',
      userId: this.userId,
      // IAM authentication requires the user name to equal the user id.
      userName: this.userId,
      authenticationMode: { Type: 'iam' },
      accessString,
    });
    this.defaultUser = new elasticache.CfnUser(this, 'DefaultUser', {
      engine: 'redis',
      userId: defaultUserId,
      userName: 'default',
      authenticationMode: { Type: 'no-password-required' },
      accessString: DISABLED_DEFAULT_ACCESS_STRING,
    });
    this.userGroup = new elasticache.CfnUserGroup(this, 'UserGroup', {
      engine: 'redis',
      userGroupId: `${base}-users`,
      userIds: [defaultUserId, this.userId],
    });
    this.userGroup.addResourceDependency(this.user);
    this.userGroup.addResourceDependency(this.defaultUser);

    this.cache = new elasticache.CfnServerlessCache(this, 'Cache', {
      engine: 'valkey',
      majorEngineVersion,
      serverlessCacheName: this.cacheName,
      description: 'genai-blueprint response cache (exact and semantic)',
      subnetIds,
      securityGroupIds: [this.securityGroup.securityGroupId],
      userGroupId: this.userGroup.ref,
      cacheUsageLimits: {
        dataStorage: { maximum: maxDataStorageGb, unit: 'GB' },
        ecpuPerSecond: { maximum: maxEcpuPerSecond },
      },
      snapshotRetentionLimit,
      dailySnapshotTime,
      kmsKeyId: props.encryptionKey?.keyArn,
    });
  }

  protected get ingressGroup(): ec2.ISecurityGroup {
    return this.securityGroup;
  }
  protected get cacheArn(): string {
    return this.cache.attrArn;
  }
  protected get userArn(): string {
    return this.user.attrArn;
  }
  protected get endpointAddress(): string {
    return this.cache.attrEndpointAddress;
  }
  protected get endpointPort(): string {
    return this.cache.attrEndpointPort;
  }
}

/**
 * `<stack name, up to 14 characters>-cache-<8 hex of the construct path>`: lowercase letters, digits
 * and single hyphens, starting with a letter (ElastiCache names and user ids are stored lowercase),
 * 29 characters at most so that user ids with a suffix stay within 40.
 */
function physicalName(scope: Construct): string {
  const stackName = Stack.of(scope).stackName;
  const stackPart = Token.isUnresolved(stackName)
    ? ''
    : stackName
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '')
        .slice(0, 14);
  const hash = createHash('sha256')
    .update(`${Token.isUnresolved(stackName) ? '' : stackName}/${Names.stackRelativeConstructPath(scope)}`)
    .digest('hex')
    .slice(0, 8);
  return /^[a-z]/.test(stackPart) ? `${stackPart}-cache-${hash}` : `cache-${hash}`;
}
