import { type DeliveryConfig, isProductionStage } from '../config/delivery';
import { ConfigError } from '../config/errors';
import { type BlueprintConfig, loadConfig } from '../config/schema';
import type { GroundNumber } from '../grounds/ground-stack';

/** One stage of the pipeline with its configuration resolved: what its ground stack is built from. */
export interface DeliveryStage {
  /** Its CodePipeline stage and CDK Stage id. */
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly ground: GroundNumber;
  /** A manual approval in the stage precedes its deployment. */
  readonly production: boolean;
  /** Availability Zones of the stage's VPC (grounds 5-7), so that synth makes no lookup. */
  readonly availabilityZones?: readonly string[];
  /** The app's configuration with the stage's `context` over it. */
  readonly config: BlueprintConfig;
}

/** Keys of the app's context a stage does not inherit: its ground is its own, and it has no pipeline. */
const NOT_INHERITED = new Set(['ground', 'delivery']);

/** Header of every ConfigError message (lib/config/errors.ts); its lines follow as `  - <line>`. */
const ERROR_LINE = /^ {2}- /;

/**
 * Resolves each stage's configuration the way the app resolves its own: `context` (cdk.json,
 * `-c`) without the pipeline-wide keys, then the stage's `context` over it, read by the one
 * `loadConfig`. Throws one ConfigError listing every wrong key of every stage, each line naming the
 * stage (`delivery.stages.1 (Prod) context: model.alias = ...`); and when two stages would deploy
 * the same stack name to the same account and Region (the second would overwrite the first).
 */
export function resolveStages(context: Record<string, unknown>, delivery: DeliveryConfig): DeliveryStage[] {
  // A stage's context cannot set compliance (lib/config/delivery.ts): every stage keeps the app's
  // control profile, so the rule packs registered once for the whole assembly fit each stage.
  const base = Object.fromEntries(Object.entries(context).filter(([key]) => !NOT_INHERITED.has(key.split('.')[0])));
  const lines: string[] = [];
  const stages: { index: number; stage: DeliveryStage }[] = [];
  delivery.stages.forEach((stage, index) => {
    const where = `delivery.stages.${index} (${stage.name}) context`;
    try {
      const config = loadConfig({ ...base, ...stage.context });
      stages.push({
        index,
        stage: {
          name: stage.name,
          account: stage.account,
          region: stage.region,
          ground: stage.ground as GroundNumber,
          production: isProductionStage(stage),
          ...(stage.availabilityZones ? { availabilityZones: stage.availabilityZones } : {}),
          config,
        },
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const line of error.message.split('\n').filter((l) => ERROR_LINE.test(l))) lines.push(`${where}: ${line.replace(ERROR_LINE, '')}`);
    }
  });
  const targets = new Map<string, string>();
  for (const { index, stage } of stages) {
    const target = `${stage.account}/${stage.region}/${stage.config.stackName}`;
    const first = targets.get(target);
    if (first !== undefined) {
      lines.push(
        `delivery.stages.${index} (${stage.name}): deploys stack ${stage.config.stackName} to account ${stage.account}, ${stage.region}, as ` +
          `stage ${first} does; allowed: another account, Region or stackName (in its context) than every other stage's`,
      );
    } else targets.set(target, stage.name);
  }
  if (lines.length > 0) throw new ConfigError(lines);
  return stages.map((s) => s.stage);
}
