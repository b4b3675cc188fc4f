import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildBlueprint } from '../../lib/grounds/app';
import type { GroundStack } from '../../lib/grounds/ground-stack';

const ROOT = path.join(__dirname, '..', '..');
/** The feature flags and settings of cdk.json, so tests synthesize what `npm run synth` does. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context;

export interface Synthesized {
  readonly app: App;
  readonly stacks: GroundStack[];
}

/**
 * Builds grounds as `bin/app.ts` does, with cdk.json's context plus `context` overrides.
 * CloudFormation spec validation is off here (it costs seconds per app); one test keeps it on.
 */
export function buildApp(context: Record<string, unknown> = {}, opts: { cfnValidation?: boolean } = {}): Synthesized {
  const app = new App({
    context: { ...CDK_JSON_CONTEXT, ...context },
    analyticsReporting: false,
    builtinCloudFormationValidation: opts.cfnValidation ?? false,
  });
  const { stacks } = buildBlueprint(app, { nag: false });
  return { app, stacks };
}

export function groundTemplate(ground: number, context: Record<string, unknown> = {}): Template {
  const { stacks } = buildApp({ ...context, ground });
  return Template.fromStack(stacks[0]);
}

/** Template JSON with asset hashes masked, for snapshots that survive unrelated code edits. */
export function maskedTemplate(template: Template): unknown {
  const text = JSON.stringify(template.toJSON(), null, 1).replace(/[0-9a-f]{64}(\.zip|\.json)?/g, '<asset-hash>$1');
  return JSON.parse(text);
}
