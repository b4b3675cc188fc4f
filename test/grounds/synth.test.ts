import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { buildBlueprint } from '../../lib/grounds/app';
import { CDK_JSON_CONTEXT } from '../support/synth';

/**
 * The app as `npm run synth` runs it: CloudFormation spec validation on, cdk-nag packs registered,
 * offline, no Docker (esbuild bundles locally).
 */
test('every ground synthesizes offline with CloudFormation validation and cdk-nag passing', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'genai-blueprint-synth-'));
  const app = new App({ outdir, context: { ...CDK_JSON_CONTEXT }, analyticsReporting: false });
  const { stacks, predictiveMl } = buildBlueprint(app);
  const assembly = app.synth();
  // Every ground updates one stack in place; the PredictiveMl stack deploys beside any of them.
  expect(stacks).toHaveLength(8);
  expect(predictiveMl).toBeDefined();
  expect(assembly.stacks.map((s) => s.stackName)).toEqual([...stacks.map(() => 'GenAiBlueprint'), 'GenAiBlueprint-PredictiveMl']);
  expect(fs.existsSync(path.join(outdir, 'Ground0-ModelCall.template.json'))).toBe(true);
  const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
  expect(report.pluginReports.filter((r: { success: boolean }) => !r.success)).toEqual([]);
  fs.rmSync(outdir, { recursive: true, force: true });
});

test('a wrong -c value fails synth naming the key, the value and what is allowed', () => {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'model.maxTokens': '0', ground: '0' } });
  expect(() => buildBlueprint(app)).toThrow(/model\.maxTokens = 0: Too small: expected number to be >=1/);
});

test('the registered cdk-nag packs fail synth on a finding nobody acknowledged', () => {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, ground: '0' }, analyticsReporting: false, builtinCloudFormationValidation: false });
  const { stacks } = buildBlueprint(app);
  new sqs.Queue(stacks[0], 'UnreviewedQueue');
  expect(() => app.synth()).toThrow(/AwsSolutions-SQS3|Serverless-SQSRedrivePolicy/);
});
