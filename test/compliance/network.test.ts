import * as path from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';
import { buildSync } from 'esbuild';
import * as z from 'zod/mini';
import { auditAcknowledgements, GenAiBlueprintChecks } from '../../lib/checks';
import { FUNCTION_SECURITY_GROUP_ID, NETWORK_ID } from '../../lib/compliance/network';
import { RegulatedProfile } from '../../lib/compliance/regulated-profile';
import { BlueprintFunction } from '../../lib/constructs/shared/blueprint-function';
import { bundleOptions } from '../../lib/constructs/shared/bundling';
import { functionSdkCalls } from '../support/iam/calls';
import { COMMAND_ACTIONS, sdkCalls } from '../support/iam/commands';
import { type CfnTemplate, TemplateResolver } from '../support/iam/resolve';
import { buildApp } from '../support/synth';

/**
 * The regulated profile's network control (lib/compliance/network.ts) on ground 0, 2 and 7 and the
 * PredictiveMl stack: every function in the isolated subnets, an endpoint for every AWS API a
 * function calls (derived from the bundles' SDK commands, the command table of the IAM simulation,
 * and the handlers aws-cdk-lib adds) and for nothing else, HTTPS-only egress bounded by the routes,
 * the ENI permissions Lambda needs.
 */

const resource = z.object({
  Type: z.string(),
  Properties: z.optional(z.record(z.string(), z.any())),
  DependsOn: z.optional(z.array(z.string())),
});
type Resource = z.infer<typeof resource>;
type Resources = Record<string, Resource>;

const regulated = buildApp({ compliance: 'regulated' });
const assembly = regulated.app.synth();
const stacks = regulated.app.node.children.filter((c): c is Stack => Stack.isStack(c));
const CASES = ['Ground0-ModelCall', 'Ground2-KnowledgeBase', 'Ground7-FullSystem', 'PredictiveMl'];

const stackById = (id: string) => stacks.find((s) => s.node.id === id)!;
const templateOf = (stack: Stack) => assembly.getStackArtifact(stack.artifactId).template as CfnTemplate;
const resourcesOf = (stack: Stack): Resources => z.record(z.string(), resource).parse(templateOf(stack).Resources);
const ofType = (r: Resources, type: string) => Object.entries(r).filter(([, res]) => res.Type === type);

/**
 * The endpoint service an SDK package talks to (`com.amazonaws.<region>.<name>`): the client's name,
 * except where the endpoint's name differs. undefined: the call stays in the VPC (the cache's IAM token).
 */
function endpointOfPackage(pkg: string): string | undefined {
  if (pkg === 'sigv4:elasticache') return undefined;
  if (pkg === '@aws-sdk/lib-dynamodb') return 'dynamodb';
  const m = /^@aws-sdk\/client-(.+)$/.exec(pkg);
  if (!m) throw new Error(`no endpoint rule for the package ${pkg} in test/compliance/network.test.ts`);
  return { sagemaker: 'sagemaker.api', 'sagemaker-runtime': 'sagemaker.runtime' }[m[1]] ?? m[1];
}

/** Handlers aws-cdk-lib adds (not built from lambda/), with the endpoints they call. */
const CDK_HANDLERS: [RegExp, (r: Resources) => string[], string][] = [
  [/^CustomCDKBucketDeployment/, () => ['s3'], 'BucketDeployment: `aws s3 sync` from the assets bucket to the destination bucket'],
  [
    /^AWS679f53fac002430cb0da5b7982bd2287/,
    (r) =>
      ofType(r, 'Custom::AWS').flatMap(([, cr]) =>
        ['Create', 'Update', 'Delete']
          .map((k) => JSON.stringify(cr.Properties?.[k] ?? '').match(/\\"service\\":\\"([^\\"]+)\\"/)?.[1])
          .filter((s): s is string => s !== undefined)
          .map((s) => endpointOfPackage(`@aws-sdk/client-${s.toLowerCase()}`)!),
      ),
    'AwsCustomResource: the service each Custom::AWS names, through the SDK v3 client of that name',
  ],
  [/^CustomVpcRestrictDefaultSGCustomResourceProvider/, () => ['ec2'], "the VPC's default security group rules (EC2 API)"],
  [/ProviderframeworkonEvent/, () => ['lambda'], 'custom resource Provider framework: invokes the user function'],
];

/** Bundles with the SDK external, as the IAM simulation builds them, so its commands show. */
const bundles = new Map<string, string>();
function bundleOf(fn: BlueprintFunction): string {
  if (!bundles.has(fn.entry)) {
    const { outputFiles } = buildSync({ ...bundleOptions(fn.entry, path.join(assembly.directory, 'network-test.js'), { bundleSdk: false }), write: false });
    bundles.set(fn.entry, outputFiles![0].text);
  }
  return bundles.get(fn.entry)!;
}

/** Functions that answer CloudFormation themselves (a custom resource's ServiceToken): they PUT to an S3 presigned URL. */
function answersCloudFormation(r: Resources, logicalId: string): boolean {
  const token = JSON.stringify({ 'Fn::GetAtt': [logicalId, 'Arn'] });
  return Object.values(r).some((res) => JSON.stringify(res.Properties?.ServiceToken ?? null) === token);
}

/** A custom resource handler's inputs: the properties of the custom resources whose provider framework invokes it (as the IAM simulation reads them). */
function customResourceInputs(resolver: TemplateResolver, r: Resources, logicalId: string): Record<string, unknown> {
  const target = JSON.stringify({ 'Fn::GetAtt': [logicalId, 'Arn'] });
  const providers = ofType(r, 'AWS::Lambda::Function')
    .filter(([, fn]) => JSON.stringify(fn.Properties?.Environment?.Variables?.USER_ON_EVENT_FUNCTION_ARN) === target)
    .map(([pid]) => JSON.stringify({ 'Fn::GetAtt': [pid, 'Arn'] }));
  const inputs: Record<string, unknown> = {};
  for (const res of Object.values(r))
    if (providers.includes(JSON.stringify(res.Properties?.ServiceToken ?? null))) Object.assign(inputs, resolver.resolve(res.Properties));
  return inputs;
}

/** Every endpoint the functions of `stack` need, with why. */
function neededEndpoints(stack: Stack, r: Resources): Map<string, string[]> {
  const resolver = new TemplateResolver(templateOf(stack), stack.stackName);
  const needed = new Map<string, string[]>();
  const need = (endpoint: string, why: string) => needed.set(endpoint, [...(needed.get(endpoint) ?? []), why]);
  const built = new Map(
    stack.node
      .findAll()
      .filter((c): c is BlueprintFunction => c instanceof BlueprintFunction)
      .map((fn) => [stack.getLogicalId(fn.node.defaultChild as CfnElement), fn] as const),
  );
  for (const [id, fn] of ofType(r, 'AWS::Lambda::Function')) {
    const blueprint = built.get(id);
    if (blueprint) {
      // The commands it sends on this stack: the IAM simulation's calls, without those dormant here
      // (a client the handler builds only when its environment names a resource, e.g. Retrieve from ground 2).
      const bundle = bundleOf(blueprint);
      const inputs = {
        ...customResourceInputs(resolver, r, id),
        ...(resolver.resolve(fn.Properties?.Environment?.Variables ?? {}) as Record<string, unknown>),
      };
      const fut = { stackName: stack.node.id, logicalId: id, roleLogicalId: '', service: String(inputs.POWERTOOLS_SERVICE_NAME), inputs, bundle };
      const sent = new Set(functionSdkCalls(resolver, fut).calls.map((c) => c.why));
      for (const call of sdkCalls(bundle).filter((c) => sent.has(c.command))) {
        const endpoint = endpointOfPackage(call.pkg);
        if (endpoint) need(endpoint, `${id} ${call.command}`);
      }
    } else {
      const handler = CDK_HANDLERS.find(([re]) => re.test(id));
      if (!handler) throw new Error(`${id}: a function neither built from lambda/ nor among the aws-cdk-lib handlers of this test`);
      for (const endpoint of handler[1](r)) need(endpoint, `${id} (${handler[2]})`);
    }
    if (answersCloudFormation(r, id)) need('s3', `${id}: answers CloudFormation through an S3 presigned URL`);
    if (fn.Properties?.TracingConfig?.Mode === 'Active') need('xray', `${id}: active tracing`);
  }
  return needed;
}

/** `com.amazonaws.<region>.<name>` of each endpoint → name. */
function endpointsOf(r: Resources): Map<string, Resource> {
  return new Map(
    ofType(r, 'AWS::EC2::VPCEndpoint').map(([, e]) => {
      const name = JSON.stringify(e.Properties?.ServiceName).match(/\.([a-z0-9.-]+)"\]\]\}$/)?.[1];
      if (!name) throw new Error(`cannot read the service of ${JSON.stringify(e.Properties?.ServiceName)}`);
      return [name, e] as const;
    }),
  );
}

describe.each(CASES)('regulated %s', (id) => {
  const stack = stackById(id);
  const r = resourcesOf(stack);
  const functions = ofType(r, 'AWS::Lambda::Function');
  const subnets = ofType(r, 'AWS::EC2::Subnet').map(([sid]) => ({ Ref: sid }));
  const functionGroup = stack.getLogicalId(stack.node.findChild(NETWORK_ID).node.findChild(FUNCTION_SECURITY_GROUP_ID).node.defaultChild as CfnElement);

  test('every function runs in the isolated subnets of the network, which has no route out', () => {
    expect(functions.length).toBeGreaterThan(0);
    expect(subnets.length).toBe(2);
    for (const [fid, fn] of functions) expect({ fid, subnets: fn.Properties?.VpcConfig?.SubnetIds }).toEqual({ fid, subnets });
    for (const [, s] of ofType(r, 'AWS::EC2::Subnet')) expect(s.Properties?.MapPublicIpOnLaunch).toBe(false);
    for (const type of [
      'AWS::EC2::InternetGateway',
      'AWS::EC2::NatGateway',
      'AWS::EC2::Route',
      'AWS::EC2::VPCPeeringConnection',
      'AWS::EC2::TransitGatewayAttachment',
    ])
      expect({ type, count: ofType(r, type).length }).toEqual({ type, count: 0 });
  });

  test("the functions' security group admits nothing and sends HTTPS only; every function not in a block's own group uses it", () => {
    const group = r[functionGroup];
    expect(group.Properties?.SecurityGroupIngress).toBeUndefined();
    expect(group.Properties?.SecurityGroupEgress).toEqual([expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' })]);
    const standalone = ofType(r, 'AWS::EC2::SecurityGroupIngress').filter(([, i]) => JSON.stringify(i.Properties?.GroupId).includes(`"${functionGroup}"`));
    expect(standalone).toEqual([]);
    const inGroup = functions.filter(([, fn]) => JSON.stringify(fn.Properties?.VpcConfig?.SecurityGroupIds).includes(`"${functionGroup}"`));
    // Ground 7's cached request path (the prompt function) keeps the group its block gives it.
    expect(inGroup.length).toBe(functions.length - (id.startsWith('Ground7') ? 1 : 0));
  });

  test('an endpoint for every AWS API a function calls (SDK commands, aws-cdk-lib handlers, CloudFormation answers, tracing), and none other', () => {
    const needed = [...neededEndpoints(stack, r).keys()];
    const endpoints = [...endpointsOf(r)];
    // Interface endpoints (paid by the hour): exactly those needed. S3 and DynamoDB: the network's gateway endpoints (no charge), always there.
    const gateways = ['dynamodb', 's3'];
    expect(
      endpoints
        .filter(([, e]) => e.Properties?.VpcEndpointType === 'Interface')
        .map(([name]) => name)
        .sort(),
    ).toEqual(needed.filter((n) => !gateways.includes(n)).sort());
    expect(
      endpoints
        .filter(([, e]) => e.Properties?.VpcEndpointType === 'Gateway')
        .map(([name]) => name)
        .sort(),
    ).toEqual(gateways);
    expect(needed).toContain('s3');
  });

  test('every function is created after the endpoints and deleted before them', () => {
    const endpointIds = ofType(r, 'AWS::EC2::VPCEndpoint').map(([eid]) => eid);
    const moved = functions.filter(([, fn]) => JSON.stringify(fn.Properties?.VpcConfig?.SecurityGroupIds).includes(`"${functionGroup}"`));
    for (const [fid, fn] of moved) expect({ fid, missing: endpointIds.filter((e) => !fn.DependsOn?.includes(e)) }).toEqual({ fid, missing: [] });
  });

  test('our checks (ENI permissions in place on every VPC function role) and the packs find nothing on LambdaInsideVPC', () => {
    const audit = auditAcknowledgements(stack, [new GenAiBlueprintChecks(), new NIST80053R5Checks(), new HIPAASecurityChecks()]);
    const [ours, ...packs] = audit.reports;
    expect(ours.violations).toEqual([]);
    expect(packs.flatMap((p) => p.violations.filter((v) => /LambdaInsideVPC/.test(v.ruleName)))).toEqual([]);
  });
});

test('every package of the IAM simulation command table names an endpoint rule (a new SDK client must be given one)', () => {
  for (const pkg of Object.keys(COMMAND_ACTIONS)) expect(() => endpointOfPackage(pkg)).not.toThrow();
});

test('the standard profile has no network below ground 5', () => {
  const standard = buildApp({ ground: 4 });
  expect(standard.stacks[0].node.tryFindChild(NETWORK_ID)).toBeUndefined();
});

test('fails when a stack with a function has no network, naming the function and what to create', () => {
  const app = new App();
  const stack = new Stack(app, 'Own');
  new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=1') });
  RegulatedProfile.applyTo(stack);
  expect(() => app.synth()).toThrow(/Own\/Fn\/Resource must run in a VPC, but Own has no IsolatedNetwork with id 'Network' at its root/);
});
