import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { auditAcknowledgements, GenAiBlueprintChecks } from '../../lib/checks';
import { productionApprovalProblems, pipelineStagesOf, type ProductionTarget } from '../../lib/delivery/approvals';
import { SYNTH_COMMANDS } from '../../lib/delivery/delivery-pipeline-stack';
import { buildBlueprint } from '../../lib/grounds/app';
import * as z from 'zod/mini';
import { jsonObject, parseJson } from '../support/json';
import { CDK_JSON_CONTEXT, maskedTemplate } from '../support/synth';
import { delivery, PIPELINE_ACCOUNT } from './fixture';

/**
 * The pipeline as `npx cdk synth` builds it when cdk.json configures `delivery`: three stages, one in
 * the pipeline's account, two in others, one of them production in another Region. Built once
 * (the stages bundle their functions); offline: no credentials, no lookups, no Docker.
 */
const STAGES = [
  { name: 'Dev', account: PIPELINE_ACCOUNT, region: 'eu-west-1', ground: 7, availabilityZones: ['eu-west-1a', 'eu-west-1b'] },
  { name: 'Staging', account: '222222222222', region: 'eu-west-1', ground: 4, context: { 'api.throttleRateLimit': 50 } },
  { name: 'Prod', account: '333333333333', region: 'eu-central-1', ground: 4, context: { stackName: 'GenAiProd' } },
];
const app = new App({ context: { ...CDK_JSON_CONTEXT, delivery: delivery(STAGES) }, analyticsReporting: false, builtinCloudFormationValidation: false });
const built = buildBlueprint(app, { nag: false });
const pipelineStack = built.pipeline!;
const template = Template.fromStack(pipelineStack);
const stages = pipelineStagesOf(template.toJSON());
const PROD: ProductionTarget = { account: '333333333333', region: 'eu-central-1', stackName: 'GenAiProd' };

test('with delivery configured the app builds the pipeline alone; its stages hold the grounds', () => {
  expect(built.stacks).toEqual([]);
  // With the CodePipeline support stack of the other Region (its artifact replication bucket).
  expect(app.node.children.map((c) => c.node.id).filter((id) => id !== 'Tree')).toEqual(['Delivery', 'cross-region-stack-111111111111:eu-central-1']);
  expect(pipelineStack.stackName).toBe('GenAiBlueprint-Delivery');
  expect(pipelineStack.stages.map((s) => s.groundStack.node.path)).toEqual([
    'Delivery/Dev/Ground7-FullSystem',
    'Delivery/Staging/Ground4-Gateway',
    'Delivery/Prod/Ground4-Gateway',
  ]);
});

test("each stage's stack has the account and Region of its configuration, and its configuration", () => {
  expect(pipelineStack.stages.map((s) => [s.groundStack.account, s.groundStack.region, s.groundStack.stackName])).toEqual(
    STAGES.map((s) => [s.account, s.region, s.name === 'Prod' ? 'GenAiProd' : 'GenAiBlueprint']),
  );
  expect(pipelineStack.stages[1].spec.config.api.throttleRateLimit).toBe(50);
  expect(pipelineStack.stages[0].spec.config.api.throttleRateLimit).toBe(10);
  // The deploy actions assume the bootstrap deploy role of the stage's account, in its Region.
  for (const spec of STAGES) {
    const deploys = stages.find((s) => s.Name === spec.name)!.Actions!.filter((a) => a.ActionTypeId?.Category === 'Deploy');
    expect(deploys.length).toBe(2); // change set, then execute
    for (const action of deploys) {
      expect(JSON.stringify(action.RoleArn)).toContain(`:iam::${spec.account}:role/cdk-hnb659fds-deploy-role-${spec.account}-${spec.region}`);
      expect(action.Region ?? 'eu-west-1').toBe(spec.region);
    }
  }
});

test('source: the configured connection, repository and branch, started on push', () => {
  expect(stages[0].Actions).toEqual([
    expect.objectContaining({
      ActionTypeId: expect.objectContaining({ Category: 'Source', Provider: 'CodeStarSourceConnection' }),
      Configuration: expect.objectContaining({ ConnectionArn: delivery([]).connectionArn, FullRepositoryId: 'acme/genai-blueprint', BranchName: 'main' }),
    }),
  ]);
});

const BUILD_SPEC = z.object({ phases: z.record(z.string(), z.object({ commands: z.array(z.string()) })) });

/** The commands of the CodeBuild project an action of `stage` runs. */
function buildCommands(stageName: string, actionName: string): string[] {
  const action = stages.find((s) => s.Name === stageName)?.Actions?.find((a) => a.Name === actionName);
  const projectRef = (action as { Configuration?: { ProjectName?: { Ref?: string } } } | undefined)?.Configuration?.ProjectName?.Ref;
  const project = template.toJSON().Resources[projectRef!];
  const spec = parseJson(BUILD_SPEC, project.Properties.Source.BuildSpec);
  return Object.values(spec.phases).flatMap((p) => p.commands);
}

test('the synth step installs the lockfile, runs npm test, then the synth that runs the rule packs', () => {
  expect(SYNTH_COMMANDS).toEqual(['npm ci', 'npm test', 'npm run synth -- -c "delivery=$(cat delivery.json)"']);
  const commands = buildCommands('Build', 'Synth');
  const at = SYNTH_COMMANDS.map((c) => commands.indexOf(c));
  expect(at.every((i) => i >= 0)).toBe(true);
  expect([...at].sort((a, b) => a - b)).toEqual(at);
  // npm run synth runs the app with the rule packs (buildBlueprint's default), and fails on a finding.
  const pkg = parseJson(z.object({ scripts: z.record(z.string(), z.string()) }), fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
  expect(pkg.scripts.synth).toMatch(/cdk synth/);
});

test('no step needs Docker: no privileged build, no container image asset in any stage', () => {
  for (const project of Object.values(template.findResources('AWS::CodeBuild::Project'))) {
    expect(project.Properties.Environment.PrivilegedMode ?? false).toBe(false);
  }
  const assembly = app.synth();
  const nested = pipelineStack.stages.map((s) => assembly.getNestedAssembly(s.artifactId));
  for (const stack of nested.flatMap((a) => a.stacks)) {
    for (const dep of stack.dependencies) expect(dep.manifest.type).not.toBe('cdk:asset-manifest:docker');
  }
  for (const file of nested.flatMap((a) =>
    fs
      .readdirSync(a.directory)
      .filter((f) => f.endsWith('.assets.json'))
      .map((f) => path.join(a.directory, f)),
  )) {
    expect(parseJson(jsonObject, fs.readFileSync(file, 'utf8')).dockerImages ?? {}).toEqual({});
  }
  // No context lookup either: every value synth needed was in the configuration.
  expect([assembly, ...nested].flatMap((a) => a.manifest.missing ?? [])).toEqual([]);
});

test('each stage runs npm run smoke against its stack after deploying it, as the role its stack outputs', () => {
  for (const spec of STAGES) {
    const actions = stages.find((s) => s.Name === spec.name)!.Actions!;
    const smoke = actions.find((a) => a.Name === 'SmokeCheck')!;
    const lastDeploy = Math.max(...actions.filter((a) => a.ActionTypeId?.Category === 'Deploy').map((a) => a.RunOrder ?? 1));
    expect(smoke.RunOrder).toBeGreaterThan(lastDeploy);
    const stackName = spec.name === 'Prod' ? 'GenAiProd' : 'GenAiBlueprint';
    expect(buildCommands(spec.name, 'SmokeCheck')).toEqual(
      expect.arrayContaining(['npm ci', `AWS_PROFILE=smoke npm run smoke -- --stack ${stackName} --region ${spec.region}`]),
    );
    expect(JSON.stringify((smoke as { Configuration?: unknown }).Configuration)).toMatch(/SMOKE_ROLE_ARN.*#\{.*SmokeCheckAccessRoleArn/);
  }
});

test("the smoke role grants what npm run smoke calls, on this stack's API only, to the pipeline's roles only", () => {
  const prod = Template.fromStack(pipelineStack.stages[2].groundStack);
  prod.hasResourceProperties('AWS::IAM::Role', {
    Path: '/genai-blueprint-smoke/',
    AssumeRolePolicyDocument: {
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Principal: { AWS: `arn:aws:iam::${PIPELINE_ACCOUNT}:root` },
          Condition: { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${PIPELINE_ACCOUNT}:role/GenAiBlueprint-Delivery-*` } },
        },
      ],
    },
  });
  const actions = Object.values(prod.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p).includes('SmokeCheckAccess'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => s.Action));
  expect(actions.sort()).toEqual(['apigateway:GET', 'cloudformation:DescribeStacks', 'cloudformation:ListStackResources', 'execute-api:Invoke']);
  // Ground 7: the machine clients' secrets, on that user pool only.
  Template.fromStack(pipelineStack.stages[0].groundStack).hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        { Action: 'cognito-idp:DescribeUserPoolClient', Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AuthUserPool'), 'Arn'] } },
      ]),
    },
  });
});

test('every production stage has a manual approval before its deploy actions', () => {
  expect(productionApprovalProblems(stages, [PROD], 'eu-west-1')).toEqual([]);
  const prod = stages.find((s) => s.Name === 'Prod')!.Actions!;
  expect(prod.find((a) => a.ActionTypeId?.Category === 'Approval')).toMatchObject({ ActionTypeId: { Provider: 'Manual' }, RunOrder: 1 });
  // Non-production stages deploy without waiting.
  for (const name of ['Dev', 'Staging']) expect(stages.find((s) => s.Name === name)!.Actions!.some((a) => a.ActionTypeId?.Category === 'Approval')).toBe(false);
});

test('cross-account stages: encrypted artifacts with a rotated key; V2 pipeline; self-mutation', () => {
  template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  template.hasResourceProperties('AWS::CodePipeline::Pipeline', { PipelineType: 'V2' });
  expect(stages.map((s) => s.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'Dev', 'Staging', 'Prod']);
});

const SCOPES: [string, IConstruct][] = [
  ...app.node.children.filter((c) => c instanceof Stack).map((c): [string, IConstruct] => [c.node.path, c]),
  ...pipelineStack.stages.map((s): [string, IConstruct] => [s.groundStack.node.path, s.groundStack]),
];

describe.each(SCOPES)('%s: cdk-nag', (_id, scope) => {
  test('no unacknowledged finding of AwsSolutions, Serverless or GenAiBlueprint, and no stale acknowledgement', () => {
    const audit = auditAcknowledgements(scope, [new AwsSolutionsChecks(), new ServerlessChecks(), new GenAiBlueprintChecks()]);
    expect(audit.reports.flatMap((r) => r.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((x) => x.constructPath).join(', ')}`))).toEqual([]);
    expect(audit.stale.map((a) => `${a.id} on ${a.path}`)).toEqual([]);
  });
});

test('snapshot of the pipeline stack (asset hashes masked)', () => {
  expect(maskedTemplate(template)).toMatchSnapshot();
});
