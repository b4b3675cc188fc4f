import { App, Stack, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CodePipeline, CodePipelineSource, ManualApprovalStep, ShellStep } from 'aws-cdk-lib/pipelines';
import { pipelineStagesOf, productionApprovalProblems, type ProductionTarget } from '../../lib/delivery/approvals';
import { buildBlueprint } from '../../lib/grounds/app';
import { CDK_JSON_CONTEXT } from '../support/synth';
import { CONNECTION_ARN, delivery, PIPELINE_ACCOUNT } from './fixture';

const PROD: ProductionTarget = { account: '333333333333', region: 'eu-west-1', stackName: 'Service' };

/**
 * A CDK Pipelines pipeline built by hand, not by DeliveryPipelineStack: a Staging stage and a Prod
 * stage deploying `Service`, the approval as given. Small (one topic per stage), so it synthesizes
 * in milliseconds.
 */
function handBuiltPipeline(prodPre: ManualApprovalStep[], opts: { approvalInStaging?: boolean } = {}) {
  const app = new App({ context: CDK_JSON_CONTEXT, analyticsReporting: false, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Pipeline', { env: { account: PIPELINE_ACCOUNT, region: 'eu-west-1' } });
  const pipeline = new CodePipeline(stack, 'Pipeline', {
    crossAccountKeys: true,
    synth: new ShellStep('Synth', {
      input: CodePipelineSource.connection('acme/service', 'main', { connectionArn: CONNECTION_ARN }),
      commands: ['npm ci', 'npx cdk synth'],
    }),
  });
  for (const [name, account, pre] of [
    ['Staging', '222222222222', opts.approvalInStaging ? [new ManualApprovalStep('Approve')] : []],
    ['Prod', PROD.account, prodPre],
  ] as const) {
    const stage = new Stage(stack, name, { env: { account, region: 'eu-west-1' } });
    new sns.Topic(new Stack(stage, 'Service', { stackName: 'Service' }), 'Topic');
    pipeline.addStage(stage, { pre: [...pre] });
  }
  return pipelineStagesOf(Template.fromStack(stack).toJSON());
}

test('passes when the production stage approves before it deploys', () => {
  expect(productionApprovalProblems(handBuiltPipeline([new ManualApprovalStep('Approve')]), [PROD], 'eu-west-1')).toEqual([]);
});

test('fails when a production stage lacks the approval, naming the stage and both deploy actions', () => {
  expect(productionApprovalProblems(handBuiltPipeline([]), [PROD], 'eu-west-1')).toEqual([
    'pipeline stage Prod: action Prepare deploys Service to production (account 333333333333, eu-west-1) with no manual approval before it in that stage',
    'pipeline stage Prod: action Deploy deploys Service to production (account 333333333333, eu-west-1) with no manual approval before it in that stage',
  ]);
});

test("fails when the only approval is another stage's", () => {
  expect(productionApprovalProblems(handBuiltPipeline([], { approvalInStaging: true }), [PROD], 'eu-west-1')).toHaveLength(2);
});

test('a target in another account or Region is not the production one', () => {
  const stages = handBuiltPipeline([]);
  expect(productionApprovalProblems(stages, [{ ...PROD, account: '444444444444' }], 'eu-west-1')).toEqual([]);
  expect(productionApprovalProblems(stages, [{ ...PROD, region: 'us-east-1' }], 'eu-west-1')).toEqual([]);
});

test('fails on a template without exactly one pipeline', () => {
  expect(() => pipelineStagesOf({ Resources: {} })).toThrow('expected one AWS::CodePipeline::Pipeline in the template, found 0');
});

test('a stage named prod is production by its name; production: false deploys it without approval', () => {
  const build = (stage: Record<string, unknown>) => {
    const app = new App({ context: { ...CDK_JSON_CONTEXT, delivery: delivery([stage]) }, analyticsReporting: false, builtinCloudFormationValidation: false });
    return pipelineStagesOf(Template.fromStack(buildBlueprint(app, { nag: false }).pipeline!).toJSON());
  };
  const target: ProductionTarget = { account: PIPELINE_ACCOUNT, region: 'eu-west-1', stackName: 'GenAiBlueprint' };
  const prod = { name: 'prod', account: PIPELINE_ACCOUNT, region: 'eu-west-1', ground: 0 };
  expect(productionApprovalProblems(build(prod), [target], 'eu-west-1')).toEqual([]);
  expect(productionApprovalProblems(build({ ...prod, production: false }), [target], 'eu-west-1')).toHaveLength(2);
});
