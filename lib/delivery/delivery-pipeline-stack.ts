import { Stack, type StackProps, Stage, type StageProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CodeBuildStep, CodePipeline, CodePipelineSource, ManualApprovalStep } from 'aws-cdk-lib/pipelines';
import type { Construct } from 'constructs';
import type { DeliveryConfig } from '../config/delivery';
import type { BlueprintConfig } from '../config/schema';
import type { GroundNumber, GroundStack } from '../grounds/ground-stack';
import { acknowledgePipelineFindings, retargetAcknowledgements } from './acknowledgements';
import { SMOKE_ROLE_PATH, SmokeCheckAccess } from './smoke-check-access';
import type { DeliveryStage } from './stages';

/** Builds one ground's stack in `scope` as the app does (lib/grounds/app.ts buildGroundStack). */
export type GroundStackFactory = (scope: Construct, ground: GroundNumber, config: BlueprintConfig) => GroundStack;

/**
 * The file at the repository root the pipeline's own synth reads the `delivery` section from. Not
 * cdk.json: the tests and tools (npm test, npm run review) build the grounds from cdk.json's context,
 * and with `delivery` there the app builds the pipeline alone.
 */
export const DELIVERY_FILE = 'delivery.json';

/**
 * What the synth step runs, in order: install exactly the lockfile, the whole test suite (typecheck,
 * lint, format, jest), then the app's synth with the delivery section, which runs every rule pack
 * (lib/grounds/app.ts addRulePacks) and fails on an unacknowledged finding. The Lambda bundles are
 * built at synth by esbuild in process (lib/constructs/shared/bundling.ts), so no step needs Docker.
 */
export const SYNTH_COMMANDS = ['npm ci', 'npm test', `npm run synth -- -c "delivery=$(cat ${DELIVERY_FILE})"`] as const;

/**
 * The cache tests run a real `redis-server` (test/support/redis-server.ts), which the CodeBuild
 * standard image lacks. Node.js 24 (the functions' runtime, which `npm test` requires) comes from
 * the devDependency scripts/node-runtime that `npm ci` installs, whatever Node.js the image has.
 */
export const SYNTH_INSTALL_COMMANDS = ['apt-get update -y', 'apt-get install -y --no-install-recommends redis-server'] as const;

export interface DeliveryPipelineStackProps extends StackProps {
  /** The `delivery` section of the configuration: source, pipeline account and Region, options. */
  readonly delivery: DeliveryConfig;
  /** The stages in deployment order, configuration resolved (resolveStages). */
  readonly stages: readonly DeliveryStage[];
  /** Builds a stage's ground stack. */
  readonly groundStack: GroundStackFactory;
}

/**
 * The CDK Pipelines pipeline (`aws-cdk-lib/pipelines`) that deploys a ground to each configured
 * stage: source from a CodeConnections connection, a synth step that runs `npm test` and the rule
 * packs, then per stage a manual approval first when it is production, the ground's stack, and the
 * smoke check (`npm run smoke`) against what was deployed. docs/delivery.md.
 */
export class DeliveryPipelineStack extends Stack {
  public readonly pipeline: CodePipeline;
  public readonly source: CodePipelineSource;
  /** The stages, in the order of the configuration. */
  public readonly stages: readonly GroundStage[];

  constructor(scope: Construct, id: string, props: DeliveryPipelineStackProps) {
    const { delivery } = props;
    super(scope, id, { ...props, env: { account: delivery.account, region: delivery.region } });
    // The artifact bucket must be encrypted with a key the stage accounts may use before CodePipeline
    // can hand them artifacts; the key costs $1/month, so only when a stage is in another account.
    // https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.pipelines.CodePipeline.html (crossAccountKeys)
    const crossAccount = props.stages.some((s) => s.account !== delivery.account);

    this.source = CodePipelineSource.connection(delivery.repository, delivery.branch, { connectionArn: delivery.connectionArn, triggerOnPush: true });
    this.pipeline = new CodePipeline(this, 'Pipeline', {
      // V2: billed per action-minute, not $1 per pipeline-month (docs/delivery.md, "What it costs").
      pipelineType: codepipeline.PipelineType.V2,
      crossAccountKeys: crossAccount,
      enableKeyRotation: crossAccount,
      selfMutation: delivery.selfMutation,
      // One CodeBuild project publishes every file asset in turn, instead of one project per asset.
      publishAssetsInParallel: false,
      synth: new CodeBuildStep('Synth', {
        input: this.source,
        installCommands: [...SYNTH_INSTALL_COMMANDS],
        commands: [...SYNTH_COMMANDS],
        primaryOutputDirectory: 'cdk.out',
        // The test suite synthesizes every ground several times: 4 vCPUs and 7 GB (medium) rather than the default 2 and 3 GB.
        buildEnvironment: { computeType: codebuild.ComputeType.MEDIUM },
      }),
      codeBuildDefaults: { buildEnvironment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0 } },
    });

    this.stages = props.stages.map((spec) => {
      const stage = new GroundStage(this, spec.name, {
        env: { account: spec.account, region: spec.region },
        spec,
        groundStack: props.groundStack,
        pipelineAccount: delivery.account,
        pipelineStackName: this.stackName,
      });
      this.pipeline.addStage(stage, {
        pre: spec.production ? [new ManualApprovalStep('Approve', { comment: `Deploy ground ${spec.ground} to production stage ${spec.name}?` })] : [],
        post: [this.smokeStep(stage)],
      });
      return stage;
    });
    this.pipeline.buildPipeline();
    acknowledgePipelineFindings(this.pipeline);
  }

  /**
   * `npm run smoke` against the stage's stack, as the role SmokeCheckAccess created there: the AWS
   * SDK assumes it through a profile whose credential_source is the build's own container role.
   * https://docs.aws.amazon.com/sdkref/latest/guide/feature-assume-role-credentials.html
   */
  private smokeStep(stage: GroundStage): CodeBuildStep {
    const { spec } = stage;
    return new CodeBuildStep('SmokeCheck', {
      input: this.source,
      envFromCfnOutputs: { SMOKE_ROLE_ARN: stage.smokeCheck.roleArnOutput },
      installCommands: ['npm ci'],
      commands: [
        'aws configure set profile.smoke.role_arn "$SMOKE_ROLE_ARN"',
        'aws configure set profile.smoke.credential_source EcsContainer',
        `AWS_PROFILE=smoke npm run smoke -- --stack ${spec.config.stackName} --region ${spec.region}`,
      ],
      rolePolicyStatements: [
        new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [`arn:${this.partition}:iam::${spec.account}:role${SMOKE_ROLE_PATH}*`] }),
      ],
    });
  }
}

export interface GroundStageProps extends StageProps {
  readonly spec: DeliveryStage;
  readonly groundStack: GroundStackFactory;
  readonly pipelineAccount: string;
  readonly pipelineStackName: string;
}

/** One stage of the pipeline: the ground's stack in the stage's account and Region, and the smoke check's role in it. */
export class GroundStage extends Stage {
  public readonly spec: DeliveryStage;
  public readonly groundStack: GroundStack;
  public readonly smokeCheck: SmokeCheckAccess;

  constructor(scope: Construct, id: string, props: GroundStageProps) {
    super(scope, id, props);
    const { spec } = props;
    this.spec = spec;
    if (spec.availabilityZones) {
      // The VPC's Availability Zones, from the configuration rather than a lookup in the stage account
      // (the key is the one Stack.availabilityZones reads for an environment with account and Region).
      this.node.setContext(`availability-zones:account=${spec.account}:region=${spec.region}`, [...spec.availabilityZones]);
    }
    this.groundStack = props.groundStack(this, spec.ground, spec.config);
    retargetAcknowledgements(this.groundStack);
    this.smokeCheck = new SmokeCheckAccess(this.groundStack, 'SmokeCheckAccess', {
      ground: this.groundStack,
      pipelineAccount: props.pipelineAccount,
      pipelineStackName: props.pipelineStackName,
    });
  }
}
