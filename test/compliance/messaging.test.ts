import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { servicePublishers } from '../../lib/checks/service-publishers';
import { StackTemplate } from '../../lib/checks/template';
import { MESSAGE_ENCRYPTION } from '../../lib/compliance/messaging';
import { RegulatedProfile } from '../../lib/compliance/regulated-profile';
import { GROUNDS } from '../../lib/grounds/ground-stack';
import { upgradeReplacements } from '../../review/replacement';
import { findings } from '../checks/fixture';
import { evaluate, rolePolicies } from '../support/iam/simulate';
import { ACCOUNT, REGION, TemplateResolver } from '../support/iam/resolve';
import { buildApp, CDK_JSON_CONTEXT } from '../support/synth';

/**
 * The regulated profile's queues and topics (lib/compliance/messaging.ts, issue 14): every SQS queue
 * and SNS topic of every stack on a customer managed key, whose policy lets each AWS service that
 * delivers to it do so for this account's resources only, and this account's principals through SQS
 * and SNS only.
 */

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;
type Statement = { Sid?: string; Effect: string; Principal: any; Action: string | string[]; Condition?: Record<string, Record<string, unknown>> };

const regulated = buildApp({ compliance: 'regulated' });
regulated.app.synth(); // the profile is an aspect: it runs at synth
const stacks: [string, Stack][] = [
  ...GROUNDS.map((g) => [g.stackId, regulated.stacks[g.ground]] as [string, Stack]),
  ['PredictiveMl', Stack.of(regulated.app.node.findChild('PredictiveMl'))],
];
const resourcesOf = (stack: Stack) => (Template.fromStack(stack).toJSON().Resources ?? {}) as Resources;
const ofType = (resources: Resources, ...types: string[]) => Object.entries(resources).filter(([, r]) => types.includes(r.Type));
const keyOf = (destination: { Properties: Record<string, any> }): string | undefined => destination.Properties.KmsMasterKeyId?.['Fn::GetAtt']?.[0];
const statementsOf = (key: { Properties: Record<string, any> }) => key.Properties.KeyPolicy.Statement as Statement[];
const actionsOf = (s: Statement) => [s.Action].flat();
/** A logical id without its hash: `KnowledgeBaseIngestionQueue`. */
const short = (logicalId: string) => logicalId.replace(/[0-9A-F]{8}$/, '');

describe('regulated profile: queues and topics', () => {
  test('every queue and topic of every stack is on a customer managed key of its template, no queue keeps SSE-SQS', () => {
    const found: string[] = [];
    for (const [id, stack] of stacks) {
      const resources = resourcesOf(stack);
      for (const [logicalId, r] of ofType(resources, 'AWS::SQS::Queue', 'AWS::SNS::Topic')) {
        const key = keyOf(r);
        expect({ logicalId, keyType: key && resources[key]?.Type, sseSqs: r.Properties.SqsManagedSseEnabled }).toEqual({
          logicalId,
          keyType: 'AWS::KMS::Key',
          sseSqs: undefined,
        });
        found.push(`${id} ${short(logicalId)} ${short(key!)}`);
      }
    }
    // The knowledge base's queues and the functions' dead-letter queue on the messaging key; the alarm
    // topics and the training pipeline's notifications keep the keys of their blocks.
    expect(found.filter((f) => f.startsWith('Ground2') || f.startsWith('Ground7') || f.startsWith('PredictiveMl')).sort()).toEqual([
      'Ground2-KnowledgeBase FunctionDeadLetters RegulatedMessagingKey',
      'Ground2-KnowledgeBase KnowledgeBaseIngestionDeadLetters RegulatedMessagingKey',
      'Ground2-KnowledgeBase KnowledgeBaseIngestionQueue RegulatedMessagingKey',
      'Ground2-KnowledgeBase RegulatedAlarmsTopic RegulatedAlarmsTopicKey',
      'Ground7-FullSystem FunctionDeadLetters RegulatedMessagingKey',
      'Ground7-FullSystem KnowledgeBaseIngestionDeadLetters RegulatedMessagingKey',
      'Ground7-FullSystem KnowledgeBaseIngestionQueue RegulatedMessagingKey',
      'Ground7-FullSystem ObservabilityTopic ObservabilityTopicKey',
      'Ground7-FullSystem PredictiveMlPipelineNotifications PredictiveMlKey',
      'Ground7-FullSystem RegulatedAlarmsTopic RegulatedAlarmsTopicKey',
      'PredictiveMl FunctionDeadLetters RegulatedMessagingKey',
      'PredictiveMl PredictiveMlPipelineNotifications PredictiveMlKey',
    ]);
    expect(found.filter((f) => f.startsWith('Ground0'))).toEqual(['Ground0-ModelCall FunctionDeadLetters RegulatedMessagingKey']);
  });

  test("each AWS service that delivers to a queue or topic has a statement in the key's policy, limited to this account's resources", () => {
    const deliveries: string[] = [];
    StackTemplate.reset();
    for (const [id, stack] of stacks) {
      const template = StackTemplate.of(stack);
      for (const destination of template.ofType('AWS::SQS::Queue', 'AWS::SNS::Topic')) {
        const key = template.target(destination.properties.KmsMasterKeyId);
        for (const { service } of servicePublishers(template, destination)) {
          const statements = (key?.properties.KeyPolicy.Statement ?? []) as Statement[];
          const allowing = statements.filter(
            (s) =>
              s.Effect === 'Allow' &&
              JSON.stringify(s.Principal) === JSON.stringify({ Service: service }) &&
              ['kms:GenerateDataKey*', 'kms:Decrypt'].every((a) => actionsOf(s).includes(a) || actionsOf(s).includes(a.replace('*', ''))),
          );
          expect({ destination: destination.logicalId, service, statements: allowing.length }).toEqual({
            destination: destination.logicalId,
            service,
            statements: 1,
          });
          const condition = allowing[0].Condition ?? {};
          expect(condition.StringEquals?.['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
          expect(JSON.stringify(condition.ArnLike?.['aws:SourceArn'])).toContain('"AWS::AccountId"');
          deliveries.push(`${id} ${short(destination.logicalId)} ${service}`);
        }
      }
    }
    StackTemplate.reset();
    // Can fail: the knowledge base's upload rule delivers to its queue and, failing that, to its dead-letter queue.
    expect(deliveries.filter((d) => d.startsWith('Ground2'))).toEqual(
      expect.arrayContaining([
        'Ground2-KnowledgeBase KnowledgeBaseIngestionDeadLetters events.amazonaws.com',
        'Ground2-KnowledgeBase KnowledgeBaseIngestionQueue events.amazonaws.com',
        'Ground2-KnowledgeBase RegulatedAlarmsTopic cloudwatch.amazonaws.com',
      ]),
    );
  });

  test.each(stacks.map(([id]) => id))('%s: the queue and topic rules of our pack find nothing (the queue policies and keys admit every producer)', (id) => {
    const stack = stacks.find(([s]) => s === id)![1];
    expect([...findings(stack, 'SqsQueuePolicyAllowsSenders'), ...findings(stack, 'SnsTopicPolicyAllowsPublishers')]).toEqual([]);
  });

  test("the messaging key rotates; no statement lets anyone use it without a source or the account's principals through SQS or SNS", () => {
    for (const [, stack] of stacks) {
      const resources = resourcesOf(stack);
      const [[, key]] = ofType(resources, 'AWS::KMS::Key').filter(([lid]) => lid.startsWith('RegulatedMessagingKey'));
      expect(key.Properties.EnableKeyRotation).toBe(true);
      for (const s of statementsOf(key)) {
        if (JSON.stringify(s.Principal) === JSON.stringify({ AWS: '*' })) {
          expect(s.Condition?.StringEquals).toEqual({ 'kms:CallerAccount': { Ref: 'AWS::AccountId' }, 'kms:ViaService': expect.anything() });
          expect(JSON.stringify(s.Condition?.StringEquals?.['kms:ViaService'])).toMatch(/"(sqs|sns)\."/);
          expect(actionsOf(s).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
        } else if (s.Principal.Service) {
          expect(Object.keys(s.Condition ?? {}).sort()).toEqual(['ArnLike', 'StringEquals']);
        } else {
          // The account's own statement (aws-cdk-lib's default): IAM decides for its principals.
          expect(s.Principal.AWS['Fn::Join'][1]).toContain(':root');
        }
      }
    }
  });

  describe('simulated on ground 2', () => {
    const [, stack] = stacks.find(([id]) => id === 'Ground2-KnowledgeBase')!;
    const resources = resourcesOf(stack);
    const r = new TemplateResolver({ Resources: resources } as never, stack.stackName);
    const [[keyId, key]] = ofType(resources, 'AWS::KMS::Key').filter(([lid]) => lid.startsWith('RegulatedMessagingKey'));
    const keyArn = String(r.getAtt(keyId, 'Arn'));
    const resourcePolicy = r.resolve(key.Properties.KeyPolicy);
    const roleOf = (prefix: string) => {
      const [roleId] = ofType(resources, 'AWS::IAM::Role').find(([lid]) => lid.startsWith(prefix)) ?? [];
      expect(roleId).toBeDefined();
      return { arn: String(r.getAtt(roleId!, 'Arn')), policies: rolePolicies(r, roleId!) };
    };
    const viaSqs = { 'kms:ViaService': `sqs.${REGION}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT };

    test("EventBridge encrypts an upload event for the ingestion queue for a rule of this account, not of another account's", async () => {
      const fromRule = (account: string) =>
        evaluate('events.amazonaws.com', [], {
          action: 'kms:GenerateDataKey',
          resource: keyArn,
          why: 'sqs:SendMessage',
          resourcePolicy,
          // A service principal is no principal of the account: its request carries no kms:CallerAccount of ours.
          context: {
            'aws:SourceAccount': account,
            'aws:SourceArn': `arn:aws:events:${REGION}:${account}:rule/Ground2-KnowledgeBase-UploadRule`,
            'kms:ViaService': `sqs.${REGION}.amazonaws.com`,
          },
        });
      expect([(await fromRule(ACCOUNT)).result, (await fromRule('999999999999')).result]).toEqual(['Allowed', 'ImplicitlyDenied']);
    });

    test("a function's role sends to the dead-letter queue and the ingest function reads its queue through SQS, and cannot use the key directly", async () => {
      const prompt = roleOf('ModelCallPromptFunctionRole');
      const ingest = roleOf('KnowledgeBaseIngestFunctionRole');
      const call = (role: typeof prompt, action: string, context: Record<string, string>) =>
        evaluate(role.arn, role.policies, { action, resource: keyArn, why: 'sqs', resourcePolicy, context });
      const results = [
        await call(prompt, 'kms:GenerateDataKey', viaSqs),
        await call(ingest, 'kms:Decrypt', viaSqs),
        await call(ingest, 'kms:Decrypt', { 'kms:CallerAccount': ACCOUNT }),
        await call(ingest, 'kms:Decrypt', { 'kms:ViaService': `s3.${REGION}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT }),
      ];
      expect(results.map((v) => v.result)).toEqual(['Allowed', 'Allowed', 'ImplicitlyDenied', 'ImplicitlyDenied']);
    });
  });

  test('ground 7 with the upload and retraining triggers: their target dead-letter queues are on the key too, and EventBridge may use it', () => {
    const { stacks: triggered } = buildApp({
      compliance: 'regulated',
      ground: 7,
      'pipeline.onUpload': true,
      'predictiveMl.retrainOnUpload': true,
      'predictiveMl.schedule': 'rate(7 days)',
    });
    const resources = resourcesOf(triggered[0]);
    const queues = ofType(resources, 'AWS::SQS::Queue').map(([id, q]) => `${short(id)} ${short(keyOf(q) ?? 'none')}`);
    expect(queues).toEqual(
      expect.arrayContaining(['DocumentPipelineUploadDeadLetters RegulatedMessagingKey', 'PredictiveMlPipelineTriggerDeadLetters RegulatedMessagingKey']),
    );
    const [[, key]] = ofType(resources, 'AWS::KMS::Key').filter(([lid]) => lid.startsWith('RegulatedMessagingKey'));
    expect(statementsOf(key).map((st) => st.Sid)).toContain('AllowEventsToDeliver');
    expect([...findings(triggered[0], 'SqsQueuePolicyAllowsSenders'), ...findings(triggered[0], 'SnsTopicPolicyAllowsPublishers')]).toEqual([]);
  });

  test('the standard profile creates none of it: queues keep SSE-SQS', () => {
    const { stacks: standard } = buildApp({ ground: 2 });
    const resources = resourcesOf(standard[0]);
    expect(Object.keys(resources).filter((id) => id.startsWith('RegulatedMessaging'))).toEqual([]);
    const queues = ofType(resources, 'AWS::SQS::Queue');
    expect(queues.length).toBeGreaterThan(0);
    for (const [, q] of queues) expect(q.Properties).toMatchObject({ SqsManagedSseEnabled: true });
  });

  test('a deployed queue that gets the key is updated in place: KmsMasterKeyId replaces neither a queue nor a topic', () => {
    const key = { 'Fn::GetAtt': ['Key', 'Arn'] };
    const lower = { Resources: { Q: { Type: 'AWS::SQS::Queue', Properties: { SqsManagedSseEnabled: true } }, T: { Type: 'AWS::SNS::Topic', Properties: {} } } };
    const upper = {
      Resources: {
        Key: { Type: 'AWS::KMS::Key', Properties: {} },
        Q: { Type: 'AWS::SQS::Queue', Properties: { KmsMasterKeyId: key } },
        T: { Type: 'AWS::SNS::Topic', Properties: { KmsMasterKeyId: key } },
      },
    };
    expect(upgradeReplacements(lower, upper)).toEqual([]);
    // The check can fail: a queue name change does replace.
    const renamed = { Resources: { ...upper.Resources, Q: { Type: 'AWS::SQS::Queue', Properties: { KmsMasterKeyId: key, QueueName: 'q' } } } };
    expect(upgradeReplacements(lower, renamed).map((x) => x.logicalId)).toEqual(['Q']);
  });
});

describe('the control on queues and topics of your own', () => {
  function build(add: (stack: Stack) => void) {
    const stack = new Stack(new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false }), 'Own');
    add(stack);
    RegulatedProfile.applyTo(stack, [MESSAGE_ENCRYPTION]);
    return resourcesOf(stack);
  }
  const sids = (resources: Resources) => {
    const [[, key]] = ofType(resources, 'AWS::KMS::Key').filter(([lid]) => lid.startsWith('RegulatedMessagingKey'));
    return statementsOf(key)
      .map((s) => s.Sid)
      .filter(Boolean);
  };

  test('an L1 queue and a topic an alarm notifies get the key, the statements for SQS, SNS and CloudWatch; a queue with its own key keeps it', () => {
    const resources = build((stack: IConstruct) => {
      new sqs.CfnQueue(stack, 'Raw');
      new sqs.Queue(stack, 'Own', { encryptionMasterKey: new kms.Key(stack, 'OwnKey', { enableKeyRotation: true }) });
      const topic = new sns.Topic(stack, 'Topic');
      const alarm = new cloudwatch.Alarm(stack, 'Alarm', {
        metric: new cloudwatch.Metric({ namespace: 'Own', metricName: 'Errors', period: Duration.minutes(1) }),
        threshold: 1,
        evaluationPeriods: 1,
      });
      alarm.addAlarmAction(new actions.SnsAction(topic));
    });
    const keyed = Object.fromEntries(ofType(resources, 'AWS::SQS::Queue', 'AWS::SNS::Topic').map(([id, r]) => [short(id), short(keyOf(r) ?? '')]));
    expect(keyed).toEqual({ Raw: 'RegulatedMessagingKey', Own: 'OwnKey', Topic: 'RegulatedMessagingKey' });
    expect(sids(resources)).toEqual(['AllowThroughSqsForThisAccount', 'AllowThroughSnsForThisAccount', 'AllowCloudwatchToDeliver']);
  });

  test('S3 notifications and an SNS subscription of a queue get their services statements; a stack without queue or topic gets no key', () => {
    const resources = build((stack) => {
      const queue = new sqs.CfnQueue(stack, 'Queue');
      const topic = new sns.CfnTopic(stack, 'Topic');
      new s3.CfnBucket(stack, 'Bucket', { notificationConfiguration: { queueConfigurations: [{ event: 's3:ObjectCreated:*', queue: queue.attrArn }] } });
      new sns.CfnSubscription(stack, 'Subscription', { topicArn: topic.ref, protocol: 'sqs', endpoint: queue.attrArn });
    });
    expect(sids(resources)).toEqual(
      expect.arrayContaining(['AllowThroughSqsForThisAccount', 'AllowThroughSnsForThisAccount', 'AllowS3ToDeliver', 'AllowSnsToDeliver']),
    );
    expect(
      ofType(
        build(() => undefined),
        'AWS::KMS::Key',
      ),
    ).toEqual([]);
  });
});
