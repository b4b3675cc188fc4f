import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, type NagPack, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';
import { GenAiBlueprintChecks, StaleAcknowledgementChecks } from '../checks';
import { closeNetwork } from '../compliance/network';
import { REGULATED_CONTROLS, RegulatedProfile } from '../compliance/regulated-profile';
import { type BlueprintConfig, loadConfig } from '../config/schema';
import { GROUNDS, type GroundNumber, GroundStack } from './ground-stack';
import { PredictiveMlStack } from './predictive-ml-stack';
import { closedNetworkProps } from './props';
import { installValidationProcess } from './validation-process';

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
  const grounds = selectGrounds(context.ground);
  const stacks = grounds.map((ground) => new GroundStack(app, GROUNDS[ground].stackId, { ground, config }));
  const withMl = context.ground === undefined || context.ground === '' || context.ground === 'all' || context.ground === PREDICTIVE_ML;
  const predictiveMl = withMl ? new PredictiveMlStack(app, 'PredictiveMl', { config }) : undefined;
  const all = [...stacks, ...(predictiveMl ? [predictiveMl] : [])];
  if (config.compliance === 'regulated') for (const stack of all) RegulatedProfile.applyTo(stack);
  if (config.network.mode === 'private') {
    // docs/network.md: a PRIVATE API behind an execute-api endpoint, every function in the network.
    stacks.forEach((stack, i) => closeNetwork(stack, closedNetworkProps(config, grounds[i], stack.api)));
    if (predictiveMl) closeNetwork(predictiveMl, closedNetworkProps(config, 'ml', predictiveMl.api));
  }
  validation?.validateOnWrite(all);
  if (opts.nag ?? true) {
    const packs: NagPack[] = [new AwsSolutionsChecks(app), new ServerlessChecks(app), new GenAiBlueprintChecks(app)];
    if (config.compliance === 'regulated') packs.push(new NIST80053R5Checks(app), new HIPAASecurityChecks(app));
    const superseded = config.compliance === 'regulated' ? REGULATED_CONTROLS.flatMap((c) => c.supersedes ?? []) : [];
    Validations.of(app).addPlugins(...packs, new StaleAcknowledgementChecks(packs, superseded));
  }
  return { config, stacks, predictiveMl };
}
