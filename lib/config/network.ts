import { z } from 'zod';

/** `public`: the API on the internet (the default build). `private`: reachable only from inside a VPC. */
export const NETWORK_MODES = ['public', 'private'] as const;

const id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}-[0-9a-f]{8,17}$`), `must be a ${prefix}- id (${prefix}-0123456789abcdef0)`);
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const isCidr = (cidr: string) => {
  const m = CIDR.exec(cidr);
  return m !== null && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) >= 16 && Number(m[5]) <= 28;
};

/**
 * The closed network (`-c network=private`, docs/network.md): a PRIVATE REST API reached through an
 * `execute-api` interface endpoint, every function in isolated subnets with the endpoints it needs,
 * no NAT. `-c network=private` is `-c network.mode=private` (lib/config/schema.ts, loadConfig).
 * An existing VPC is given by ids, never looked up, so synth stays offline.
 */
export const networkSchema = z
  .strictObject({
    mode: z
      .enum(NETWORK_MODES, {
        error: 'expected public (the API on the internet, the default) or private (the API and every function only inside a VPC, docs/network.md)',
      })
      .default('public')
      .describe(
        '`public`: the REST API is regional and on the internet. `private`: the API is PRIVATE, reached only through an execute-api interface ' +
          'endpoint of the VPC; every function runs in isolated subnets with the endpoints it needs and no NAT (docs/network.md). ' +
          '`-c network=private` is short for `-c network.mode=private`.',
      ),
    vpcId: id('vpc')
      .optional()
      .describe(
        'An existing VPC to use instead of creating one (every network the blueprint builds: private mode, ground 5, the regulated profile). ' +
          'Needs vpcCidr, isolatedSubnetIds, availabilityZones and routeTableIds; nothing is looked up. Unset: a new VPC with two isolated subnets.',
      ),
    vpcCidr: z
      .string()
      .refine(isCidr, 'must be an IPv4 CIDR block from /16 to /28 (10.20.0.0/16)')
      .optional()
      .describe("With vpcId: the VPC's IPv4 block; the endpoints' security group admits HTTPS from it."),
    isolatedSubnetIds: z
      .array(id('subnet'))
      .min(1)
      .max(6)
      .optional()
      .describe('With vpcId: the subnets (one per AZ, no route to the internet) that hold the functions and the endpoints, as JSON.'),
    availabilityZones: z
      .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'must be an AZ name (us-east-1a)'))
      .min(1)
      .max(6)
      .optional()
      .describe('With vpcId: the AZ of each isolated subnet, in the same order, as JSON.'),
    routeTableIds: z
      .array(id('rtb'))
      .min(1)
      .max(6)
      .optional()
      .describe('With vpcId: the route table of each isolated subnet, in the same order, as JSON (the S3 and DynamoDB gateway endpoints add routes to them).'),
    existingEndpoints: z
      .array(z.string().regex(/^[a-z0-9][a-z0-9.-]{1,40}$/, 'must be an endpoint service name (s3, dynamodb, bedrock-runtime, ...)'))
      .max(40)
      .default([])
      .describe(
        'With vpcId: services the VPC already reaches through endpoints of its own (interface endpoints with private DNS on, gateway endpoints on ' +
          'the route tables), by the last part of the endpoint service name (`s3`, `dynamodb`, `bedrock-runtime`); not created again.',
      ),
    apiEndpointId: id('vpce')
      .optional()
      .describe(
        'Private mode: an existing execute-api interface endpoint the API admits instead of one created in the VPC (a shared endpoint of the ' +
          'organisation, in this or another VPC). Unset: one is created.',
      ),
  })
  .superRefine((network, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const vpcKeys = ['vpcCidr', 'isolatedSubnetIds', 'availabilityZones', 'routeTableIds'] as const;
    if (network.vpcId === undefined) {
      for (const key of vpcKeys) if (network[key] !== undefined) issue(key, 'is only used with network.vpcId; set network.vpcId or remove this key');
      if (network.existingEndpoints.length > 0) issue('existingEndpoints', 'is only used with network.vpcId: a new VPC has no endpoints of its own');
    } else {
      for (const key of vpcKeys) if (network[key] === undefined) issue(key, `is required with network.vpcId (${network.vpcId}): nothing is looked up`);
      const lengths = [network.isolatedSubnetIds, network.availabilityZones, network.routeTableIds].map((a) => a?.length);
      if (lengths.every((n) => n !== undefined) && new Set(lengths).size > 1) {
        issue('availabilityZones', `isolatedSubnetIds, availabilityZones and routeTableIds must have one entry per subnet, got ${lengths.join(', ')}`);
      }
      const azs = network.availabilityZones ?? [];
      if (new Set(azs).size !== azs.length) issue('availabilityZones', 'must name each AZ once: an interface endpoint takes one subnet per AZ');
    }
    if (network.apiEndpointId !== undefined && network.mode !== 'private') issue('apiEndpointId', 'is only used with network.mode = private');
    if (network.mode === 'private' && network.apiEndpointId === undefined && network.existingEndpoints.includes('execute-api')) {
      issue('apiEndpointId', "is required when existingEndpoints lists execute-api: the API's resource policy names the endpoint the VPC has");
    }
  });

export type NetworkConfig = z.output<typeof networkSchema>;
