import * as path from 'node:path';
import type { CfnElement, Stack } from 'aws-cdk-lib';
import { buildSync } from 'esbuild';
import * as z from 'zod/mini';
import { BlueprintFunction } from '../../lib/constructs/shared/blueprint-function';
import { bundleOptions } from '../../lib/constructs/shared/bundling';
import { functionSdkCalls } from '../support/iam/calls';
import { sdkCalls } from '../support/iam/commands';
import { type CfnTemplate, TemplateResolver } from '../support/iam/resolve';

/**
 * The VPC endpoints a stack's functions need, derived from what they call: the SDK commands each
 * bundle sends on that stack (the command table and calls of the IAM simulation,
 * test/support/iam/), the handlers aws-cdk-lib adds, CloudFormation answers and active tracing.
 * Shared by the regulated profile's network test (test/compliance/network.test.ts) and the closed
 * network's (test/network/).
 */

const resource = z.object({
  Type: z.string(),
  Properties: z.optional(z.record(z.string(), z.any())),
  DependsOn: z.optional(z.array(z.string())),
});
export type Resource = z.infer<typeof resource>;
export type Resources = Record<string, Resource>;

export const resourcesOf = (template: CfnTemplate): Resources => z.record(z.string(), resource).parse(template.Resources);
export const ofType = (r: Resources, type: string) => Object.entries(r).filter(([, res]) => res.Type === type);

/**
 * The endpoint service an SDK package talks to (`com.amazonaws.<region>.<name>`): the client's name,
 * except where the endpoint's name differs. undefined: the call stays in the VPC (the cache's IAM token).
 */
export function endpointOfPackage(pkg: string): string | undefined {
  if (pkg === 'sigv4:elasticache') return undefined;
  if (pkg === '@aws-sdk/lib-dynamodb') return 'dynamodb';
  const m = /^@aws-sdk\/client-(.+)$/.exec(pkg);
  if (!m) throw new Error(`no endpoint rule for the package ${pkg} in test/network/endpoints.ts`);
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
function bundleOf(fn: BlueprintFunction, outDir: string): string {
  if (!bundles.has(fn.entry)) {
    const { outputFiles } = buildSync({ ...bundleOptions(fn.entry, path.join(outDir, 'network-test.js'), { bundleSdk: false }), write: false });
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

/** Every endpoint the functions of `stack` (synthesized to `template`, bundles built in `outDir`) need, with why. */
export function neededEndpoints(stack: Stack, template: CfnTemplate, outDir: string): Map<string, string[]> {
  const r = resourcesOf(template);
  const resolver = new TemplateResolver(template, stack.stackName);
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
      const bundle = bundleOf(blueprint, outDir);
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
      if (!handler) throw new Error(`${id}: a function neither built from lambda/ nor among the aws-cdk-lib handlers of test/network/endpoints.ts`);
      for (const endpoint of handler[1](r)) need(endpoint, `${id} (${handler[2]})`);
    }
    if (answersCloudFormation(r, id)) need('s3', `${id}: answers CloudFormation through an S3 presigned URL`);
    if (fn.Properties?.TracingConfig?.Mode === 'Active') need('xray', `${id}: active tracing`);
  }
  return needed;
}

/** `com.amazonaws.<region>.<name>` of each endpoint → name. */
export function endpointsOf(r: Resources): Map<string, Resource> {
  return new Map(
    ofType(r, 'AWS::EC2::VPCEndpoint').map(([, e]) => {
      const name = JSON.stringify(e.Properties?.ServiceName).match(/\.([a-z0-9.-]+)"\]\]\}$/)?.[1];
      if (!name) throw new Error(`cannot read the service of ${JSON.stringify(e.Properties?.ServiceName)}`);
      return [name, e] as const;
    }),
  );
}
