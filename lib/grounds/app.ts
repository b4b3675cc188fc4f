import { type App, type Stage, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, type NagPack, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';
import { GenAiBlueprintChecks, StaleAcknowledgementChecks } from '../checks';
import { closeNetwork } from '../compliance/network';
import { REGULATED_CONTROLS, RegulatedProfile } from '../compliance/regulated-profile';
import { type BlueprintConfig, loadConfig } from '../config/schema';
import { DeliveryPipelineStack } from '../delivery/delivery-pipeline-stack';
import { resolveStages } from '../delivery/stages';
import { GROUNDS, type GroundNumber, GroundStack } from './ground-stack';
import { PredictiveMlStack } from './predictive-ml-stack';
import { closedNetworkProps } from './props';
import { installValidationProcess } from './validation-process';
import type { Construct } from 'constructs';

/** `-c ground=ml`: the PredictiveMl stack alone. */
const PREDICTIVE_ML = 'ml';

/** Reads `-c ground=N`: one ground, or every ground when unset; `ml` selects no ground (the PredictiveMl stack alone). */
export function selectGrounds(value: unknown): GroundNumber[] {
  const all = GROUNDS.map((g) => g.ground);
  if (value === undefined || value === '' || value === 'all') return all;
  if (value === PREDICTIVE_ML) return [];
  const n = typeof value === 'number' ? value : /^\d+$/.test(String(value).trim()) ? Number(value) : NaN;
  if (!(all as number[]).includes(n)) {
    throw new Error(
      `Invalid genai-blueprint configuration: ground = ${JSON.stringify(value)}; allowed: ${all.join(', ')} or unset for all, or ${PREDICTIVE_ML} ` +
        `for the PredictiveMl stack alone`,
    );
  }
  return [n as GroundNumber];
}

export interface BlueprintApp {
  readonly config: BlueprintConfig;
  readonly stacks: GroundStack[];
  /** Built when `-c ground` is unset, `all` or `ml`. */
  readonly predictiveMl?: PredictiveMlStack;
  /** Built, alone, when `delivery` is configured: the grounds it deploys are in its stages (docs/delivery.md). */
  readonly pipeline?: DeliveryPipelineStack;
}

/** One ground's stack in `scope` (the app, or a pipeline stage), with the regulated profile and the closed network when the configuration asks for them. */
export function buildGroundStack(scope: Construct, ground: GroundNumber, config: BlueprintConfig): GroundStack {
  const stack = new GroundStack(scope, GROUNDS[ground].stackId, { ground, config });
  if (config.compliance === 'regulated') RegulatedProfile.applyTo(stack);
  // docs/network.md: a PRIVATE API behind an execute-api endpoint, every function in the network.
  if (config.network.mode === 'private') closeNetwork(stack, closedNetworkProps(config, ground, stack.api));
  return stack;
}

/**
 * Registers on `stage` (the app) the cdk-nag packs that must pass over every stack in it, nested
 * stages included, and the check that fails on an acknowledgement of theirs that hides nothing.
 */
export function addRulePacks(stage: Stage, compliance: BlueprintConfig['compliance']): void {
  const packs: NagPack[] = [new AwsSolutionsChecks(stage), new ServerlessChecks(stage), new GenAiBlueprintChecks(stage)];
  if (compliance === 'regulated') packs.push(new NIST80053R5Checks(stage), new HIPAASecurityChecks(stage));
  const superseded = compliance === 'regulated' ? REGULATED_CONTROLS.flatMap((c) => c.supersedes ?? []) : [];
  Validations.of(stage).addPlugins(...packs, new StaleAcknowledgementChecks(packs, superseded));
}

/**
 * Builds the selected grounds into `app` and registers the cdk-nag packs that must pass
 * (AwsSolutions, Serverless and our own GenAiBlueprint; with `compliance=regulated` also NIST 800-53
 * Rev. 5 and HIPAA Security, and the regulated profile's controls; with `network=private` the closed
 * network), and the check that fails on an
 * acknowledgement of theirs that no longer hides any finding.
 */
export function buildBlueprint(app: App, opts: { nag?: boolean; validationProcess?: boolean } = {}): BlueprintApp {
  // `validationProcess`: CDK's CloudFormation validation in a child process (see
  // lib/grounds/validation-process.ts; bin/app.ts sets it). Unset: in this process. Either way it
  // runs unless CDK_VALIDATION=false or the app opts out, as CDK decides.
  // Its child starts now and builds the engine while the stacks are built, and validates each
  // template as soon as it is written, beside the app's own synthesis.
  const validation =
    opts.validationProcess && app._builtinCloudFormationValidation && process.env.CDK_VALIDATION !== 'false' ? installValidationProcess() : undefined;
  validation?.start();
  const context = app.node.getAllContext();
  const config = loadConfig(context);
  if (config.delivery) {
    const stages = resolveStages(context, config.delivery);
    const pipeline = new DeliveryPipelineStack(app, 'Delivery', {
      stackName: `${config.stackName}-Delivery`,
      delivery: config.delivery,
      stages,
      groundStack: buildGroundStack,
    });
    validation?.validateOnWrite([pipeline, ...pipeline.stages.map((s) => s.groundStack)]);
    if (opts.nag ?? true) addRulePacks(app, config.compliance);
    return { config, stacks: [], pipeline };
  }
  const grounds = selectGrounds(context.ground);
  const stacks = grounds.map((ground) => buildGroundStack(app, ground, config));
  const withMl = context.ground === undefined || context.ground === '' || context.ground === 'all' || context.ground === PREDICTIVE_ML;
  const predictiveMl = withMl ? new PredictiveMlStack(app, 'PredictiveMl', { config }) : undefined;
  const all = [...stacks, ...(predictiveMl ? [predictiveMl] : [])];
  if (predictiveMl && config.compliance === 'regulated') RegulatedProfile.applyTo(predictiveMl);
  if (predictiveMl && config.network.mode === 'private') closeNetwork(predictiveMl, closedNetworkProps(config, 'ml', predictiveMl.api));
  validation?.validateOnWrite(all);
  if (opts.nag ?? true) addRulePacks(app, config.compliance);
  return { config, stacks, predictiveMl };
}
