import { runSimulation } from '@cloud-copilot/iam-simulate';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as z from 'zod/mini';
import { closeNetwork, FUNCTION_SECURITY_GROUP_ID, NETWORK_ID } from '../../lib/compliance/network';
import { ModelApi } from '../../lib/constructs/api/model-api';
import { DEFAULT_INTERFACE_SERVICES, IsolatedNetwork } from '../../lib/constructs/cache/isolated-network';
import { ACCOUNT, type CfnTemplate, PARTITION, REGION, TemplateResolver } from '../support/iam/resolve';
import { buildApp } from '../support/synth';
import { endpointsOf, neededEndpoints, ofType, type Resources, resourcesOf } from './endpoints';

/**
 * The closed network (`-c network=private`, docs/network.md) on every ground and the PredictiveMl
 * stack: every function in the isolated subnets, no way out of the VPC, an interface endpoint for
 * every AWS API a function calls (derived from the bundles' SDK commands through the IAM
 * simulation's command table, test/network/endpoints.ts) plus execute-api for the API and none
 * other, and a PRIVATE API whose resource policy, evaluated by @cloud-copilot/iam-simulate, admits
 * requests through our endpoint only.
 */

const closed = buildApp({ network: 'private' });
const assembly = closed.app.synth();
const stacks = closed.app.node.children.filter((c): c is Stack => Stack.isStack(c));
const templateOf = (stack: Stack) => assembly.getStackArtifact(stack.artifactId).template as CfnTemplate;

/** The one resource of `type` in `r`. */
function only(r: Resources, type: string): [string, Resources[string]] {
  const found = ofType(r, type);
  expect({ type, count: found.length }).toEqual({ type, count: 1 });
  return found[0];
}

/** The API's resource policy as API Gateway stores it: `execute-api:/*` expanded to the API's own ARN. */
function storedPolicy(resolver: TemplateResolver, apiId: string, policy: unknown): { Version: string; Statement: Record<string, unknown>[] } {
  const arn = `arn:${PARTITION}:execute-api:${REGION}:${ACCOUNT}:${apiId}`;
  const text = JSON.stringify(resolver.resolve(policy)).replaceAll('"execute-api:/', `"${arn}/`);
  return JSON.parse(text);
}

const CALLER = `arn:${PARTITION}:iam::${ACCOUNT}:role/caller`;

/** Whether `CALLER` (with `identityPolicy`, if any) may invoke `resource` through `sourceVpce` (none: not through an endpoint). */
async function invoke(resource: string, resourcePolicy: unknown, sourceVpce: string | undefined, identityPolicy?: unknown): Promise<string> {
  const response = await runSimulation(
    {
      request: {
        principal: CALLER,
        action: 'execute-api:Invoke',
        resource: { resource, accountId: ACCOUNT },
        contextVariables: { 'aws:PrincipalAccount': ACCOUNT, 'aws:SecureTransport': 'true', ...(sourceVpce ? { 'aws:SourceVpce': sourceVpce } : {}) },
      },
      identityPolicies: identityPolicy ? [{ name: 'invoke', policy: identityPolicy }] : [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy,
    },
    { simulationMode: 'Strict' },
  );
  if (response.resultType === 'error') throw new Error(`simulation failed: ${JSON.stringify(response.errors).slice(0, 400)}`);
  return response.overallResult;
}

test('every ground and the PredictiveMl stack are built closed', () => {
  expect(stacks.map((s) => s.node.id)).toEqual([
    'Ground0-ModelCall',
    'Ground1-PromptManagement',
    'Ground2-KnowledgeBase',
    'Ground3-Guardrails',
    'Ground4-Gateway',
    'Ground5-Caches',
    'Ground6-Agents',
    'Ground7-FullSystem',
    'PredictiveMl',
  ]);
});

describe.each(stacks.map((s) => [s.node.id, s] as const))('network=private %s', (id, stack) => {
  const template = templateOf(stack);
  const r = resourcesOf(template);
  const resolver = new TemplateResolver(template, stack.stackName);
  const functions = ofType(r, 'AWS::Lambda::Function');
  const subnets = ofType(r, 'AWS::EC2::Subnet').map(([sid]) => ({ Ref: sid }));
  const endpoints = endpointsOf(r);
  const [apiEndpointId] = ofType(r, 'AWS::EC2::VPCEndpoint').find(([, e]) => JSON.stringify(e.Properties?.ServiceName).endsWith('.execute-api"]]}')) ?? [''];

  test('every function runs in the isolated subnets: a function without VpcConfig fails here', () => {
    expect(functions.length).toBeGreaterThan(0);
    expect(subnets.length).toBe(2);
    for (const [fid, fn] of functions) {
      expect({ fid, subnets: fn.Properties?.VpcConfig?.SubnetIds }).toEqual({ fid, subnets });
      expect({ fid, groups: fn.Properties?.VpcConfig?.SecurityGroupIds?.length ?? 0 }).toEqual({ fid, groups: 1 });
    }
  });

  test('no way out of the VPC: no NAT or internet gateway, no route, no public subnet', () => {
    for (const type of [
      'AWS::EC2::InternetGateway',
      'AWS::EC2::EgressOnlyInternetGateway',
      'AWS::EC2::NatGateway',
      'AWS::EC2::VPCGatewayAttachment',
      'AWS::EC2::Route',
      'AWS::EC2::VPCPeeringConnection',
      'AWS::EC2::TransitGatewayAttachment',
    ])
      expect({ type, count: ofType(r, type).length }).toEqual({ type, count: 0 });
    for (const [, s] of ofType(r, 'AWS::EC2::Subnet')) expect(s.Properties?.MapPublicIpOnLaunch).toBe(false);
  });

  test('an interface endpoint for every AWS API a function calls and for execute-api, none other; S3 and DynamoDB through gateway endpoints', () => {
    const needed = [...neededEndpoints(stack, template, assembly.directory).keys()];
    const gateways = ['dynamodb', 's3'];
    const interfaces = [...endpoints].filter(([, e]) => e.Properties?.VpcEndpointType === 'Interface').map(([name]) => name);
    expect(interfaces.sort()).toEqual([...needed.filter((n) => !gateways.includes(n)), 'execute-api'].sort());
    expect([...endpoints].filter(([, e]) => e.Properties?.VpcEndpointType === 'Gateway').map(([name]) => name)).toEqual(['s3', 'dynamodb']);
    for (const [name, e] of endpoints)
      if (e.Properties?.VpcEndpointType === 'Interface') expect({ name, dns: e.Properties?.PrivateDnsEnabled }).toEqual({ name, dns: true });
  });

  test('the API is PRIVATE and associated with our execute-api endpoint', () => {
    const [, api] = only(r, 'AWS::ApiGateway::RestApi');
    expect(apiEndpointId).not.toBe('');
    expect(api.Properties?.EndpointConfiguration).toEqual({ Types: ['PRIVATE'], VpcEndpointIds: [{ Ref: apiEndpointId }], IpAddressType: 'dualstack' });
    const outputs = z.record(z.string(), z.object({ Description: z.optional(z.string()) })).parse(assembly.getStackArtifact(stack.artifactId).template.Outputs);
    const url = Object.entries(outputs).filter(([oid]) => oid.startsWith('ApiUrl'));
    expect(url.map(([, o]) => o.Description)).toEqual([expect.stringMatching(/PRIVATE: reachable only through the VPC's execute-api endpoint$/)]);
  });

  test('the resource policy admits requests through our endpoint and refuses others (iam-simulate)', async () => {
    const [apiLogicalId, api] = only(r, 'AWS::ApiGateway::RestApi');
    const apiId = resolver.ref(apiLogicalId);
    const policy = storedPolicy(resolver, apiId, api.Properties?.Policy);
    const ours = resolver.ref(apiEndpointId);
    const route = `arn:${PARTITION}:execute-api:${REGION}:${ACCOUNT}:${apiId}/v1/POST/chat`;
    // What grantInvoke gives a SigV4 caller of this account.
    const identity = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `arn:${PARTITION}:execute-api:${REGION}:${ACCOUNT}:${apiId}/v1/*` }],
    };
    expect(await invoke(route, policy, ours, identity)).toBe('Allowed');
    expect(await invoke(route, policy, 'vpce-0a1b2c3d4e5f60718', identity)).toBe('ExplicitlyDenied');
    expect(await invoke(route, policy, undefined, identity)).toBe('ExplicitlyDenied');
    const cognito = id.startsWith('Ground7');
    // Cognito callers carry no IAM identity: the policy itself must allow them (through our endpoint only);
    // SigV4 callers still need an identity policy of their own.
    expect(await invoke(route, policy, ours)).toBe(cognito ? 'Allowed' : 'ImplicitlyDenied');
  });

  test("every function not in a block's own group uses the functions' security group, HTTPS out only", () => {
    const group = stack.getLogicalId(stack.node.findChild(NETWORK_ID).node.findChild(FUNCTION_SECURITY_GROUP_ID).node.defaultChild as CfnElement);
    expect(r[group].Properties?.SecurityGroupEgress).toEqual([expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 })]);
    const inGroup = functions.filter(([, fn]) => JSON.stringify(fn.Properties?.VpcConfig?.SecurityGroupIds).includes(`"${group}"`));
    // From ground 5 the cached prompt function keeps the group the cache block gives it.
    const cached = /^Ground[5-7]/.test(id) ? 1 : 0;
    expect(inGroup.length).toBe(functions.length - cached);
  });
});

test('the stage is deployed again when the API turns private: API Gateway applies a changed resource policy with a new deployment', () => {
  const deployment = (context: Record<string, unknown>) => {
    const {
      app,
      stacks: [stack],
    } = buildApp({ ground: 0, ...context });
    return ofType(resourcesOf(app.synth().getStackArtifact(stack.artifactId).template as CfnTemplate), 'AWS::ApiGateway::Deployment').map(([lid]) => lid);
  };
  const [publicId] = deployment({});
  const [privateId] = deployment({ network: 'private' });
  expect(publicId).toMatch(/^ApiDeployment/);
  expect(privateId).toMatch(/^ApiDeployment/);
  expect(privateId).not.toBe(publicId);
});

describe('closeNetwork on a stack of your own', () => {
  const build = (extra: (stack: Stack) => void) => {
    const app = new App();
    const stack = new Stack(app, 'Own');
    const api = new ModelApi(stack, 'Api');
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler=1'),
    });
    api.addGetRoute('items/{id}', fn);
    extra(stack);
    const network = closeNetwork(stack, { api, interfaceServices: [], network: {} });
    return { app, stack, network };
  };

  test('creates the network at NETWORK_ID and moves a function added by hand into it', () => {
    const { app, stack, network } = build(() => undefined);
    expect(stack.node.findChild(NETWORK_ID)).toBe(network);
    const r = resourcesOf(app.synth().getStackArtifact(stack.artifactId).template as CfnTemplate);
    const [, fn] = ofType(r, 'AWS::Lambda::Function').find(([lid]) => lid.startsWith('Fn'))!;
    expect(fn.Properties?.VpcConfig?.SubnetIds).toHaveLength(2);
  });

  test('keeps a network the stack has, adding the endpoints it lacks', () => {
    let existing: IsolatedNetwork | undefined;
    const { network } = build((stack) => (existing = new IsolatedNetwork(stack, NETWORK_ID, { interfaceServices: [] })));
    expect(network).toBe(existing);
    expect(network.interfaceEndpoints.map((e) => e.node.id)).toEqual(['ExecuteApiEndpoint']);
  });

  test('fails when a function cannot be given the ENI permissions it needs in a VPC, naming it', () => {
    const { app } = build(
      (stack) =>
        new lambda.CfnFunction(stack, 'Raw', {
          role: 'arn:aws:iam::123456789012:role/r',
          code: { zipFile: 'x' },
          runtime: 'nodejs24.x',
          handler: 'index.handler',
        }),
    );
    expect(() => app.synth()).toThrow(/Own\/Raw is a Lambda function without a lambda.Function or custom resource provider around it/);
  });

  test('fails when something else holds the network id', () => {
    const app = new App();
    const stack = new Stack(app, 'Own');
    const api = new ModelApi(stack, 'Api');
    new Stack(app, 'Other');
    new lambda.Function(stack, NETWORK_ID, { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('x') });
    expect(() => closeNetwork(stack, { api, interfaceServices: [], network: {} })).toThrow(/Own\/Network is not an IsolatedNetwork/);
  });

  test('fails when the API is made private twice', () => {
    const { stack } = build(() => undefined);
    const api = stack.node.findChild('Api') as ModelApi;
    const network = stack.node.findChild(NETWORK_ID) as IsolatedNetwork;
    expect(() => api.makePrivate(network.interfaceEndpoints[0])).toThrow(/Own\/Api is already private through Own\/Network\/Vpc\/ExecuteApiEndpoint/);
  });
});

test("docs/network.md lists each stack's interface endpoints with their idle cost, as the templates have them", () => {
  // The page's assumption: $0.01 per endpoint-hour in each of 2 AZs, 730 hours a month.
  const perEndpoint = 0.01 * 730 * 2;
  const dollars = (n: number) => `$${(n * perEndpoint).toFixed(2)}`;
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'network.md'), 'utf8');
  const rows = Object.fromEntries(
    doc
      .split('\n')
      .filter((line) => /^\| (Ground\d|PredictiveMl)/.test(line))
      .map((line) => line.split('|').map((cell) => cell.trim()))
      .map(([, id, names, count, idle, beyond]) => [id, { names, count, idle, beyond }]),
  );
  const expected = Object.fromEntries(
    stacks.map((stack) => {
      const r = resourcesOf(templateOf(stack));
      const names = [...endpointsOf(r)].filter(([, e]) => e.Properties?.VpcEndpointType === 'Interface').map(([name]) => name);
      // network=public has the network, with the default endpoints, from ground 5 on only.
      const publicCount = /^Ground[5-7]/.test(stack.node.id) ? DEFAULT_INTERFACE_SERVICES.length : 0;
      return [
        stack.node.id,
        { names: names.sort().join(', '), count: String(names.length), idle: dollars(names.length), beyond: dollars(names.length - publicCount) },
      ];
    }),
  );
  expect(rows).toEqual(expected);
});
