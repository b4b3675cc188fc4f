import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as z from 'zod/mini';
import {
  BACKGROUND_RESERVED_CONCURRENCY,
  FUNCTION_CONTROLS,
  MANAGED_POLICY_MAX_CHARS,
  MIN_SQS_MAXIMUM_CONCURRENCY,
  REQUEST_PATH_RESERVED_CONCURRENCY,
} from '../../lib/compliance/functions';
import { RegulatedProfile } from '../../lib/compliance/regulated-profile';
import { LAMBDA_ENI_ACTIONS } from '../../lib/constructs/shared/blueprint-function';
import { groundTemplate } from '../support/synth';

/** The regulated profile's function controls (lib/compliance/functions.ts) on the templates of ground 0 and ground 7. */

const resource = z.object({
  Type: z.string(),
  Properties: z.optional(z.record(z.string(), z.unknown())),
  DependsOn: z.optional(z.array(z.string())),
});
type Resource = z.infer<typeof resource>;
const resources = (t: Template): Record<string, Resource> => z.record(z.string(), resource).parse(t.toJSON().Resources ?? {});
const ofType = (t: Template, type: string) => Object.entries(resources(t)).filter(([, r]) => r.Type === type);
/**
 * The functions the controls change: every lambda.CfnFunction. aws-cdk-lib's core custom resource
 * providers (the VPC's RestrictDefaultSG handler) render raw resources whose role embeds its policy,
 * which the controls leave as they are (docs/compliance.md, "Functions": what is left).
 */
const functionsOf = (t: Template) => ofType(t, 'AWS::Lambda::Function').filter(([, fn]) => resources(t)[roleOf(fn)]?.Properties?.Policies === undefined);
const refTo = (logicalId: string) => JSON.stringify({ Ref: logicalId });
const roleOf = (fn: Resource) => z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.literal('Arn')]) }).parse(fn.Properties?.Role)['Fn::GetAtt'][0];

const ENI = new Set<string>([...LAMBDA_ENI_ACTIONS.describe, ...LAMBDA_ENI_ACTIONS.manage]);
/** Statements without the ENI actions, and without those left with no action. */
const withoutEni = (statements: unknown[]) =>
  statements.flatMap((st) => {
    const s = z.looseObject({ Action: z.union([z.string(), z.array(z.string())]) }).parse(st);
    const actions = (Array.isArray(s.Action) ? s.Action : [s.Action]).filter((a) => !ENI.has(a));
    return actions.length === 0 ? [] : [{ ...s, Action: actions.length === 1 ? actions[0] : actions }];
  });

describe.each([0, 7])('regulated ground %i', (ground) => {
  let regulated: Template;
  let standard: Template;
  beforeAll(() => {
    regulated = groundTemplate(ground, { compliance: 'regulated' });
    standard = groundTemplate(ground);
  });

  test('every function has reserved concurrency: the request-path value where API Gateway or an agent invokes it, else the background one', () => {
    const permitted = new Set(
      ofType(regulated, 'AWS::Lambda::Permission')
        .filter(([, p]) => ['apigateway.amazonaws.com', 'bedrock.amazonaws.com'].includes(String(p.Properties?.Principal)))
        .map(([, p]) => JSON.stringify(p.Properties?.FunctionName)),
    );
    const functions = functionsOf(regulated);
    expect(functions.length).toBeGreaterThan(0);
    for (const [id, fn] of functions) {
      const requestPath = permitted.has(JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }));
      expect({ id, reserved: fn.Properties?.ReservedConcurrentExecutions }).toEqual({
        id,
        reserved: requestPath ? REQUEST_PATH_RESERVED_CONCURRENCY : BACKGROUND_RESERVED_CONCURRENCY,
      });
    }
    expect(functions.some(([, fn]) => fn.Properties?.ReservedConcurrentExecutions === REQUEST_PATH_RESERVED_CONCURRENCY)).toBe(true);
  });

  test('every function sends failed asynchronous invocations to the one encrypted dead-letter queue, which its role may send to', () => {
    const queues = ofType(regulated, 'AWS::SQS::Queue').filter(([id]) => id.startsWith('FunctionDeadLetters'));
    expect(queues).toHaveLength(1);
    const [queueId, queue] = queues[0];
    // On the stack's messaging key (test/compliance/messaging.test.ts), not SSE-SQS.
    expect(queue.Properties).toMatchObject({
      KmsMasterKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^RegulatedMessagingKey/), 'Arn'] },
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    expect(queue.Properties?.SqsManagedSseEnabled).toBeUndefined();
    const policies = [...ofType(regulated, 'AWS::IAM::ManagedPolicy'), ...ofType(regulated, 'AWS::IAM::Policy')];
    for (const [id, fn] of functionsOf(regulated)) {
      expect({ id, dlq: fn.Properties?.DeadLetterConfig }).toEqual({ id, dlq: { TargetArn: { 'Fn::GetAtt': [queueId, 'Arn'] } } });
      // The statement is in a policy of the function's role that the function depends on (Lambda checks it on create).
      const sends = policies.filter(
        ([pid, p]) =>
          JSON.stringify(p.Properties?.Roles).includes(refTo(roleOf(fn))) &&
          (fn.DependsOn ?? []).includes(pid) &&
          JSON.stringify(p.Properties?.PolicyDocument).includes(
            JSON.stringify({ Action: 'sqs:SendMessage', Effect: 'Allow', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } }),
          ),
      );
      expect({ id, sends: sends.length }).toEqual({ id, sends: 1 });
    }
  });

  test('no inline policy is left: each becomes a managed policy with the same document and roles, and the functions depend on it', () => {
    expect(ofType(regulated, 'AWS::IAM::Policy')).toEqual([]);
    const managed = ofType(regulated, 'AWS::IAM::ManagedPolicy');
    const inline = ofType(standard, 'AWS::IAM::Policy');
    expect(inline.length).toBeGreaterThan(0);
    for (const [id, policy] of inline) {
      // The standard profile's inline policy, without the dead-letter statement the regulated profile adds.
      const twin = managed.filter(([mid]) => mid.startsWith(id.slice(0, -8)));
      expect({ id, twins: twin.length }).toEqual({ id, twins: 1 });
      const [, m] = twin[0];
      expect(m.Properties?.Roles).toEqual(policy.Properties?.Roles);
      expect(m.Properties?.PolicyName).toBeUndefined();
      const statements = z.object({ Statement: z.array(z.unknown()) });
      // Beside the dead-letter statement, the data key grant of the roles Bedrock assumes (test/compliance/data.test.ts).
      const added = (s: unknown) => JSON.stringify(s).includes('FunctionDeadLetters') || JSON.stringify(s).includes('RegulatedDataDataKey');
      const kept = statements.parse(m.Properties?.PolicyDocument).Statement.filter((s) => !added(s));
      // The ENI actions are the network control's (test/compliance/network.test.ts), on both sides for a function already in the VPC.
      expect(withoutEni(kept)).toEqual(withoutEni(statements.parse(policy.Properties?.PolicyDocument).Statement));
    }
    // Every function that depended on an inline policy now depends on its managed twin, and nothing on a removed id.
    const ids = new Set(Object.keys(resources(regulated)));
    const before = resources(standard);
    let followed = 0;
    for (const [id, fn] of ofType(regulated, 'AWS::Lambda::Function')) {
      for (const dep of fn.DependsOn ?? []) expect({ id, dep, exists: ids.has(dep) }).toEqual({ id, dep, exists: true });
      for (const dep of before[id]?.DependsOn ?? []) {
        if (before[dep]?.Type !== 'AWS::IAM::Policy') continue;
        const twin = managed.find(([mid]) => mid.startsWith(dep.slice(0, -8)))?.[0];
        expect({ id, dep, twinDependedOn: twin !== undefined && (fn.DependsOn ?? []).includes(twin) }).toEqual({ id, dep, twinDependedOn: true });
        followed++;
      }
    }
    expect(followed).toBeGreaterThan(0);
  });

  test("every SQS event source mapping polls with at most its function's reserved concurrency", () => {
    const all = resources(regulated);
    const mappings = ofType(regulated, 'AWS::Lambda::EventSourceMapping');
    if (ground === 7) expect(mappings.length).toBeGreaterThan(0); // the knowledge base's ingestion queue
    for (const [id, m] of mappings) {
      const fn = all[z.object({ Ref: z.string() }).parse(m.Properties?.FunctionName).Ref];
      expect({ id, scaling: m.Properties?.ScalingConfig }).toEqual({ id, scaling: { MaximumConcurrency: fn.Properties?.ReservedConcurrentExecutions } });
    }
  });

  test('the largest managed policy document is within the managed policy quota, with room to grow', () => {
    const sizes = ofType(regulated, 'AWS::IAM::ManagedPolicy').map(([, m]) => JSON.stringify(m.Properties?.PolicyDocument).length);
    expect(Math.max(...sizes)).toBeLessThan(MANAGED_POLICY_MAX_CHARS * 0.75);
  });
});

describe('the controls on their own', () => {
  function stackWith(build: (stack: Stack) => void): Stack {
    const stack = new Stack(new App(), 'Fixture');
    build(stack);
    RegulatedProfile.applyTo(stack, FUNCTION_CONTROLS);
    return stack;
  }

  test('a function with a reserved concurrency of its own keeps it', () => {
    const stack = stackWith((s) => {
      new lambda.Function(s, 'Fn', {
        runtime: lambda.Runtime.NODEJS_LATEST,
        handler: 'index.handler',
        code: lambda.Code.fromInline('x'),
        reservedConcurrentExecutions: 42,
      });
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 42 });
  });

  const queueConsumer = (s: Stack, props: { reserved?: number; maxConcurrency?: number } = {}) => {
    const fn = new lambda.Function(s, 'Consumer', {
      runtime: lambda.Runtime.NODEJS_LATEST,
      handler: 'index.handler',
      code: lambda.Code.fromInline('x'),
      reservedConcurrentExecutions: props.reserved,
    });
    fn.addEventSource(new SqsEventSource(new sqs.Queue(s, 'Queue'), { batchSize: 10, maxConcurrency: props.maxConcurrency }));
  };
  const scalingOf = (stack: Stack) => ofType(Template.fromStack(stack), 'AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties?.ScalingConfig);

  test("an SQS mapping polls with at most the function's reservation, the background one when the profile gives it", () => {
    expect(scalingOf(stackWith((s) => queueConsumer(s)))).toEqual([{ MaximumConcurrency: BACKGROUND_RESERVED_CONCURRENCY }]);
    expect(scalingOf(stackWith((s) => queueConsumer(s, { reserved: 3 })))).toEqual([{ MaximumConcurrency: 3 }]);
  });

  test("an SQS mapping's own cap is kept when it is within the reservation, and lowered to it when it is not", () => {
    expect(scalingOf(stackWith((s) => queueConsumer(s, { reserved: 20, maxConcurrency: 4 })))).toEqual([{ MaximumConcurrency: 4 }]);
    expect(scalingOf(stackWith((s) => queueConsumer(s, { reserved: 20, maxConcurrency: 50 })))).toEqual([{ MaximumConcurrency: 20 }]);
  });

  test('fails when the reservation is below the least maximum concurrency Lambda accepts, naming the mapping', () => {
    expect(MIN_SQS_MAXIMUM_CONCURRENCY).toBe(2);
    expect(() => scalingOf(stackWith((s) => queueConsumer(s, { reserved: 1 })))).toThrow(
      /Fixture\/Consumer\/SqsEventSource:FixtureQueue[0-9A-F]+\/Resource reads an SQS queue for a function with reserved concurrency 1; .* between 2 and 1000/,
    );
  });

  test('a mapping of another source is left alone', () => {
    const stack = stackWith((s) => {
      const fn = new lambda.Function(s, 'Fn', { runtime: lambda.Runtime.NODEJS_LATEST, handler: 'index.handler', code: lambda.Code.fromInline('x') });
      fn.addEventSourceMapping('Kinesis', {
        eventSourceArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/s',
        startingPosition: lambda.StartingPosition.LATEST,
      });
    });
    expect(scalingOf(stack)).toEqual([undefined]);
  });

  test('a managed policy over the quota fails synthesis, naming the policy', () => {
    const stack = stackWith((s) => {
      const role = new iam.Role(s, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      for (let i = 0; i < 80; i++)
        role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [`s3:GetObject`], resources: [`arn:aws:s3:::bucket-number-${i}-with-a-long-name/*`] }));
    });
    expect(() => Template.fromStack(stack)).toThrow(/Fixture\/Role\/DefaultPolicy\/Managed has \d+ characters, more than IAM's 6144/);
  });

  test('a policy attached to nothing renders nothing, as the inline one would', () => {
    const stack = stackWith((s) => {
      new iam.Policy(s, 'Unattached', { statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] })] });
    });
    expect(ofType(Template.fromStack(stack), 'AWS::IAM::ManagedPolicy')).toEqual([]);
  });
});
