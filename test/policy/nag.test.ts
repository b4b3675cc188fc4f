import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { type AcknowledgementAudit, acknowledgementsIn, auditAcknowledgements, GenAiBlueprintChecks } from '../../lib/checks';
import { GROUNDS } from '../../lib/grounds/ground-stack';
import { buildApp } from '../support/synth';

/**
 * cdk-nag over every ground and the PredictiveMl stack, with our own GenAiBlueprint pack beside
 * AwsSolutions and Serverless: zero findings of any level that are not acknowledged, every
 * acknowledgement narrow (on the construct that causes it), with a reason, and live (its rule
 * still fires at or below the construct that carries it; lib/checks/stale-acknowledgements.ts).
 */
const { app, stacks } = buildApp();
const PACKS = ['AwsSolutions', 'Serverless', 'GenAiBlueprint'] as const;
const SCOPES: [string, IConstruct][] = [
  ...GROUNDS.map((g): [string, IConstruct] => [g.stackId, stacks[g.ground]]),
  ['PredictiveMl', app.node.findChild('PredictiveMl')],
];

describe.each(SCOPES)('%s', (_id, stack) => {
  let audit: AcknowledgementAudit;
  beforeAll(() => {
    // One run of each pack gives both its report and the rules that fired before acknowledgements.
    audit = auditAcknowledgements(stack, [new AwsSolutionsChecks(), new ServerlessChecks(), new GenAiBlueprintChecks()]);
  });

  test.each(PACKS.map((pack, i) => [pack, i] as const))('%s pack: no unacknowledged finding', (_pack, i) => {
    const findings = audit.reports[i].violations.map((v) => `${v.ruleName} (${v.severity}): ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
  });

  test('no stale acknowledgement: each hides a finding of its rule on the construct that carries it or below', () => {
    expect(audit.stale.map((a) => `${a.id} on ${a.path}`)).toEqual([]);
  });
});

test('every acknowledgement names a rule and gives a reason of substance, and none sits on a stack or the app', () => {
  const acks = acknowledgementsIn(app);
  expect(acks.length).toBeGreaterThan(0);
  // aws-cdk-lib itself acknowledges this one on every stack that uses stack.availabilityZones.
  for (const ack of acks.filter((a) => a.id !== 'CloudFormation-Validate::W3010')) {
    expect(ack.path.split('/').length).toBeGreaterThan(2); // below a block, never the stack or app
    expect(ack.reason.length).toBeGreaterThan(40);
  }
});
