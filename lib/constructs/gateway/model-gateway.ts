import { type CfnElement, CfnOutput, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { IModelApi } from '../api/model-api';
import { stageWebAcl } from './web-acl';
import { type BedrockModel, invokeActions, type ModelInvocation } from '../shared/bedrock-model';
import { TENANT_TIERS, type TenantTier } from '../../../contracts/tenants';
import { TENANT_NAME_PATTERN } from '../../../contracts/ids';

export const QUOTA_PERIODS = ['DAY', 'WEEK', 'MONTH'] as const;
export type QuotaPeriod = (typeof QUOTA_PERIODS)[number];

/** A consumer of the API, metered by its own API key and usage plan. */
export interface Tenant {
  /** 1-64 characters of A-Z, a-z, 0-9 and `-`. Identifies the tenant in config, tags and construct ids. */
  readonly name: string;
  /** Commercial tier; carried as a cost-allocation tag on the tenant's inference profile. */
  readonly tier: TenantTier;
  /** Requests the tenant may make per period (API Gateway answers 429 beyond it). */
  readonly quota: { readonly limit: number; readonly period: QuotaPeriod };
  /** Steady-state requests per second for this tenant's key. */
  readonly rateLimit: number;
  /** Requests the tenant's key may burst above the rate (token bucket size). */
  readonly burstLimit: number;
}

export interface ModelGatewayProps {
  /** The API to put behind the gateway: an `IModelApi`, or any REST API (with `stage`). */
  readonly api: IModelApi | apigateway.IRestApi;
  /** Stage the usage plans and the web ACL apply to. @default the API's `deploymentStage` */
  readonly stage?: apigateway.Stage;
  /** One API key + usage plan + application inference profile each; 1 to 50 tenants. */
  readonly tenants: readonly Tenant[];
  /**
   * ARN of the foundation model or system (cross-region) inference profile every tenant's
   * application inference profile copies, e.g. from `Stack.formatArn` and the model catalog.
   * @default no inference profiles (an API that calls no Bedrock model, such as /predict alone)
   */
  readonly modelSourceArn?: string;
  /**
   * Keep the Core Rule Set's `SizeRestrictions_BODY` (bodies over 8 KB) at BLOCK.
   * @default false: the rule only counts, and the application enforces its own body cap
   */
  readonly blockLargeBodies?: boolean;
  /** Requests one client IP may send in any 5 minutes before WAF blocks it. @default 1000 */
  readonly requestsPer5MinPerIp?: number;
  /** Retention of the WAF log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

const MAX_TENANTS = 50;
// A foundation model (Region may be empty for global models) or a system inference profile.
const MODEL_SOURCE_ARN = /^arn:aws[a-z-]*:bedrock:[a-z0-9-]*:(\d{12})?:(foundation-model|inference-profile)\/.+$/;
const RATE_RULE_LIMIT = { min: 10, max: 2_000_000_000 };

/**
 * Construct id of a tenant's scope: `Tenant` + the name in PascalCase (`acme-corp` → `TenantAcmeCorp`).
 * An exception to "ids never come from config", on purpose: a tenant is identified by its name in
 * config, so its key, usage plan and profile must keep their logical ids when other tenants are
 * added, removed or reordered; a positional id would rebind keys to other tenants on every change.
 */
export function tenantConstructId(name: string): string {
  return `Tenant${name
    .split('-')
    .filter((part) => part.length > 0)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('')}`;
}

/** A gateway blocks put their routes behind: the `ModelGateway` construct, or one imported (`ModelGateway.fromModelGatewayAttributes`). */
export interface IModelGateway {
  /** The REST API the gateway's usage plans and web ACL apply to. */
  readonly restApi: apigateway.IRestApi;
  readonly tenantNames: readonly string[];
  /** Makes each of `methods` (of `restApi`, with an authorization) also require a tenant's API key. */
  requireApiKeys(methods: readonly apigateway.Method[]): void;
  /** Id of `tenant`'s API key (what the functions map a caller's key to). */
  apiKeyIdFor(tenant: string): string;
  /** ARN of `tenant`'s application inference profile: the `modelId` its requests should use. */
  profileArnFor(tenant: string): string;
  /** Lets `grantee` invoke the tenants' application inference profiles (see `ModelGateway.grantInvokeProfiles`). */
  grantInvokeProfiles(grantee: iam.IGrantable, opts?: { throughModel?: BedrockModel; invocation?: ModelInvocation }): iam.Grant;
}

/** A tenant of a gateway created elsewhere. */
export interface GatewayTenantAttributes {
  readonly name: string;
  /** The tenant's API key id (`AWS::ApiGateway::ApiKey` Ref). */
  readonly apiKeyId: string;
  /** The tenant's application inference profile ARN. @default none: the tenant calls no model through a profile */
  readonly inferenceProfileArn?: string;
}

export interface ModelGatewayAttributes {
  /** The REST API the gateway fronts; methods given to `requireApiKeys` must belong to this object. */
  readonly restApi: apigateway.IRestApi;
  readonly tenants: readonly GatewayTenantAttributes[];
}

abstract class ModelGatewayBase extends Construct implements IModelGateway {
  public abstract readonly restApi: apigateway.IRestApi;
  public abstract readonly tenantNames: readonly string[];
  protected abstract keyIdOf(tenant: string): string | undefined;
  protected abstract profileArnOf(tenant: string): string | undefined;

  /**
   * Makes each of `methods` also require a tenant's API key (header `x-api-key`), on top of its
   * IAM authorization. `ModelApi.addJsonRoute` takes no method options, so this sets the flag
   * through the L1 and folds it into the deployment's logical id, so that the stage is redeployed.
   */
  public requireApiKeys(methods: readonly apigateway.Method[]): void {
    for (const method of methods) {
      if (method.api !== this.restApi) {
        throw new Error(`requireApiKeys: method ${method.httpMethod} ${method.resource.path} belongs to another API than this gateway's`);
      }
      const cfnMethod = method.node.defaultChild as apigateway.CfnMethod;
      if (cfnMethod.authorizationType === undefined || cfnMethod.authorizationType === apigateway.AuthorizationType.NONE) {
        throw new Error(
          `requireApiKeys: method ${method.httpMethod} ${method.resource.path} has no authorization; an API key meters a caller, it does not authenticate one`,
        );
      }
      cfnMethod.apiKeyRequired = true;
      // Method props are hashed into the deployment id when the method is created, before this flag.
      this.restApi.latestDeployment?.addToLogicalId({ apiKeyRequired: { method: method.httpMethod, path: method.resource.path } });
    }
  }

  public apiKeyIdFor(tenant: string): string {
    const id = this.keyIdOf(tenant);
    if (id === undefined) throw new Error(`unknown tenant "${tenant}"; tenants are ${this.tenantNames.join(', ')}`);
    return id;
  }

  public profileArnFor(tenant: string): string {
    if (!this.tenantNames.includes(tenant)) throw new Error(`unknown tenant "${tenant}"; tenants are ${this.tenantNames.join(', ')}`);
    const arn = this.profileArnOf(tenant);
    if (arn === undefined) throw new Error(`tenant "${tenant}" has no inference profile: modelSourceArn was not given`);
    return arn;
  }

  /**
   * Lets `grantee` invoke the tenants' application inference profiles, the way it calls them
   * (`invocation`, @default 'buffered': Converse only).
   * Invoking an application profile is also authorized against what it copies: pass `throughModel`
   * (the copied model) to grant its foundation models for calls made through these profiles only;
   * the copied system profile itself is granted by `BedrockModel.grantInvoke`.
   */
  public grantInvokeProfiles(grantee: iam.IGrantable, opts: { throughModel?: BedrockModel; invocation?: ModelInvocation } = {}): iam.Grant {
    const invocation = opts.invocation ?? 'buffered';
    const profileArns = this.tenantNames.map((t) => this.profileArnOf(t)).filter((arn): arn is string => arn !== undefined);
    // The model the profiles copy, reachable only through them (what Bedrock checks behind a profile).
    opts.throughModel?.grantInvokeThroughProfiles(this, grantee, profileArns, invocation);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: invokeActions(invocation),
      resourceArns: profileArns,
    });
  }
}

/**
 * The gateway edge of ground 4, put in front of an existing REST API:
 * per-tenant API keys and usage plans (quota + throttle) on the API stage, a regional WAF web ACL
 * on that stage with logs, and one Bedrock application inference profile per tenant so model
 * cost and metrics can be split by tenant.
 *
 * API keys meter; they never authorize. Routes keep their IAM (SigV4) authorization, and
 * `requireApiKeys` adds the key as a second requirement.
 */
export class ModelGateway extends ModelGatewayBase {
  /** A gateway created elsewhere (another stack or app): its API, and each tenant's key id and profile. */
  public static fromModelGatewayAttributes(scope: Construct, id: string, attrs: ModelGatewayAttributes): IModelGateway {
    validateTenantNames(attrs.tenants.map((t) => t.name));
    const byName = new Map(attrs.tenants.map((t) => [t.name, t]));
    class Import extends ModelGatewayBase {
      public readonly restApi = attrs.restApi;
      public readonly tenantNames = attrs.tenants.map((t) => t.name);
      protected keyIdOf(tenant: string): string | undefined {
        return byName.get(tenant)?.apiKeyId;
      }
      protected profileArnOf(tenant: string): string | undefined {
        return byName.get(tenant)?.inferenceProfileArn;
      }
    }
    return new Import(scope, id);
  }

  public readonly restApi: apigateway.IRestApi;
  public readonly stage: apigateway.Stage;
  public readonly webAcl: wafv2.CfnWebACL;
  public readonly webAclAssociation: wafv2.CfnWebACLAssociation;
  /** Destination of WAF logs; its name starts with `aws-waf-logs-`, as WAF requires. */
  public readonly wafLogs: logs.LogGroup;
  public readonly tenantNames: readonly string[];
  /** API key of each tenant, by tenant name. The value is generated by API Gateway. */
  public readonly apiKeys: Readonly<Record<string, apigateway.ApiKey>>;
  /** Usage plan of each tenant, by tenant name. */
  public readonly usagePlans: Readonly<Record<string, apigateway.UsagePlan>>;
  /** Application inference profile of each tenant, by tenant name. */
  public readonly inferenceProfiles: Readonly<Record<string, bedrock.CfnApplicationInferenceProfile>>;
  private readonly webAclName: string;

  constructor(scope: Construct, id: string, props: ModelGatewayProps) {
    super(scope, id);
    this.restApi = 'addJsonRoute' in props.api ? props.api.restApi : props.api;
    this.stage = props.stage ?? this.restApi.deploymentStage;
    const blockLargeBodies = props.blockLargeBodies ?? false;
    const requestsPer5MinPerIp = props.requestsPer5MinPerIp ?? 1000;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    validateTenants(props.tenants);
    if (
      !Token.isUnresolved(requestsPer5MinPerIp) &&
      (!Number.isInteger(requestsPer5MinPerIp) || requestsPer5MinPerIp < RATE_RULE_LIMIT.min || requestsPer5MinPerIp > RATE_RULE_LIMIT.max)
    ) {
      throw new Error(`requestsPer5MinPerIp must be an integer between ${RATE_RULE_LIMIT.min} and ${RATE_RULE_LIMIT.max}, got ${requestsPer5MinPerIp}`);
    }
    if (props.modelSourceArn !== undefined && !Token.isUnresolved(props.modelSourceArn) && !MODEL_SOURCE_ARN.test(props.modelSourceArn)) {
      throw new Error(
        'modelSourceArn must be the ARN of a foundation model or a system inference profile ' +
          `(arn:<partition>:bedrock:<region>:[<account>]:foundation-model|inference-profile/<id>), got "${props.modelSourceArn}"`,
      );
    }

    // --- Tenants: key + usage plan + inference profile each.
    this.tenantNames = props.tenants.map((t) => t.name);
    const apiKeys: Record<string, apigateway.ApiKey> = {};
    const usagePlans: Record<string, apigateway.UsagePlan> = {};
    const profiles: Record<string, bedrock.CfnApplicationInferenceProfile> = {};
    for (const tenant of props.tenants) {
      const tenantScope = new Construct(this, tenantConstructId(tenant.name));
      // No `value`: API Gateway generates the key, so no secret sits in the template or the repo.
      // Operators read it with `aws apigateway get-api-key --api-key <id> --include-value`.
      const apiKey = new apigateway.ApiKey(tenantScope, 'ApiKey', {
        description: `genai-blueprint tenant ${tenant.name} (${tenant.tier})`,
        enabled: true,
      });
      const usagePlan = new apigateway.UsagePlan(tenantScope, 'UsagePlan', {
        description: `genai-blueprint tenant ${tenant.name} (${tenant.tier})`,
        apiStages: [{ api: this.restApi, stage: this.stage }],
        quota: { limit: tenant.quota.limit, period: apigateway.Period[tenant.quota.period] },
        // The stage-wide throttle of the API still caps the sum of all tenants.
        throttle: { rateLimit: tenant.rateLimit, burstLimit: tenant.burstLimit },
      });
      // A fixed logical id: the default names the key after the API key's unique id, which carries the
      // stack id, so each ground renamed it and API Gateway refuses a second key for the same plan and key.
      usagePlan.addApiKey(apiKey, { overrideLogicalId: `${Stack.of(this).getLogicalId(usagePlan.node.defaultChild as CfnElement)}ApiKey` });
      new CfnOutput(tenantScope, 'ApiKeyId', {
        value: apiKey.keyId,
        description: `API key of tenant ${tenant.name}: aws apigateway get-api-key --include-value --api-key <this>`,
      });
      if (props.modelSourceArn !== undefined)
        profiles[tenant.name] = new bedrock.CfnApplicationInferenceProfile(tenantScope, 'InferenceProfile', {
          inferenceProfileName: Names.uniqueResourceName(tenantScope, { maxLength: 64, separator: '-' }),
          description: `genai-blueprint tenant ${tenant.name}: model cost and metrics per tenant`,
          modelSource: { copyFrom: props.modelSourceArn },
          tags: [
            { key: 'app', value: 'genai-blueprint' },
            { key: 'tenant', value: tenant.name },
            { key: 'tier', value: tenant.tier },
          ],
        });
      apiKeys[tenant.name] = apiKey;
      usagePlans[tenant.name] = usagePlan;
    }
    this.apiKeys = apiKeys;
    this.usagePlans = usagePlans;
    this.inferenceProfiles = profiles;

    // --- WAF web ACL on the stage (also what the regulated profile puts on grounds 0-3, lib/grounds).
    const edge = stageWebAcl(this, this.stage, { blockLargeBodies, requestsPer5MinPerIp, logRetention });
    this.webAclName = edge.webAclName;
    this.webAcl = edge.webAcl;
    this.webAclAssociation = edge.webAclAssociation;
    this.wafLogs = edge.wafLogs;
  }

  protected keyIdOf(tenant: string): string | undefined {
    return this.apiKeys[tenant]?.keyId;
  }

  protected profileArnOf(tenant: string): string | undefined {
    return this.inferenceProfiles[tenant]?.attrInferenceProfileArn;
  }

  /** Requests the web ACL blocked (all rules), summed over 5 minutes by default. */
  public metricBlockedRequests(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/WAFV2',
      metricName: 'BlockedRequests',
      dimensionsMap: { WebACL: this.webAclName, Region: Stack.of(this).region, Rule: 'ALL' },
      statistic: 'Sum',
      period: Duration.minutes(5),
      ...options,
    });
  }
}

/** 1 to 50 literal, well-formed names, unique also as construct ids. */
function validateTenantNames(names: readonly string[]): void {
  if (names.length < 1 || names.length > MAX_TENANTS) {
    throw new Error(`tenants must hold between 1 and ${MAX_TENANTS} tenants, got ${names.length}`);
  }
  const byId = new Map<string, string>();
  for (const name of names) {
    if (Token.isUnresolved(name)) {
      throw new Error('tenant name must be a literal string (its construct ids and tags derive from it), got a token');
    }
    if (!TENANT_NAME_PATTERN.test(name)) {
      throw new Error(`tenant name must be 1-64 characters of A-Z, a-z, 0-9 and -, got "${name}"`);
    }
    const id = tenantConstructId(name);
    const other = byId.get(id);
    if (other === name) throw new Error(`tenant names must be unique, got "${name}" twice`);
    if (other !== undefined) throw new Error(`tenant names "${other}" and "${name}" map to the same construct id ${id}; rename one`);
    byId.set(id, name);
  }
}

function validateTenants(tenants: readonly Tenant[]): void {
  validateTenantNames(tenants.map((t) => t.name));
  for (const tenant of tenants) {
    const where = `tenants[${tenant.name}]`;
    if (!(TENANT_TIERS as readonly string[]).includes(tenant.tier)) {
      throw new Error(`${where}.tier must be one of ${TENANT_TIERS.join(', ')}, got "${tenant.tier}"`);
    }
    if (!(QUOTA_PERIODS as readonly string[]).includes(tenant.quota.period)) {
      throw new Error(`${where}.quota.period must be one of ${QUOTA_PERIODS.join(', ')}, got "${tenant.quota.period}"`);
    }
    const numbers: [string, number][] = [
      ['quota.limit', tenant.quota.limit],
      ['rateLimit', tenant.rateLimit],
      ['burstLimit', tenant.burstLimit],
    ];
    for (const [key, value] of numbers) {
      if (!Token.isUnresolved(value) && (!Number.isInteger(value) || value < 1)) {
        throw new Error(`${where}.${key} must be a positive integer, got ${value}`);
      }
    }
  }
}
