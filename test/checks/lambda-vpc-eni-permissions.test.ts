import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CfnResource, type Stack } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { LAMBDA_ENI_ACTIONS, LambdaVpcEniPermissions } from '../../lib/checks/rules/lambda-vpc-eni-permissions';
import { findings, fixtureStack, judge } from './fixture';

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

describe(`${RULE}, judged on one function`, () => {
  const ASSUME = { Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }] };
  const ENI = { Effect: 'Allow', Action: [...LAMBDA_ENI_ACTIONS], Resource: '*' };

  /** An L1 function in a subnet, its role built by `setup` (which may add policies and dependencies). */
  function judged(setup: (stack: Stack, role: iam.CfnRole, fn: lambda.CfnFunction) => void, vpcConfig: unknown = { subnetIds: ['subnet-0123456789abcdef0'] }) {
    const stack = fixtureStack();
    const role = new iam.CfnRole(stack, 'Role', { assumeRolePolicyDocument: ASSUME });
    const fn = new lambda.CfnFunction(stack, 'Fn', {
      code: { zipFile: 'x' },
      role: role.attrArn,
      vpcConfig: vpcConfig as lambda.CfnFunction.VpcConfigProperty,
    });
    setup(stack, role, fn);
    return judge(LambdaVpcEniPermissions, fn);
  }

  test.each(['AWSLambdaVPCAccessExecutionRole', 'AWSLambdaENIManagementAccess'])('passes with the AWS managed policy %s', (name) => {
    expect(judged((_, role) => (role.managedPolicyArns = [`arn:aws:iam::aws:policy/service-role/${name}`]))).toBe(NagRuleCompliance.COMPLIANT);
  });

  test('fails with another AWS managed policy, or one merely named alike', () => {
    for (const arn of ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole', 'arn:aws:iam::aws:policy/AWSLambdaVPCAccessExecutionRole']) {
      expect(judged((_, role) => (role.managedPolicyArns = [arn]))).toBe(NagRuleCompliance.NON_COMPLIANT);
    }
  });

  test('passes with the actions in the role, in a managed policy of the template it names, or through ec2:*', () => {
    expect(judged((_, role) => (role.policies = [{ policyName: 'eni', policyDocument: { Statement: [ENI] } }]))).toBe(NagRuleCompliance.COMPLIANT);
    expect(judged((_, role) => (role.policies = [{ policyName: 'eni', policyDocument: { Statement: [{ ...ENI, Action: 'ec2:*' }] } }]))).toBe(
      NagRuleCompliance.COMPLIANT,
    );
    expect(
      judged((stack, role) => {
        const managed = new iam.CfnManagedPolicy(stack, 'Managed', { policyDocument: { Statement: [ENI] } });
        role.managedPolicyArns = [managed.ref];
      }),
    ).toBe(NagRuleCompliance.COMPLIANT);
  });

  test('fails when a Describe action is granted on a resource only; other actions may be scoped', () => {
    const scoped = (actions: string[]) => ({ Effect: 'Allow', Action: actions, Resource: 'arn:aws:ec2:us-east-1:111122223333:*' });
    const describe = LAMBDA_ENI_ACTIONS.filter((a) => a.startsWith('ec2:Describe'));
    const others = LAMBDA_ENI_ACTIONS.filter((a) => !a.startsWith('ec2:Describe'));
    expect(judged((_, role) => (role.policies = [{ policyName: 'eni', policyDocument: { Statement: [scoped(others), { ...ENI, Action: describe }] } }]))).toBe(
      NagRuleCompliance.COMPLIANT,
    );
    expect(judged((_, role) => (role.policies = [{ policyName: 'eni', policyDocument: { Statement: [{ ...ENI, Action: others }, scoped(describe)] } }]))).toBe(
      NagRuleCompliance.NON_COMPLIANT,
    );
  });

  test('fails with a separate policy the function does not wait for; passes when it does', () => {
    const separate = (stack: Stack, role: iam.CfnRole) =>
      new iam.CfnPolicy(stack, 'Eni', { policyName: 'eni', policyDocument: { Statement: [ENI] }, roles: [role.ref] });
    expect(judged(separate)).toBe(NagRuleCompliance.NON_COMPLIANT);
    expect(judged((stack, role, fn) => fn.addResourceDependency(separate(stack, role)))).toBe(NagRuleCompliance.COMPLIANT);
  });

  test('fails when every action is missing, or only the last one', () => {
    expect(judged(() => undefined)).toBe(NagRuleCompliance.NON_COMPLIANT);
    const allButLast = { ...ENI, Action: LAMBDA_ENI_ACTIONS.slice(0, -1) };
    expect(judged((_, role) => (role.policies = [{ policyName: 'eni', policyDocument: { Statement: [allButLast] } }]))).toBe(NagRuleCompliance.NON_COMPLIANT);
  });

  test('does not apply without subnets, with a role from elsewhere, or to other resources', () => {
    expect(judged(() => undefined, { subnetIds: [] })).toBe(NagRuleCompliance.NOT_APPLICABLE);
    expect(judged(() => undefined, { securityGroupIds: ['sg-0123456789abcdef0'] })).toBe(NagRuleCompliance.NOT_APPLICABLE);
    expect(judged(() => undefined, null)).toBe(NagRuleCompliance.NOT_APPLICABLE);
    expect(judged((_, __, fn) => (fn.role = 'arn:aws:iam::111122223333:role/elsewhere'))).toBe(NagRuleCompliance.NOT_APPLICABLE);
    const stack = fixtureStack();
    expect(judge(LambdaVpcEniPermissions, new iam.CfnRole(stack, 'Role', { assumeRolePolicyDocument: ASSUME }))).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });

  test('passes when the role grants the actions even if a separate policy the function does not wait for grants them too', () => {
    expect(
      judged((stack, role) => {
        role.policies = [{ policyName: 'eni', policyDocument: { Statement: [ENI] } }];
        new iam.CfnPolicy(stack, 'Eni', { policyName: 'eni', policyDocument: { Statement: [ENI] }, roles: [role.ref] });
      }),
    ).toBe(NagRuleCompliance.COMPLIANT);
  });

  test('does not apply to a function that cannot render alone (no error)', () => {
    const stack = fixtureStack();
    const role = new iam.CfnRole(stack, 'Role', { assumeRolePolicyDocument: ASSUME });
    const fn = new lambda.CfnFunction(stack, 'Fn', { code: { zipFile: 'x' }, role: role.attrArn, vpcConfig: { subnetIds: ['subnet-0123456789abcdef0'] } });
    fn.addPropertyOverride('Bad', {
      resolve: () => {
        throw new Error('cannot render');
      },
    });
    expect(judge(LambdaVpcEniPermissions, fn)).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });

  test('does not apply to another type with a Role and VpcConfig.SubnetIds (a SAM function, which the transform turns into a Lambda function)', () => {
    const stack = fixtureStack();
    const role = new iam.CfnRole(stack, 'Role', { assumeRolePolicyDocument: ASSUME });
    const sam = new CfnResource(stack, 'Sam', {
      type: 'AWS::Serverless::Function',
      properties: { Role: role.attrArn, VpcConfig: { SubnetIds: ['subnet-0123456789abcdef0'] } },
    });
    expect(judge(LambdaVpcEniPermissions, sam)).toBe(NagRuleCompliance.NOT_APPLICABLE);
  });

  test('applies to subnets given as a token (one list parameter)', () => {
    expect(judged(() => undefined, { subnetIds: { 'Fn::Split': [',', 'a,b'] } })).toBe(NagRuleCompliance.NON_COMPLIANT);
  });
});
