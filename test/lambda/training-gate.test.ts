import { decide, METRIC_TAG, metricFromTags } from '../../lambda/training-gate/core';
import { SageMakerFake } from '../support/sagemaker-fake';

const SETTINGS = { metricName: 'validation:auc', threshold: 0.8 };
const metrics = (auc: number) => [
  { MetricName: 'train:auc', Value: 0.99 },
  { MetricName: 'validation:auc', Value: auc },
];

describe('the quality gate (pure core)', () => {
  test('below the threshold: not promoted, the reason names metric and threshold', () => {
    const d = decide(metrics(0.7912), SETTINGS, { endpointExists: false });
    expect(d).toEqual({
      promote: false,
      endpointExists: false,
      endpointStatus: 'None',
      metric: '0.791200',
      reason: 'validation:auc 0.791200 is below the threshold 0.8',
    });
  });

  test('worse than (or equal to) the model in service: not promoted', () => {
    expect(decide(metrics(0.85), SETTINGS, { endpointExists: true, metric: 0.87 })).toMatchObject({
      promote: false,
      endpointExists: true,
      reason: 'validation:auc 0.850000 does not beat the model in service (0.870000)',
    });
    expect(decide(metrics(0.87), SETTINGS, { endpointExists: true, metric: 0.87 }).promote).toBe(false);
  });

  test('better than the model in service and above the threshold: promoted onto the existing endpoint', () => {
    expect(decide(metrics(0.88), SETTINGS, { endpointExists: true, status: 'InService', metric: 0.87 })).toEqual({
      promote: true,
      endpointExists: true,
      endpointStatus: 'InService',
      metric: '0.880000',
      reason: 'validation:auc 0.880000 clears the threshold 0.8 and beats the model in service (0.870000)',
    });
  });

  test('no model in service: the threshold alone decides, and the endpoint is to be created', () => {
    expect(decide(metrics(0.8), SETTINGS, { endpointExists: false })).toMatchObject({
      promote: true,
      endpointExists: false,
      reason: expect.stringContaining('no model in service'),
    });
  });

  test('an endpoint whose config carries no metric is beaten by any model that passes the threshold', () => {
    expect(decide(metrics(0.81), SETTINGS, { endpointExists: true })).toMatchObject({ promote: true, endpointExists: true });
  });

  test('a Failed endpoint serves nothing: its metric is no bar, any model that clears the threshold replaces it', () => {
    const failed = { endpointExists: true, status: 'Failed', metric: 0.95 };
    expect(decide(metrics(0.81), SETTINGS, failed)).toEqual({
      promote: true,
      endpointExists: true,
      endpointStatus: 'Failed',
      metric: '0.810000',
      reason: 'validation:auc 0.810000 clears the threshold 0.8 and replaces the failed endpoint, which serves nothing',
    });
    expect(decide(metrics(0.79), SETTINGS, failed)).toMatchObject({
      promote: false,
      endpointStatus: 'Failed',
      reason: 'validation:auc 0.790000 is below the threshold 0.8',
    });
  });

  test.each([
    ['no metrics', undefined],
    ['no validation metric', [{ MetricName: 'train:auc', Value: 0.9 }]],
    ['a metric without a value', [{ MetricName: 'validation:auc' }]],
    ['a NaN metric', [{ MetricName: 'validation:auc', Value: Number.NaN }]],
  ])('%s: not promoted', (_label, list) => {
    expect(decide(list, SETTINGS, { endpointExists: false })).toMatchObject({
      promote: false,
      metric: '',
      reason: 'the training job reported no validation:auc',
    });
  });

  test('metricFromTags reads the promoted-metric tag and ignores anything that is not a number', () => {
    expect(
      metricFromTags([
        { Key: 'other', Value: '1' },
        { Key: METRIC_TAG, Value: '0.875000' },
      ]),
    ).toBe(0.875);
    expect(metricFromTags([{ Key: METRIC_TAG, Value: 'high' }])).toBeUndefined();
    expect(metricFromTags([{ Key: METRIC_TAG, Value: '' }])).toBeUndefined();
    expect(metricFromTags(undefined)).toBeUndefined();
  });
});

describe('the gate handler against a SageMaker fake (real client)', () => {
  let fake: SageMakerFake;
  let handler: typeof import('../../lambda/training-gate/handler').handler;
  beforeAll(async () => {
    fake = await SageMakerFake.start();
    fake.exportEndpoints();
    Object.assign(process.env, { ENDPOINT_NAME: 'churn', METRIC_NAME: 'validation:auc', THRESHOLD: '0.8' });
    ({ handler } = await import('../../lambda/training-gate/handler'));
  });
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  test('no endpoint yet: a passing model is promoted and the endpoint is to be created', async () => {
    expect(await handler({ FinalMetricDataList: metrics(0.86) })).toMatchObject({ promote: true, endpointExists: false });
    expect(fake.calls.map((c) => c.operation)).toEqual(['DescribeEndpoint']);
  });

  test('reads the metric of the model in service from its endpoint config tag', async () => {
    fake.endpoints.set('churn', { name: 'churn', configName: 'churn-run1', status: 'InService' });
    fake.endpointConfigs.set('churn-run1', { [METRIC_TAG]: '0.880000' });
    expect(await handler({ FinalMetricDataList: metrics(0.86) })).toMatchObject({
      promote: false,
      endpointExists: true,
      reason: expect.stringContaining('(0.880000)'),
    });
    expect(await handler({ FinalMetricDataList: metrics(0.9) })).toMatchObject({ promote: true, endpointExists: true });
    expect(fake.calls.map((c) => c.operation).slice(0, 3)).toEqual(['DescribeEndpoint', 'DescribeEndpointConfig', 'ListTags']);
  });

  test('a Failed endpoint: its status reaches the decision and its promoted metric no longer counts', async () => {
    fake.endpoints.set('churn', {
      name: 'churn',
      configName: 'churn-run1',
      status: 'Failed',
      failureReason: 'The primary container for production variant AllTraffic did not pass the ping health check.',
    });
    fake.endpointConfigs.set('churn-run1', { [METRIC_TAG]: '0.950000' });
    expect(await handler({ FinalMetricDataList: metrics(0.86) })).toMatchObject({
      promote: true,
      endpointExists: true,
      endpointStatus: 'Failed',
      reason: expect.stringContaining('replaces the failed endpoint'),
    });
  });

  test('the whole training job description arrives; without FinalMetricDataList the gate answers "no metric" (the pipeline notifies)', async () => {
    const description = {
      TrainingJobName: 'churn-run2',
      TrainingJobStatus: 'Completed',
      ModelArtifacts: { S3ModelArtifacts: 's3://bucket/models/churn-run2/output/model.tar.gz' },
    };
    expect(await handler(description)).toEqual({
      promote: false,
      endpointExists: false,
      endpointStatus: 'None',
      metric: '',
      reason: 'the training job reported no validation:auc',
    });
    expect(await handler({ ...description, FinalMetricDataList: metrics(0.9) })).toMatchObject({ promote: true, metric: '0.900000' });
    expect(await handler(null)).toMatchObject({ promote: false, reason: 'the training job reported no validation:auc' });
  });

  test('throttled SageMaker calls are retried; a persistent failure fails the task (the state machine retries and notifies)', async () => {
    const throttled = { kind: 'error' as const, status: 400, type: 'ThrottlingException', message: 'Rate exceeded' };
    fake.enqueue('DescribeEndpoint', throttled);
    expect(await handler({ FinalMetricDataList: metrics(0.86) })).toMatchObject({ promote: true });
    fake.enqueue('DescribeEndpoint', ...Array.from({ length: 5 }, () => ({ kind: 'error' as const, status: 500, type: 'InternalFailure' })));
    await expect(handler({ FinalMetricDataList: metrics(0.86) })).rejects.toMatchObject({ name: 'InternalFailure' });
  });
});
