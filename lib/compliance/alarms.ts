import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, type IConstruct } from 'constructs';
import { encryptedAlarmTopic } from '../constructs/shared/alarm-topic';
import { type IRegulatedControl, packRules } from './control';

/** Construct id, at the stack's root, of the topic alarms without an action are given. */
export const REGULATED_ALARMS_ID = 'RegulatedAlarms';

/**
 * CloudWatchAlarmAction (NIST 800-53 Rev. 5 and HIPAA Security): an alarm that notifies nobody
 * does not alert. Ground 7 routes every alarm to its Observability topic; below it, the knowledge
 * base's ingestion alarms (ground 2 up) have no action. Each alarm without one gets the stack's
 * `RegulatedAlarms` topic (encrypted, TLS-only, publishable by this account's alarms only, as
 * Observability's). Subscribe to it (e-mail, chat, a pager) to be told; at ground 7 the alarms notify
 * Observability's topic (`observability.alarmEmail`), and this one stays, unused, so that an upgrade
 * never deletes a topic with subscribers: move them.
 */
export const ALARM_ACTIONS: IRegulatedControl = {
  rules: packRules('CloudWatchAlarmAction'),
  visit(node: IConstruct): void {
    if (!(node instanceof cloudwatch.CfnAlarm)) return;
    const stack = Stack.of(node);
    // Created for every stack with an alarm, also where all have actions (ground 7): going up a
    // ground must not delete a topic someone subscribed to below it.
    const topic = alarmTopic(stack);
    const actions: unknown = stack.resolve(node.alarmActions);
    if (Array.isArray(actions) && actions.length > 0) return;
    if (node.actionsEnabled === false) return;
    node.alarmActions = [topic.topicArn];
  },
};

function alarmTopic(stack: Stack): sns.ITopic {
  const existing = stack.node.tryFindChild(REGULATED_ALARMS_ID);
  const scope = existing ?? new Construct(stack, REGULATED_ALARMS_ID);
  const topic = scope.node.tryFindChild('Topic') as sns.ITopic | undefined;
  if (topic) return topic;
  const created = encryptedAlarmTopic(scope as Construct, 'genai-blueprint: alarm notifications (regulated profile)', 'genai-blueprint alarms');
  // It encrypts only notifications in flight: scheduled for deletion with the stack, not kept.
  created.key.applyRemovalPolicy(RemovalPolicy.DESTROY);
  return created.topic;
}
