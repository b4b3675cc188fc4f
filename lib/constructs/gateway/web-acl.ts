import { ArnFormat, Names, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { retainedResourceName } from '../shared/names';

export interface StageWebAclOptions {
  readonly blockLargeBodies: boolean;
  readonly requestsPer5MinPerIp: number;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The gateway's edge on an API stage: a regional WAF web ACL (AWS managed rules and a per-IP rate
 * limit) associated with `stage`, logging to an `aws-waf-logs-` group with credentials redacted.
 * Created under `scope` as `WebAcl`, `WebAclAssociation`, `WafLogs` and `WafLogging`: ModelGateway
 * (ground 4 up) and the regulated profile's grounds 0-3 both call it with a scope at `Gateway`, so
 * going up to ground 4 keeps every logical id.
 */
export function stageWebAcl(scope: Construct, stage: apigateway.Stage, opts: StageWebAclOptions) {
  const { blockLargeBodies, requestsPer5MinPerIp, logRetention } = opts;
  // Name and metric name are the same generated value: CloudWatch's `WebACL` dimension is the
  // ACL's name, so `metricBlockedRequests` can reference it before deployment.
  const webAclName = Names.uniqueResourceName(scope, { maxLength: 128 });
  const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
    cloudWatchMetricsEnabled: true,
    metricName,
    // Sampled requests cannot be redacted by the logging configuration: they would show the
    // x-api-key and SigV4 Authorization headers to console readers. The redacted logs serve
    // the same debugging need.
    sampledRequestsEnabled: false,
  });
  const managedGroup = (priority: number, name: string, ruleActionOverrides?: wafv2.CfnWebACL.RuleActionOverrideProperty[]): wafv2.CfnWebACL.RuleProperty => ({
    name,
    priority,
    overrideAction: { none: {} },
    statement: { managedRuleGroupStatement: { vendorName: 'AWS', name, ruleActionOverrides } },
    visibilityConfig: visibility(name),
  });
  // Core Rule Set decision: its SizeRestrictions_BODY blocks every body over 8 KB, a fixed size
  // that cannot be raised, and long prompts (and RAG questions with pasted context) exceed it.
  // By default the rule only counts (visible in metrics and logs) and the application enforces
  // its own cap: the route's body model (`maxLength` on the query) rejects larger bodies at API
  // Gateway, and Lambda refuses synchronous payloads over 256 KB. `blockLargeBodies` keeps BLOCK.
  const coreRuleOverrides = blockLargeBodies ? undefined : [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }];
  // About 930 WCUs of the 1,500 a web ACL includes: Common 700, KnownBadInputs 200, IpReputation 25, rate 2.
  const webAcl = new wafv2.CfnWebACL(scope, 'WebAcl', {
    name: webAclName,
    description: 'genai-blueprint gateway: AWS managed rules and a per-IP rate limit',
    scope: 'REGIONAL',
    defaultAction: { allow: {} },
    visibilityConfig: visibility(webAclName),
    rules: [
      // Cheapest and most certain first: known-bad IPs, then floods, then request inspection.
      managedGroup(0, 'AWSManagedRulesAmazonIpReputationList'),
      {
        name: 'RateLimitPerIp',
        priority: 1,
        action: { block: {} },
        statement: { rateBasedStatement: { limit: requestsPer5MinPerIp, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
        visibilityConfig: visibility('RateLimitPerIp'),
      },
      managedGroup(2, 'AWSManagedRulesCommonRuleSet', coreRuleOverrides),
      managedGroup(3, 'AWSManagedRulesKnownBadInputsRuleSet'),
    ],
  });
  const webAclAssociation = new wafv2.CfnWebACLAssociation(scope, 'WebAclAssociation', {
    // arn:<partition>:apigateway:<region>::/restapis/<id>/stages/<stage>; its Ref on the stage
    // orders the association after the stage exists.
    resourceArn: stage.stageArn,
    webAclArn: webAcl.attrArn,
  });

  const wafLogs = new logs.LogGroup(scope, 'WafLogs', {
    // WAF logs only to groups named aws-waf-logs-*; retained (the default), so the name changes with each create of the stack.
    logGroupName: retainedResourceName(scope, 'aws-waf-logs-', 160),
    retention: logRetention,
  });
  new wafv2.CfnLoggingConfiguration(scope, 'WafLogging', {
    resourceArn: webAcl.attrArn,
    // WAF wants the log group ARN without the `:*` suffix that the log group's `Arn` attribute carries.
    logDestinationConfigs: [
      Stack.of(scope).formatArn({ service: 'logs', resource: 'log-group', resourceName: wafLogs.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    ],
    // SigV4 signatures and tenants' API keys stay out of the logs.
    redactedFields: [{ singleHeader: { Name: 'authorization' } }, { singleHeader: { Name: 'x-api-key' } }],
  });
  return { webAclName, webAcl, webAclAssociation, wafLogs };
}
