import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IsolatedNetwork } from '../../lib/constructs/cache/isolated-network';
import { loadConfig } from '../../lib/config/schema';
import type { CfnTemplate } from '../support/iam/resolve';
import { buildApp } from '../support/synth';
import { endpointsOf, ofType, type Resources, resourcesOf } from './endpoints';

/**
 * `-c network.vpcId=...`: an existing VPC instead of ours, given by ids so that synth stays offline
 * (ec2.Vpc.fromVpcAttributes, no lookup): nothing of a VPC is created, the functions, endpoints and
 * the cache use the given subnets, the gateway endpoints the given route tables; endpoints the VPC
 * has are not created again, and a shared execute-api endpoint can be admitted instead of ours.
 * And the configuration's errors.
 */

const SUBNETS = ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'];
const ROUTE_TABLES = ['rtb-0bbbbbbbbbbbbbbb1', 'rtb-0bbbbbbbbbbbbbbb2'];
const EXISTING = {
  network: 'private',
  'network.vpcId': 'vpc-0ccccccccccccccc1',
  'network.vpcCidr': '10.42.0.0/16',
  'network.isolatedSubnetIds': JSON.stringify(SUBNETS),
  'network.availabilityZones': '["eu-west-1a","eu-west-1b"]',
  'network.routeTableIds': JSON.stringify(ROUTE_TABLES),
};

function synth(context: Record<string, unknown>): Record<string, Resources> {
  const { app } = buildApp(context);
  const assembly = app.synth();
  const stacks = app.node.children.filter((c): c is Stack => Stack.isStack(c));
  return Object.fromEntries(stacks.map((s) => [s.node.id, resourcesOf(assembly.getStackArtifact(s.artifactId).template as CfnTemplate)]));
}

describe('an existing VPC, ground 5 (the cache in it too) and ground 0', () => {
  const templates = { ...synth({ ...EXISTING, ground: 5 }), ...synth({ ...EXISTING, ground: 0 }) };

  test.each(['Ground0-ModelCall', 'Ground5-Caches'])('%s: no VPC, subnet, route table or default security group handler is created', (id) => {
    const r = templates[id];
    for (const type of ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::RouteTable', 'AWS::EC2::SubnetRouteTableAssociation', 'Custom::VpcRestrictDefaultSG'])
      expect({ type, count: ofType(r, type).length }).toEqual({ type, count: 0 });
  });

  test.each(['Ground0-ModelCall', 'Ground5-Caches'])(
    '%s: functions, endpoints and flow logs use the given subnets; gateway endpoints the given route tables',
    (id) => {
      const r = templates[id];
      for (const [fid, fn] of ofType(r, 'AWS::Lambda::Function'))
        expect({ fid, subnets: fn.Properties?.VpcConfig?.SubnetIds }).toEqual({ fid, subnets: SUBNETS });
      for (const [name, e] of endpointsOf(r)) {
        if (e.Properties?.VpcEndpointType === 'Gateway') expect({ name, tables: e.Properties?.RouteTableIds }).toEqual({ name, tables: ROUTE_TABLES });
        else expect({ name, subnets: e.Properties?.SubnetIds }).toEqual({ name, subnets: SUBNETS });
        expect({ name, vpc: e.Properties?.VpcId }).toEqual({ name, vpc: 'vpc-0ccccccccccccccc1' });
      }
      expect(ofType(r, 'AWS::EC2::FlowLog').map(([, f]) => [f.Properties?.ResourceType, f.Properties?.ResourceId])).toEqual(SUBNETS.map((s) => ['Subnet', s]));
      // Without our VPC there is no default-security-group handler, so no EC2 endpoint.
      expect([...endpointsOf(r).keys()]).not.toContain('ec2');
    },
  );

  test("the endpoints' security group admits HTTPS from the given block", () => {
    const ingress = ofType(templates['Ground0-ModelCall'], 'AWS::EC2::SecurityGroup').flatMap(([, g]) => g.Properties?.SecurityGroupIngress ?? []);
    expect(ingress).toEqual([expect.objectContaining({ CidrIp: '10.42.0.0/16', FromPort: 443, ToPort: 443 })]);
  });

  test('the cache is placed in the given subnets', () => {
    const [[, cache]] = ofType(templates['Ground5-Caches'], 'AWS::ElastiCache::ServerlessCache');
    expect(cache.Properties?.SubnetIds).toEqual(SUBNETS);
  });
});

test('endpoints the VPC has are not created again; a shared execute-api endpoint is admitted instead of ours', () => {
  const r = synth({
    ...EXISTING,
    ground: 0,
    'network.existingEndpoints': '["s3","bedrock-runtime","execute-api"]',
    'network.apiEndpointId': 'vpce-0ddddddddddddddd1',
  })['Ground0-ModelCall'];
  const names = [...endpointsOf(r).keys()].sort();
  expect(names).toEqual(['dynamodb', 'xray']);
  const [[, api]] = ofType(r, 'AWS::ApiGateway::RestApi');
  expect(api.Properties?.EndpointConfiguration).toEqual({ Types: ['PRIVATE'], VpcEndpointIds: ['vpce-0ddddddddddddddd1'], IpAddressType: 'dualstack' });
  expect(JSON.stringify(api.Properties?.Policy)).toContain('"aws:SourceVpce":"vpce-0ddddddddddddddd1"');
});

test("CloudFormation's own validation accepts the closed network's templates (ground 7, our VPC)", () => {
  const { app } = buildApp({ network: 'private', ground: 7 }, { cfnValidation: true });
  expect(() => app.synth()).not.toThrow();
});

describe('IsolatedNetwork with an existing VPC', () => {
  const existingVpc = {
    vpcId: 'vpc-0ccccccccccccccc1',
    vpcCidrBlock: '10.42.0.0/16',
    isolatedSubnetIds: SUBNETS,
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    routeTableIds: ROUTE_TABLES,
  };

  test('fails when the subnets, AZs and route tables do not pair up, naming the counts', () => {
    const stack = new Stack(new App(), 'Own');
    expect(() => new IsolatedNetwork(stack, 'Network', { existingVpc: { ...existingVpc, routeTableIds: ROUTE_TABLES.slice(1) } })).toThrow(
      'existingVpc needs one AZ and one route table per isolated subnet, got 2 subnets, 2 AZs, 1 route tables',
    );
  });

  test('fails on a block that is not a CIDR, naming it', () => {
    const stack = new Stack(new App(), 'Own');
    expect(() => new IsolatedNetwork(stack, 'Network', { existingVpc: { ...existingVpc, vpcCidrBlock: '10.42.0.0' } })).toThrow(
      'existingVpc.vpcCidrBlock must be an IPv4 CIDR block from /16 to /28 (e.g. 10.0.0.0/16), got 10.42.0.0',
    );
  });

  test('addInterfaceEndpoint creates one endpoint per service, and none for a service the VPC has', () => {
    const stack = new Stack(new App(), 'Own');
    const network = new IsolatedNetwork(stack, 'Network', { existingVpc: { ...existingVpc, existingEndpoints: ['sqs'] }, interfaceServices: [] });
    const first = network.addInterfaceEndpoint(ec2.InterfaceVpcEndpointAwsService.XRAY);
    expect(network.addInterfaceEndpoint(ec2.InterfaceVpcEndpointAwsService.XRAY)).toBe(first);
    expect(network.addInterfaceEndpoint(ec2.InterfaceVpcEndpointAwsService.SQS)).toBeUndefined();
    expect(network.interfaceEndpoints).toEqual([first]);
  });
});

describe('configuration', () => {
  const { network: _mode, ...dotted } = EXISTING;
  test('-c network=private and -c network.mode=private are the same; the default is public', () => {
    expect(loadConfig({ network: 'private' }).network).toEqual(loadConfig({ 'network.mode': 'private' }).network);
    expect(loadConfig({ network: 'private' }).network.mode).toBe('private');
    expect(loadConfig({}).network).toEqual({ mode: 'public', existingEndpoints: [] });
    // The bare key and the dotted keys of the section merge, in either order.
    for (const context of [
      { ...dotted, network: 'private' },
      { network: 'private', ...dotted },
    ])
      expect(loadConfig(context).network).toMatchObject({ mode: 'private', vpcId: 'vpc-0ccccccccccccccc1', isolatedSubnetIds: SUBNETS });
  });

  test.each([
    ['a bare value that is no mode', { network: 'closed' }, /network\.mode = "closed": expected public \(the API on the internet, the default\) or private/],
    ['a mode that does not exist', { 'network.mode': 'internal' }, /network\.mode = "internal": expected public .* or private/],
    [
      'a vpcId without its subnets',
      { 'network.vpcId': 'vpc-0ccccccccccccccc1' },
      /network\.vpcCidr = \(default\): is required with network\.vpcId \(vpc-0ccccccccccccccc1\)/,
    ],
    ['a vpcId that is no VPC id', { ...dotted, 'network.vpcId': 'vpc-1' }, /network\.vpcId = "vpc-1": must be a vpc- id/],
    ['fewer route tables than subnets', { ...dotted, 'network.routeTableIds': '["rtb-0bbbbbbbbbbbbbbb1"]' }, /one entry per subnet, got 2, 2, 1/],
    ['an AZ named twice', { ...dotted, 'network.availabilityZones': '["eu-west-1a","eu-west-1a"]' }, /network\.availabilityZones = .*must name each AZ once/],
    ['subnets without a vpcId', { 'network.isolatedSubnetIds': JSON.stringify(SUBNETS) }, /network\.isolatedSubnetIds = .*is only used with network\.vpcId/],
    [
      'a shared API endpoint in public mode',
      { 'network.apiEndpointId': 'vpce-0ddddddddddddddd1' },
      /network\.apiEndpointId = "vpce-0ddddddddddddddd1": is only used with network\.mode = private/,
    ],
    [
      "the VPC's execute-api endpoint without its id",
      { ...EXISTING, 'network.existingEndpoints': '["execute-api"]' },
      /network\.apiEndpointId = \(default\): is required when existingEndpoints lists execute-api/,
    ],
    ['an unknown key', { 'network.subnets': '[]' }, /unknown key 'network\.subnets'; allowed: mode, vpcId, vpcCidr, isolatedSubnetIds/],
  ] as const)('fails on %s, naming the key, the value and what is allowed', (_case, context, message) => {
    expect(() => loadConfig(context)).toThrow(message);
  });
});
