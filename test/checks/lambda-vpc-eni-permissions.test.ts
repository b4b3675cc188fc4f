import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Stack } from 'aws-cdk-lib';
import { LAMBDA_ENI_ACTIONS } from '../../lib/checks/rules/lambda-vpc-eni-permissions';
import { findings, fixtureStack } from './fixture';

const RULE = 'LambdaVpcEniPermissions';

/** A function in an isolated subnet, with `role` when given (as BlueprintFunction does). */
function vpcFunction(stack: Stack, role?: iam.IRole, inVpc = true): lambda.Function {
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 1,
    natGateways: 0,
    subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  return new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {}'),
    role,
    ...(inVpc ? { vpc } : {}),
  });
}

function ownRole(stack: Stack): iam.Role {
  return new iam.Role(stack, 'Role', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
  });
}

describe(RULE, () => {
  test('fails when a VPC function is given its own role without the ENI actions (aws-cdk-lib attaches none)', () => {
    const stack = fixtureStack();
    vpcFunction(stack, ownRole(stack));
    expect(findings(stack, RULE)).toEqual([`${RULE} @ Fn/Resource`]);
  });

  test('fails when one ENI action is missing, or DescribeNetworkInterfaces is scoped to a resource', () => {
    const missing = fixtureStack();
    const role = ownRole(missing);
    role.addToPolicy(new iam.PolicyStatement({ actions: LAMBDA_ENI_ACTIONS.filter((a) => a !== 'ec2:UnassignPrivateIpAddresses'), resources: ['*'] }));
    vpcFunction(missing, role);
    expect(findings(missing, RULE)).toEqual([`${RULE} @ Fn/Resource`]);

    const scoped = fixtureStack();
    const scopedRole = ownRole(scoped);
    scopedRole.addToPolicy(
      new iam.PolicyStatement({ actions: [...LAMBDA_ENI_ACTIONS], resources: ['arn:aws:ec2:us-east-1:111122223333:network-interface/*'] }),
    );
    vpcFunction(scoped, scopedRole);
    expect(findings(scoped, RULE)).toEqual([`${RULE} @ Fn/Resource`]);
  });

  test('fails when the actions come from a separate policy the function does not wait for, passes once it depends on it', () => {
    const stack = fixtureStack();
    const role = ownRole(stack);
    const policy = new iam.Policy(stack, 'EniPolicy', {
      roles: [role],
      statements: [new iam.PolicyStatement({ actions: [...LAMBDA_ENI_ACTIONS], resources: ['*'] })],
    });
    const fn = vpcFunction(stack, role);
    expect(findings(stack, RULE)).toEqual([`${RULE} @ Fn/Resource`]);
    fn.node.addDependency(policy);
    expect(findings(stack, RULE)).toEqual([]);
  });

  test("passes with the ENI actions in the role's default policy, with the managed policy, or with a role aws-cdk-lib creates", () => {
    const inline = fixtureStack();
    const role = ownRole(inline);
    role.addToPolicy(new iam.PolicyStatement({ actions: [...LAMBDA_ENI_ACTIONS], resources: ['*'] }));
    vpcFunction(inline, role);
    expect(findings(inline, RULE)).toEqual([]);

    const managed = fixtureStack();
    const managedRole = ownRole(managed);
    managedRole.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'));
    vpcFunction(managed, managedRole);
    expect(findings(managed, RULE)).toEqual([]);

    const cdkRole = fixtureStack();
    vpcFunction(cdkRole);
    expect(findings(cdkRole, RULE)).toEqual([]);
  });

  test('does not apply to a function outside a VPC', () => {
    const stack = fixtureStack();
    vpcFunction(stack, ownRole(stack), false);
    expect(findings(stack, RULE)).toEqual([]);
  });
});
