import {
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  paginateListEndpointConfigs,
  paginateListModels,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { logger, tracer } from '../shared/observability';
import { isMissing } from '../shared/sagemaker';
import { onEvent, type SageMakerPort, type TeardownEvent } from './core';

const client = tracer.captureAWSv3Client(new SageMakerClient({ maxAttempts: 8, retryMode: 'standard' }));

const tolerateMissing = (error: unknown) => {
  if (!isMissing(error)) throw error;
};

const sagemaker: SageMakerPort = {
  deleteEndpoint: (name) =>
    client.send(new DeleteEndpointCommand({ EndpointName: name })).then(
      () => true,
      (error: unknown) => {
        tolerateMissing(error);
        return false;
      },
    ),
  async listEndpointConfigs(text) {
    const names: string[] = [];
    for await (const page of paginateListEndpointConfigs({ client }, { NameContains: text }))
      names.push(...(page.EndpointConfigs ?? []).map((c) => c.EndpointConfigName ?? ''));
    return names;
  },
  async listModels(text) {
    const names: string[] = [];
    for await (const page of paginateListModels({ client }, { NameContains: text })) names.push(...(page.Models ?? []).map((m) => m.ModelName ?? ''));
    return names;
  },
  deleteEndpointConfig: (name) => client.send(new DeleteEndpointConfigCommand({ EndpointConfigName: name })).then(() => undefined, tolerateMissing),
  deleteModel: (name) => client.send(new DeleteModelCommand({ ModelName: name })).then(() => undefined, tolerateMissing),
};

/** onEvent handler of the custom resource provider (Create/Update/Delete of the teardown resource). */
export async function handler(event: TeardownEvent) {
  const result = await onEvent(event, sagemaker);
  logger.info('endpoint teardown', { requestType: event.RequestType, ...result });
  return result;
}
