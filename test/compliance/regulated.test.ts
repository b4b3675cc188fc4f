import { HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';
import { auditAcknowledgements } from '../../lib/checks';
import { GROUNDS } from '../../lib/grounds/ground-stack';
import { buildApp } from '../support/synth';

/**
 * The regulated profile (`-c compliance=regulated`, issue 14): no NIST 800-53 Rev. 5 or HIPAA Security
 * finding left unacknowledged on any ground or the PredictiveMl stack (a synth runs the same packs and
 * fails on one; this names them by stack and rule, and shows the standard profile is where they come from).
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
  test('no finding left on any stack, by rule', () => {
    expect(findingsByRule(regulated)).toEqual(Object.fromEntries(scopes(regulated).map(([id]) => [id, {}])));
  });

  test('fixes the standard profile does not have: the regulated profile has fewer findings on every stack', () => {
    const total = (counts: Record<string, Record<string, number>>) =>
      Object.fromEntries(Object.entries(counts).map(([id, c]) => [id, Object.values(c).reduce((a, b) => a + b, 0)]));
    const [mine, lean] = [total(findingsByRule(regulated)), total(findingsByRule(standard))];
    for (const id of Object.keys(lean)) expect({ id, fewer: mine[id] < lean[id] || lean[id] === 0 }).toEqual({ id, fewer: true });
  });
});
