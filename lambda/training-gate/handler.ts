import { DescribeEndpointCommand, DescribeEndpointConfigCommand, ListTagsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { readEnv } from '../shared/env';
import { trainingGateEnvSchema } from '../../contracts/env';
import { logger, tracer } from '../shared/observability';
import { isMissing } from '../shared/sagemaker';
import { type FinalMetric, gate, metricFromTags, type ServingPort } from './core';

const env = readEnv(trainingGateEnvSchema);

const client = tracer.captureAWSv3Client(new SageMakerClient({ maxAttempts: 5, retryMode: 'standard' }));

const serving: ServingPort = {
  async current() {
    const endpoint = await client.send(new DescribeEndpointCommand({ EndpointName: env.ENDPOINT_NAME })).catch((error: unknown) => {
      if (isMissing(error)) return undefined;
      throw error;
    });
    if (!endpoint?.EndpointConfigName) return { endpointExists: false };
    const config = await client.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName }));
    const tags = await client.send(new ListTagsCommand({ ResourceArn: config.EndpointConfigArn }));
    return { endpointExists: true, status: endpoint.EndpointStatus, metric: metricFromTags(tags.Tags) };
  },
};

/**
 * Invoked by the training pipeline with the whole output of the .sync training task (the training
 * job's description): FinalMetricDataList may be absent, which the gate reports as "no metric".
 */
export async function handler(event: { readonly FinalMetricDataList?: FinalMetric[]; readonly [field: string]: unknown } | null) {
  const metrics = event?.FinalMetricDataList;
  const decision = await gate(Array.isArray(metrics) ? metrics : undefined, { metricName: env.METRIC_NAME, threshold: env.THRESHOLD }, { serving });
  logger.info('quality gate', { ...decision });
  return decision;
}
