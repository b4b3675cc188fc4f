import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { ModelApi } from '../../lib/constructs/api/model-api';
import { Feedback, type FeedbackProps } from '../../lib/constructs/feedback/feedback';
import { CDK_JSON_CONTEXT } from '../support/synth';

function build(props: Partial<FeedbackProps> = {}, opts: { promptFunction?: boolean } = {}) {
  const app = new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Test');
  const api = new ModelApi(stack, 'Api');
  api.acknowledgeNoWebAcl('Test fixture: the block alone, without the gateway that adds the web ACL');
  const feedback = new Feedback(stack, 'Feedback', { api, ...props });
  if (opts.promptFunction) {
    const fn = new lambda.Function(stack, 'Prompt', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    feedback.grantRecordAnswers(fn);
  }
  return { stack, feedback, template: Template.fromStack(stack) };
}

/** Every IAM statement that grants a DynamoDB action, with the role it is attached to. */
function dynamoStatements(template: Template): { roles: unknown; Action: string[]; Resource: unknown[] }[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
    (p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
      .filter((st) => JSON.stringify(st.Action).includes('dynamodb:'))
      .map((st) => ({ roles: p.Properties.Roles, Action: [st.Action].flat().sort(), Resource: [st.Resource].flat() })),
  );
}

/** The thumbs-down rate, with each counter FILLed to 0 where the period has no datapoint for it. */
const rateExpression = (minRatings: number) => `IF((FILL(up, 0) + FILL(down, 0)) >= ${minRatings}, FILL(down, 0) / (FILL(up, 0) + FILL(down, 0)), 0)`;

describe('Feedback', () => {
  const { template, stack, feedback } = build({}, { promptFunction: true });
  const tableArn = { 'Fn::GetAtt': [stack.resolve((feedback.table.node.defaultChild as unknown as { logicalId: string }).logicalId), 'Arn'] };

  test('table keyed by requestId: on-demand, PITR, TTL, AWS-managed KMS encryption, deletion protection, retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'requestId', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('POST /feedback: body validated by API Gateway (requestId pattern, rating enum, comment cap, nothing else)', () => {
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Name: 'FeedbackRequest',
      Schema: {
        type: 'object',
        required: ['requestId', 'rating'],
        additionalProperties: false,
        properties: {
          requestId: { type: 'string', pattern: '^[A-Za-z0-9-]{1,128}$' },
          rating: { type: 'string', enum: ['up', 'down'] },
          comment: { type: 'string', maxLength: 1000 },
        },
      },
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      AuthorizationType: 'AWS_IAM',
      RequestModels: { 'application/json': Match.anyValue() },
    });
  });

  test('least privilege: the feedback function may GetItem and UpdateItem, the prompt function PutItem, on the table ARN only', () => {
    const statements = dynamoStatements(template);
    expect(statements.map(({ Action, Resource }) => ({ Action, Resource }))).toEqual(
      expect.arrayContaining([
        { Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: [tableArn] },
        { Action: ['dynamodb:PutItem'], Resource: [tableArn] },
      ]),
    );
    expect(statements).toHaveLength(2);
  });

  test('the prompt function gets FEEDBACK_TABLE and the window; the feedback function also the comment cap', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: {
        Variables: { FEEDBACK_TABLE: { Ref: Match.stringLikeRegexp('^FeedbackTable') }, FEEDBACK_WINDOW_DAYS: '7', FEEDBACK_RETENTION_DAYS: '365' },
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ FEEDBACK_MAX_COMMENT_CHARS: '1000', FEEDBACK_WINDOW_DAYS: '7' }) },
    });
  });

  test('alarm: thumbs-down share of the hour above 0.3 once at least 20 ratings were given, from the counters the function emits', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0.3,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: rateExpression(20), ReturnData: true }),
        Match.objectLike({ Id: 'up', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'FeedbackUp' }) }) }),
        Match.objectLike({
          Id: 'down',
          ReturnData: false,
          MetricStat: {
            Metric: { Namespace: 'GenAiBlueprint', MetricName: 'FeedbackDown', Dimensions: [{ Name: 'service', Value: 'feedback' }] },
            Period: 3600,
            Stat: 'Sum',
          },
        }),
      ]),
    });
    expect(feedback.thumbsDownAlarm).toBeDefined();
  });

  test('a period with thumbs-down ratings only still has a rate: every use of a counter is FILLed to 0', () => {
    // CloudWatch metric math on a missing datapoint gives no value, and the alarm treats no value as
    // not breaching: an unfilled `up` would silence the alarm exactly when every rating is thumbs-down.
    const { expression } = feedback.metricThumbsDownRate(20);
    const unfilled = expression.replace(/FILL\((up|down), 0\)/g, '');
    expect(unfilled).not.toMatch(/\b(up|down)\b/);
    expect(expression).toMatch(/FILL\(up, 0\)/);
    expect(expression).toMatch(/FILL\(down, 0\)/);
  });

  test('per model and prompt version: the rate for one pair uses the dimension set the function emits', () => {
    const rate = feedback.metricThumbsDownRate(5, { Model: 'nova-lite', PromptVersion: '3' });
    expect(rate.expression).toBe(rateExpression(5));
    expect((rate.usingMetrics.down as import('aws-cdk-lib/aws-cloudwatch').Metric).dimensions).toEqual({
      service: 'feedback',
      Model: 'nova-lite',
      PromptVersion: '3',
    });
  });

  test('configured settings reach the route, function and alarm', () => {
    const { template: t } = build({
      maxCommentChars: 200,
      thumbsDownAlarmRate: 0.5,
      alarmMinRatings: 3,
      alarmPeriod: Duration.minutes(15),
      window: Duration.days(2),
    });
    t.hasResourceProperties('AWS::ApiGateway::Model', {
      Schema: Match.objectLike({ properties: Match.objectLike({ comment: { type: 'string', maxLength: 200 } }) }),
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ FEEDBACK_MAX_COMMENT_CHARS: '200', FEEDBACK_WINDOW_DAYS: '2' }) },
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 0.5,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: rateExpression(3) }),
        Match.objectLike({ Id: 'up', MetricStat: Match.objectLike({ Period: 900 }) }),
      ]),
    });
  });

  test.each([
    [{ window: Duration.days(0) }, 'window (days) must be an integer between 1 and 90, got 0'],
    [{ retention: Duration.days(4000) }, 'retention (days) must be an integer between 1 and 3650, got 4000'],
    [{ maxCommentChars: 0 }, 'maxCommentChars must be an integer between 1 and 4000, got 0'],
    [{ thumbsDownAlarmRate: 0 }, 'thumbsDownAlarmRate must be above 0 and at most 1, got 0'],
    [{ thumbsDownAlarmRate: 1.5 }, 'thumbsDownAlarmRate must be above 0 and at most 1, got 1.5'],
    [{ alarmMinRatings: 0.5 }, 'alarmMinRatings must be an integer between 1 and 10000, got 0.5'],
    [{ alarmPeriod: Duration.minutes(1) }, 'alarmPeriod (minutes) must be an integer between 5 and 1440, got 1'],
  ])('fails when %o', (props, message) => {
    expect(() => build(props as Partial<FeedbackProps>)).toThrow(message);
  });

  test('a token value is not validated at synth', () => {
    const app = new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
    const s = new Stack(app, 'Tok');
    const chars = new CfnParameter(s, 'Chars', { type: 'Number' }).valueAsNumber;
    expect(() => new Feedback(s, 'Feedback', { api: new ModelApi(s, 'Api'), maxCommentChars: chars })).not.toThrow();
  });

  test.each([
    ['AwsSolutions', new AwsSolutionsChecks()],
    ['Serverless', new ServerlessChecks()],
  ])('cdk-nag %s: no unacknowledged finding on the API and the feedback block', (_pack, checks) => {
    const report = checks.validateScope(build().stack);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});
