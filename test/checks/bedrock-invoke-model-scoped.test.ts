import { Aws, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { findings, fixtureStack } from './fixture';

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
