import { Template } from 'aws-cdk-lib/assertions';
import { GROUNDS } from '../../lib/grounds/ground-stack';
import { LAMBDA_ENI_ACTIONS } from '../../lib/constructs/shared/blueprint-function';
import { buildApp } from '../support/synth';

/** Security properties every ground must keep, checked on the synthesized templates. */
const { stacks } = buildApp();
const cases = GROUNDS.map((g) => [g.stackId, Template.fromStack(stacks[g.ground]).toJSON()] as const);

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

function statements(template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> }): Statement[] {
  return Object.values(template.Resources).flatMap((r) => {
    if (r.Type === 'AWS::IAM::Policy') return (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    if (r.Type === 'AWS::IAM::Role') {
      return ((r.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]) ?? []).flatMap((p) => p.PolicyDocument.Statement);
    }
    return [];
  });
}

const asList = <T>(v: T | T[]) => (Array.isArray(v) ? v : [v]);

/**
 * Bedrock's model invocation logging is one setting per account and Region (ground 7 sets it
 * through a custom resource): its three actions have no resource type to scope them to.
 */
const INVOCATION_LOGGING = [
  'bedrock:GetModelInvocationLoggingConfiguration',
  'bedrock:PutModelInvocationLoggingConfiguration',
  'bedrock:DeleteModelInvocationLoggingConfiguration',
];
/** Actions that AWS documents as having no resource-level permissions. */
const STAR_ALLOWED = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  ...INVOCATION_LOGGING,
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  // A VPC function's role: Lambda looks up ENIs and subnets, which have no resource-level permissions.
  ...LAMBDA_ENI_ACTIONS.describe,
  // Step Functions' log delivery to CloudWatch Logs (the state machines' execution logs): AWS documents Resource "*".
  'logs:CreateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:DescribeLogGroups',
  'logs:DescribeResourcePolicies',
  'logs:GetLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:UpdateLogDelivery',
  // The SageMaker training role: pulling the built-in image, and its own metrics (under a namespace condition).
  'ecr:GetAuthorizationToken',
  'cloudwatch:PutMetricData',
  // SageMaker List actions (the endpoint teardown finds the configs and models the pipeline made).
  'sagemaker:ListEndpointConfigs',
  'sagemaker:ListModels',
]);

describe.each(cases)('%s', (_id, template) => {
  const allows = statements(template as never).filter((s) => s.Effect === 'Allow');

  test('no statement grants a service wildcard action (bedrock:*, *)', () => {
    const wildcards = allows.flatMap((s) => asList(s.Action)).filter((a) => a === '*' || /^[a-z0-9-]+:\*$/.test(a));
    expect(wildcards).toEqual([]);
  });

  test('no Bedrock action on *, and * only for actions without resource-level permissions', () => {
    const onStar = allows.filter((s) => asList(s.Resource).includes('*')).flatMap((s) => asList(s.Action));
    expect(onStar.filter((a) => a.startsWith('bedrock:') && !INVOCATION_LOGGING.includes(a))).toEqual([]);
    expect(onStar.filter((a) => !STAR_ALLOWED.has(a))).toEqual([]);
  });

  test('every Bedrock grant names a model, profile or Bedrock resource ARN', () => {
    const bedrock = allows.filter((s) => asList(s.Action).some((a) => a.startsWith('bedrock:') && !INVOCATION_LOGGING.includes(a)));
    expect(bedrock.length).toBeGreaterThan(0);
    for (const s of bedrock) {
      for (const resource of asList(s.Resource)) {
        const getAtt = (resource as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
        if (getAtt) expect((template as { Resources: Record<string, { Type: string }> }).Resources[getAtt[0]].Type).toMatch(/^AWS::Bedrock::/);
        else
          expect(JSON.stringify(resource)).toMatch(
            /:bedrock:.*(foundation-model|inference-profile|application-inference-profile|guardrail|knowledge-base|prompt|agent-alias)\//,
          );
      }
    }
  });

  test('every API method requires authorization', () => {
    const methods = Object.values(
      (template as { Resources: Record<string, { Type: string; Properties: { HttpMethod: string; AuthorizationType?: string } }> }).Resources,
    ).filter((r) => r.Type === 'AWS::ApiGateway::Method');
    expect(methods.length).toBeGreaterThan(0);
    for (const m of methods) {
      if (m.Properties.HttpMethod === 'OPTIONS') continue;
      expect(['AWS_IAM', 'COGNITO_USER_POOLS']).toContain(m.Properties.AuthorizationType);
    }
  });

  test('every function of ours: explicit memory and timeout, ARM64, active tracing, its own log group with retention', () => {
    const t = template as { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
    const all = Object.entries(t.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    const fns = all.filter(([, r]) => r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME);
    // The only others: handlers aws-cdk-lib provides (BucketDeployment, AwsCustomResource, the VPC's
    // default-SG lock-down, the custom resource provider framework in front of our own handlers).
    for (const [id] of all.filter(([, r]) => !fns.some(([, f]) => f === r))) {
      const provided = ['CustomCDKBucketDeployment', 'AWS679f53fac002430cb0da5b7982bd2287', 'CustomVpcRestrictDefaultSGCustomResourceProvider'];
      expect(id).toMatch(new RegExp(`^(${provided.join('|')})|ProviderframeworkonEvent[0-9A-F]{8}$`));
    }
    expect(fns.length).toBeGreaterThan(0);
    for (const [, fn] of fns) {
      expect(fn.Properties).toMatchObject({ Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
      expect(fn.Properties.MemorySize).toBeGreaterThanOrEqual(128);
      expect(fn.Properties.Timeout).toBeGreaterThan(0);
      const logGroupId = fn.Properties.LoggingConfig.LogGroup.Ref as string;
      expect(t.Resources[logGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: expect.any(Number) } });
    }
  });

  test('no environment variable looks like a secret', () => {
    const t = template as { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
    for (const fn of Object.values(t.Resources).filter((r) => r.Type === 'AWS::Lambda::Function')) {
      for (const [key, value] of Object.entries((fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>)) {
        expect(key).not.toMatch(/SECRET|PASSWORD|(^|_)TOKEN$|API_KEY|PRIVATE_KEY/i);
        expect(JSON.stringify(value)).not.toMatch(/AKIA[0-9A-Z]{16}|-----BEGIN/);
      }
    }
  });
});
