import { App } from 'aws-cdk-lib';
import { type BlueprintUnderTest, blueprintUnderTest } from './blueprint-under-test';
import { Probe } from './probe';
import { integTest } from './tests';

/** Ground 0: a signed request gets an answer with usage; an unsigned one is refused. */
export function build(app: App): BlueprintUnderTest {
  const under = blueprintUnderTest(app, integTest('ground0'));
  const ground = under.ground!;
  const probe = new Probe(under.assertionStack, 'Probe', { api: ground.api });
  probe.expect(under.integ, 'model-call', {
    'signed.status': 200,
    'signed.answered': true,
    'signed.usage': true,
    'unsigned.status': 403,
  });
  return under;
}

if (require.main === module) build(new App());
