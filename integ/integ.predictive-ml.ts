import { ExpectedResult } from '@aws-cdk/integ-tests-alpha';
import { App, Duration } from 'aws-cdk-lib';
import { type BlueprintUnderTest, blueprintUnderTest } from './blueprint-under-test';
import { exactly, expectAt, Probe } from './probe';
import { integTest } from './tests';

/**
 * PredictiveMl: a run of the training pipeline (started here: it runs on demand) reaches the
 * quality gate, which promotes the model, and ends with the endpoint in service; `/predict` then
 * answers from that endpoint.
 */
export function build(app: App): BlueprintUnderTest {
  const under = blueprintUnderTest(app, integTest('predictive-ml'));
  const { integ, assertionStack } = under;
  const ml = under.predictiveMl!;
  const run = integ.assertions.awsApiCall('SFN', 'startExecution', { stateMachineArn: ml.predictiveMl.pipeline.stateMachine.stateMachineArn });
  const ended = integ.assertions
    .awsApiCall('SFN', 'describeExecution', { executionArn: run.getAttString('executionArn') })
    .assertAtPath('status', ExpectedResult.stringLikeRegexp('^(SUCCEEDED|FAILED|TIMED_OUT|ABORTED)$'))
    // Training (~5-10 min with instance start), then the serverless endpoint (~5-10 min); the
    // state machine's own timeout is the training limit plus two hours.
    .waitForAssertions({ totalTimeout: Duration.minutes(50), interval: Duration.seconds(60) });
  expectAt(assertionStack, 'PipelineSucceeded', ended, 'status', exactly('SUCCEEDED'));
  // The gate's verdict stays in the run's output ($.gate): promoted, so the run went on to deploy.
  expectAt(assertionStack, 'GatePromotedTheModel', ended, 'output.gate.promote', exactly(true));
  const probe = new Probe(assertionStack, 'Probe', { api: ml.api, gateway: ml.gateway });
  // A customer the dataset's signal marks as leaving (docs/api.md's example).
  ended.next(probe.expect(integ, 'predict', { status: 200, label: 'churn', probabilityInRange: true }));
  return under;
}

if (require.main === module) build(new App());
