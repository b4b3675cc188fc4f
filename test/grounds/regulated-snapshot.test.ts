import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { GROUNDS } from '../../lib/grounds/ground-stack';
import { buildApp, maskedTemplate } from '../support/synth';

/**
 * One snapshot per ground and of the PredictiveMl stack in the regulated profile (`-c compliance=regulated`),
 * asset hashes masked as test/grounds/snapshot.test.ts does for the standard profile: catches what nobody meant
 * to change in what a regulated deployer approves. One synth for the file: the profile is an aspect, so its
 * controls only run when the app is synthesized.
 */
const { app, stacks } = buildApp({ compliance: 'regulated' });
app.synth();
const predictiveMl = Stack.of(app.node.findChild('PredictiveMl'));

test('the regulated profile is applied (a ground 0 log group is encrypted with the stack key)', () => {
  // Guards the snapshots below against recording the standard profile by mistake.
  Template.fromStack(stacks[0]).hasResourceProperties('AWS::Logs::LogGroup', {
    KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RegulatedDataLogsKey'), 'Arn'] },
  });
});

test.each(GROUNDS.map((g) => [g.stackId, g.ground] as const))('%s (regulated) matches its snapshot', (_id, ground) => {
  expect(maskedTemplate(Template.fromStack(stacks[ground]))).toMatchSnapshot();
});

test('PredictiveMl (regulated) matches its snapshot', () => {
  expect(maskedTemplate(Template.fromStack(predictiveMl))).toMatchSnapshot();
});
