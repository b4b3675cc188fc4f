import type { Stack } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { findings, fixtureStack } from './fixture';

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
