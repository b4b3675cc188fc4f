import { Duration, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { IModelApi } from '../api/model-api';
import { BlueprintFunction } from '../shared/blueprint-function';
import { type GatewayTenant, tenantDirectoryJson } from '../shared/tenants';
import { checkInteger } from '../shared/checks';
import type { IAlarmSource, IRouteBlock } from '../shared/routes';
import { dataTable } from '../shared/data-table';
import { REQUEST_ID_PATTERN } from '../../../contracts/ids';
import { FEEDBACK_DIMENSIONS, FEEDBACK_METRICS, METRICS_NAMESPACE, SERVICE_DIMENSION } from '../../../contracts/metrics';
import { feedbackEnvSchema, type FeedbackStoreEnvironment, functionEnvironment } from '../../../contracts/env';

/** A rating counter the feedback function publishes (contracts/metrics.ts). */
export type RatingMetric = typeof FEEDBACK_METRICS.up | typeof FEEDBACK_METRICS.down;
/** One model and prompt version's ratings (PromptVersion 'none' below ground 1). */
export type RatingDimensions = { readonly [FEEDBACK_DIMENSIONS.model]: string; readonly [FEEDBACK_DIMENSIONS.promptVersion]: string };

export interface FeedbackProps {
  /** The API that serves `POST /feedback`. */
  readonly api: IModelApi;
  /** How long after an answer it can be rated (1-90 days). @default Duration.days(7) */
  readonly window?: Duration;
  /** How long a rating is kept for evaluation, from when it was given (1-3650 days). @default Duration.days(365) */
  readonly retention?: Duration;
  /** Longest accepted comment (1-4000 characters). @default 1000 */
  readonly maxCommentChars?: number;
  /** The alarm fires when this share of a period's ratings is thumbs-down (above 0, at most 1). @default 0.3 */
  readonly thumbsDownAlarmRate?: number;
  /** Periods with fewer ratings never fire the alarm (1-10000). @default 20 */
  readonly alarmMinRatings?: number;
  /** Period of the thumbs-down rate (5 minutes to 1 day, whole minutes). @default Duration.hours(1) */
  readonly alarmPeriod?: Duration;
  /** Refuse to delete the table through CloudFormation or the console. @default true */
  readonly deletionProtection?: boolean;
  /** The TENANTS value the prompt function gets, so callers resolve to the same owners. @default no tenants */
  readonly tenants?: readonly GatewayTenant[];
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** Feedback the prompt function records its answers for: the `Feedback` construct, or one imported (`Feedback.fromFeedbackAttributes`). */
export interface IFeedback {
  readonly table: dynamodb.ITable;
  /** Settings the prompt function needs to record answers (see `grantRecordAnswers`). */
  readonly environment: Readonly<FeedbackStoreEnvironment>;
  /** Lets the prompt function record its answers and sets FEEDBACK_* in its environment. */
  grantRecordAnswers(fn: lambda.Function): iam.Grant;
  /** Ratings given (`FeedbackUp` or `FeedbackDown`), summed per period. */
  metricRatings(metricName: RatingMetric, options?: cloudwatch.MetricOptions & { dimensions?: RatingDimensions }): cloudwatch.Metric;
}

export interface FeedbackAttributes {
  /** The table (partition key `requestId`, TTL attribute `expiresAt`), e.g. from `Table.fromTableName`. */
  readonly table: dynamodb.ITable;
  /** As `FeedbackProps.window`. @default Duration.days(7) */
  readonly window?: Duration;
  /** As `FeedbackProps.retention`. @default Duration.days(365) */
  readonly retention?: Duration;
}

abstract class FeedbackBase extends Construct implements IFeedback {
  public abstract readonly table: dynamodb.ITable;
  public abstract readonly environment: Readonly<FeedbackStoreEnvironment>;
  protected abstract readonly ratingsPeriod: Duration;

  /**
   * Ratings given (`FeedbackUp` or `FeedbackDown`), summed per period. Without `dimensions`, over
   * every model and prompt; with `{ Model, PromptVersion }` (PromptVersion 'none' below ground 1), for one.
   */
  public metricRatings(metricName: RatingMetric, options: cloudwatch.MetricOptions & { dimensions?: RatingDimensions } = {}): cloudwatch.Metric {
    const { dimensions, ...rest } = options;
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      // The dimension sets the feedback function's Powertools metrics carry.
      dimensionsMap: { [SERVICE_DIMENSION]: 'feedback', ...dimensions },
      statistic: cloudwatch.Stats.SUM,
      period: this.ratingsPeriod,
      ...rest,
    });
  }

  /** Lets the prompt function record its answers (PutItem on this table only) and sets FEEDBACK_* in its environment. */
  public grantRecordAnswers(fn: lambda.Function): iam.Grant {
    for (const [key, value] of Object.entries(this.environment)) fn.addEnvironment(key, value);
    return this.table.grant(fn, 'dynamodb:PutItem');
  }
}

function feedbackWindow(settings: Pick<FeedbackProps, 'window' | 'retention'>): { windowDays: number; retentionDays: number } {
  const windowDays = (settings.window ?? Duration.days(7)).toDays({ integral: false });
  const retentionDays = (settings.retention ?? Duration.days(365)).toDays({ integral: false });
  checkInteger('window (days)', windowDays, 1, 90);
  checkInteger('retention (days)', retentionDays, 1, 3_650);
  return { windowDays, retentionDays };
}

/**
 * Human feedback on answers: `POST /feedback` (rating up/down, optional comment, the requestId of
 * the answer) stored idempotently in an on-demand DynamoDB table (one item per answer: what the
 * prompt function recorded plus the rating; PITR, TTL, AWS-managed key, deletion protection,
 * RETAIN), rating counters per model and prompt version, and an alarm on the thumbs-down rate.
 * For evaluation, `scripts/export-feedback.ts` writes the rated answers as JSON lines.
 */
export class Feedback extends FeedbackBase implements IRouteBlock, IAlarmSource {
  /** A feedback table created elsewhere (the same key schema): the prompt function records its answers there. */
  public static fromFeedbackAttributes(scope: Construct, id: string, attrs: FeedbackAttributes): IFeedback {
    const { windowDays, retentionDays } = feedbackWindow(attrs);
    class Import extends FeedbackBase {
      public readonly table = attrs.table;
      public readonly environment: FeedbackStoreEnvironment = {
        FEEDBACK_TABLE: attrs.table.tableName,
        FEEDBACK_WINDOW_DAYS: String(windowDays),
        FEEDBACK_RETENTION_DAYS: String(retentionDays),
      };
      protected readonly ratingsPeriod = Duration.hours(1);
    }
    return new Import(scope, id);
  }

  public readonly table: dynamodb.Table;
  public readonly feedbackFunction: BlueprintFunction;
  /** `POST /feedback`, for usage plans and API key requirements. */
  public readonly method: apigateway.Method;
  /** In ALARM when the thumbs-down share of a period's ratings is above `thumbsDownAlarmRate`. */
  public readonly thumbsDownAlarm: cloudwatch.Alarm;
  /** Settings the prompt function needs to record answers (see `grantRecordAnswers`). */
  public readonly environment: Readonly<FeedbackStoreEnvironment>;
  private readonly alarmPeriod: Duration;

  constructor(scope: Construct, id: string, props: FeedbackProps) {
    super(scope, id);
    const { windowDays, retentionDays } = feedbackWindow(props);
    const maxCommentChars = props.maxCommentChars ?? 1_000;
    const rate = props.thumbsDownAlarmRate ?? 0.3;
    const minRatings = props.alarmMinRatings ?? 20;
    this.alarmPeriod = props.alarmPeriod ?? Duration.hours(1);
    const periodMinutes = this.alarmPeriod.toMinutes({ integral: false });
    checkInteger('maxCommentChars', maxCommentChars, 1, 4_000);
    checkInteger('alarmMinRatings', minRatings, 1, 10_000);
    checkInteger('alarmPeriod (minutes)', periodMinutes, 5, 1_440);
    if (!Token.isUnresolved(rate) && !(rate > 0 && rate <= 1)) throw new Error(`thumbsDownAlarmRate must be above 0 and at most 1, got ${rate}`);

    this.table = dataTable(this, 'Table', {
      partitionKey: 'requestId',
      timeToLiveAttribute: 'expiresAt',
      deletionProtection: props.deletionProtection ?? true,
    });
    this.environment = { FEEDBACK_TABLE: this.table.tableName, FEEDBACK_WINDOW_DAYS: String(windowDays), FEEDBACK_RETENTION_DAYS: String(retentionDays) };

    this.feedbackFunction = new BlueprintFunction(this, 'FeedbackFunction', {
      handlerDir: 'feedback',
      description: 'genai-blueprint: answers POST /feedback (rates an answer the caller received)',
      memorySize: 256,
      timeout: Duration.seconds(10),
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      invokedBy: 'api-gateway',
      environment: functionEnvironment(feedbackEnvSchema, {
        ...this.environment,
        FEEDBACK_MAX_COMMENT_CHARS: String(maxCommentChars),
        ...(props.tenants?.length ? { TENANTS: tenantDirectoryJson(this, props.tenants) } : {}),
      }),
    });
    this.table.grant(this.feedbackFunction, 'dynamodb:GetItem', 'dynamodb:UpdateItem');

    this.method = props.api.addJsonRoute('feedback', this.feedbackFunction, {
      modelName: 'FeedbackRequest',
      bodySchema: {
        schema: apigateway.JsonSchemaVersion.DRAFT4,
        type: apigateway.JsonSchemaType.OBJECT,
        required: ['requestId', 'rating'],
        additionalProperties: false,
        properties: {
          requestId: { type: apigateway.JsonSchemaType.STRING, pattern: REQUEST_ID_PATTERN.source },
          rating: { type: apigateway.JsonSchemaType.STRING, enum: ['up', 'down'] },
          comment: { type: apigateway.JsonSchemaType.STRING, maxLength: maxCommentChars },
        },
      },
    });

    this.thumbsDownAlarm = this.metricThumbsDownRate(minRatings).createAlarm(this, 'ThumbsDownAlarm', {
      alarmDescription:
        `More than ${rate * 100}% of the answers rated in a period were thumbs-down (with at least ${minRatings} ratings): ` +
        `see the FeedbackDown metric by Model and PromptVersion`,
      threshold: rate,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** The alarms of this block (the thumbs-down rate), for a topic to notify. */
  public get alarms(): cloudwatch.Alarm[] {
    return [this.thumbsDownAlarm];
  }

  public get routeFunctions(): BlueprintFunction[] {
    return [this.feedbackFunction];
  }

  public get methods(): apigateway.Method[] {
    return [this.method];
  }

  protected get ratingsPeriod(): Duration {
    return this.alarmPeriod;
  }

  /** Share of thumbs-down among a period's ratings, 0 when fewer than `minRatings` were given. */
  public metricThumbsDownRate(minRatings = 1, dimensions?: RatingDimensions): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      // A period with ratings of one kind only has no datapoint for the other counter, and arithmetic
      // on a missing datapoint gives no value (treated as not breaching): FILL makes it 0, so a
      // period of thumbs-down only is a rate of 1. Below the minimum, or with no ratings, the rate
      // is 0: no division by zero, no alarm on one vote.
      expression: `IF((FILL(up, 0) + FILL(down, 0)) >= ${minRatings}, FILL(down, 0) / (FILL(up, 0) + FILL(down, 0)), 0)`,
      usingMetrics: { up: this.metricRatings(FEEDBACK_METRICS.up, { dimensions }), down: this.metricRatings(FEEDBACK_METRICS.down, { dimensions }) },
      label: 'Thumbs-down rate',
      period: this.alarmPeriod,
    });
  }
}
