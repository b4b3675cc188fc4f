import { Duration, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { MODEL_CATALOG } from '../config/models';
import type { BlueprintConfig } from '../config/schema';
import { ModelApi } from '../constructs/api/model-api';
import { ModelCall } from '../constructs/model-call/model-call';
import { BedrockModel } from '../constructs/shared/bedrock-model';

/** The grounds that exist, lowest first. A ground holds its own block and every block below it. */
export const GROUNDS = [{ ground: 0, stackId: 'Ground0-ModelCall', block: 'a model call' }] as const;

export type GroundNumber = (typeof GROUNDS)[number]['ground'];

export interface GroundStackProps extends StackProps {
  readonly ground: GroundNumber;
  readonly config: BlueprintConfig;
}

/**
 * One ground: wiring only. Blocks keep their construct ids whatever the ground, so deploying
 * ground N+1 over ground N (same stack name) is an in-place update that keeps stored data.
 */
export class GroundStack extends Stack {
  public readonly api: ModelApi;
  public readonly modelCall: ModelCall;

  constructor(scope: Construct, id: string, props: GroundStackProps) {
    const { config, ground } = props;
    super(scope, id, {
      ...props,
      stackName: props.stackName ?? config.stackName,
      description: `genai-blueprint ground ${ground}: ${GROUNDS[ground].block}`,
    });
    Tags.of(this).add('app', 'genai-blueprint');
    Tags.of(this).add('ground', String(ground));

    const lambdaDefaults = {
      memorySize: config.lambda.memoryMb,
      timeout: Duration.seconds(config.lambda.timeoutSeconds),
      logRetention: config.lambda.logRetentionDays,
      reservedConcurrentExecutions: config.lambda.reservedConcurrency,
    };

    // Ground 0: a model call.
    this.api = new ModelApi(this, 'Api', {
      stageName: config.api.stageName,
      throttleRateLimit: config.api.throttleRateLimit,
      throttleBurstLimit: config.api.throttleBurstLimit,
      logRetention: config.lambda.logRetentionDays,
    });
    this.modelCall = new ModelCall(this, 'ModelCall', {
      api: this.api,
      model: new BedrockModel(MODEL_CATALOG[config.model.alias as keyof typeof MODEL_CATALOG], config.model.inference),
      maxTokens: config.model.maxTokens,
      temperature: config.model.temperature,
      maxQueryChars: config.api.maxQueryChars,
      maxAttempts: config.model.maxAttempts,
      attemptTimeout: Duration.seconds(config.model.attemptTimeoutSeconds),
      ...lambdaDefaults,
    });
  }
}
