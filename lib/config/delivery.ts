import { z } from 'zod';

/**
 * `delivery`: the CDK Pipelines pipeline that deploys a ground to the stages named here (one section
 * of the configuration schema, lib/config/schema.ts). Unset (the default), the app builds the
 * grounds as before and no pipeline. docs/delivery.md.
 */

/** An AWS account id. */
export const ACCOUNT_PATTERN = /^\d{12}$/;
/** An AWS Region code, e.g. us-east-1, eu-central-2, us-gov-west-1 (the pattern smoke/cli.ts accepts). */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;
/**
 * A stage name: the CodePipeline stage and the CDK Stage id (a Stage id must start with a letter and
 * hold letters, digits, `-`, `_` or `.`; CodePipeline takes at most 100 characters).
 */
export const STAGE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
/** A configuration key as `-c` takes it: dotted names (`model.alias`). */
const CONTEXT_KEY_PATTERN = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)*$/;
/** The stage names that make a stage production unless it says `production: false`. */
export const PRODUCTION_NAME_PATTERN = /^prod(uction)?$/i;
/** Highest ground number (lib/grounds/ground-stack.ts GROUNDS; test/delivery checks they agree). */
const MAX_GROUND = 7;
/** The first ground with a VPC of its own (IsolatedNetwork, ground 5). */
const VPC_GROUND = 5;

/**
 * Keys a stage's `context` may not set: the stage's ground is its `ground`; the pipeline is one;
 * the rule packs run once over the whole cloud assembly, so the control profile is the pipeline's.
 */
export const PIPELINE_WIDE_KEYS = ['ground', 'delivery', 'compliance'] as const;

const account = (what: string) =>
  z.string({ error: `expected the 12-digit id of ${what}, as a string` }).regex(ACCOUNT_PATTERN, 'must be a 12-digit AWS account id (as a string)');
const region = (what: string) =>
  z.string({ error: `expected the Region of ${what}, e.g. us-east-1` }).regex(REGION_PATTERN, 'must be an AWS Region code such as us-east-1 or eu-west-2');

export const deliveryStageSchema = z.strictObject({
  name: z
    .string({ error: 'expected a stage name, e.g. Dev' })
    .regex(STAGE_NAME_PATTERN, 'must start with a letter and hold at most 64 letters, digits or hyphens')
    .describe('Name of the stage: its CodePipeline stage and its CDK Stage (`cdk synth` lists `<name>/<ground stack>`); unique, case-insensitive.'),
  account: account('the account the stage deploys to').describe('Account the stage deploys to (bootstrapped with `--trust <delivery.account>`).'),
  region: region('the stage').describe('Region the stage deploys to.'),
  ground: z
    .int({ error: `expected a ground number, 0-${MAX_GROUND}` })
    .min(0, `must be a ground number, 0-${MAX_GROUND}`)
    .max(MAX_GROUND, `must be a ground number, 0-${MAX_GROUND}`)
    .describe(`Ground the stage deploys (0-${MAX_GROUND}).`),
  production: z
    .boolean()
    .optional()
    .describe(
      'Whether the stage is production: the pipeline waits for a manual approval in that stage before deploying it. Unset: true when the ' +
        'stage is named prod or production (any case), else false.',
    ),
  availabilityZones: z
    .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+[a-z]$/, 'must be an Availability Zone name such as us-east-1a'))
    .length(2, 'must name 2 Availability Zones (the VPC of grounds 5-7 spans 2)')
    .optional()
    .describe(
      'Grounds 5-7: the 2 Availability Zones of the stage\'s VPC, e.g. `["us-east-1a", "us-east-1b"]`, given here so that synth needs no ' +
        'lookup in the stage account (required from ground 5).',
    ),
  context: z
    .record(z.string().regex(CONTEXT_KEY_PATTERN), z.unknown(), {
      // zod reports a bad record key as "Invalid key in record"; this says what a key must be.
      error: (issue) => (issue.code === 'invalid_key' ? 'must be a configuration key such as model.alias (dotted, as -c takes it)' : undefined),
    })
    .default({})
    .describe(
      'Configuration of this stage: keys and values as `-c key=value` takes them (`{"model.alias": "nova-micro", "api.throttleRateLimit": 50}`), ' +
        'over cdk.json context and `-c`; validated like them, with the stage named in errors. Not ground, delivery or compliance.',
    ),
});

export const deliverySchema = z
  .strictObject({
    connectionArn: z
      .string({ error: 'expected the ARN of a CodeConnections connection (Developer Tools console > Settings > Connections)' })
      .regex(
        /^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]{36}$/,
        'must be a CodeConnections connection ARN: arn:aws:codeconnections:<region>:<account>:connection/<id> (or codestar-connections)',
      )
      .describe('ARN of the CodeConnections (formerly CodeStar Connections) connection to the repository host, created once in the console.'),
    repository: z
      .string({ error: 'expected the repository as owner/name' })
      .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be owner/name, e.g. acme/genai-blueprint')
      .describe('Repository the pipeline builds, as `owner/name`.'),
    branch: z
      .string()
      .regex(/^(?!\/|.*\/\/|.*\.\.|.*\/$)[A-Za-z0-9._/-]{1,255}$/, 'must be a git branch name (letters, digits, . _ - /)')
      .default('main')
      .describe('Branch whose pushes start the pipeline.'),
    account: account('the account the pipeline lives in').describe('Account of the pipeline (the tooling account every stage account trusts).'),
    region: region('the pipeline').describe('Region of the pipeline.'),
    selfMutation: z
      .boolean()
      .default(true)
      .describe('The pipeline updates itself from the repository before deploying (CDK Pipelines `selfMutation`); off while iterating on it by hand.'),
    stages: z
      .array(deliveryStageSchema)
      .min(1, 'must name at least one stage')
      .max(20)
      .describe('Stages in deployment order, each `{name, account, region, ground, production?, context?}`; names unique.'),
  })
  .superRefine((delivery, ctx) => {
    const seen = new Map<string, number>();
    delivery.stages.forEach((stage, i) => {
      const key = stage.name.toLowerCase();
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', i, 'name'],
          message: `is the name of stages.${first} already; stage names must be unique (case-insensitive)`,
        });
      } else seen.set(key, i);
      // A ground above MAX_GROUND is refused as such (zod runs this check after a failed .max()); no zones are asked for it.
      if (stage.ground >= VPC_GROUND && stage.ground <= MAX_GROUND && !stage.availabilityZones) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', i, 'availabilityZones'],
          message:
            `is required for ground ${stage.ground} (its VPC spans 2 Availability Zones, which synth would otherwise look up in account ` +
            `${stage.account}): e.g. ["${stage.region}a", "${stage.region}b"]`,
        });
      }
      for (const key of Object.keys(stage.context)) {
        const root = key.split('.')[0];
        if ((PIPELINE_WIDE_KEYS as readonly string[]).includes(root)) {
          ctx.addIssue({
            code: 'custom',
            path: ['stages', i, 'context', key],
            message:
              root === 'ground'
                ? "is the stage's `ground`, not a context key"
                : `is set for the whole pipeline, not per stage; a stage's context may set any key but ${PIPELINE_WIDE_KEYS.join(', ')}`,
          });
        }
      }
    });
  });

export type DeliveryConfig = z.output<typeof deliverySchema>;
export type DeliveryStageConfig = z.output<typeof deliveryStageSchema>;

/** Whether `stage` is production: `production` when set, else its name (prod, production). */
export function isProductionStage(stage: Pick<DeliveryStageConfig, 'name' | 'production'>): boolean {
  return stage.production ?? PRODUCTION_NAME_PATTERN.test(stage.name);
}
