import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { BlueprintFunction, LAMBDA_ENI_ACTIONS, LATEST_NODE_RUNTIME } from '../../lib/constructs/shared/blueprint-function';

function vpcFunction(stackId: string): Template {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), stackId);
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  new BlueprintFunction(stack, 'Fn', {
    handlerDir: 'training-gate',
    description: 'test',
    memorySize: 256,
    timeout: Duration.seconds(10),
    logRetention: logs.RetentionDays.ONE_WEEK,
    invokedBy: 'step-functions',
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
  });
  return Template.fromStack(stack);
}

describe('BlueprintFunction in a VPC', () => {
  const template = vpcFunction('Ground5-Caches');

  test('its own role may manage the function ENIs (aws-cdk-lib adds AWSLambdaVPCAccessExecutionRole only to roles it creates)', () => {
    const fnRole = template.findResources('AWS::Lambda::Function', { Properties: { Description: 'test' } });
    const [fn] = Object.values(fnRole);
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([, p]) =>
      p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId),
    );
    const allowed = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement).flatMap((s: { Action: string | string[] }) => [s.Action].flat());
    for (const action of [...LAMBDA_ENI_ACTIONS.describe, ...LAMBDA_ENI_ACTIONS.manage]) expect(allowed).toContain(action);
    // Created before the function: CreateFunction checks the role's ENI permissions.
    expect(fn.DependsOn).toEqual(expect.arrayContaining(policies.map(([id]) => id)));
  });

  test('the ENI actions that take resources are scoped to this account and Region', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: [...LAMBDA_ENI_ACTIONS.manage],
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':*/*']] },
          }),
        ]),
      },
    });
  });

  test('its security group is the same whatever the stack id (a description change replaces the group)', () => {
    const groups = (t: Template) => Object.values(t.findResources('AWS::EC2::SecurityGroup')).map((g) => g.Properties.GroupDescription);
    expect(groups(template)).toEqual(['genai-blueprint training-gate function']);
    expect(groups(vpcFunction('Ground7-FullSystem'))).toEqual(groups(template));
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^FnSecurityGroup'), 'GroupId'] }] },
    });
  });
});

test('the tests run on the Node.js major version the functions are deployed on', () => {
  expect(`nodejs${process.versions.node.split('.')[0]}.x`).toBe(LATEST_NODE_RUNTIME.name);
});
