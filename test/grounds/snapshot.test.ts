import { Template } from 'aws-cdk-lib/assertions';
import { GROUNDS } from '../../lib/grounds/ground-stack';
import { buildApp, maskedTemplate } from '../support/synth';

/** One snapshot per ground, asset hashes masked: catches what nobody meant to change. */
const { stacks } = buildApp();

test.each(GROUNDS.map((g) => [g.stackId, g.ground] as const))('%s matches its snapshot', (_id, ground) => {
  expect(maskedTemplate(Template.fromStack(stacks[ground]))).toMatchSnapshot();
});
