import type { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance, type NagRuleResult } from 'cdk-nag';
import { allowStatements, coversAction, permissionsOfRole, roleOf } from '../policy';
import { asArray, StackTemplate } from '../template';

/** The EC2 actions Lambda performs with the function's role to attach it to a VPC. */
export const LAMBDA_ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

/** AWS managed policies that carry all of them. */
const ENI_MANAGED_POLICIES = ['AWSLambdaVPCAccessExecutionRole', 'AWSLambdaENIManagementAccess'];

/** Describe actions have no resource-level permissions: only `Resource: '*'` grants them. */
const DESCRIBE = /^ec2:Describe/;

/**
 * A VPC-attached Lambda function whose execution role cannot manage its network interfaces.
 *
 * Lambda creates and deletes the function's ENIs with the function's own role, so the role needs
 * `ec2:CreateNetworkInterface`, `DescribeNetworkInterfaces`, `DescribeSubnets`,
 * `DeleteNetworkInterface`, `AssignPrivateIpAddresses` and `UnassignPrivateIpAddresses`
 * (AWS Lambda Developer Guide, "Giving Lambda functions access to resources in an Amazon VPC":
 * execution role permissions; the `AWSLambdaVPCAccessExecutionRole` managed policy carries
 * them, and `DescribeNetworkInterfaces` only works on `Resource: '*'`). Without them
 * CreateFunction / UpdateFunctionConfiguration is rejected. aws-cdk-lib attaches that managed
 * policy only to a role it creates itself: a function given its own `role` gets nothing.
 *
 * Also non-compliant: the actions come only from an `AWS::IAM::Policy` / `ManagedPolicy` that
 * lists the role, and the function does not depend on it, so CloudFormation may create the
 * function before the policy exists.
 *
 * Not applicable: no `VpcConfig.SubnetIds`, or a role that is not in the template.
 */
export function LambdaVpcEniPermissions(node: CfnResource): NagRuleResult {
  if (node.cfnResourceType !== 'AWS::Lambda::Function') return NagRuleCompliance.NOT_APPLICABLE;
  const template = StackTemplate.of(node);
  const fn = template.resourceOf(node);
  const subnets = fn?.properties.VpcConfig?.SubnetIds;
  if (!fn || subnets === undefined || (Array.isArray(subnets) && subnets.length === 0)) return NagRuleCompliance.NOT_APPLICABLE;
  const role = roleOf(template, fn.properties.Role);
  if (!role) return NagRuleCompliance.NOT_APPLICABLE;

  const permissions = permissionsOfRole(template, role);
  if (permissions.managedPolicyArns.some((arn) => ENI_MANAGED_POLICIES.some((name) => arn.endsWith(`:policy/service-role/${name}`)))) {
    return NagRuleCompliance.COMPLIANT;
  }
  const statements = allowStatements(permissions);
  const dependencies = template.dependenciesOf(node);
  for (const action of LAMBDA_ENI_ACTIONS) {
    const granting = statements.filter(
      ({ statement }) => coversAction(statement, action) && (!DESCRIBE.test(action) || asArray(statement.resources).includes('*')),
    );
    if (granting.length === 0) return NagRuleCompliance.NON_COMPLIANT;
    // Granted by the role itself, by a managed policy it names, or by a policy the function waits for.
    const inPlace = granting.some(
      ({ source }) =>
        source === role || dependencies.has(source.logicalId) || asArray(role.properties.ManagedPolicyArns).some((a) => template.target(a) === source),
    );
    if (!inPlace) return NagRuleCompliance.NON_COMPLIANT;
  }
  return NagRuleCompliance.COMPLIANT;
}
