import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildBlueprint } from '../../lib/grounds/app';
import { CDK_JSON_CONTEXT } from '../support/synth';
import { delivery, PIPELINE_ACCOUNT } from './fixture';

const newApp = (context: Record<string, unknown>) =>
  new App({ context: { ...CDK_JSON_CONTEXT, ...context }, analyticsReporting: false, builtinCloudFormationValidation: false });

test('without delivery the app builds the selected grounds and no pipeline, as before', () => {
  const app = newApp({ ground: 0 });
  const built = buildBlueprint(app, { nag: false });
  expect(built.pipeline).toBeUndefined();
  expect(built.stacks.map((s) => s.node.path)).toEqual(['Ground0-ModelCall']);
});

test('synth with the rule packs registered, as npm run synth runs them, passes: a same-account stage, no cross-account key', () => {
  const app = newApp({ delivery: delivery([{ name: 'Dev', account: PIPELINE_ACCOUNT, region: 'eu-west-1', ground: 0 }]) });
  const { pipeline } = buildBlueprint(app);
  // Validation errors (an unacknowledged finding, a stale acknowledgement) throw from synth in an in-memory app.
  expect(() => app.synth()).not.toThrow();
  const template = Template.fromStack(pipeline!);
  template.resourceCountIs('AWS::KMS::Key', 0);
  template.hasResourceProperties('AWS::CodePipeline::Pipeline', { PipelineType: 'V2' });
});

test('selfMutation: false leaves out the UpdatePipeline stage', () => {
  const app = newApp({ delivery: { ...delivery([{ name: 'Dev', account: PIPELINE_ACCOUNT, region: 'eu-west-1', ground: 0 }]), selfMutation: false } });
  const stages = Template.fromStack(buildBlueprint(app, { nag: false }).pipeline!).toJSON().Resources;
  const pipeline = Object.values(stages as Record<string, { Type: string; Properties: { Stages: { Name: string }[] } }>).find(
    (r) => r.Type === 'AWS::CodePipeline::Pipeline',
  );
  expect(pipeline?.Properties.Stages.map((s) => s.Name)).toEqual(['Source', 'Build', 'Assets', 'Dev']);
});
