import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildBlueprint, selectGrounds } from '../../lib/grounds/app';
import { CDK_JSON_CONTEXT, maskedTemplate } from '../support/synth';

const build = (context: Record<string, unknown>) => {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, ...context }, analyticsReporting: false, builtinCloudFormationValidation: false });
  return buildBlueprint(app, { nag: false });
};

describe('PredictiveMl stack', () => {
  const { predictiveMl, stacks } = build({ ground: 'ml' });
  const template = Template.fromStack(predictiveMl!);

  test('-c ground=ml builds it alone, as <stackName>-PredictiveMl, beside (never replacing) a ground stack', () => {
    expect(stacks).toEqual([]);
    expect(predictiveMl!.node.id).toBe('PredictiveMl');
    expect(predictiveMl!.stackName).toBe('GenAiBlueprint-PredictiveMl');
  });

  test('unset or all builds it next to every ground; a number selects that ground only', () => {
    expect(build({}).predictiveMl?.stackName).toBe('GenAiBlueprint-PredictiveMl');
    expect(build({ ground: 'all' }).predictiveMl?.stackName).toBe('GenAiBlueprint-PredictiveMl');
    expect(build({ ground: '0' }).predictiveMl).toBeUndefined();
    expect(selectGrounds('ml')).toEqual([]);
  });

  test('the ground selector names ml among what is allowed', () => {
    expect(() => selectGrounds('mlx')).toThrow(/ground = "mlx"; allowed: 0, .* or unset for all, or ml for the PredictiveMl stack alone/);
  });

  test('POST /predict needs IAM and a tenant API key; WAF on the stage; no Bedrock inference profiles', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'AWS_IAM', ApiKeyRequired: true });
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 1);
    template.resourceCountIs('AWS::Bedrock::ApplicationInferenceProfile', 0);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ENDPOINT_NAME: Match.anyValue(), SAGEMAKER_ATTEMPT_TIMEOUT_MS: '12000' }) },
    });
  });

  test('configuration reaches the block', () => {
    const { predictiveMl: custom } = build({
      ground: 'ml',
      'predictiveMl.inference': 'instance',
      'predictiveMl.schedule': 'rate(1 day)',
      'predictiveMl.minValidationAuc': '0.85',
    });
    const t = Template.fromStack(custom!);
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 day)' });
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ THRESHOLD: '0.85' }) } });
  });

  test('a wrong value fails synth naming the key', () => {
    expect(() => build({ ground: 'ml', 'predictiveMl.serverlessMaxConcurrency': '0' })).toThrow(/predictiveMl\.serverlessMaxConcurrency = 0/);
  });

  test('matches its snapshot', () => {
    expect(maskedTemplate(template)).toMatchSnapshot();
  });
});
