import { CfnResource, type Stack } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NagRuleCompliance } from 'cdk-nag';
import { BedrockGuardrailGiven } from '../../lib/checks/rules/bedrock-guardrail-given';
import { findings, fixtureStack, judge } from './fixture';

const RULE = 'BedrockGuardrailGiven';

function guardrail(stack: Stack): bedrock.CfnGuardrail {
  return new bedrock.CfnGuardrail(stack, 'Guardrail', {
    name: 'fixture',
    blockedInputMessaging: 'blocked',
    blockedOutputsMessaging: 'blocked',
    contentPolicyConfig: { filtersConfig: [{ type: 'HATE', inputStrength: 'HIGH', outputStrength: 'HIGH' }] },
  });
}

function agent(stack: Stack, guardrailConfiguration?: bedrock.CfnAgent.GuardrailConfigurationProperty): void {
  new bedrock.CfnAgent(stack, 'Agent', { agentName: 'fixture', foundationModel: 'anthropic.claude-3-5-haiku-20241022-v1:0', guardrailConfiguration });
}

/** A function whose role may call a model (Converse is authorized as bedrock:InvokeModel). */
function modelFunction(stack: Stack, environment?: Record<string, string>): lambda.Function {
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {}'),
    environment,
  });
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['bedrock:InvokeModel'],
      resources: ['arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0'],
    }),
  );
  return fn;
}

describe(RULE, () => {
  test('fails for an agent without GuardrailConfiguration in a stack that has a guardrail', () => {
    const stack = fixtureStack();
    guardrail(stack);
    agent(stack);
    expect(findings(stack, RULE)).toEqual([`${RULE} @ Agent`]);
  });

  test('passes for an agent given the guardrail; does not apply where the stack has no guardrail', () => {
    const given = fixtureStack();
    const g = guardrail(given);
    agent(given, { guardrailIdentifier: g.attrGuardrailId, guardrailVersion: 'DRAFT' });
    expect(findings(given, RULE)).toEqual([]);

    const none = fixtureStack();
    agent(none);
    modelFunction(none);
    expect(findings(none, RULE)).toEqual([]);
  });

  test('fails for a model-invoking function with neither ApplyGuardrail on the guardrail nor its id in the environment', () => {
    const stack = fixtureStack();
    guardrail(stack);
    modelFunction(stack);
    expect(findings(stack, RULE)).toEqual([`ApplyGuardrail @ Fn/Resource`, `Environment @ Fn/Resource`]);
  });

  test('fails for a function given the guardrail id but not the permission to apply it', () => {
    const stack = fixtureStack();
    const g = guardrail(stack);
    modelFunction(stack, { GUARDRAIL_ID: g.attrGuardrailId });
    expect(findings(stack, RULE)).toEqual([`ApplyGuardrail @ Fn/Resource`]);
  });

  test('passes for a function given both; does not apply to a function that calls no model', () => {
    const stack = fixtureStack();
    const g = guardrail(stack);
    const version = new bedrock.CfnGuardrailVersion(stack, 'Version', { guardrailIdentifier: g.attrGuardrailId });
    const fn = modelFunction(stack, { GUARDRAIL_ID: g.attrGuardrailId, GUARDRAIL_VERSION: version.attrVersion });
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['bedrock:ApplyGuardrail'], resources: [g.attrGuardrailArn] }));
    new lambda.Function(stack, 'Other', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });
    expect(findings(stack, RULE)).toEqual([]);
  });
});

describe(`${RULE}, judged on one resource`, () => {
  const GUARDRAIL_ARN = 'arn:aws:bedrock:us-east-1:111122223333:guardrail';

  /** A model-invoking function in a stack with a guardrail; `apply` is the ApplyGuardrail statement's resources, `env` its environment. */
  function guardedFunction(apply: ((g: bedrock.CfnGuardrail) => string[]) | undefined, env?: (g: bedrock.CfnGuardrail) => Record<string, string>) {
    const stack = fixtureStack();
    const g = guardrail(stack);
    const version = new bedrock.CfnGuardrailVersion(stack, 'Version', { guardrailIdentifier: g.attrGuardrailId });
    const fn = modelFunction(stack, env?.(g) ?? { GUARDRAIL_VERSION: version.attrVersion });
    if (apply) fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['bedrock:*'], resources: apply(g) }));
    return fn.node.defaultChild as lambda.CfnFunction;
  }

  test.each([
    ['the guardrail', (g: bedrock.CfnGuardrail) => [g.attrGuardrailArn]],
    ['every guardrail of the account', () => [`${GUARDRAIL_ARN}/*`]],
    ['*', () => ['*']],
  ])('passes when the function may apply %s (the version in its environment)', (_, apply) => {
    expect(judge(BedrockGuardrailGiven, guardedFunction(apply))).toBe(NagRuleCompliance.COMPLIANT);
  });

  test('passes with the guardrail id in the environment', () => {
    expect(
      judge(
        BedrockGuardrailGiven,
        guardedFunction(
          () => ['*'],
          (g) => ({ GUARDRAIL_ID: g.attrGuardrailId }),
        ),
      ),
    ).toBe(NagRuleCompliance.COMPLIANT);
  });

  test.each([
    ['one guardrail by a literal ARN', [`${GUARDRAIL_ARN}/abc123`]],
    ['guardrail profiles', [`${GUARDRAIL_ARN}-profile/*`]],
    ['a path under every guardrail', [`${GUARDRAIL_ARN}/*/x`]],
    ['another resource', ['arn:aws:s3:::bucket']],
  ])('fails with ApplyGuardrail on %s only', (_, resources) => {
    expect(
      judge(
        BedrockGuardrailGiven,
        guardedFunction(() => resources),
      ),
    ).toEqual(['ApplyGuardrail']);
  });

  test('fails when the environment names nothing of the guardrail', () => {
    expect(
      judge(
        BedrockGuardrailGiven,
        guardedFunction(
          () => ['*'],
          () => ({ GUARDRAIL_ID: 'abc123' }),
        ),
      ),
    ).toEqual(['Environment']);
    expect(
      judge(
        BedrockGuardrailGiven,
        guardedFunction(undefined, () => ({})),
      ),
    ).toEqual(['ApplyGuardrail', 'Environment']);
  });

  test('an agent is given the guardrail by its identifier; a version alone is not', () => {
    const stack = fixtureStack();
    const g = guardrail(stack);
    const withId = new bedrock.CfnAgent(stack, 'WithId', { agentName: 'a', guardrailConfiguration: { guardrailIdentifier: g.attrGuardrailId } });
    const versionOnly = new bedrock.CfnAgent(stack, 'VersionOnly', { agentName: 'b', guardrailConfiguration: { guardrailVersion: 'DRAFT' } });
    expect(judge(BedrockGuardrailGiven, withId)).toBe(NagRuleCompliance.COMPLIANT);
    expect(judge(BedrockGuardrailGiven, versionOnly)).toBe(NagRuleCompliance.NON_COMPLIANT);
  });

  test('fails for an agent with no GuardrailConfiguration at all, judged on its own (no error)', () => {
    const stack = fixtureStack();
    guardrail(stack);
    const bare = new bedrock.CfnAgent(stack, 'Bare', { agentName: 'a' });
    expect(judge(BedrockGuardrailGiven, bare)).toBe(NagRuleCompliance.NON_COMPLIANT);
  });

  test('passes when one statement may apply the guardrail among other resources', () => {
    expect(
      judge(
        BedrockGuardrailGiven,
        guardedFunction((g) => ['arn:aws:s3:::bucket', g.attrGuardrailArn]),
      ),
    ).toBe(NagRuleCompliance.COMPLIANT);
  });

  test('does not apply to another type with a model-invoking Role property (a Glue job)', () => {
    const stack = fixtureStack();
    guardrail(stack);
    const role = new iam.Role(stack, 'JobRole', { assumedBy: new iam.ServicePrincipal('glue.amazonaws.com') });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: ['*'] }));
    const job = new CfnResource(stack, 'Job', { type: 'AWS::Glue::Job', properties: { Role: role.roleArn, Command: { Name: 'glueetl' } } });
    expect(judge(BedrockGuardrailGiven, job)).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });

  test('does not apply to other resources, to a stack with only a guardrail version, nor to a function with a role from elsewhere', () => {
    const stack = fixtureStack();
    const g = guardrail(stack);
    expect(judge(BedrockGuardrailGiven, g)).toBe(NagRuleCompliance.NOT_APPLICABLE);

    const versionOnly = fixtureStack();
    new bedrock.CfnGuardrailVersion(versionOnly, 'Version', { guardrailIdentifier: 'abc123' });
    const agentThere = new bedrock.CfnAgent(versionOnly, 'Agent', { agentName: 'a' });
    expect(judge(BedrockGuardrailGiven, agentThere)).toBe(NagRuleCompliance.NOT_APPLICABLE);

    const imported = new lambda.CfnFunction(stack, 'Imported', { code: { zipFile: 'x' }, role: 'arn:aws:iam::111122223333:role/elsewhere' });
    expect(judge(BedrockGuardrailGiven, imported)).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });
});
