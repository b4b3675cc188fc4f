import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';
import { auditAcknowledgements, GenAiBlueprintChecks } from '../../lib/checks';
import { FUNCTION_SECURITY_GROUP_ID, NETWORK_ID } from '../../lib/compliance/network';
import { RegulatedProfile } from '../../lib/compliance/regulated-profile';
import { endpointOfPackage, endpointsOf, neededEndpoints, ofType, resourcesOf } from '../network/endpoints';
import { COMMAND_ACTIONS } from '../support/iam/commands';
import type { CfnTemplate } from '../support/iam/resolve';
import { buildApp } from '../support/synth';

/**
 * The regulated profile's network control (lib/compliance/network.ts) on ground 0, 2 and 7 and the
 * PredictiveMl stack: every function in the isolated subnets, an endpoint for every AWS API a
 * function calls (derived from the bundles' SDK commands, the command table of the IAM simulation,
 * and the handlers aws-cdk-lib adds: test/network/endpoints.ts, shared with the closed network's
 * tests) and for nothing else, HTTPS-only egress bounded by the routes,
 * the ENI permissions Lambda needs.
 */

const regulated = buildApp({ compliance: 'regulated' });
const assembly = regulated.app.synth();
const stacks = regulated.app.node.children.filter((c): c is Stack => Stack.isStack(c));
const CASES = ['Ground0-ModelCall', 'Ground2-KnowledgeBase', 'Ground7-FullSystem', 'PredictiveMl'];

const stackById = (id: string) => stacks.find((s) => s.node.id === id)!;
const templateOf = (stack: Stack) => assembly.getStackArtifact(stack.artifactId).template as CfnTemplate;

describe.each(CASES)('regulated %s', (id) => {
  const stack = stackById(id);
  const r = resourcesOf(templateOf(stack));
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
    const needed = [...neededEndpoints(stack, templateOf(stack), assembly.directory).keys()];
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
