import { Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, type NagPack, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';
import { auditAcknowledgements, GenAiBlueprintChecks } from '../../lib/checks';
import { REGULATED_CONTROLS } from '../../lib/compliance/regulated-profile';
import { buildApp } from '../support/synth';

/**
 * Every rule pack over the closed network (`-c network=private`), alone and with the regulated
 * profile: no finding that is not acknowledged on any ground or the PredictiveMl stack, and no
 * acknowledgement that hides nothing (beside those the regulated profile's controls supersede, as
 * lib/grounds/app.ts registers them).
 */
const CASES = [
  ['network=private', { network: 'private' }, () => [new AwsSolutionsChecks(), new ServerlessChecks(), new GenAiBlueprintChecks()]],
  [
    'network=private, compliance=regulated',
    { network: 'private', compliance: 'regulated' },
    () => [new AwsSolutionsChecks(), new ServerlessChecks(), new GenAiBlueprintChecks(), new NIST80053R5Checks(), new HIPAASecurityChecks()],
  ],
] as const satisfies readonly (readonly [string, Record<string, string>, () => NagPack[]])[];

const superseded = new Set(REGULATED_CONTROLS.flatMap((c) => c.supersedes ?? []));

describe.each(CASES)('%s', (_name, context, packs) => {
  const { app } = buildApp(context);
  // The closed network and the profile are aspects: they run when the app is synthesized, before the packs read the tree.
  app.synth();
  const stacks = app.node.children.filter((c): c is Stack => Stack.isStack(c));

  test.each(stacks.map((s) => [s.node.id, s] as const))('%s: no unacknowledged finding of any pack, no stale acknowledgement', (_id, stack) => {
    const audit = auditAcknowledgements(stack, packs());
    const findings = audit.reports.flatMap((r) =>
      r.violations.map((v) => `${v.ruleName} (${v.severity}): ${v.violatingResources.map((res) => res.constructPath).join(', ')}`),
    );
    expect(findings).toEqual([]);
    const stale = audit.stale.filter((a) => !('compliance' in context && superseded.has(a.id)));
    expect(stale.map((a) => `${a.id} on ${a.path}`)).toEqual([]);
  });
});
