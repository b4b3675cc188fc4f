import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { type BlueprintConfig, loadConfig } from '../config/schema';
import { GROUNDS, type GroundNumber, GroundStack } from './ground-stack';

/** Reads `-c ground=N`: one ground, or every ground when unset. */
export function selectGrounds(value: unknown): GroundNumber[] {
  const all = GROUNDS.map((g) => g.ground);
  if (value === undefined || value === '' || value === 'all') return all;
  const n = typeof value === 'number' ? value : /^\d+$/.test(String(value).trim()) ? Number(value) : NaN;
  if (!(all as number[]).includes(n)) {
    throw new Error(`Invalid genai-blueprint configuration: ground = ${JSON.stringify(value)}; allowed: ${all.join(', ')} or unset for all`);
  }
  return [n as GroundNumber];
}

export interface BlueprintApp {
  readonly config: BlueprintConfig;
  readonly stacks: GroundStack[];
}

/** Builds the selected grounds into `app` and registers the cdk-nag packs that must pass. */
export function buildBlueprint(app: App, opts: { nag?: boolean } = {}): BlueprintApp {
  const context = app.node.getAllContext();
  const config = loadConfig(context);
  const stacks = selectGrounds(context.ground).map(
    (ground) => new GroundStack(app, GROUNDS[ground].stackId, { ground, config }),
  );
  if (opts.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { config, stacks };
}
