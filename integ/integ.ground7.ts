import { ExpectedResult } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { type BlueprintUnderTest, blueprintUnderTest } from './blueprint-under-test';
import { exactly, expectAt, Probe } from './probe';
import { integTest } from './tests';

/** Two tenants of the same tier: one's token must not pass with the other's key. */
export const GROUND7_TENANTS = [
  { name: 'demo', tier: 'standard', quotaPerDay: 10_000, rateLimit: 5, burstLimit: 10 },
  { name: 'other', tier: 'standard', quotaPerDay: 10_000, rateLimit: 5, burstLimit: 10 },
];

/**
 * Ground 7: a Cognito machine client gets a token and calls /prompt; a token of one tenant with
 * another tenant's key is refused; a session's history is used on the next turn; feedback is
 * recorded once under retries; the invocation log group receives the call; an alarm reaches the
 * topic; the agent alias serves a version of its own.
 */
export function build(app: App): BlueprintUnderTest {
  const under = blueprintUnderTest(app, integTest('ground7'), { tenants: GROUND7_TENANTS });
  const { integ, assertionStack } = under;
  const ground = under.ground!;
  const probe = new Probe(assertionStack, 'Probe', { api: ground.api, gateway: ground.gateway, auth: ground.auth });

  // Both forms of the Authorization header pass the Cognito authorizer (OpenAI clients send "Bearer").
  const access = probe.expect(integ, 'cognito-access', {
    'bearer.status': 200,
    'bearer.answered': true,
    'bare.status': 200,
    'crossTenant.status': 403,
    'anonymous.status': 401,
  });
  probe.expect(integ, 'session-history', {
    'first.status': 200,
    'second.status': 200,
    'second.sameSession': true,
    'second.longerPrompt': true,
    'stored.status': 200,
    'stored.turns': 2,
  });
  probe.expect(integ, 'feedback-once', { 'answer.status': 200, outcomes: 'recorded,unchanged,unchanged' });

  // Bedrock delivers invocation logs within minutes of the calls above.
  access.next(
    integ.assertions
      .awsApiCall('CloudWatchLogs', 'filterLogEvents', { logGroupName: ground.invocationLogging!.logGroup.logGroupName, limit: 1 })
      .assertAtPath('events.0.logStreamName', ExpectedResult.stringLikeRegexp('.+'))
      .waitForAssertions({ totalTimeout: Duration.minutes(15), interval: Duration.seconds(30) }),
  );

  // An alarm set to ALARM makes CloudWatch itself publish to the encrypted topic (its topic and key
  // policies are what is tested); a queue subscribed to the topic stands in for the e-mail inbox.
  const inbox = new sqs.Queue(assertionStack, 'AlarmTopicInbox', {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.hours(1),
    removalPolicy: RemovalPolicy.DESTROY,
  });
  ground.observability!.topic.addSubscription(new subscriptions.SqsSubscription(inbox));
  const raise = integ.assertions.awsApiCall('CloudWatch', 'setAlarmState', {
    AlarmName: ground.feedback!.thumbsDownAlarm.alarmName,
    StateValue: 'ALARM',
    StateReason: 'genai-blueprint integration test: does an alarm notification reach the topic?',
  });
  // After the queue, its policy and its subscription exist.
  raise.node.addDependency(inbox);
  raise.next(
    integ.assertions
      .awsApiCall('SQS', 'receiveMessage', { QueueUrl: inbox.queueUrl, WaitTimeSeconds: 20, MaxNumberOfMessages: 1 })
      .assertAtPath('Messages.0.Body.Subject', ExpectedResult.stringLikeRegexp('^ALARM: '))
      .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(30) }),
  );

  // Creating the alias without a routing configuration cut a version for it: version 1, not DRAFT.
  const alias = integ.assertions.awsApiCall('bedrock-agent', 'getAgentAlias', { agentId: ground.agent!.agentId, agentAliasId: ground.agent!.aliasId });
  expectAt(assertionStack, 'AgentAliasServesAVersion', alias, 'agentAlias.routingConfiguration.0.agentVersion', exactly(1));
  return under;
}

if (require.main === module) build(new App());
