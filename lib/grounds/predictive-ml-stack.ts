import { Duration, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import type { BlueprintConfig } from '../config/schema';
import { ModelApi } from '../constructs/api/model-api';
import { ModelGateway } from '../constructs/gateway/model-gateway';
import { PredictiveMl, type PredictiveMlProps } from '../constructs/predictive-ml/predictive-ml';

export interface PredictiveMlStackProps extends StackProps {
  readonly config: BlueprintConfig;
}

/**
 * The PredictiveMl block deployed alone (`-c ground=ml`), beside any ground: its own API behind
 * the same kind of gateway as ground 4 (tenants' API keys, usage plans, WAF), without Bedrock.
 * Its CloudFormation stack is `<stackName>-PredictiveMl`, so it never replaces a ground's stack.
 */
export class PredictiveMlStack extends Stack {
  public readonly api: ModelApi;
  public readonly gateway: ModelGateway;
  public readonly predictiveMl: PredictiveMl;

  constructor(scope: Construct, id: string, props: PredictiveMlStackProps) {
    const { config } = props;
    super(scope, id, {
      ...props,
      stackName: props.stackName ?? `${config.stackName}-PredictiveMl`,
      description: 'genai-blueprint PredictiveMl: a trained model with a quality-gated pipeline, served on POST /predict',
    });
    Tags.of(this).add('app', 'genai-blueprint');
    Tags.of(this).add('ground', 'ml');

    this.api = new ModelApi(this, 'Api', {
      stageName: config.api.stageName,
      throttleRateLimit: config.api.throttleRateLimit,
      throttleBurstLimit: config.api.throttleBurstLimit,
      logRetention: config.lambda.logRetentionDays,
    });
    this.gateway = new ModelGateway(this, 'Gateway', {
      api: this.api,
      tenants: config.tenants.map((t) => ({
        name: t.name,
        tier: t.tier,
        quota: { limit: t.quotaPerDay, period: 'DAY' as const },
        rateLimit: t.rateLimit,
        burstLimit: t.burstLimit,
      })),
      blockLargeBodies: config.gateway.blockLargeBodies,
      requestsPer5MinPerIp: config.gateway.requestsPer5MinPerIp,
      logRetention: config.lambda.logRetentionDays,
    });
    this.predictiveMl = new PredictiveMl(this, 'PredictiveMl', { api: this.api, gateway: this.gateway, ...predictiveMlSettings(config) });
  }
}

/** The PredictiveMl props that come from configuration (everything but the API and the gateway), for this stack and ground 7. */
export function predictiveMlSettings(config: BlueprintConfig): Omit<PredictiveMlProps, 'api' | 'gateway'> {
  const ml = config.predictiveMl;
  return {
    minValidationAuc: ml.minValidationAuc,
    inference: ml.inference,
    serverlessMemoryMb: ml.serverlessMemoryMb,
    serverlessMaxConcurrency: ml.serverlessMaxConcurrency,
    instanceType: ml.instanceType,
    instanceCount: ml.instanceCount,
    dataCapturePercent: ml.dataCapturePercent,
    trainingInstanceType: ml.trainingInstanceType,
    maxTrainingRuntime: Duration.minutes(ml.maxTrainingMinutes),
    schedule: ml.schedule ? events.Schedule.expression(ml.schedule) : undefined,
    retrainOnUpload: ml.retrainOnUpload,
    timeout: Duration.seconds(config.lambda.timeoutSeconds),
    // Below the function timeout, leaving time to answer 504 instead of being killed.
    attemptTimeout: Duration.seconds(Math.max(1, Math.min(12, config.lambda.timeoutSeconds - 2))),
    logRetention: config.lambda.logRetentionDays,
    reservedConcurrentExecutions: config.lambda.reservedConcurrency,
  };
}
