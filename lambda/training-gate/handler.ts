import { DescribeEndpointCommand, DescribeEndpointConfigCommand, ListTagsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import * as z from 'zod/mini';
import { numberFromEnv, readEnv } from '../shared/env';
import { logger, tracer } from '../shared/observability';
import { type FinalMetric, gate, metricFromTags, type ServingPort } from './core';

const env = readEnv(
  z.object({
    ENDPOINT_NAME: z.string().check(z.minLength(1)),
    METRIC_NAME: z.string().check(z.minLength(1)),
    THRESHOLD: numberFromEnv(),
  }),
);

const client = tracer.captureAWSv3Client(new SageMakerClient({ maxAttempts: 5, retryMode: 'standard' }));

/** SageMaker answers a missing endpoint with a ValidationException "Could not find endpoint ...". */
const isMissing = (error: unknown) => (error as { name?: string }).name === 'ValidationException' && /could not find/i.test(String((error as Error).message));

const serving: ServingPort = {
  async current() {
    const endpoint = await client.send(new DescribeEndpointCommand({ EndpointName: env.ENDPOINT_NAME })).catch((error: unknown) => {
      if (isMissing(error)) return undefined;
      throw error;
    });
    if (!endpoint?.EndpointConfigName) return { endpointExists: false };
    const config = await client.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName }));
    const tags = await client.send(new ListTagsCommand({ ResourceArn: config.EndpointConfigArn }));
    return { endpointExists: true, metric: metricFromTags(tags.Tags) };
  },
};

/** Invoked by the training pipeline with the training job's FinalMetricDataList. */
export async function handler(event: { metrics?: FinalMetric[] }) {
  const decision = await gate(Array.isArray(event?.metrics) ? event.metrics : undefined, { metricName: env.METRIC_NAME, threshold: env.THRESHOLD }, { serving });
  logger.info('quality gate', { ...decision });
  return decision;
}
