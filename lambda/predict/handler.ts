import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { jsonRoute } from '../shared/api';
import { readEnv } from '../shared/env';
import { predictEnvSchema } from '../../contracts/env';
import { logger, metrics, tracer } from '../shared/observability';
import { parseRequest } from '../shared/validation';
import { type EndpointPort, predict, predictRequestSchema } from './core';

const env = readEnv(predictEnvSchema);

const dataset = env.DATASET;
const requestSchema = predictRequestSchema(dataset);
const client = tracer.captureAWSv3Client(
  new SageMakerRuntimeClient({
    maxAttempts: env.SAGEMAKER_MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: Math.min(3_000, env.SAGEMAKER_ATTEMPT_TIMEOUT_MS),
      requestTimeout: env.SAGEMAKER_ATTEMPT_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    }),
  }),
);

const endpoint: EndpointPort = {
  async invoke(csvRow, signal) {
    const out = await client.send(new InvokeEndpointCommand({ EndpointName: env.ENDPOINT_NAME, ContentType: 'text/csv', Accept: 'text/csv', Body: csvRow }), {
      abortSignal: signal,
    });
    return new TextDecoder().decode(out.Body);
  },
};

/** `POST /predict`: validated features → the SageMaker endpoint → probability and label. */
export const handler = jsonRoute(async ({ body, signal }) => {
  const { features } = parseRequest(requestSchema, body);
  const prediction = await predict(features as Record<string, number | boolean>, dataset, { endpoint }, signal);
  metrics.addMetric('EndpointLatency', MetricUnit.Milliseconds, prediction.latencyMs);
  logger.info('predicted', { label: prediction.label, latencyMs: prediction.latencyMs });
  return { body: { ...prediction } };
});
