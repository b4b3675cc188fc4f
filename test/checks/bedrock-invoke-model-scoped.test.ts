import { Aws, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NagRuleCompliance } from 'cdk-nag';
import { BedrockInvokeModelScoped, policyDocumentsOf } from '../../lib/checks/rules/bedrock-invoke-model-scoped';
import { findings, fixtureStack, judge } from './fixture';

const RULE = 'BedrockInvokeModelScoped';
const MODEL = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const PROFILE = `arn:${Aws.PARTITION}:bedrock:${Aws.REGION}:${Aws.ACCOUNT_ID}:inference-profile/us.${MODEL}`;

function roleWith(stack: Stack, ...statements: iam.PolicyStatement[]): void {
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  for (const s of statements) role.addToPolicy(s);
}
const invoke = (resources: string[], conditions?: Record<string, unknown>) =>
  new iam.PolicyStatement({ actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'], resources, conditions });

describe(RULE, () => {
  test('fails on a wildcard in the model part of a foundation-model or inference-profile ARN, or on *', () => {
    const stack = fixtureStack();
    roleWith(
      stack,
      invoke([`arn:${Aws.PARTITION}:bedrock:${Aws.REGION}::foundation-model/*`]),
      invoke([`arn:${Aws.PARTITION}:bedrock:${Aws.REGION}:${Aws.ACCOUNT_ID}:inference-profile/us.anthropic.*`]),
      new iam.PolicyStatement({ actions: ['bedrock:InvokeModel*'], resources: ['*'] }),
    );
    expect(findings(stack, RULE)).toEqual([
      'Resource::* @ Role/DefaultPolicy/Resource',
      'Resource::arn:<AWS::Partition>:bedrock:<AWS::Region>::foundation-model/* @ Role/DefaultPolicy/Resource',
      'Resource::arn:<AWS::Partition>:bedrock:<AWS::Region>:<AWS::AccountId>:inference-profile/us.anthropic.* @ Role/DefaultPolicy/Resource',
    ]);
  });

  test('fails on a foundation-model ARN in every Region (or none) without a bedrock:InferenceProfileArn condition', () => {
    const stack = fixtureStack();
    roleWith(stack, invoke([`arn:${Aws.PARTITION}:bedrock:*::foundation-model/${MODEL}`, `arn:${Aws.PARTITION}:bedrock:::foundation-model/${MODEL}`]));
    expect(findings(stack, RULE)).toEqual([
      `Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/${MODEL} @ Role/DefaultPolicy/Resource`,
      `Resource::arn:<AWS::Partition>:bedrock:::foundation-model/${MODEL} @ Role/DefaultPolicy/Resource`,
    ]);
  });

  test('passes on the exact in-Region model, the exact profile, and the cross-Region model only through that profile', () => {
    const stack = fixtureStack();
    roleWith(
      stack,
      invoke([`arn:${Aws.PARTITION}:bedrock:${Aws.REGION}::foundation-model/${MODEL}`, PROFILE]),
      invoke([`arn:${Aws.PARTITION}:bedrock:*::foundation-model/${MODEL}`], { StringEquals: { 'bedrock:InferenceProfileArn': PROFILE } }),
      new iam.PolicyStatement({ actions: ['bedrock:ApplyGuardrail'], resources: [`arn:${Aws.PARTITION}:bedrock:${Aws.REGION}:${Aws.ACCOUNT_ID}:guardrail/*`] }),
    );
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('applies to inline role policies and managed policies too', () => {
    const stack = fixtureStack();
    new iam.Role(stack, 'Inline', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: { Invoke: new iam.PolicyDocument({ statements: [invoke(['arn:aws:bedrock:us-east-1::foundation-model/*'])] }) },
    });
    new iam.ManagedPolicy(stack, 'Managed', { statements: [invoke(['arn:aws:bedrock:us-east-1::foundation-model/*'])] });
    expect(findings(stack, RULE)).toEqual([
      'Resource::arn:aws:bedrock:us-east-1::foundation-model/* @ Inline/Resource',
      'Resource::arn:aws:bedrock:us-east-1::foundation-model/* @ Managed/Resource',
    ]);
  });
});

describe(`${RULE}, judged on one policy`, () => {
  const FM = 'arn:aws:bedrock:us-east-1::foundation-model';

  function policy(...statements: Record<string, unknown>[]): iam.CfnManagedPolicy {
    return new iam.CfnManagedPolicy(fixtureStack(), 'Policy', { policyDocument: { Statement: statements } });
  }
  const invokeOn = (resource: unknown, extra: Record<string, unknown> = {}) => ({
    Effect: 'Allow',
    Action: 'bedrock:InvokeModel',
    Resource: resource,
    ...extra,
  });

  test.each([
    ['*', '*'],
    ['a wildcard service', 'arn:aws:bedrock*:us-east-1::foundation-model/a'],
    ['a wildcard resource type', 'arn:aws:bedrock:us-east-1:111122223333:*'],
    ['a ? in the resource type', 'arn:aws:bedrock:us-east-1::foundation-mode?/a'],
    ['a ? in the model', `${FM}/amazon.nova-lite-v?:0`],
    ['a wildcard application inference profile', 'arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/*'],
    ['a foundation model in Regions matching us-*', 'arn:aws:bedrock:us-*::foundation-model/a'],
    ['a foundation model in Regions matching us-east-?', 'arn:aws:bedrock:us-east-?::foundation-model/a'],
  ])('fails on %s', (_, arn) => {
    expect(judge(BedrockInvokeModelScoped, policy(invokeOn(arn)))).toEqual([`Resource::${arn}`]);
  });

  test('fails on NotResource, and names every resource too wide once, placeholders written <like this>', () => {
    const wide = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, '::foundation-model/*']] };
    expect(
      judge(
        BedrockInvokeModelScoped,
        policy(invokeOn([wide, '*']), { Effect: 'Allow', Action: 'bedrock:InvokeModelWithResponseStream', NotResource: `${FM}/a`, Resource: wide }),
      ),
    ).toEqual(['Resource::arn:<AWS::Partition>:bedrock:<AWS::Region>::foundation-model/*', 'Resource::*', 'NotResource']);
  });

  test.each([
    ['one model in one Region', `${FM}/amazon.nova-lite-v1:0`],
    ['a foundation-model ARN without a model part', FM],
    ['an inference profile in every Region', 'arn:aws:bedrock:*:111122223333:inference-profile/us.amazon.nova-lite-v1:0'],
    ['another Bedrock resource type', 'arn:aws:bedrock:us-east-1:111122223333:guardrail/*'],
    ['another service', 'arn:aws:s3:::bucket/*'],
    ['a value that is no ARN', { Ref: 'ModelArn' }],
    ['a Bedrock ARN with an empty resource type', 'arn:aws:bedrock:us-east-1::/*'],
  ])('passes on %s', (_, resource) => {
    expect(judge(BedrockInvokeModelScoped, policy(invokeOn(resource)))).toBe(NagRuleCompliance.COMPLIANT);
  });

  test('the cross-Region model passes only with the bedrock:InferenceProfileArn condition, the key in any case', () => {
    const condition = { Condition: { StringLike: { 'Bedrock:InferenceProfileARN': 'arn:aws:bedrock:*:111122223333:inference-profile/us.*' } } };
    expect(judge(BedrockInvokeModelScoped, policy(invokeOn('arn:aws:bedrock:*::foundation-model/a', condition)))).toBe(NagRuleCompliance.COMPLIANT);
    const other = { Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } } };
    expect(judge(BedrockInvokeModelScoped, policy(invokeOn('arn:aws:bedrock:*::foundation-model/a', other)))).toEqual([
      'Resource::arn:aws:bedrock:*::foundation-model/a',
    ]);
  });

  test('does not apply to policies that do not allow model invocation, nor to other resources', () => {
    expect(judge(BedrockInvokeModelScoped, policy({ Effect: 'Deny', Action: 'bedrock:InvokeModel', Resource: '*' }))).toBe(NagRuleCompliance.NOT_APPLICABLE);
    expect(judge(BedrockInvokeModelScoped, policy({ Effect: 'Allow', Action: 'bedrock:ApplyGuardrail', Resource: '*' }))).toBe(
      NagRuleCompliance.NOT_APPLICABLE,
    );
    const stack = fixtureStack();
    expect(judge(BedrockInvokeModelScoped, new iam.CfnUser(stack, 'User', { policies: [] }))).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });

  test('reads a policy, a managed policy and a role inline policy; a role without policies does not apply', () => {
    const stack = fixtureStack();
    const document = { Statement: [invokeOn('*')] };
    const assumeRolePolicyDocument = { Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }] };
    const inline = new iam.CfnRole(stack, 'Inline', { assumeRolePolicyDocument, policies: [{ policyName: 'p', policyDocument: document }] });
    const bare = new iam.CfnRole(stack, 'Bare', { assumeRolePolicyDocument });
    const attached = new iam.CfnPolicy(stack, 'Attached', { policyName: 'p', policyDocument: document, roles: [bare.ref] });
    expect(judge(BedrockInvokeModelScoped, inline)).toEqual(['Resource::*']);
    expect(judge(BedrockInvokeModelScoped, attached)).toEqual(['Resource::*']);
    expect(judge(BedrockInvokeModelScoped, bare)).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });

  test('a role with a null entry among its inline policies is read; a policy that cannot render alone does not apply', () => {
    const stack = fixtureStack();
    const assumeRolePolicyDocument = { Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }] };
    const role = new iam.CfnRole(stack, 'Role', { assumeRolePolicyDocument });
    role.addPropertyOverride('Policies', [null, { PolicyName: 'p', PolicyDocument: { Statement: [invokeOn('*')] } }]);
    expect(judge(BedrockInvokeModelScoped, role)).toEqual(['Resource::*']);
    const broken = new iam.CfnManagedPolicy(stack, 'Broken', { policyDocument: { Statement: [invokeOn('*')] } });
    broken.addPropertyOverride('Bad', {
      resolve: () => {
        throw new Error('cannot render');
      },
    });
    expect(judge(BedrockInvokeModelScoped, broken)).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });
});

describe('policyDocumentsOf', () => {
  const document = { Statement: [] };
  test('the document of a policy or managed policy, the inline documents of a role, none for other types (a user or group too)', () => {
    expect(policyDocumentsOf('AWS::IAM::Policy', { PolicyDocument: document })).toStrictEqual([document]);
    expect(policyDocumentsOf('AWS::IAM::ManagedPolicy', { PolicyDocument: document })).toStrictEqual([document]);
    expect(policyDocumentsOf('AWS::IAM::Role', { Policies: [{ PolicyDocument: document }, null] })).toStrictEqual([document, undefined]);
    expect(policyDocumentsOf('AWS::IAM::User', { Policies: [{ PolicyDocument: document }], PolicyDocument: document })).toStrictEqual([]);
    expect(policyDocumentsOf('AWS::S3::BucketPolicy', { PolicyDocument: document })).toStrictEqual([]);
  });
});
