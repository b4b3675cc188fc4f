import { acknowledgementsIn as acknowledgements } from '../../lib/checks';
import { buildApp } from '../support/synth';

/** Acknowledgements whose reason states a fact about the stack: each must hold where it is applied. */
describe('acknowledgements tell the truth where they are applied', () => {
  const { app, stacks } = buildApp();
  const mlStack = app.node.findChild('PredictiveMl');

  test('"no WAF" (AwsSolutions-APIG3) only on grounds without a web ACL (0-3), never on the gateway grounds or PredictiveMl', () => {
    const withApig3 = [...stacks, mlStack].filter((s) => acknowledgements(s).some((a) => a.id === 'AwsSolutions-APIG3')).map((s) => s.node.id);
    expect(withApig3).toEqual(['Ground0-ModelCall', 'Ground1-PromptManagement', 'Ground2-KnowledgeBase', 'Ground3-Guardrails']);
    for (const s of [...stacks, mlStack]) {
      const hasWebAcl = s.node.findAll().some((c) => (c as { cfnResourceType?: string }).cfnResourceType === 'AWS::WAFv2::WebACLAssociation');
      expect([s.node.id, hasWebAcl]).toEqual([s.node.id, !withApig3.includes(s.node.id)]);
    }
  });

  test('no reason claims a ground it is not in, or that CloudFormation invokes functions synchronously', () => {
    const ml = acknowledgements(mlStack);
    expect(ml.filter((a) => /ground \d|grounds \d/i.test(a.reason))).toEqual([]);
    const all = [...stacks, mlStack].flatMap(acknowledgements);
    expect(all.length).toBeGreaterThan(100);
    expect(all.filter((a) => /\bsynchronously by CloudFormation/i.test(a.reason))).toEqual([]);
  });
});
