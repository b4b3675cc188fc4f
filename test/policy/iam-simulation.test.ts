import * as path from 'node:path';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { buildSync } from 'esbuild';
import { BlueprintFunction } from '../../lib/constructs/shared/blueprint-function';
import { bundleOptions } from '../../lib/constructs/shared/bundling';
import { type Call, type FunctionUnderTest, functionSdkCalls, lambdaServiceCalls, stateMachineCalls } from '../support/iam/calls';
import { COMMAND_ACTIONS, sdkCalls } from '../support/iam/commands';
import { ACCOUNT, type CfnTemplate, PARTITION, TemplateResolver } from '../support/iam/resolve';
import { evaluate, grantedActions, type NamedPolicy, rolePolicies } from '../support/iam/simulate';
import { buildApp } from '../support/synth';

/**
 * IAM simulation of every function's and state machine's real calls, on every ground and the
 * PredictiveMl stack: the AWS SDK commands each bundle can send (test/support/iam/commands.ts),
 * the resources its environment points them at (resolve.ts, calls.ts), evaluated against the role's
 * policies by @cloud-copilot/iam-simulate (simulate.ts). Every call must be allowed, and every action a
 * role is granted must be needed by a call or acknowledged below with the reason it is granted.
 */

/**
 * Granted actions no simulated call needs, by function (lambda/<dir>) or state machine construct
 * path, with the reason they are granted anyway.
 */
const ACKNOWLEDGED: Record<string, Record<string, string>> = {
  'PredictiveMl/Pipeline/StateMachine': {
    'kms:creategrant':
      'SageMaker encrypts the training volume and output with the PredictiveMl key (VolumeKmsKeyId, KmsKeyId) and creates grants on it as the caller ' +
      '(https://docs.aws.amazon.com/sagemaker/latest/dg/encryption-at-rest.html)',
    'kms:describekey': 'SageMaker validates the KmsKeyId/VolumeKmsKeyId of CreateTrainingJob and CreateEndpointConfig as the caller before it uses the key',
  },
};

/** Functions in the templates that are not built from lambda/ (aws-cdk-lib's own handlers), and why they are not simulated. */
const CDK_HANDLERS: [RegExp, string][] = [
  [/^CustomCDKBucketDeployment/, 'aws-cdk-lib BucketDeployment handler (Python, prebuilt): its grants come from BucketDeployment'],
  [
    /^AWS679f53fac002430cb0da5b7982bd2287/,
    'aws-cdk-lib AwsCustomResource singleton: each AwsCustomResource grants exactly the one SDK call its properties name',
  ],
  [
    /^CustomVpcRestrictDefaultSGCustomResourceProvider/,
    'aws-cdk-lib VPC restrictDefaultSecurityGroup handler: grants its four ec2 actions on the default security group only',
  ],
  [
    /ProviderframeworkonEvent/,
    'aws-cdk-lib custom-resource Provider framework: invokes the user function (lambda:InvokeFunction, lambda:GetFunction on that function only)',
  ],
];

const { app } = buildApp();
const assembly = app.synth();
const stacks = app.node.children.filter((c): c is Stack => Stack.isStack(c));

interface StackCase {
  readonly id: string;
  readonly resolver: TemplateResolver;
  readonly functions: FunctionUnderTest[];
}

/**
 * A function's code with the AWS SDK left external, built from its entry the way it ships
 * (bundleOptions), so the SDK commands it can send show as `require("@aws-sdk/...")` members even
 * for the functions whose shipped bundle carries the SDK inline (SDK_BUNDLED).
 */
const bundles = new Map<string, string>();
function bundleOf(fn: BlueprintFunction): string {
  if (!bundles.has(fn.entry)) {
    const { outputFiles } = buildSync({ ...bundleOptions(fn.entry, path.join(assembly.directory, 'iam-simulation.js'), { bundleSdk: false }), write: false });
    bundles.set(fn.entry, outputFiles![0].text);
  }
  return bundles.get(fn.entry)!;
}

/** A custom-resource handler's inputs: the properties of the custom resources whose provider invokes it. */
function customResourceInputs(r: TemplateResolver, functionLogicalId: string): Record<string, unknown> {
  const providers = Object.entries(r.template.Resources)
    .filter(
      ([, res]) =>
        res.Type === 'AWS::Lambda::Function' &&
        JSON.stringify(res.Properties?.Environment?.Variables?.USER_ON_EVENT_FUNCTION_ARN) === JSON.stringify({ 'Fn::GetAtt': [functionLogicalId, 'Arn'] }),
    )
    .map(([id]) => id);
  const inputs: Record<string, unknown> = {};
  for (const res of Object.values(r.template.Resources)) {
    const token = JSON.stringify(res.Properties?.ServiceToken ?? null);
    if (providers.some((p) => token === JSON.stringify({ 'Fn::GetAtt': [p, 'Arn'] }))) Object.assign(inputs, r.resolve(res.Properties));
  }
  return inputs;
}

const cases: StackCase[] = stacks.map((stack) => {
  const template = assembly.getStackArtifact(stack.artifactId).template as CfnTemplate;
  const resolver = new TemplateResolver(template, stack.stackName);
  const functions = app.node
    .findAll()
    .filter((c): c is BlueprintFunction => c instanceof BlueprintFunction && Stack.of(c) === stack)
    .map((fn) => {
      const logicalId = stack.getLogicalId(fn.node.defaultChild as CfnElement);
      const env = resolver.resolve(template.Resources[logicalId].Properties!.Environment?.Variables ?? {});
      return {
        stackName: stack.node.id,
        logicalId,
        roleLogicalId: stack.getLogicalId(fn.role!.node.defaultChild as CfnElement),
        service: env.POWERTOOLS_SERVICE_NAME,
        inputs: { ...customResourceInputs(resolver, logicalId), ...env },
        bundle: bundleOf(fn),
      };
    });
  return { id: stack.node.id, resolver, functions };
});

const roleArn = (r: TemplateResolver, roleLogicalId: string) => r.getAtt(roleLogicalId, 'Arn');

async function denials(r: TemplateResolver, roleLogicalId: string, policies: NamedPolicy[], calls: Call[]): Promise<string[]> {
  const out: string[] = [];
  for (const call of calls) {
    const { result } = await evaluate(roleArn(r, roleLogicalId), policies, call);
    const context = call.context ? ` ${JSON.stringify(call.context)}` : '';
    if (result !== 'Allowed') out.push(`${call.why}: ${call.action} on ${call.resource}${context} → ${result}`);
  }
  return out;
}

async function unneeded(policies: NamedPolicy[], calls: Call[], acknowledged: Record<string, string> = {}): Promise<string[]> {
  const needed = new Set(calls.map((c) => c.action.toLowerCase()));
  return [...(await grantedActions(policies))].filter((a) => !needed.has(a) && !acknowledged[a]).sort();
}

const functionCases = cases.flatMap((c) => c.functions.map((fn) => [`${c.id} ${fn.service} (${fn.logicalId})`, c.resolver, fn] as const));
const stateMachineCases = cases.flatMap((c) =>
  Object.entries(c.resolver.template.Resources)
    .filter(([, res]) => res.Type === 'AWS::StepFunctions::StateMachine')
    .map(([logicalId]) => [`${c.id} ${logicalId}`, c.resolver, logicalId] as const),
);

/** The construct path (below the stack) of a logical id, for the acknowledgement table. */
function constructPath(stackId: string, logicalId: string): string {
  const stack = stacks.find((s) => s.node.id === stackId)!;
  const el = stack.node.findAll().find((c) => (c as CfnElement).logicalId !== undefined && stack.getLogicalId(c as CfnElement) === logicalId);
  return el!.node.path.split('/').slice(1, -1).join('/');
}

test('the app has functions and state machines on every stack it should', () => {
  expect(cases.map((c) => c.id)).toEqual(expect.arrayContaining(['Ground0-ModelCall', 'Ground7-FullSystem', 'PredictiveMl']));
  expect(functionCases.length).toBeGreaterThanOrEqual(30);
  expect(stateMachineCases.length).toBe(3);
});

test('every Lambda function is simulated or is a listed aws-cdk-lib handler', () => {
  const unlisted = cases.flatMap((c) =>
    Object.entries(c.resolver.template.Resources)
      .filter(([id, res]) => res.Type === 'AWS::Lambda::Function' && !c.functions.some((f) => f.logicalId === id) && !CDK_HANDLERS.some(([re]) => re.test(id)))
      .map(([id]) => `${c.id} ${id}`),
  );
  expect(unlisted).toEqual([]);
});

describe.each(functionCases)('function %s', (_name, r, fn) => {
  const { calls: sdk, unknown } = functionSdkCalls(r, fn);
  const calls = [...sdk, ...lambdaServiceCalls(r, fn.logicalId)];
  const policies = rolePolicies(r, fn.roleLogicalId);

  test('every command the bundle can send has IAM actions in the command table', () => {
    expect(unknown).toEqual([]);
  });

  test('every call is allowed by the role', async () => {
    expect(await denials(r, fn.roleLogicalId, policies, calls)).toEqual([]);
  });

  test('every granted action is needed by a call or acknowledged', async () => {
    expect(await unneeded(policies, calls, ACKNOWLEDGED[fn.service])).toEqual([]);
  });
});

describe.each(stateMachineCases)('state machine %s', (name, r, logicalId) => {
  const { calls, unknown } = stateMachineCalls(r, logicalId);
  const roleLogicalId = (r.resource(logicalId).Properties!.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const policies = rolePolicies(r, roleLogicalId);

  test('every Task integration has IAM actions in the integration table', () => {
    expect(calls.length).toBeGreaterThan(0);
    expect(unknown).toEqual([]);
  });

  test('every call is allowed by the role', async () => {
    expect(await denials(r, roleLogicalId, policies, calls)).toEqual([]);
  });

  test('every granted action is needed by a call or acknowledged', async () => {
    const stackId = name.split(' ')[0];
    expect(await unneeded(policies, calls, ACKNOWLEDGED[constructPath(stackId, logicalId)])).toEqual([]);
  });
});

describe('the simulation can fail', () => {
  const ground7 = cases.find((c) => c.id === 'Ground7-FullSystem')!;
  const prompt = ground7.functions.find((f) => f.service === 'prompt')!;

  test('extraction finds the commands of a bundle, paginators included', () => {
    const text =
      'var a=require("@aws-sdk/client-sagemaker"),b=require("@aws-sdk/lib-dynamodb");' +
      'new a.DeleteModelCommand({});(0,a.paginateListModels)({});new b.PutCommand({});c.sendCommand()';
    expect(sdkCalls(text).map((c) => c.command)).toEqual(['DeleteModelCommand', 'ListModelsCommand', 'PutCommand']);
  });

  test('a command missing from the table is reported', () => {
    const fn = { ...prompt, bundle: 'var a=require("@aws-sdk/client-bedrock-runtime");new a.CountTokensCommand({})' };
    expect(COMMAND_ACTIONS['@aws-sdk/client-bedrock-runtime'].CountTokensCommand).toBeUndefined();
    expect(functionSdkCalls(ground7.resolver, fn).unknown).toEqual(['@aws-sdk/client-bedrock-runtime CountTokensCommand']);
  });

  test('removing the Retrieve grant from the prompt role in a template copy denies the Retrieve call', async () => {
    const copy = structuredClone(ground7.resolver.template);
    for (const res of Object.values(copy.Resources)) {
      if (res.Type !== 'AWS::IAM::Policy') continue;
      const doc = res.Properties!.PolicyDocument;
      doc.Statement = doc.Statement.filter((s: { Action: string | string[] }) => ![s.Action].flat().includes('bedrock:Retrieve'));
    }
    const r = new TemplateResolver(copy, ground7.resolver.stackName);
    const { calls } = functionSdkCalls(r, prompt);
    const denied = await denials(r, prompt.roleLogicalId, rolePolicies(r, prompt.roleLogicalId), calls);
    expect(denied).toEqual([
      expect.stringMatching(/^RetrieveCommand: bedrock:Retrieve on arn:aws:bedrock:us-east-1:123456789012:knowledge-base\/\w+ → ImplicitlyDenied$/),
    ]);
  });

  test('a foundation model reached through another profile than the granted one is denied (bedrock:InferenceProfileArn)', async () => {
    const policies = rolePolicies(ground7.resolver, prompt.roleLogicalId);
    const call: Call = {
      action: 'bedrock:InvokeModel',
      resource: `arn:${PARTITION}:bedrock:us-west-2::foundation-model/amazon.nova-lite-v1:0`,
      context: { 'bedrock:InferenceProfileArn': `arn:${PARTITION}:bedrock:us-east-1:${ACCOUNT}:inference-profile/us.amazon.nova-micro-v1:0` },
      why: 'fixture',
    };
    expect((await evaluate(roleArn(ground7.resolver, prompt.roleLogicalId), policies, call)).result).toBe('ImplicitlyDenied');
  });

  test('a resource-type wildcard (the ENI grant) matches only the account and Region it names', async () => {
    const policies = rolePolicies(ground7.resolver, prompt.roleLogicalId);
    const eni = (account: string) => ({
      action: 'ec2:DeleteNetworkInterface',
      resource: `arn:${PARTITION}:ec2:us-east-1:${account}:network-interface/eni-0123456789abcdef0`,
      why: 'fixture',
    });
    expect((await evaluate(roleArn(ground7.resolver, prompt.roleLogicalId), policies, eni(ACCOUNT))).result).toBe('Allowed');
    expect((await evaluate(roleArn(ground7.resolver, prompt.roleLogicalId), policies, eni('210987654321'))).result).toBe('ImplicitlyDenied');
  });

  test('an extra grant is reported as unneeded', async () => {
    const policies = rolePolicies(ground7.resolver, prompt.roleLogicalId);
    const extra: NamedPolicy = { name: 'extra', policy: { Statement: [{ Effect: 'Allow', Action: 'bedrock:GetPrompt*', Resource: '*' }] } };
    const { calls } = functionSdkCalls(ground7.resolver, prompt);
    const all = [...calls, ...lambdaServiceCalls(ground7.resolver, prompt.logicalId)];
    expect(await unneeded([...policies, extra], all)).toEqual(expect.arrayContaining(['bedrock:getpromptrouter']));
  });
});
