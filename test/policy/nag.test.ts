import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { GROUNDS } from '../../lib/grounds/ground-stack';
import { buildApp } from '../support/synth';

/**
 * cdk-nag over every ground: zero findings of any level that are not acknowledged, and every
 * acknowledgement narrow (on the construct that causes it) and with a reason.
 */
const { app, stacks } = buildApp();

describe.each(GROUNDS.map((g) => [g.stackId, g.ground] as const))('%s', (_id, ground) => {
  test.each([
    ['AwsSolutions', new AwsSolutionsChecks()],
    ['Serverless', new ServerlessChecks()],
  ])('%s pack: no unacknowledged finding', (_pack, checks) => {
    const report = checks.validateScope(stacks[ground]);
    const findings = report.violations.map((v) => `${v.ruleName} (${v.severity}): ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
  });
});

test('every acknowledgement names a rule and gives a reason of substance, and none sits on a stack or the app', () => {
  const acks = app.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
      .flatMap((m) => Object.entries(m.data as Record<string, { reason?: string } | string>).map(([id, v]) => ({ path: c.node.path, id, reason: typeof v === 'string' ? v : v?.reason ?? '' }))),
  );
  expect(acks.length).toBeGreaterThan(0);
  // aws-cdk-lib itself acknowledges this one on every stack that uses stack.availabilityZones.
  for (const ack of acks.filter((a) => a.id !== 'CloudFormation-Validate::W3010')) {
    expect(ack.path.split('/').length).toBeGreaterThan(2); // below a block, never the stack or app
    expect(ack.reason.length).toBeGreaterThan(40);
  }
});
