import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { MODEL_CATALOG } from '../../lib/config/models';
import { ModelApi } from '../../lib/constructs/api/model-api';
import { ResponseCache } from '../../lib/constructs/cache/response-cache';
import { Feedback } from '../../lib/constructs/feedback/feedback';
import { Guardrail } from '../../lib/constructs/guardrail/guardrail';
import { Observability, type ObservabilityProps } from '../../lib/constructs/observability/observability';
import { SessionStore } from '../../lib/constructs/sessions/session-store';
import { BedrockModel } from '../../lib/constructs/shared/bedrock-model';
import { BlueprintFunction } from '../../lib/constructs/shared/blueprint-function';
import { CDK_JSON_CONTEXT } from '../support/synth';

const nova = (alias: 'nova-lite' | 'nova-micro') => new BedrockModel(MODEL_CATALOG[alias], 'us');

/** The blocks Observability watches, imported: it reads their metrics and needs nothing else of them. */
function importedBlocks(stack: Stack): Partial<ObservabilityProps> {
  const table = (id: string) => dynamodb.Table.fromTableName(stack, `${id}Table`, `${id.toLowerCase()}-table`);
  return {
    cache: ResponseCache.fromResponseCacheAttributes(stack, 'Cache', {
      cacheName: 'cache-1',
      cacheArn: 'arn:aws:elasticache:us-east-1:123456789012:serverlesscache:cache-1',
      endpointAddress: 'cache-1.serverless.use1.cache.amazonaws.com',
      userId: 'cache-1-app',
      userArn: 'arn:aws:elasticache:us-east-1:123456789012:user:cache-1-app',
      securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'CacheSecurityGroup', 'sg-0123456789abcdef0'),
    }),
    guardrail: Guardrail.fromGuardrailAttributes(stack, 'Guardrail', {
      guardrailArn: 'arn:aws:bedrock:us-east-1:123456789012:guardrail/gr1',
      guardrailVersion: '1',
    }),
    sessions: SessionStore.fromSessionStoreAttributes(stack, 'Sessions', { table: table('Sessions') }),
    feedback: Feedback.fromFeedbackAttributes(stack, 'Feedback', { table: table('Feedback') }),
  };
}

function build(props: Partial<ObservabilityProps> | ((stack: Stack) => Partial<ObservabilityProps>) = {}) {
  const stack = new Stack(new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false }), 'Test');
  const api = new apigateway.RestApi(stack, 'Api', { deployOptions: { stageName: 'v1' } });
  const fn = new BlueprintFunction(stack, 'Prompt', {
    handlerDir: 'prompt',
    description: 'prompt',
    memorySize: 256,
    timeout: Duration.seconds(29),
    logRetention: logs.RetentionDays.ONE_MONTH,
    invokedBy: 'api-gateway',
  });
  api.root.addMethod('POST', new apigateway.LambdaIntegration(fn));
  const observability = new Observability(stack, 'Observability', {
    // Any REST API, wrapped.
    api: ModelApi.fromModelApiAttributes(stack, 'ModelApi', { restApi: api }),
    functions: [fn],
    models: [nova('nova-lite'), nova('nova-micro')],
    tenants: ['demo', 'acme'],
    ...(typeof props === 'function' ? props(stack) : props),
  });
  return { stack, api, fn, observability, template: Template.fromStack(stack) };
}

type Alarm = { Properties: Record<string, any> };
const alarmsOf = (template: Template) => Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Alarm[];
const byMetric = (template: Template, namespace: string, metricName: string) =>
  alarmsOf(template).filter(
    (a) =>
      (a.Properties.MetricName === metricName && a.Properties.Namespace === namespace) ||
      JSON.stringify(a.Properties.Metrics ?? []).includes(`"MetricName":"${metricName}","Namespace":"${namespace}"`),
  );

describe('Observability', () => {
  const full = build((stack) => ({ ...importedBlocks(stack), alarmEmail: 'ops@example.com' }));
  const { template } = full;
  const topicId = full.stack.getLogicalId(full.observability.topic.node.defaultChild as never);

  test('every alarm notifies the topic and decides missing data explicitly (no traffic is never an alarm)', () => {
    const alarms = alarmsOf(template);
    expect(alarms).toHaveLength(2 + 2 + 4 + 2 + 1 + 1 + 1 + 1);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.TreatMissingData).toBe('notBreaching');
    }
  });

  test('one dashboard', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  test('API: 5XX share above the percentage (as a fraction of requests) and p99 latency for 15 minutes', () => {
    const [faults] = byMetric(template, 'AWS/ApiGateway', '5XXError');
    expect(JSON.stringify(faults.Properties)).toContain('"ApiName","Value":"Api"');
    expect(faults.Properties.Threshold).toBe(0.01);
    const [latency] = byMetric(template, 'AWS/ApiGateway', 'Latency');
    expect(latency.Properties).toMatchObject({ Threshold: 10_000, EvaluationPeriods: 3, DatapointsToAlarm: 3 });
    expect(JSON.stringify(latency.Properties)).toContain('"Stat":"p99"');
  });

  test('Lambda: any error or throttle of a request-path function', () => {
    for (const metricName of ['Errors', 'Throttles']) {
      const [alarm] = byMetric(template, 'AWS/Lambda', metricName);
      expect(alarm.Properties).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    }
  });

  test('Bedrock: throttles and p99 latency per model id as called', () => {
    const throttles = byMetric(template, 'AWS/Bedrock', 'InvocationThrottles');
    expect(throttles.map((a) => a.Properties.Dimensions)).toEqual([
      [{ Name: 'ModelId', Value: 'us.amazon.nova-lite-v1:0' }],
      [{ Name: 'ModelId', Value: 'us.amazon.nova-micro-v1:0' }],
    ]);
    const latency = byMetric(template, 'AWS/Bedrock', 'InvocationLatency');
    expect(latency.map((a) => [a.Properties.ExtendedStatistic, a.Properties.Threshold])).toEqual([
      ['p99', 10_000],
      ['p99', 10_000],
    ]);
  });

  test("cost per tenant per rolling day: CostUsd summed over models from every model route's usage (no service dimension); a day over budget alarms", () => {
    const cost = byMetric(template, 'GenAiBlueprint', 'CostUsd');
    expect(cost).toHaveLength(3);
    const [demo] = cost;
    expect(demo.Properties).toMatchObject({ Threshold: 20, EvaluationPeriods: 1, DatapointsToAlarm: 1 });
    const metrics = demo.Properties.Metrics as Record<string, any>[];
    expect(metrics[0]).toMatchObject({ Expression: 'FILL(t0m0, 0) + FILL(t0m1, 0)', ReturnData: true });
    expect(metrics.slice(1).map((m) => [m.MetricStat.Period, m.MetricStat.Stat, m.MetricStat.Metric.Dimensions])).toEqual([
      [
        86_400,
        'Sum',
        [
          { Name: 'Model', Value: 'nova-lite' },
          { Name: 'Tenant', Value: 'demo' },
        ],
      ],
      [
        86_400,
        'Sum',
        [
          { Name: 'Model', Value: 'nova-micro' },
          { Name: 'Tenant', Value: 'demo' },
        ],
      ],
    ]);
  });

  test('total cost per rolling day: every tenant and caller without one, summed over models; budget defaults to tenants x per-tenant budget', () => {
    const total = byMetric(template, 'GenAiBlueprint', 'CostUsd').find((a) => String(a.Properties.AlarmDescription).includes('every route and tenant'))!;
    expect(total.Properties).toMatchObject({ Threshold: 40, EvaluationPeriods: 1, DatapointsToAlarm: 1 });
    const metrics = total.Properties.Metrics as Record<string, any>[];
    expect(metrics[0]).toMatchObject({ Expression: 'FILL(allm0, 0) + FILL(allm1, 0)', ReturnData: true });
    expect(metrics.slice(1).map((m) => m.MetricStat.Metric.Dimensions)).toEqual([
      [{ Name: 'Model', Value: 'nova-lite' }],
      [{ Name: 'Model', Value: 'nova-micro' }],
    ]);
    const { template: t } = build({ totalDailyCostBudgetUsd: 7 });
    expect(byMetric(t, 'GenAiBlueprint', 'CostUsd').map((a) => a.Properties.Threshold)).toEqual([20, 20, 7]);
  });

  test('the dashboard finds every model and tenant with SEARCH on the emitted schema', () => {
    const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
    expect(body).toContain(`SEARCH('{\\\\\\"GenAiBlueprint\\\\\\",\\\\\\"Model\\\\\\",\\\\\\"Tenant\\\\\\"}  MetricName=\\\\\\"CostUsd\\\\\\"', 'Sum', 300)`);
  });

  test('cache hit rate below the floor over an hour, judged only with at least 20 lookups', () => {
    const [hitRate] = byMetric(template, 'AWS/ElastiCache', 'CacheHits');
    expect(hitRate.Properties).toMatchObject({ Threshold: 5, ComparisonOperator: 'LessThanThreshold' });
    expect(hitRate.Properties.Metrics[0].Expression).toBe('IF((hits + misses) >= 20, 100 * hits / (hits + misses), 100)');
    expect(hitRate.Properties.Metrics[1].MetricStat.Period).toBe(3_600);
  });

  test('guardrail interventions spike', () => {
    const [spike] = byMetric(template, 'AWS/Bedrock/Guardrails', 'InvocationsIntervened');
    expect(spike.Properties).toMatchObject({ Threshold: 25, ComparisonOperator: 'GreaterThanOrEqualToThreshold', Period: 300 });
  });

  test('session store faults: any in 5 minutes alarms, on the metric the prompt function publishes with the service dimension only', () => {
    const [alarm] = byMetric(template, 'GenAiBlueprint', 'SessionStoreErrors');
    expect(alarm.Properties).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Period: 300,
      Statistic: 'Sum',
      Dimensions: [{ Name: 'service', Value: 'prompt' }],
    });
    expect(alarm.Properties.AlarmDescription).toContain('503');
  });

  test('the dashboard graphs the dependency faults (cache, session store, feedback recording) as published: service dimension only', () => {
    const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);
    for (const metricName of ['CacheErrors', 'SessionStoreErrors', 'FeedbackRecordErrors']) {
      // A metric widget entry: [namespace, name, dimension, value, ...]; no Model or Tenant follows.
      expect(body).toMatch(new RegExp(`\\[\\\\"GenAiBlueprint\\\\",\\\\"${metricName}\\\\",\\\\"service\\\\",\\\\"prompt\\\\",\\{`));
    }
    // A SEARCH on the {service, Model, Tenant} schema never finds them.
    expect(body).not.toMatch(/SEARCH\([^)]*(CacheErrors|SessionStoreErrors|FeedbackRecordErrors)/);
  });

  test('no cache, guardrail, session store or feedback graph or alarm without them; thresholds come from props', () => {
    const { template: t } = build({ latencyP99: Duration.seconds(5), apiErrorRatePercent: 5, dailyCostBudgetUsd: 3 });
    expect(byMetric(t, 'AWS/ElastiCache', 'CacheHits')).toHaveLength(0);
    expect(byMetric(t, 'AWS/Bedrock/Guardrails', 'InvocationsIntervened')).toHaveLength(0);
    expect(byMetric(t, 'GenAiBlueprint', 'SessionStoreErrors')).toHaveLength(0);
    expect(JSON.stringify(Object.values(t.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody)).not.toMatch(
      /CacheErrors|SessionStoreErrors|FeedbackRecordErrors/,
    );
    expect(byMetric(t, 'AWS/ApiGateway', '5XXError')[0].Properties.Threshold).toBe(0.05);
    expect(byMetric(t, 'AWS/Bedrock', 'InvocationLatency')[0].Properties.Threshold).toBe(5_000);
    expect(byMetric(t, 'GenAiBlueprint', 'CostUsd')[0].Properties.Threshold).toBe(3);
    t.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test('the topic is KMS-encrypted, SSL-only, usable by CloudWatch alarms, and mails the configured address', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'] })]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topicId } });
  });

  test('alarms may publish: a topic policy replaces the default one, so it allows cloudwatch.amazonaws.com for this account and Region only', () => {
    const alarmArns = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*']],
    };
    const fromAlarms = { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': alarmArns } };
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: { Ref: topicId },
            Condition: fromAlarms,
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Condition: fromAlarms })]) },
    });
    // Every alarm action goes to that topic.
    const actions = alarmsOf(template).flatMap((a) => a.Properties.AlarmActions ?? []);
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) expect(action).toEqual({ Ref: topicId });
  });

  test('alarm and dashboard names are generated from stack and path', () => {
    const names = alarmsOf(template).map((a) => a.Properties.AlarmName as string);
    for (const name of names) expect(name).toMatch(/^Test-Observability-[0-9A-F]{8}-/);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: Match.stringLikeRegexp('^Test-Observability-[0-9A-F]{8}') });
  });

  test.each<[string, Partial<ObservabilityProps>, string]>([
    ['the error rate is 0', { apiErrorRatePercent: 0 }, 'apiErrorRatePercent must be between 0.1 and 100, got 0'],
    ['the budget is negative', { dailyCostBudgetUsd: -1 }, 'dailyCostBudgetUsd must be between 0.01 and 1000000, got -1'],
    ['the cache floor is 120%', { cacheHitRateFloorPercent: 120 }, 'cacheHitRateFloorPercent must be between 0 and 100, got 120'],
    ['the latency is 30 s', { latencyP99: Duration.seconds(30) }, 'latencyP99 (ms) must be between 100 and 29000, got 30000'],
    [
      'eleven models are routed',
      { models: Array.from({ length: 11 }, () => nova('nova-lite')) },
      'models must hold 1 to 10 models (one cost expression sums them), got 11',
    ],
    ['no tenant is named', { tenants: [] }, 'tenants must name at least one tenant, got none'],
    ['the alarm email is not an address', { alarmEmail: 'ops' }, 'alarmEmail must be an email address, got "ops"'],
  ])('fails when %s', (_what, props, message) => {
    expect(() => build(props)).toThrow(message);
  });

  test.each([
    ['AwsSolutions', new AwsSolutionsChecks()],
    ['Serverless', new ServerlessChecks()],
  ])('cdk-nag %s: no unacknowledged finding', (_pack, checks) => {
    const report = checks.validateScope(full.observability);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});
