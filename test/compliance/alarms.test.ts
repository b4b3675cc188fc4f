import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../support/synth';

/** CloudWatchAlarmAction in the regulated profile: no alarm without someone to tell. */
function regulatedGround(ground: number): Template {
  const { app, stacks } = buildApp({ compliance: 'regulated', ground });
  app.synth(); // the profile is an aspect: it runs at synthesis
  return Template.fromStack(stacks[0]);
}

const topicsOf = (template: Template) => Object.keys(template.findResources('AWS::SNS::Topic'));

test('ground 2: the knowledge base alarms notify the RegulatedAlarms topic, which only this account’s alarms may publish to', () => {
  const template = regulatedGround(2);
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
  expect(alarms.length).toBeGreaterThan(0);
  const [topic] = topicsOf(template).filter((id) => id.startsWith('RegulatedAlarmsTopic'));
  for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
  template.hasResourceProperties('AWS::SNS::TopicPolicy', {
    Topics: [{ Ref: topic }],
    PolicyDocument: {
      Statement: [
        Match.anyValue(), // enforceSSL's Deny
        {
          Action: 'sns:Publish',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Resource: { Ref: topic },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': Match.anyValue() } },
        },
      ],
    },
  });
  template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
});

test('ground 7: every alarm keeps Observability’s topic; the regulated topic stays for an upgrade from below and takes none', () => {
  const template = regulatedGround(7);
  const regulated = topicsOf(template).find((id) => id.startsWith('RegulatedAlarmsTopic'))!;
  expect(regulated).toBeDefined();
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
  for (const alarm of alarms) {
    expect(alarm.Properties.AlarmActions?.length ?? 0).toBeGreaterThan(0);
    expect(JSON.stringify(alarm.Properties.AlarmActions)).not.toContain(regulated);
  }
});
