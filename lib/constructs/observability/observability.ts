import { Duration, Names, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import {
  type AlarmWithAnnotation,
  type CustomMetric,
  type CustomMetricSearch,
  DefaultDashboardFactory,
  DefaultDashboards,
  MetricStatistic,
  MonitoringFacade,
  SnsAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { encryptedAlarmTopic } from '../shared/alarm-topic';
import { checkRange } from '../shared/checks';
import type { IModelApi } from '../api/model-api';
import type { IResponseCache } from '../cache/response-cache';
import type { IFeedback } from '../feedback/feedback';
import type { IGuardrail } from '../guardrail/guardrail';
import type { ISessionStore } from '../sessions/session-store';
import type { BedrockModel } from '../shared/bedrock-model';
import { USAGE_DIMENSIONS, USAGE_METRICS } from '../../../contracts/usage';
import { FAULT_METRICS, GUARDRAIL_METRICS, METRICS_NAMESPACE, PROMPT_METRICS, SERVICE_DIMENSION } from '../../../contracts/metrics';

export interface ObservabilityProps {
  /** The API clients call: an `IModelApi`, or any REST API. */
  readonly api: IModelApi | apigateway.IRestApi;
  /** Functions on the request path: errors and throttles alarm. */
  readonly functions: readonly lambda.IFunction[];
  /**
   * The models the request path calls (1 to 10): Bedrock's own metrics by the id they are
   * called with (`ModelId` of `AWS/Bedrock`: a foundation model or a cross-region inference
   * profile), cost by the catalog alias the model routes report as the `Model` dimension.
   */
  readonly models: readonly BedrockModel[];
  /** Tenant names (the `Tenant` dimension): one daily cost alarm each. */
  readonly tenants: readonly string[];
  /** The `service` dimension of the prompt function's metrics (its handler folder). @default 'prompt' */
  readonly service?: string;
  /** Ground 5: the response cache; its hit rate is graphed and alarmed. @default no cache alarm */
  readonly cache?: IResponseCache;
  /** Ground 3: the guardrail; a spike of its interventions alarms. @default no guardrail alarm */
  readonly guardrail?: IGuardrail;
  /**
   * Ground 7: the session store the prompt function keeps conversations in. Its faults
   * (`SessionStoreErrors`: the chat answers 503) are graphed, and any in 5 minutes alarms.
   * @default no session store graph or alarm
   */
  readonly sessions?: ISessionStore;
  /**
   * Ground 7: the feedback block the prompt function records its answers for. Failures to record
   * (`FeedbackRecordErrors`: the answer is served but cannot be rated) are graphed.
   * @default no feedback recording graph
   */
  readonly feedback?: IFeedback;
  /** Subscribed to the alarm topic. @default no subscription */
  readonly alarmEmail?: string;
  /** p99 API latency that alarms (3 periods of 5 minutes in a row). @default Duration.seconds(10) */
  readonly latencyP99?: Duration;
  /** Percent of API requests answered 5XX over 5 minutes that alarms. @default 1 */
  readonly apiErrorRatePercent?: number;
  /** Model cost of one tenant over a rolling day (USD) that alarms. @default 20 */
  readonly dailyCostBudgetUsd?: number;
  /**
   * Model cost of all tenants and callers without a tenant over a rolling day (USD) that alarms.
   * @default dailyCostBudgetUsd times the number of tenants
   */
  readonly totalDailyCostBudgetUsd?: number;
  /** Cache hit rate (percent) under which the cache alarms, over an hour with at least 20 lookups. @default 5 */
  readonly cacheHitRateFloorPercent?: number;
  /** Guardrail interventions in 5 minutes that alarm. @default 25 */
  readonly guardrailInterventionsPer5Min?: number;
}

/** Cost alarms sum a tenant's cost over the models in one math expression, which takes at most 10 metrics. */
const MAX_MODELS_PER_EXPRESSION = 10;
/** Below this many cache lookups in an hour the hit rate says nothing and is not judged. */
const MIN_CACHE_LOOKUPS = 20;

/**
 * Ground 7's observability: one dashboard and alarms, all notifying one encrypted SNS topic, built
 * with cdk-monitoring-constructs (its API Gateway and Lambda monitors) plus custom metric groups
 * for Bedrock, cost per tenant, the cache and the guardrail. Every alarm says how missing data
 * counts: "no traffic" is never an alarm.
 */
export class Observability extends Construct {
  public readonly topic: sns.Topic;
  public readonly facade: MonitoringFacade;
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly alarms: readonly AlarmWithAnnotation[];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const service = props.service ?? 'prompt';
    const latencyP99 = props.latencyP99 ?? Duration.seconds(10);
    const errorRate = props.apiErrorRatePercent ?? 1;
    const budget = props.dailyCostBudgetUsd ?? 20;
    const totalBudget = props.totalDailyCostBudgetUsd ?? budget * props.tenants.length;
    const cacheFloor = props.cacheHitRateFloorPercent ?? 5;
    const interventions = props.guardrailInterventionsPer5Min ?? 25;

    checkRange('apiErrorRatePercent', errorRate, 0.1, 100);
    checkRange('dailyCostBudgetUsd', budget, 0.01, 1_000_000);
    checkRange('cacheHitRateFloorPercent', cacheFloor, 0, 100);
    checkRange('guardrailInterventionsPer5Min', interventions, 1, 1_000_000);
    checkRange('latencyP99 (ms)', latencyP99.toMilliseconds(), 100, 29_000);
    const modelIds = props.models.map((m) => m.invocationId);
    const modelAliases = props.models.map((m) => m.alias);
    if (modelAliases.length < 1 || modelAliases.length > MAX_MODELS_PER_EXPRESSION) {
      throw new Error(`models must hold 1 to ${MAX_MODELS_PER_EXPRESSION} models (one cost expression sums them), got ${modelAliases.length}`);
    }
    const api = 'addJsonRoute' in props.api ? props.api.restApi : props.api;
    if (props.tenants.length < 1) throw new Error('tenants must name at least one tenant, got none');
    checkRange('totalDailyCostBudgetUsd', totalBudget, 0.01, 1_000_000_000);
    if (props.alarmEmail !== undefined && !Token.isUnresolved(props.alarmEmail) && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.alarmEmail)) {
      throw new Error(`alarmEmail must be an email address, got ${JSON.stringify(props.alarmEmail)}`);
    }

    // --- Topic ------------------------------------------------------------------------------
    this.topic = encryptedAlarmTopic(this, 'genai-blueprint: alarm notifications', 'genai-blueprint alarms').topic;
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    // --- Dashboard and alarms ---------------------------------------------------------------
    // One dashboard (no summary or alarm copies). Dashboard and alarm names are generated from stack
    // and path: two copies of the blueprint in one account never collide.
    const physicalName = Names.uniqueResourceName(this, { maxLength: 60, separator: '-' });
    const dashboards = new DefaultDashboardFactory(this, 'Dashboards', { dashboardNamePrefix: physicalName, detailDashboardRange: Duration.hours(24) });
    this.facade = new MonitoringFacade(this, 'Monitoring', {
      dashboardFactory: dashboards,
      alarmFactoryDefaults: { alarmNamePrefix: physicalName, actionsEnabled: true, action: new SnsAlarmActionStrategy({ onAlarmTopic: this.topic }) },
      metricFactoryDefaults: { namespace: METRICS_NAMESPACE },
    });
    const notBreaching = { treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING };

    this.facade.monitorApiGateway({
      api,
      apiStage: api.deploymentStage.stageName,
      alarmFriendlyName: 'Api',
      // The library's fault rate is the Average of 5XXError: a fraction of requests, not a percentage.
      add5XXFaultRateAlarm: { Critical: { maxErrorRate: errorRate / 100, ...notBreaching } },
      addLatencyP99Alarm: { Critical: { maxLatency: latencyP99, datapointsToAlarm: 3, evaluationPeriods: 3, ...notBreaching } },
    });
    props.functions.forEach((fn, i) =>
      this.facade.monitorLambdaFunction({
        lambdaFunction: fn,
        alarmFriendlyName: `Function${i}`,
        addFaultCountAlarm: { Critical: { maxErrorCount: 0, ...notBreaching } },
        addThrottlesCountAlarm: { Critical: { maxErrorCount: 0, ...notBreaching } },
      }),
    );

    const bedrock = (metricName: string, modelId: string, statistic: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/Bedrock', metricName, dimensionsMap: { ModelId: modelId }, statistic, period: Duration.minutes(5) });
    this.facade.monitorCustom({
      alarmFriendlyName: 'Bedrock',
      humanReadableName: 'Bedrock models (as called)',
      metricGroups: [
        {
          title: 'Throttled invocations',
          metrics: modelIds.map((modelId, i) => ({
            metric: bedrock('InvocationThrottles', modelId, 'Sum'),
            alarmFriendlyName: `Model${i}Throttles`,
            addAlarm: {
              Critical: {
                threshold: 0,
                comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                ...notBreaching,
                additionalDescription: `Bedrock throttled ${modelId}`,
              },
            },
          })),
        },
        {
          title: 'Invocation latency p99',
          metrics: modelIds.map((modelId, i) => ({
            metric: bedrock('InvocationLatency', modelId, 'p99'),
            alarmFriendlyName: `Model${i}Latency`,
            addAlarm: {
              Critical: {
                threshold: latencyP99.toMilliseconds(),
                comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                datapointsToAlarm: 3,
                evaluationPeriods: 3,
                ...notBreaching,
                additionalDescription: `p99 latency of ${modelId}`,
              },
            },
          })),
        },
        { title: 'Input tokens', metrics: modelIds.map((modelId) => bedrock('InputTokenCount', modelId, 'Sum')) },
        { title: 'Output tokens', metrics: modelIds.map((modelId) => bedrock('OutputTokenCount', modelId, 'Sum')) },
      ],
    });

    // The prompt function flushes its own metrics once per request with the dimension set
    // {service, Model, Tenant} (Powertools: addDimensions makes a set, the default `service`
    // joins it).
    const appMetric = (metricName: string, dims: Record<string, string>, period: Duration) =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { [SERVICE_DIMENSION]: service, ...dims }, statistic: 'Sum', period });
    // Spend comes from the usage record every model route publishes (contracts/usage.ts): without
    // a `service` dimension, under {Model, Tenant} and {Model}, so one metric per model sums the
    // prompt, chat-stream and OpenAI routes alike. A budget is the sum over models, in one expression.
    const usageMetric = (metricName: string, dims: Record<string, string>) =>
      new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: dims, statistic: 'Sum', period: Duration.days(1) });
    // Metric ids are unique across expressions: the tenants' expressions share one graph.
    const costOver = (prefix: string, label: string, dims: Record<string, string>) =>
      new cloudwatch.MathExpression({
        expression: modelAliases.map((_, i) => `FILL(${prefix}m${i}, 0)`).join(' + '),
        usingMetrics: Object.fromEntries(
          modelAliases.map((alias, i) => [`${prefix}m${i}`, usageMetric(USAGE_METRICS.cost, { [USAGE_DIMENSIONS.model]: alias, ...dims })]),
        ),
        label,
        period: Duration.days(1),
      });
    // One rolling day over budget alarms (the library's default, 3 datapoints of 3, would wait three days).
    const oneDay = { datapointsToAlarm: 1, evaluationPeriods: 1 };
    const costOf = (tenant: string, t: number) => costOver(`t${t}`, `${tenant} USD/day`, { [USAGE_DIMENSIONS.tenant]: tenant });
    // The library lists every key in the SEARCH schema and filters only on keys given a value.
    const search = (metricName: string, label: string, usage = false): CustomMetricSearch => ({
      searchQuery: `MetricName="${metricName}"`,
      dimensionsMap: {
        ...(usage ? {} : { [SERVICE_DIMENSION]: service }),
        [USAGE_DIMENSIONS.model]: undefined,
        [USAGE_DIMENSIONS.tenant]: undefined,
      } as unknown as Record<string, string>,
      statistic: MetricStatistic.SUM,
      label,
    });
    this.facade.monitorCustom({
      alarmFriendlyName: 'Usage',
      humanReadableName: 'Cost, tokens and interventions (as the functions report them)',
      metricGroups: [
        {
          title: 'Cost per tenant (USD, rolling day)',
          metrics: props.tenants.map((tenant, i) => ({
            metric: costOf(tenant, i),
            alarmFriendlyName: `Tenant${i}Cost`,
            addAlarm: {
              Warning: {
                threshold: budget,
                comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                ...oneDay,
                ...notBreaching,
                additionalDescription: `Model cost of tenant ${tenant} over the day above ${budget} USD`,
              },
            },
          })),
        },
        {
          title: 'Cost of all tenants (USD, rolling day)',
          metrics: [
            {
              metric: costOver('all', 'all USD/day', {}),
              alarmFriendlyName: 'TotalCost',
              addAlarm: {
                Warning: {
                  threshold: totalBudget,
                  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                  ...oneDay,
                  ...notBreaching,
                  additionalDescription: `Model cost of every route and tenant over the day above ${totalBudget} USD`,
                },
              },
            },
          ],
        },
        // Every model and tenant, whatever the configuration says (SEARCH is for graphs only: alarms cannot use it).
        { title: 'Cost by model and tenant (USD)', metrics: [search(USAGE_METRICS.cost, '', true)] },
        { title: 'Tokens', metrics: [search(USAGE_METRICS.inputTokens, 'in', true), search(USAGE_METRICS.outputTokens, 'out', true)] },
        {
          title: 'Guardrail interventions and fallbacks',
          metrics: [
            // Blocked requests end before the model is chosen: only the service dimension.
            appMetric(GUARDRAIL_METRICS.input, {}, Duration.minutes(5)),
            search(GUARDRAIL_METRICS.output, 'output'),
            search(PROMPT_METRICS.modelFallbacks, 'fallbacks'),
          ],
        },
      ],
    });

    // Dependency faults are published at once with the service dimension only (no Model or
    // Tenant: a failed request may have neither), so they are plain metrics, not the SEARCH above.
    const fault = (metricName: string) => appMetric(metricName, {}, Duration.minutes(5));
    const faults: CustomMetric[] = [
      ...(props.cache ? [fault(FAULT_METRICS.cache)] : []),
      ...(props.sessions
        ? [
            {
              metric: fault(FAULT_METRICS.sessionStore),
              alarmFriendlyName: 'SessionStoreErrors',
              addAlarm: {
                Critical: {
                  threshold: 1,
                  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                  // One period, not the library's default of three in a row: every fault is a failed chat.
                  datapointsToAlarm: 1,
                  evaluationPeriods: 1,
                  ...notBreaching,
                  additionalDescription: 'The session store failed: prompt requests are answered 503 (their history could not be read or their turn stored)',
                },
              },
            },
          ]
        : []),
      ...(props.feedback ? [fault(FAULT_METRICS.feedbackRecord)] : []),
    ];
    if (faults.length) {
      this.facade.monitorCustom({
        alarmFriendlyName: 'Dependencies',
        humanReadableName: 'Prompt function dependencies (faults it counted)',
        metricGroups: [{ title: 'Faults (count per 5 minutes)', metrics: faults }],
      });
    }

    if (props.guardrail) {
      this.facade.monitorCustom({
        alarmFriendlyName: 'Guardrail',
        humanReadableName: 'Guardrail (Bedrock)',
        metricGroups: [
          {
            title: 'Interventions',
            metrics: [
              {
                metric: props.guardrail.metricInterventions({ period: Duration.minutes(5) }),
                alarmFriendlyName: 'Interventions',
                addAlarm: {
                  Critical: {
                    threshold: interventions,
                    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                    ...notBreaching,
                    additionalDescription: 'A spike of guardrail interventions: an attack, or a prompt or model change that trips the policy',
                  },
                },
              },
            ],
          },
        ],
      });
    }

    if (props.cache) {
      const hitRate = new cloudwatch.MathExpression({
        expression: `IF((hits + misses) >= ${MIN_CACHE_LOOKUPS}, 100 * hits / (hits + misses), 100)`,
        usingMetrics: {
          hits: props.cache.metric('CacheHits', { period: Duration.hours(1) }),
          misses: props.cache.metric('CacheMisses', { period: Duration.hours(1) }),
        },
        label: 'Hit rate (%)',
        period: Duration.hours(1),
      });
      this.facade.monitorCustom({
        alarmFriendlyName: 'Cache',
        humanReadableName: 'Response cache (ElastiCache reads)',
        metricGroups: [
          {
            title: 'Hit rate (%)',
            metrics: [
              {
                metric: hitRate,
                alarmFriendlyName: 'HitRate',
                addAlarm: {
                  Warning: {
                    threshold: cacheFloor,
                    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                    ...notBreaching,
                    additionalDescription: 'The cache rarely answers: check TTL, key scope and semantic threshold',
                  },
                },
              },
            ],
          },
        ],
      });
    }

    this.dashboard = dashboards.getDashboard(DefaultDashboards.DETAIL)!;
    this.alarms = this.facade.createdAlarms();
    if (props.alarmEmail) {
      Validations.of(this.topic).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason: 'The only subscription is an e-mail address; e-mail deliveries have no dead-letter queue, and alarm states stay visible on the dashboard',
      });
    }
  }
}
