/**
 * The `network` section (lib/config/network.ts) read through loadConfig, with nothing but lib/config
 * loaded (stryker.config.mjs UNIT_TESTS). Every refusal is compared whole.
 */
import { ConfigError } from '../../lib/config/errors';
import { loadConfig } from '../../lib/config/schema';

/** The lines of the ConfigError that loadConfig throws for this `network` section. */
function problems(network: Record<string, unknown>): string[] {
  try {
    loadConfig({ network });
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n  - ').slice(1);
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(network)}`);
}

const EXISTING = {
  vpcId: 'vpc-0123456789abcdef0',
  vpcCidr: '10.20.0.0/16',
  isolatedSubnetIds: ['subnet-01234567', 'subnet-0123456789abcdef0'],
  availabilityZones: ['us-east-1a', 'eu-central-1b'],
  routeTableIds: ['rtb-01234567', 'rtb-89abcdef'],
};

describe('network', () => {
  test('defaults: public, a new VPC, no endpoints of its own', () => {
    expect(loadConfig({}).network).toEqual({ mode: 'public', existingEndpoints: [] });
  });

  test('an existing VPC given whole, ids of 8 to 17 hex digits, AZs of any Region', () => {
    const network = { ...EXISTING, mode: 'private', existingEndpoints: ['s3', 'bedrock-runtime', 'ecr.dkr'], apiEndpointId: 'vpce-0123456789abcdef0' };
    expect(loadConfig({ network }).network).toEqual(network);
    expect(loadConfig({ network: { ...EXISTING, availabilityZones: ['us-gov-west-1a', 'ap-southeast-2c'] } }).network.availabilityZones).toEqual([
      'us-gov-west-1a',
      'ap-southeast-2c',
    ]);
  });

  test.each([
    ['vpcId', 'vpc-0123456', 'must be a vpc- id (vpc-0123456789abcdef0)'],
    ['vpcId', 'vpc-0123456789abcdef01', 'must be a vpc- id (vpc-0123456789abcdef0)'],
    ['vpcId', 'vpc-0123456G', 'must be a vpc- id (vpc-0123456789abcdef0)'],
    ['vpcId', 'xvpc-01234567', 'must be a vpc- id (vpc-0123456789abcdef0)'],
    ['vpcId', 'subnet-01234567', 'must be a vpc- id (vpc-0123456789abcdef0)'],
  ])('fails on %s = %j', (key, value, message) => {
    expect(problems({ ...EXISTING, [key]: value })).toEqual([`network.${key} = ${JSON.stringify(value)}: ${message}`]);
  });

  test.each(['10.20.0.0/15', '10.20.0.0/29', '256.0.0.0/16', '10.20.0/16', '10.20.0.0', '10.20.0.0/16 ', 'a10.20.0.0/16', '1000.0.0.0/16'])(
    'fails on vpcCidr %j',
    (cidr) => {
      expect(problems({ ...EXISTING, vpcCidr: cidr })).toEqual([
        `network.vpcCidr = ${JSON.stringify(cidr)}: must be an IPv4 CIDR block from /16 to /28 (10.20.0.0/16)`,
      ]);
    },
  );

  test.each(['10.20.0.0/16', '255.255.255.0/28', '0.0.0.0/20', '10.20.30.128/25'])('takes vpcCidr %j', (cidr) => {
    expect(loadConfig({ network: { ...EXISTING, vpcCidr: cidr } }).network.vpcCidr).toBe(cidr);
  });

  test('fails on subnet, route table and endpoint ids of the wrong kind, AZ names that are not AZs, endpoint names that are not services', () => {
    expect(
      problems({
        ...EXISTING,
        isolatedSubnetIds: ['subnet-01234567', 'rtb-01234567'],
        availabilityZones: ['us-east-1a', 'us-east-1'],
        routeTableIds: ['rtb-01234567', 'subnet-01234567'],
        existingEndpoints: ['s3', 'S3', '-s3', 'a'],
      }),
    ).toEqual([
      'network.isolatedSubnetIds.1 = "rtb-01234567": must be a subnet- id (subnet-0123456789abcdef0)',
      'network.availabilityZones.1 = "us-east-1": must be an AZ name (us-east-1a)',
      'network.routeTableIds.1 = "subnet-01234567": must be a rtb- id (rtb-0123456789abcdef0)',
      'network.existingEndpoints.1 = "S3": must be an endpoint service name (s3, dynamodb, bedrock-runtime, ...)',
      'network.existingEndpoints.2 = "-s3": must be an endpoint service name (s3, dynamodb, bedrock-runtime, ...)',
      'network.existingEndpoints.3 = "a": must be an endpoint service name (s3, dynamodb, bedrock-runtime, ...)',
    ]);
    expect(problems({ ...EXISTING, availabilityZones: ['us-east-1ab', 'useast-1a'] })).toEqual([
      'network.availabilityZones.0 = "us-east-1ab": must be an AZ name (us-east-1a)',
      'network.availabilityZones.1 = "useast-1a": must be an AZ name (us-east-1a)',
    ]);
  });

  test('fails on keys of an existing VPC without vpcId, each named', () => {
    const { vpcId: _, ...rest } = EXISTING;
    expect(problems({ ...rest, existingEndpoints: ['s3'] })).toEqual([
      'network.vpcCidr = "10.20.0.0/16": is only used with network.vpcId; set network.vpcId or remove this key',
      'network.isolatedSubnetIds = ["subnet-01234567","subnet-0123456789abcdef0"]: is only used with network.vpcId; set network.vpcId or remove this key',
      'network.availabilityZones = ["us-east-1a","eu-central-1b"]: is only used with network.vpcId; set network.vpcId or remove this key',
      'network.routeTableIds = ["rtb-01234567","rtb-89abcdef"]: is only used with network.vpcId; set network.vpcId or remove this key',
      'network.existingEndpoints = ["s3"]: is only used with network.vpcId: a new VPC has no endpoints of its own',
    ]);
  });

  test('fails on a vpcId without the keys it needs, each named', () => {
    expect(problems({ vpcId: EXISTING.vpcId })).toEqual(
      ['vpcCidr', 'isolatedSubnetIds', 'availabilityZones', 'routeTableIds'].map(
        (key) => `network.${key} = (default): is required with network.vpcId (vpc-0123456789abcdef0): nothing is looked up`,
      ),
    );
  });

  test('with some of the lists missing, names those and does not compare lengths', () => {
    expect(problems({ vpcId: EXISTING.vpcId, vpcCidr: EXISTING.vpcCidr, isolatedSubnetIds: EXISTING.isolatedSubnetIds })).toEqual(
      ['availabilityZones', 'routeTableIds'].map(
        (key) => `network.${key} = (default): is required with network.vpcId (vpc-0123456789abcdef0): nothing is looked up`,
      ),
    );
  });

  test('fails when the subnet, AZ and route table lists differ in length, or an AZ repeats', () => {
    expect(problems({ ...EXISTING, routeTableIds: ['rtb-01234567'] })).toEqual([
      'network.availabilityZones = ["us-east-1a","eu-central-1b"]: isolatedSubnetIds, availabilityZones and routeTableIds must have one entry per ' +
        'subnet, got 2, 2, 1',
    ]);
    expect(problems({ ...EXISTING, availabilityZones: ['us-east-1a', 'us-east-1a'] })).toEqual([
      'network.availabilityZones = ["us-east-1a","us-east-1a"]: must name each AZ once: an interface endpoint takes one subnet per AZ',
    ]);
  });

  test('apiEndpointId: private mode only, and required when the VPC already has an execute-api endpoint', () => {
    expect(problems({ mode: 'public', apiEndpointId: 'vpce-0123456789abcdef0' })).toEqual([
      'network.apiEndpointId = "vpce-0123456789abcdef0": is only used with network.mode = private',
    ]);
    expect(problems({ ...EXISTING, mode: 'private', existingEndpoints: ['execute-api'] })).toEqual([
      "network.apiEndpointId = (default): is required when existingEndpoints lists execute-api: the API's resource policy names the endpoint the VPC has",
    ]);
    expect(loadConfig({ network: { ...EXISTING, mode: 'public', existingEndpoints: ['execute-api'] } }).network.mode).toBe('public');
    expect(loadConfig({ network: { mode: 'private' } }).network.mode).toBe('private');
    const shared = { ...EXISTING, mode: 'private', existingEndpoints: ['execute-api'], apiEndpointId: 'vpce-0123456789abcdef0' };
    expect(loadConfig({ network: shared }).network.apiEndpointId).toBe('vpce-0123456789abcdef0');
  });
});
