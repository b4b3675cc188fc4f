import { Aspects, Aws, CfnResource, CustomResourceProviderBase, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import type { ModelApi } from '../constructs/api/model-api';
import { IsolatedNetwork, type IsolatedNetworkProps } from '../constructs/cache/isolated-network';
import { LAMBDA_ENI_ACTIONS } from '../constructs/shared/blueprint-function';
import { type IRegulatedControl, packRules } from './control';

/**
 * The network control of the regulated profile (docs/compliance.md, "Network") and of the closed
 * network (`-c network=private`, docs/network.md): every Lambda function runs in the isolated
 * subnets of the stack's `IsolatedNetwork` (no internet gateway, no NAT), reaching AWS APIs through
 * its VPC endpoints. The network and its endpoints are the stack's (id NETWORK_ID); this control
 * moves the functions into it. `closeNetwork` adds what the closed network adds on top: the
 * network where the ground has none, the endpoints the functions need, and the PRIVATE API.
 */

/** Construct id of the network the functions are put in (the id ground 5 gives its network). */
export const NETWORK_ID = 'Network';

/** Construct id, under the network, of the security group of the functions this control moves into it. */
export const FUNCTION_SECURITY_GROUP_ID = 'FunctionSecurityGroup';

const HTTPS = 443;

/** The stack's network: the IsolatedNetwork at NETWORK_ID under the stack's root. */
function stackNetwork(stack: Stack, fn: IConstruct): IsolatedNetwork {
  const network = stack.node.tryFindChild(NETWORK_ID);
  if (network instanceof IsolatedNetwork) return network;
  throw new Error(
    `${fn.node.path} must run in a VPC, but ${stack.node.path} has no IsolatedNetwork with id '${NETWORK_ID}' at its root; ` +
      `create one (new IsolatedNetwork(stack, '${NETWORK_ID}', { interfaceServices: [...] }), with an endpoint for every AWS API the functions call)`,
  );
}

/**
 * The security group of the functions moved into the network, created on first need: no ingress
 * (nothing connects to a function), egress HTTPS only. Its destination is any address rather than
 * the VPC block: S3 and DynamoDB are reached through gateway endpoints, whose traffic goes to the
 * services' public addresses (the Region's managed prefix lists, whose ids CloudFormation cannot
 * read without a lookup function of its own, which would need the same egress). Where that HTTPS
 * can go is decided by the routes: the isolated subnets have only the VPC's local route and the
 * two gateway endpoints' routes (no internet gateway, no NAT gateway; test/compliance/network.test.ts
 * keeps it so), and every connection is in the flow logs.
 */
function functionSecurityGroup(network: IsolatedNetwork): ec2.SecurityGroup {
  const existing = network.node.tryFindChild(FUNCTION_SECURITY_GROUP_ID);
  if (existing instanceof ec2.SecurityGroup) return existing;
  const group = new ec2.SecurityGroup(network, FUNCTION_SECURITY_GROUP_ID, {
    vpc: network.vpc,
    description: 'genai-blueprint functions (regulated profile): HTTPS out to the VPC endpoints, nothing in',
    allowAllOutbound: false,
  });
  group.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(HTTPS), 'HTTPS to the interface endpoints and, through the gateway endpoints, S3 and DynamoDB');
  return group;
}

/** The endpoints a function in the network reaches AWS through: created before it, deleted after it. */
function endpoints(network: IsolatedNetwork): ec2.CfnVPCEndpoint[] {
  return network.vpc.node.findAll().filter((c): c is ec2.CfnVPCEndpoint => c instanceof ec2.CfnVPCEndpoint);
}

/** The ENI statements of LAMBDA_ENI_ACTIONS, as BlueprintFunction grants them to a VPC function's role. */
function eniStatements(): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({ actions: [...LAMBDA_ENI_ACTIONS.describe], resources: ['*'] }),
    new iam.PolicyStatement({ actions: [...LAMBDA_ENI_ACTIONS.manage], resources: [`arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:*/*`] }),
  ];
}

/** Roles already given the ENI statements (several functions may share one role). */
const withEni = new WeakSet<IConstruct>();

/** The acknowledgements of the ENI statements' resources (AwsSolutions-IAM5), as BlueprintFunction gives its VPC functions' roles. */
function acknowledgeEni(role: IConstruct): void {
  Validations.of(role).acknowledge(
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Lambda looks up the VPC function network interfaces with ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets, which have no resource-level ' +
        'permissions (regulated profile: the function runs in the VPC)',
    },
    {
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:*/*]',
      reason:
        'Lambda creates and deletes the function ENIs in subnets and security groups it picks at run time; ' +
        'the Lambda guide documents account-and-Region resources as the scope for these actions (regulated profile: the function runs in the VPC)',
    },
  );
}

/**
 * Gives the execution role of `fn` the ENI actions Lambda needs to attach it to the VPC, where
 * CloudFormation creates them before the function: CreateFunction is refused without them (our
 * rule LambdaVpcEniPermissions checks it).
 */
function grantEni(fn: CfnResource): void {
  const scope = fn.node.scope;
  if (scope instanceof lambda.Function && scope.role) {
    // The role's default policy: lambda.Function depends on the role's whole subtree.
    if (withEni.has(scope.role)) return;
    withEni.add(scope.role);
    for (const statement of eniStatements()) scope.role.addToPrincipalPolicy(statement);
    acknowledgeEni(scope.role);
    return;
  }
  if (scope instanceof CustomResourceProviderBase) {
    // aws-cdk-lib's core providers (the VPC's Custom::VpcRestrictDefaultSG handler): an inline
    // policy on their role, which the handler depends on.
    if (withEni.has(scope)) return;
    withEni.add(scope);
    for (const statement of eniStatements()) scope.addToRolePolicy(statement.toStatementJson());
    return;
  }
  throw new Error(
    `${fn.node.path} is a Lambda function without a lambda.Function or custom resource provider around it, ` +
      `so its execution role cannot be given the ENI actions Lambda needs in a VPC; give it a VpcConfig of its own`,
  );
}

/** The VpcConfig of a function, where one is set. */
function hasVpcConfig(fn: CfnResource): boolean {
  if (fn instanceof lambda.CfnFunction) return fn.vpcConfig !== undefined;
  // aws-cdk-lib's core custom resource providers never set one; anything else is refused by grantEni.
  return false;
}

/**
 * LambdaInsideVPC: every function not in a VPC goes into the isolated subnets of the stack's
 * network (NETWORK_ID) with the functions' security group (FUNCTION_SECURITY_GROUP_ID), its role
 * gets the ENI actions, and it depends on the network's endpoints, so that CloudFormation creates
 * it after them and deletes it (and the custom resources it serves) before them: a custom
 * resource handler answers CloudFormation through an S3 presigned URL, reached through the S3
 * gateway endpoint. A function already in a VPC (the cached request path of ground 5) keeps its
 * own network settings.
 */
export const FUNCTIONS_IN_VPC: IRegulatedControl = {
  rules: packRules('LambdaInsideVPC'),
  visit(node: IConstruct): void {
    if (!(node instanceof CfnResource) || node.cfnResourceType !== 'AWS::Lambda::Function' || hasVpcConfig(node)) return;
    const stack = Stack.of(node);
    const network = stackNetwork(stack, node);
    grantEni(node);
    const vpcConfig = {
      subnetIds: network.vpc.selectSubnets(network.subnets).subnetIds,
      securityGroupIds: [functionSecurityGroup(network).securityGroupId],
    };
    if (node instanceof lambda.CfnFunction) node.vpcConfig = vpcConfig;
    else node.addPropertyOverride('VpcConfig', { SubnetIds: vpcConfig.subnetIds, SecurityGroupIds: vpcConfig.securityGroupIds });
    for (const endpoint of endpoints(network)) node.addResourceDependency(endpoint, 'the function reaches AWS through the endpoints');
  },
};

/** The controls of this file, in the order the profile applies them. */
export const NETWORK_CONTROLS: readonly IRegulatedControl[] = [FUNCTIONS_IN_VPC];

export interface ClosedNetworkProps {
  /** The stack's API, made PRIVATE. */
  readonly api: ModelApi;
  /** The interface endpoints the stack's functions need (lib/grounds/props.ts vpcEndpointServices). */
  readonly interfaceServices: readonly ec2.InterfaceVpcEndpointAwsService[];
  /** The network's props, where the stack has none yet (below ground 5 in the standard profile). */
  readonly network: IsolatedNetworkProps;
  /**
   * An `execute-api` interface endpoint that exists already (a shared one, in this VPC or another):
   * the API admits it instead of one created in the network.
   * @default an execute-api endpoint in the network
   */
  readonly apiEndpointId?: string;
}

/**
 * The closed network (`-c network=private`, docs/network.md) on `stack`: the stack's network
 * (created at NETWORK_ID where the ground has none, with the same id ground 5 and the regulated
 * profile use, so going up a ground or switching profile keeps it) gets every interface endpoint in
 * `interfaceServices` and one for `execute-api`; the API becomes PRIVATE behind that endpoint; every
 * function moves into the network (FUNCTIONS_IN_VPC). Returns the network.
 */
export function closeNetwork(stack: Stack, props: ClosedNetworkProps): IsolatedNetwork {
  const found = stack.node.tryFindChild(NETWORK_ID);
  if (found !== undefined && !(found instanceof IsolatedNetwork)) {
    throw new Error(`network=private: ${found.node.path} is not an IsolatedNetwork; the closed network needs the id '${NETWORK_ID}' for its own`);
  }
  const network = found ?? new IsolatedNetwork(stack, NETWORK_ID, { ...props.network, interfaceServices: props.interfaceServices });
  for (const service of props.interfaceServices) network.addInterfaceEndpoint(service);
  const apiEndpoint = props.apiEndpointId
    ? ec2.InterfaceVpcEndpoint.fromInterfaceVpcEndpointAttributes(network, 'SharedExecuteApiEndpoint', { vpcEndpointId: props.apiEndpointId, port: HTTPS })
    : network.addInterfaceEndpoint(ec2.InterfaceVpcEndpointAwsService.APIGATEWAY);
  if (!apiEndpoint) {
    throw new Error(
      `network=private: the VPC of ${network.node.path} has an execute-api endpoint of its own (existingEndpoints lists execute-api); ` +
        'give its id in network.apiEndpointId',
    );
  }
  props.api.makePrivate(apiEndpoint);
  Aspects.of(stack).add({ visit: (node) => FUNCTIONS_IN_VPC.visit(node) });
  return network;
}
