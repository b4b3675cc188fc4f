import { App, type CfnResource, type IPolicyValidationContext, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { acknowledgementsIn, auditAcknowledgements, GenAiBlueprintChecks, runRecordingFindings, StaleAcknowledgementChecks } from '../../lib/checks';
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

describe('acknowledgements as written', () => {
  test('reads the id and reason of each acknowledgement, in the current and the older formats, and nothing else', () => {
    const stack = fixtureStack();
    const bucket = new s3.Bucket(stack, 'Bucket', { enforceSSL: true });
    Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: REASON });
    // Older aws-cdk-lib releases wrote `annotation::<id>` and `{ reason }`.
    bucket.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, {
      'annotation::AwsSolutions-S10': { reason: 'older' },
      'annotation::AwsSolutions-S2': {},
      'AwsSolutions-Old::S5[annotation::x]': null,
    });
    // Metadata of another kind is no acknowledgement, whatever it holds.
    bucket.node.addMetadata('fixture:note', { 'Annotation::AwsSolutions-S3': REASON });
    expect(acknowledgementsIn(stack)).toEqual([
      { path: 'Fixture/Bucket', id: 'AwsSolutions-S1', reason: REASON },
      { path: 'Fixture/Bucket', id: 'AwsSolutions-S10', reason: 'older' },
      { path: 'Fixture/Bucket', id: 'AwsSolutions-S2', reason: '' },
      { path: 'Fixture/Bucket', id: 'AwsSolutions-Old::S5[annotation::x]', reason: '' },
    ]);
  });
});

describe('findings recorded during a run', () => {
  test('records each rule that fired on each resource, acknowledged or not, and later runs leave the record alone', () => {
    const stack = fixtureStack();
    const group = new logs.LogGroup(stack, 'Logs', { logGroupName: '/fixture/fixed', removalPolicy: RemovalPolicy.RETAIN });
    Validations.of(group).acknowledge({ id: 'GenAiBlueprint-RetainedResourceFixedName', reason: REASON });
    new logs.LogGroup(stack, 'Other', { logGroupName: '/fixture/other', removalPolicy: RemovalPolicy.RETAIN });
    const pack = new GenAiBlueprintChecks();
    const first = runRecordingFindings(pack, stack);
    const expected = [
      { path: 'Fixture/Logs/Resource', ruleId: 'GenAiBlueprint-RetainedResourceFixedName' },
      { path: 'Fixture/Other/Resource', ruleId: 'GenAiBlueprint-RetainedResourceFixedName' },
    ];
    expect(first.fired).toEqual(expected);
    expect(first.report.violations.flatMap((v) => v.violatingResources.map((r) => r.constructPath))).toEqual(['Fixture/Other/Resource']);
    const second = runRecordingFindings(pack, stack);
    expect(second.fired).toEqual(expected);
    expect(first.fired).toEqual(expected);
  });

  test('fails clearly on a cdk-nag without the method it listens to', () => {
    const pack = new AwsSolutionsChecks();
    Object.defineProperty(pack, 'isAcknowledged', { value: undefined });
    expect(() => runRecordingFindings(pack, fixtureStack())).toThrow(
      /NagPack no longer has isAcknowledged\(resource, ruleId\): the stale-acknowledgement check .* must be adapted to this cdk-nag version/,
    );
  });
});

describe('where an acknowledgement holds', () => {
  const queueIn = (scope: Construct, id: string) => new sqs.Queue(scope, id, { enforceSSL: true });

  test('on the app: live when the rule fires in any stack, stale when it fires nowhere', () => {
    const stack = fixtureStack();
    const app = stack.node.root;
    queueIn(stack, 'Queue');
    Validations.of(app).acknowledge({ id: 'AwsSolutions-SQS3', reason: REASON }, { id: 'AwsSolutions-S1', reason: REASON });
    const { stale } = auditAcknowledgements(app, [new AwsSolutionsChecks()]);
    expect(stale.map((a) => [a.path, a.id])).toEqual([['', 'AwsSolutions-S1']]);
  });

  test('on the L1 resource itself: live', () => {
    const stack = fixtureStack();
    const queue = queueIn(stack, 'Queue');
    Validations.of(queue.node.defaultChild as Construct).acknowledge({ id: 'AwsSolutions-SQS3', reason: REASON });
    expect(auditAcknowledgements(stack, [new AwsSolutionsChecks()]).stale).toEqual([]);
  });

  test('on a construct beside the one the rule fires on (even one whose name begins the same): stale', () => {
    const stack = fixtureStack();
    queueIn(new Construct(stack, 'Queues2'), 'Queue');
    const sibling = new Construct(stack, 'Queues');
    new s3.Bucket(sibling, 'Bucket', { enforceSSL: true });
    Validations.of(sibling).acknowledge({ id: 'AwsSolutions-SQS3', reason: REASON });
    const { stale } = auditAcknowledgements(stack, [new AwsSolutionsChecks()]);
    expect(stale.map((a) => [a.path, a.id])).toEqual([['Fixture/Queues', 'AwsSolutions-SQS3']]);
  });

  test("with several packs: a stale acknowledgement of any pack's rule is reported", () => {
    const stack = fixtureStack();
    const bucket = new s3.Bucket(stack, 'Bucket', { enforceSSL: true });
    Validations.of(bucket).acknowledge({ id: 'AwsSolutions-SQS3', reason: REASON }, { id: 'Serverless-SQSRedrivePolicy', reason: REASON });
    const { stale } = auditAcknowledgements(stack, [new AwsSolutionsChecks(), new ServerlessChecks()]);
    expect(stale.map((a) => a.id)).toEqual(['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy']);
  });
});

describe('the validation plugin', () => {
  const appWith = (...acks: string[]) => {
    const app = new App({ analyticsReporting: false, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Fixture');
    const queue = new sqs.Queue(stack, 'Queue', { enforceSSL: true });
    Validations.of(queue).acknowledge(...acks.map((id) => ({ id, reason: REASON })));
    return { app, stack };
  };
  const context = (app: App): IPolicyValidationContext => ({ templatePaths: [], stackTemplates: [], appConstruct: app });

  test('reports each stale acknowledgement as an error on the construct that carries it, with its reason', () => {
    const { app } = appWith('AwsSolutions-SQS3', 'AwsSolutions-S1');
    const report = new StaleAcknowledgementChecks([new AwsSolutionsChecks()]).validate(context(app));
    expect(report).toEqual({
      success: false,
      violations: [
        {
          ruleName: 'StaleAcknowledgement[AwsSolutions-S1]',
          description:
            'Fixture/Queue acknowledges AwsSolutions-S1, which fires on nothing at or below it: ' + `remove the acknowledgement (its reason: "${REASON}").`,
          severity: 'error',
          violatingResources: [{ constructPath: 'Fixture/Queue', locations: [] }],
        },
      ],
    });
  });

  test('passes when every acknowledgement hides a finding, and leaves superseded ids alone', () => {
    expect(new StaleAcknowledgementChecks([new AwsSolutionsChecks()]).validate(context(appWith('AwsSolutions-SQS3').app))).toEqual({
      success: true,
      violations: [],
    });
    const { app } = appWith('AwsSolutions-SQS3', 'AwsSolutions-S1', 'AwsSolutions-S10');
    const report = new StaleAcknowledgementChecks([new AwsSolutionsChecks()], ['AwsSolutions-S1']).validate(context(app));
    expect(report.violations.map((v) => v.ruleName)).toEqual(['StaleAcknowledgement[AwsSolutions-S10]']);
  });

  test('runs a pack that did not run on the whole app itself', () => {
    const { app, stack } = appWith('AwsSolutions-SQS3', 'AwsSolutions-S1');
    const pack = new AwsSolutionsChecks();
    const plugin = new StaleAcknowledgementChecks([pack]);
    pack.validateScope(stack); // on the stack only: the app may hold acknowledgements above it
    expect(plugin.validate(context(app)).violations.map((v) => v.ruleName)).toEqual(['StaleAcknowledgement[AwsSolutions-S1]']);
  });

  test('in synth, judges each resource once (the packs are not run again) and names itself in the report', () => {
    const judged: string[] = [];
    class Recording extends AwsSolutionsChecks {
      protected checkResource(node: CfnResource): void {
        judged.push(node.node.path);
        super.checkResource(node);
      }
    }
    const { app } = appWith('AwsSolutions-SQS3', 'AwsSolutions-S1');
    const packs = [new Recording(app)];
    Validations.of(app).addPlugins(...packs, new StaleAcknowledgementChecks(packs));
    expect(() => app.synth()).toThrow(/acknowledges AwsSolutions-S1, .*\(StaleAcknowledgements\)/);
    expect(judged.length).toBeGreaterThan(0);
    expect(new Set(judged).size).toBe(judged.length);
  });
});
