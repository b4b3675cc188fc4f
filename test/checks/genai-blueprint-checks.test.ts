import { App, type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { NagRuleCompliance } from 'cdk-nag';
import { GenAiBlueprintChecks } from '../../lib/checks';
import { SnsTopicPolicyAllowsPublishers } from '../../lib/checks/rules/sns-topic-policy-allows-publishers';
import { fixtureStack } from './fixture';

/**
 * The pack itself: its rules are judged across the whole stack (an index of the template), which
 * each run must read afresh, and leave fresh for whoever reads it next. The rules have their own tests.
 */
const topicIn = (stack: Stack) => {
  const topic = new sns.Topic(stack, 'Topic', { enforceSSL: true });
  return { topic, node: topic.node.findChild('Resource') as CfnResource };
};
/** An alarm that publishes to `topic`: the topic's policy (enforceSSL's) then lets CloudWatch publish nothing. */
const alarmOn = (stack: Stack, topic: sns.Topic) =>
  topic.metricNumberOfNotificationsFailed().createAlarm(stack, 'Alarm', { threshold: 1, evaluationPeriods: 1 }).addAlarmAction(new actions.SnsAction(topic));
const ruleNames = (stack: Stack) => new GenAiBlueprintChecks().validateScope(stack).violations.map((v) => v.ruleName);

describe('GenAiBlueprintChecks', () => {
  test('a run sees the stack as it is now, even after a rule read it before a change', () => {
    const stack = fixtureStack();
    const { topic, node } = topicIn(stack);
    expect(SnsTopicPolicyAllowsPublishers(node)).toBe(NagRuleCompliance.NOT_APPLICABLE); // no publisher yet
    alarmOn(stack, topic);
    expect(ruleNames(stack)).toEqual(['GenAiBlueprint-SnsTopicPolicyAllowsPublishers[Publish:cloudwatch.amazonaws.com]']);
  });

  test('after a run, a rule judged on its own sees later changes too', () => {
    const stack = fixtureStack();
    const { topic, node } = topicIn(stack);
    expect(ruleNames(stack)).toEqual([]);
    alarmOn(stack, topic);
    expect(SnsTopicPolicyAllowsPublishers(node)).toEqual(['Publish:cloudwatch.amazonaws.com']);
  });

  test('in synth, its findings are reported under its name', () => {
    const app = new App({ analyticsReporting: false, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Fixture');
    alarmOn(stack, topicIn(stack).topic);
    Validations.of(app).addPlugins(new GenAiBlueprintChecks(app));
    expect(() => app.synth()).toThrow(/ \(GenAiBlueprint\)\n.*Fixture\/Topic\/Resource/);
  });
});
