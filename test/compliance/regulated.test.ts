import { HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';
import { auditAcknowledgements } from '../../lib/checks';
import { GROUNDS } from '../../lib/grounds/ground-stack';
import { buildApp } from '../support/synth';

/**
 * The regulated profile (`-c compliance=regulated`, issue 14) while it is being built: the NIST 800-53
 * Rev. 5 and HIPAA Security findings left on every ground and the PredictiveMl stack, counted by rule.
 * The snapshot is the ledger: a change that adds a finding fails; one that fixes findings fails until
 * the ledger is updated on purpose (`npx jest test/compliance -u`), so it only ever shrinks to zero.
 */
const regulated = buildApp({ compliance: 'regulated' });
const standard = buildApp();
// The profile is an aspect: its controls run when the app is synthesized, before the packs read the tree.
regulated.app.synth();
standard.app.synth();
const scopes = (app: typeof regulated) => [
  ...GROUNDS.map((g) => [g.stackId, app.stacks[g.ground]] as const),
  ['PredictiveMl', app.app.node.findChild('PredictiveMl')] as const,
];

function findingsByRule(app: typeof regulated): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [id, stack] of scopes(app)) {
    const audit = auditAcknowledgements(stack, [new NIST80053R5Checks(), new HIPAASecurityChecks()]);
    const counts: Record<string, number> = {};
    for (const report of audit.reports) for (const v of report.violations) counts[v.ruleName] = (counts[v.ruleName] ?? 0) + v.violatingResources.length;
    out[id] = Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
  }
  return out;
}

describe('regulated profile', () => {
  test('findings left per stack and rule (the ledger of issue 14: it only shrinks)', () => {
    expect(findingsByRule(regulated)).toMatchSnapshot();
  });

  test('fixes the standard profile does not have: the regulated profile has fewer findings on every stack', () => {
    const total = (counts: Record<string, Record<string, number>>) =>
      Object.fromEntries(Object.entries(counts).map(([id, c]) => [id, Object.values(c).reduce((a, b) => a + b, 0)]));
    const [mine, lean] = [total(findingsByRule(regulated)), total(findingsByRule(standard))];
    for (const id of Object.keys(lean)) expect({ id, fewer: mine[id] < lean[id] || lean[id] === 0 }).toEqual({ id, fewer: true });
  });
});
