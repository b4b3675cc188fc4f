import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { auditAcknowledgements, GenAiBlueprintChecks, StaleAcknowledgementChecks } from '../../lib/checks';
import { fixtureStack } from './fixture';

const REASON = 'a reason of substance for the fixture, long enough to read as one';

describe('stale acknowledgements', () => {
  test('fails for an acknowledgement whose rule fires on nothing at or below its construct', () => {
    const stack = fixtureStack();
    const bucket = new s3.Bucket(stack, 'Bucket', { enforceSSL: true });
    Validations.of(bucket).acknowledge({ id: 'AwsSolutions-SQS3', reason: REASON }); // a queue rule, on a bucket
    const { stale } = auditAcknowledgements(stack, [new AwsSolutionsChecks()]);
    expect(stale.map((a) => [a.path, a.id])).toEqual([['Fixture/Bucket', 'AwsSolutions-SQS3']]);
  });

  test('fails for a plain id where the rule reports findings (cdk-nag then matches only Rule[finding]), passes for a live one', () => {
    const stack = fixtureStack();
    const group = new logs.LogGroup(stack, 'Logs', { logGroupName: '/fixture/fixed', removalPolicy: RemovalPolicy.RETAIN });
    Validations.of(group).acknowledge({ id: 'GenAiBlueprint-RetainedResourceFixedName', reason: REASON });
    const topic = new sns.Topic(stack, 'Topic', { enforceSSL: true });
    topic.metricNumberOfNotificationsFailed().createAlarm(stack, 'Alarm', { threshold: 1, evaluationPeriods: 1 }).addAlarmAction(new actions.SnsAction(topic));
    Validations.of(topic).acknowledge({ id: 'GenAiBlueprint-SnsTopicPolicyAllowsPublishers', reason: REASON });
    const { stale, reports } = auditAcknowledgements(stack, [new GenAiBlueprintChecks()]);
    expect(stale.map((a) => a.id)).toEqual(['GenAiBlueprint-SnsTopicPolicyAllowsPublishers']);
    expect(reports[0].violations.map((v) => v.ruleName)).toEqual(['GenAiBlueprint-SnsTopicPolicyAllowsPublishers[Publish:cloudwatch.amazonaws.com]']);
  });

  test("passes for acknowledgements that hide a finding, on the resource or on a construct above it; ignores other plugins' ids", () => {
    const stack = fixtureStack();
    const block = new Construct(stack, 'Block');
    new sqs.Queue(block, 'Queue', { enforceSSL: true });
    Validations.of(block).acknowledge({ id: 'AwsSolutions-SQS3', reason: REASON }, { id: 'Serverless-SQSRedrivePolicy', reason: REASON });
    Validations.of(block).acknowledge({ id: 'CloudFormation-Validate::W3010', reason: REASON });
    const audit = auditAcknowledgements(stack, [new AwsSolutionsChecks(), new ServerlessChecks()]);
    expect(audit.stale).toEqual([]);
    expect(audit.reports.flatMap((r) => r.violations)).toEqual([]);
  });

  test('as a validation plugin: synth fails on a stale acknowledgement, and passes without it', () => {
    const build = (stale: boolean) => {
      const app = new App({ analyticsReporting: false, builtinCloudFormationValidation: false });
      const stack = new Stack(app, 'Fixture');
      const queue = new sqs.Queue(stack, 'Queue', { enforceSSL: true });
      Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason: REASON });
      if (stale) Validations.of(queue).acknowledge({ id: 'AwsSolutions-S1', reason: REASON });
      const packs = [new AwsSolutionsChecks(app)];
      Validations.of(app).addPlugins(...packs, new StaleAcknowledgementChecks(packs));
      return app;
    };
    expect(() => build(true).synth()).toThrow(/StaleAcknowledgement\[AwsSolutions-S1\]/);
    expect(() => build(false).synth()).not.toThrow();
  });
});

describe('GenAiBlueprintChecks in synth', () => {
  test('fails synth on a finding, and an acknowledgement of that finding passes it', () => {
    const build = (acknowledged: boolean) => {
      const app = new App({ analyticsReporting: false, builtinCloudFormationValidation: false });
      const stack = new Stack(app, 'Fixture');
      const group = new logs.LogGroup(stack, 'Logs', { logGroupName: '/fixture/fixed', removalPolicy: RemovalPolicy.RETAIN });
      if (acknowledged) Validations.of(group).acknowledge({ id: 'GenAiBlueprint-RetainedResourceFixedName', reason: REASON });
      Validations.of(app).addPlugins(new GenAiBlueprintChecks(app));
      return app;
    };
    expect(() => build(false).synth()).toThrow(/GenAiBlueprint-RetainedResourceFixedName/);
    expect(() => build(true).synth()).not.toThrow();
  });
});
