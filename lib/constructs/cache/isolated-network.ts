import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { allowFromStably } from './stable-ingress';

/**
 * The AWS APIs the request path calls from inside the VPC: Converse/InvokeModel/ApplyGuardrail
 * (bedrock-runtime), Retrieve (bedrock-agent-runtime), GetPrompt (bedrock-agent).
 *
 * Not here, on purpose:
 * - CloudWatch Logs and EMF metrics: the Lambda service ships stdout/stderr, not the function's ENI.
 * - X-Ray: active tracing uses the Lambda-managed daemon; AWS does not document that it sends
 *   through the function's VPC. Add `InterfaceVpcEndpointAwsService.XRAY` to `interfaceServices`
 *   if SDK subsegments are missing from traces (an endpoint costs per hour in each AZ).
 * - ElastiCache control plane and STS: IAM auth tokens are signed locally with the function's
 *   credentials, which the runtime provides in its environment.
 * - SQS: the ingestion function is not in the VPC.
 */
export const DEFAULT_INTERFACE_SERVICES: readonly ec2.InterfaceVpcEndpointAwsService[] = [
  ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME,
  ec2.InterfaceVpcEndpointAwsService.BEDROCK_AGENT_RUNTIME,
  ec2.InterfaceVpcEndpointAwsService.BEDROCK_AGENT,
];

const HTTPS = 443;

/** A VPC created elsewhere, by ids (no lookup: synth stays offline), whose isolated subnets the network uses. */
export interface ExistingVpc {
  readonly vpcId: string;
  /** The VPC's IPv4 block: the endpoints' security group admits HTTPS from it. */
  readonly vpcCidrBlock: string;
  /** Subnets without a route to the internet, at most one per AZ (an interface endpoint takes one subnet per AZ). */
  readonly isolatedSubnetIds: readonly string[];
  /** The AZ of each subnet, in the same order. */
  readonly availabilityZones: readonly string[];
  /** The route table of each subnet, in the same order: the gateway endpoints add their routes there. */
  readonly routeTableIds: readonly string[];
  /**
   * Services the VPC already reaches through endpoints of its own, by the last part of the endpoint
   * service name (`s3`, `bedrock-runtime`): not created again (a second interface endpoint with
   * private DNS for the same service is refused, and a second gateway endpoint's route clashes).
   * @default none
   */
  readonly existingEndpoints?: readonly string[];
}

export interface IsolatedNetworkProps {
  /** IPv4 range of the VPC, a /16 to /24; a concrete value (CDK divides it into subnets at synth). @default '10.0.0.0/16' */
  readonly cidr?: string;
  /**
   * Use this VPC instead of creating one: its isolated subnets get the endpoints, and a flow log
   * each (the VPC's other subnets are not logged here).
   * @default a new VPC with two isolated subnets (`cidr`)
   */
  readonly existingVpc?: ExistingVpc;
  /**
   * AWS services reachable through interface endpoints (PrivateLink, private DNS on). Each one
   * costs per hour in each AZ, so list only what the functions in the VPC call.
   * @default DEFAULT_INTERFACE_SERVICES (Bedrock runtime, agent runtime, agent)
   */
  readonly interfaceServices?: readonly ec2.InterfaceVpcEndpointAwsService[];
  /** How long VPC flow logs are kept. @default logs.RetentionDays.ONE_MONTH */
  readonly flowLogRetention?: logs.RetentionDays;
  /**
   * Whether anything in the VPC may reach the interface endpoints on 443. When false, only
   * security groups passed to `allowEndpointAccessFrom` may.
   * @default true
   */
  readonly endpointsOpenToVpc?: boolean;
}

/**
 * A network the cache and the functions that use it live in: created here (`IsolatedNetwork`) or
 * imported (`IsolatedNetwork.fromIsolatedNetworkAttributes`).
 */
export interface IIsolatedNetwork {
  readonly vpc: ec2.IVpc;
  /** Where functions and the cache are placed. */
  readonly subnets: ec2.SubnetSelection;
  /** Guards the interface endpoints. @default none: the endpoints admit the whole VPC */
  readonly endpointSecurityGroup?: ec2.ISecurityGroup;
  /** Lets `other` (a function, a security group) reach the interface endpoints on 443. */
  allowEndpointAccessFrom(other: ec2.IConnectable, description?: string): void;
}

export interface IsolatedNetworkAttributes {
  readonly vpc: ec2.IVpc;
  /** @default the VPC's PRIVATE_ISOLATED subnets */
  readonly subnets?: ec2.SubnetSelection;
  /** The interface endpoints' security group, for `allowEndpointAccessFrom`. @default none: the endpoints admit the whole VPC */
  readonly endpointSecurityGroup?: ec2.ISecurityGroup;
}

/**
 * Ground 5 (and every stack in the regulated profile or with `network=private`): a VPC with no way
 * out to the internet (no internet gateway, no NAT gateway, only PRIVATE_ISOLATED subnets in two
 * AZs), or the isolated subnets of an existing VPC (`existingVpc`). AWS APIs are reached through
 * gateway endpoints (S3, DynamoDB) and interface endpoints (`interfaceServices`, and more with
 * `addInterfaceEndpoint`); all traffic is recorded by flow logs.
 *
 * The AZs are the stack's (`Fn::GetAZs` tokens for an env-agnostic stack), or those given with
 * an existing VPC, so synth needs no lookup and no credentials.
 */
export class IsolatedNetwork extends Construct implements IIsolatedNetwork {
  /** A VPC created elsewhere, with whatever endpoints the functions placed in it need (see DEFAULT_INTERFACE_SERVICES). */
  public static fromIsolatedNetworkAttributes(scope: Construct, id: string, attrs: IsolatedNetworkAttributes): IIsolatedNetwork {
    class Import extends Construct implements IIsolatedNetwork {
      public readonly vpc = attrs.vpc;
      public readonly subnets = attrs.subnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
      public readonly endpointSecurityGroup = attrs.endpointSecurityGroup;
      public allowEndpointAccessFrom(other: ec2.IConnectable, description = 'HTTPS to the interface endpoints'): void {
        if (!this.endpointSecurityGroup) {
          throw new Error(`allowEndpointAccessFrom needs the endpoints' security group, got none in the attributes of ${this.node.path}`);
        }
        allowFromStably(this.endpointSecurityGroup, other, HTTPS, description);
      }
    }
    return new Import(scope, id);
  }

  /** The VPC created here, or the one of `existingVpc`. */
  public readonly vpc: ec2.IVpc;
  /** The isolated subnets: where functions, endpoints and the cache live. */
  public readonly subnets: ec2.SubnetSelection;
  /** Guards the interface endpoints: HTTPS in, nothing out. */
  public readonly endpointSecurityGroup: ec2.SecurityGroup;
  public readonly flowLogGroup: logs.LogGroup;
  private readonly endpoints = new Map<string, ec2.InterfaceVpcEndpoint>();
  private readonly existingEndpoints: ReadonlySet<string>;

  constructor(scope: Construct, id: string, props: IsolatedNetworkProps = {}) {
    super(scope, id);
    const existing = props.existingVpc;
    const cidr = existing?.vpcCidrBlock ?? props.cidr ?? '10.0.0.0/16';
    const interfaceServices = props.interfaceServices ?? DEFAULT_INTERFACE_SERVICES;
    const flowLogRetention = props.flowLogRetention ?? logs.RetentionDays.ONE_MONTH;
    const endpointsOpenToVpc = props.endpointsOpenToVpc ?? true;
    this.existingEndpoints = new Set(existing?.existingEndpoints ?? []);

    // No token case: ec2.Vpc must divide the block into subnets at synth time.
    const cidrMatch = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    const prefix = cidrMatch ? Number(cidrMatch[5]) : NaN;
    const maxPrefix = existing ? 28 : 24;
    if (!cidrMatch || cidrMatch.slice(1, 5).some((o) => Number(o) > 255) || prefix < 16 || prefix > maxPrefix) {
      throw new Error(`${existing ? 'existingVpc.vpcCidrBlock' : 'cidr'} must be an IPv4 CIDR block from /16 to /${maxPrefix} (e.g. 10.0.0.0/16), got ${cidr}`);
    }
    const endpointIds = interfaceServices.map((s) => endpointId(s));
    const duplicate = endpointIds.find((e, i) => endpointIds.indexOf(e) !== i);
    if (duplicate) {
      throw new Error(`interfaceServices must not list a service twice, got ${interfaceServices[endpointIds.indexOf(duplicate)].shortName} more than once`);
    }

    if (existing) {
      this.vpc = importVpc(this, existing);
      this.subnets = { subnets: this.vpc.isolatedSubnets };
    } else {
      // Two AZs in a quarter of the range each, leaving half for later subnets.
      const subnetMask = prefix + 2;
      this.vpc = new ec2.Vpc(this, 'Vpc', {
        ipAddresses: ec2.IpAddresses.cidr(cidr),
        maxAzs: 2,
        natGateways: 0,
        // No public subnet means no internet gateway and no route to 0.0.0.0/0.
        subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: subnetMask }],
        createInternetGateway: false,
        // Removes the default security group's rules (Security Hub EC2.2): nothing here uses it,
        // and a resource put in it by mistake should get no traffic. CDK does this with a custom
        // resource: one Lambda function per stack, outside this VPC, run by CloudFormation on
        // deploy. It is built from CfnResource, so no cdk-nag rule inspects it (checked in the tests).
        restrictDefaultSecurityGroup: true,
      });
      this.subnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    }

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', { retention: flowLogRetention });
    const destination = ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup);
    if (existing) {
      // The subnets this network uses, not the whole VPC: the VPC's other traffic is its owner's to log.
      this.vpc.isolatedSubnets.forEach(
        (subnet, i) =>
          new ec2.FlowLog(this, `FlowLog${i + 1}`, {
            resourceType: ec2.FlowLogResourceType.fromSubnet(subnet),
            destination,
            trafficType: ec2.FlowLogTrafficType.ALL,
          }),
      );
    } else {
      this.vpc.addFlowLog('FlowLog', { destination, trafficType: ec2.FlowLogTrafficType.ALL });
    }

    const gateways = [
      ['S3Endpoint', ec2.GatewayVpcEndpointAwsService.S3, 's3'],
      ['DynamoDbEndpoint', ec2.GatewayVpcEndpointAwsService.DYNAMODB, 'dynamodb'],
    ] as const;
    for (const [id, service, name] of gateways) {
      if (!this.existingEndpoints.has(name)) this.vpc.addGatewayEndpoint(id, { service, subnets: [this.subnets] });
    }

    this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'Interface endpoints: HTTPS from inside the VPC only',
      // Endpoints only answer; they never open connections.
      allowAllOutbound: false,
    });
    if (endpointsOpenToVpc) {
      // The block as written, not the VPC's CidrBlock attribute: the same value, and one that rule
      // packs can read (cdk-nag's EC2 rules cannot resolve the attribute and report it as open).
      this.endpointSecurityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(HTTPS), 'HTTPS from the VPC');
    }
    for (const service of interfaceServices) this.addInterfaceEndpoint(service);
  }

  /** The interface endpoints created in this network, in the order they were added. */
  public get interfaceEndpoints(): readonly ec2.InterfaceVpcEndpoint[] {
    return [...this.endpoints.values()];
  }

  /**
   * The interface endpoint of `service` (private DNS on, in the isolated subnets, behind the
   * endpoints' security group), created on first call; undefined when the existing VPC already has
   * one (`existingVpc.existingEndpoints`). Each costs per hour in each AZ.
   */
  public addInterfaceEndpoint(service: ec2.InterfaceVpcEndpointAwsService): ec2.InterfaceVpcEndpoint | undefined {
    if (this.existingEndpoints.has(service.shortName)) return undefined;
    const id = endpointId(service);
    let endpoint = this.endpoints.get(id);
    if (!endpoint) {
      endpoint = this.vpc.addInterfaceEndpoint(id, {
        service,
        privateDnsEnabled: true,
        subnets: this.subnets,
        securityGroups: [this.endpointSecurityGroup],
        // Ingress is decided by the endpoints' security group, not by the endpoint's own "open to the VPC" rule.
        open: false,
      });
      this.endpoints.set(id, endpoint);
    }
    return endpoint;
  }

  /** Lets `other` (a function, a security group) reach the interface endpoints on 443. */
  public allowEndpointAccessFrom(other: ec2.IConnectable, description = 'HTTPS to the interface endpoints'): void {
    allowFromStably(this.endpointSecurityGroup, other, HTTPS, description);
  }
}

/** The VPC of `existing`, from its ids alone: its subnets are the isolated ones (no lookup, so no credentials at synth). */
function importVpc(scope: Construct, existing: ExistingVpc): ec2.IVpc {
  const n = existing.isolatedSubnetIds.length;
  if (n === 0 || existing.availabilityZones.length !== n || existing.routeTableIds.length !== n) {
    throw new Error(
      `existingVpc needs one AZ and one route table per isolated subnet, got ${n} subnets, ${existing.availabilityZones.length} AZs, ` +
        `${existing.routeTableIds.length} route tables`,
    );
  }
  return ec2.Vpc.fromVpcAttributes(scope, 'Vpc', {
    vpcId: existing.vpcId,
    vpcCidrBlock: existing.vpcCidrBlock,
    availabilityZones: [...existing.availabilityZones],
    isolatedSubnetIds: [...existing.isolatedSubnetIds],
    isolatedSubnetRouteTableIds: [...existing.routeTableIds],
  });
}

/** `bedrock-agent-runtime` → `BedrockAgentRuntimeEndpoint`: stable per service, whatever the list order. */
function endpointId(service: ec2.InterfaceVpcEndpointAwsService): string {
  return (
    service.shortName
      .split(/[^A-Za-z0-9]+/)
      .filter(Boolean)
      .map((w) => w[0].toUpperCase() + w.slice(1))
      .join('') + 'Endpoint'
  );
}
