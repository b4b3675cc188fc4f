import {
  BedrockClient,
  type LoggingConfig as BedrockLoggingConfig,
  DeleteModelInvocationLoggingConfigurationCommand,
  GetModelInvocationLoggingConfigurationCommand,
  PutModelInvocationLoggingConfigurationCommand,
} from '@aws-sdk/client-bedrock';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { logger, tracer } from '../shared/observability';
import { create, explain, type LoggingConfig, type LoggingConfigPort, LoggingSetupError, remove, update } from './core';

// Standard retries back off with full jitter; the endpoint override (AWS_ENDPOINT_URL_BEDROCK) is the SDK's own.
const bedrock = tracer.captureAWSv3Client(new BedrockClient({ maxAttempts: 5, retryMode: 'standard' }));

const call = async <T>(operation: string, send: () => Promise<T>): Promise<T> => {
  try {
    return await send();
  } catch (error) {
    logger.warn('Bedrock control-plane call failed', { operation, errorName: (error as Error)?.name });
    throw explain(operation, error);
  }
};

const port: LoggingConfigPort = {
  get: async () => (await call('read', () => bedrock.send(new GetModelInvocationLoggingConfigurationCommand({})))).loggingConfig as LoggingConfig | undefined,
  put: async (config) => {
    await call('set', () => bedrock.send(new PutModelInvocationLoggingConfigurationCommand({ loggingConfig: config as BedrockLoggingConfig })));
  },
  remove: async () => {
    await call('delete', () => bedrock.send(new DeleteModelInvocationLoggingConfigurationCommand({})));
  },
};

/** CloudFormation passes every property as a string: the construct sends the configuration as JSON. */
const properties = z.object({
  Configuration: z.string().check(z.minLength(2)),
  TakeOver: z.enum(['true', 'false']),
  TakeOverKey: z.string().check(z.minLength(1)),
});

function settingsOf(raw: unknown) {
  const parsed = properties.safeParse(raw);
  if (!parsed.success) throw new LoggingSetupError(`Custom resource properties are invalid: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  return { desired: configOf(parsed.data.Configuration), takeOver: parsed.data.TakeOver === 'true', takeOverKey: parsed.data.TakeOverKey };
}

const bucketAndPrefix = z.object({ bucketName: z.optional(z.string()), keyPrefix: z.optional(z.string()) });
/** The fields core.ts compares and keeps, checked; other fields pass through to Bedrock as the construct wrote them. */
const loggingConfigSchema: z.ZodMiniType<LoggingConfig> = z.looseObject({
  cloudWatchConfig: z.optional(
    z.looseObject({ logGroupName: z.optional(z.string()), roleArn: z.optional(z.string()), largeDataDeliveryS3Config: z.optional(bucketAndPrefix) }),
  ),
  s3Config: z.optional(bucketAndPrefix),
  textDataDeliveryEnabled: z.optional(z.boolean()),
  imageDataDeliveryEnabled: z.optional(z.boolean()),
  embeddingDataDeliveryEnabled: z.optional(z.boolean()),
  videoDataDeliveryEnabled: z.optional(z.boolean()),
  audioDataDeliveryEnabled: z.optional(z.boolean()),
});

function configOf(json: string): LoggingConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new LoggingSetupError('Custom resource property Configuration is not JSON');
  }
  const result = loggingConfigSchema.safeParse(parsed);
  if (!result.success) {
    throw new LoggingSetupError(
      `Custom resource property Configuration is invalid: ${result.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')}`,
    );
  }
  return result.data;
}

const note = (message: string, details?: Record<string, unknown>) => logger.info(message, details ?? {});

/** The onEvent handler of the custom resource provider framework. */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<{ PhysicalResourceId: string }> {
  logger.info('invocation logging event', { requestType: event.RequestType, logicalResourceId: event.LogicalResourceId });
  switch (event.RequestType) {
    case 'Create':
      return { PhysicalResourceId: await create(settingsOf(event.ResourceProperties), port, note) };
    case 'Update':
      return {
        PhysicalResourceId: await update(
          settingsOf(event.ResourceProperties),
          settingsOf(event.OldResourceProperties).desired,
          event.PhysicalResourceId,
          port,
          note,
        ),
      };
    case 'Delete':
      await remove(settingsOf(event.ResourceProperties).desired, event.PhysicalResourceId, port, note);
      return { PhysicalResourceId: event.PhysicalResourceId };
  }
}
