import { App } from 'aws-cdk-lib';
import { type BlueprintUnderTest, blueprintUnderTest } from './blueprint-under-test';
import { Probe } from './probe';
import { integTest } from './tests';
import { ingestionCompleted } from './waits';

/**
 * Ground 3: a prompt attack is blocked (422) and never reaches the model; PII in a question is
 * masked; retrieval returns citations from the shipped corpus after ingestion completes.
 */
export function build(app: App): BlueprintUnderTest {
  const under = blueprintUnderTest(app, integTest('ground3'));
  const { integ, assertionStack, config } = under;
  const ground = under.ground!;
  const probe = new Probe(assertionStack, 'Probe', { api: ground.api, blockedInputMessage: config.guardrail.blockedInputMessage });
  // The request traces (X-Ray) show which Bedrock operations the function called: the attack's holds
  // ApplyGuardrail and no model call; the plain question's holds one, so a lost trace cannot pass.
  probe.expect(integ, 'guardrail-block', {
    'control.status': 200,
    'control.modelCalled': true,
    'attack.status': 422,
    'attack.policyMessage': true,
    'attack.guardrailCalled': true,
    'attack.modelCalled': false,
  });
  // The question and a prompt variable each carry PII: both texts go through one ApplyGuardrail call.
  probe.expect(integ, 'pii-masked', { status: 200, guardrailInput: 'masked', echoesPii: false });
  ingestionCompleted(assertionStack, integ, ground.knowledgeBase!).next(probe.expect(integ, 'retrieval', { status: 200, cited: true, fromCorpus: true }));
  return under;
}

if (require.main === module) build(new App());
