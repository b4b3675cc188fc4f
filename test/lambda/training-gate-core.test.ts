import { decide, FAILED, gate, METRIC_TAG, metricFromTags, NO_ENDPOINT, type ServingModel } from '../../lambda/training-gate/core';

/**
 * The training pipeline's quality gate, called directly with an in-memory serving port: every
 * decision is compared whole (promote, endpoint, tag value, reason). The handler test
 * (training-gate.test.ts) reads the serving model through the real SageMaker client against a fake.
 */

const SETTINGS = { metricName: 'validation:auc', threshold: 0.8 };
/** What a training job reports: the training metric first, so a gate reading the wrong one promotes. */
const metrics = (auc: number) => [
  { MetricName: 'train:auc', Value: 0.99 },
  { MetricName: 'validation:auc', Value: auc },
];
const NOTHING_SERVES: ServingModel = { endpointExists: false };

describe('decide', () => {
  test('the constants the state machine and the tags rely on', () => {
    expect([FAILED, NO_ENDPOINT, METRIC_TAG]).toEqual(['Failed', 'None', 'genai-blueprint:promoted-metric']);
  });

  test('no metric reported (no list, not in the list, no value, not finite): not promoted, the reason names the metric', () => {
    const expected = { promote: false, endpointExists: false, endpointStatus: 'None', metric: '', reason: 'the training job reported no validation:auc' };
    expect(decide(undefined, SETTINGS, NOTHING_SERVES)).toEqual(expected);
    expect(decide([{ MetricName: 'train:auc', Value: 0.99 }], SETTINGS, NOTHING_SERVES)).toEqual(expected);
    expect(decide([{ MetricName: 'validation:auc' }], SETTINGS, NOTHING_SERVES)).toEqual(expected);
    expect(decide(metrics(Number.NaN), SETTINGS, NOTHING_SERVES)).toEqual(expected);
    expect(decide(metrics(Number.POSITIVE_INFINITY), SETTINGS, NOTHING_SERVES)).toEqual(expected);
  });

  test('below the threshold: not promoted, whatever serves, the reason names the metric and the threshold', () => {
    const reason = 'validation:auc 0.799999 is below the threshold 0.8';
    expect(decide(metrics(0.799999), SETTINGS, NOTHING_SERVES)).toEqual({
      promote: false,
      endpointExists: false,
      endpointStatus: 'None',
      metric: '0.799999',
      reason,
    });
    expect(decide(metrics(0.799999), SETTINGS, { endpointExists: true, status: FAILED })).toEqual({
      promote: false,
      endpointExists: true,
      endpointStatus: 'Failed',
      metric: '0.799999',
      reason,
    });
  });

  test('exactly the threshold passes it', () => {
    expect(decide(metrics(0.8), SETTINGS, NOTHING_SERVES)).toEqual({
      promote: true,
      endpointExists: false,
      endpointStatus: 'None',
      metric: '0.800000',
      reason: 'validation:auc 0.800000 clears the threshold 0.8 and beats no model in service',
    });
  });

  test('the metric is compared as the tag records it, to 6 digits', () => {
    expect(decide(metrics(0.7999996), SETTINGS, NOTHING_SERVES)).toMatchObject({ promote: true, metric: '0.800000' });
    const serving = { endpointExists: true, status: 'InService', metric: 0.87 };
    expect(decide(metrics(0.8700004), SETTINGS, serving)).toMatchObject({ promote: false, metric: '0.870000' });
    expect(decide(metrics(0.870001), SETTINGS, serving)).toMatchObject({ promote: true, metric: '0.870001' });
  });

  test('worse than or equal to the model in service: not promoted, the reason gives both', () => {
    const serving = { endpointExists: true, status: 'InService', metric: 0.87 };
    expect(decide(metrics(0.85), SETTINGS, serving)).toEqual({
      promote: false,
      endpointExists: true,
      endpointStatus: 'InService',
      metric: '0.850000',
      reason: 'validation:auc 0.850000 does not beat the model in service (0.870000)',
    });
    expect(decide(metrics(0.87), SETTINGS, serving)).toEqual({
      promote: false,
      endpointExists: true,
      endpointStatus: 'InService',
      metric: '0.870000',
      reason: 'validation:auc 0.870000 does not beat the model in service (0.870000)',
    });
  });

  test('better than the model in service: promoted, the reason gives both', () => {
    expect(decide(metrics(0.88), SETTINGS, { endpointExists: true, status: 'Updating', metric: 0.87 })).toEqual({
      promote: true,
      endpointExists: true,
      endpointStatus: 'Updating',
      metric: '0.880000',
      reason: 'validation:auc 0.880000 clears the threshold 0.8 and beats the model in service (0.870000)',
    });
  });

  test('a serving model without a recorded metric is beaten by any model that passes', () => {
    expect(decide(metrics(0.81), SETTINGS, { endpointExists: true, status: 'InService' })).toEqual({
      promote: true,
      endpointExists: true,
      endpointStatus: 'InService',
      metric: '0.810000',
      reason: 'validation:auc 0.810000 clears the threshold 0.8 and beats a serving model without a recorded metric',
    });
  });

  test('a failed endpoint is no bar: a passing model replaces it, even one worse than its metric', () => {
    expect(decide(metrics(0.81), SETTINGS, { endpointExists: true, status: 'Failed', metric: 0.95 })).toEqual({
      promote: true,
      endpointExists: true,
      endpointStatus: 'Failed',
      metric: '0.810000',
      reason: 'validation:auc 0.810000 clears the threshold 0.8 and replaces the failed endpoint, which serves nothing',
    });
    expect(decide(metrics(0.81), SETTINGS, { endpointExists: true, status: 'Failed' })).toMatchObject({
      promote: true,
      reason: 'validation:auc 0.810000 clears the threshold 0.8 and replaces the failed endpoint, which serves nothing',
    });
  });

  test('another metric name and threshold are read and named as configured', () => {
    expect(decide([{ MetricName: 'validation:f1', Value: 0.5 }], { metricName: 'validation:f1', threshold: 0.6 }, NOTHING_SERVES)).toMatchObject({
      promote: false,
      reason: 'validation:f1 0.500000 is below the threshold 0.6',
    });
  });
});

describe('gate', () => {
  test('decides against what the serving port reports', async () => {
    let asked = 0;
    const serving = {
      current: async () => {
        asked += 1;
        return { endpointExists: true, status: 'InService', metric: 0.9 };
      },
    };
    expect(await gate(metrics(0.85), SETTINGS, { serving })).toEqual({
      promote: false,
      endpointExists: true,
      endpointStatus: 'InService',
      metric: '0.850000',
      reason: 'validation:auc 0.850000 does not beat the model in service (0.900000)',
    });
    expect(asked).toBe(1);
  });
});

describe('metricFromTags', () => {
  test('the value of the promoted-metric tag, as a number', () => {
    expect(
      metricFromTags([
        { Key: 'owner', Value: '0.1' },
        { Key: METRIC_TAG, Value: '0.870000' },
      ]),
    ).toBe(0.87);
    expect(metricFromTags([{ Key: METRIC_TAG, Value: ' 0.5 ' }])).toBe(0.5);
    expect(metricFromTags([{ Key: METRIC_TAG, Value: '0' }])).toBe(0);
  });

  test('no metric when there are no tags, no such tag, or its value is not a finite number', () => {
    expect(metricFromTags(undefined)).toBeUndefined();
    expect(metricFromTags([])).toBeUndefined();
    expect(metricFromTags([{ Key: 'owner', Value: '0.5' }])).toBeUndefined();
    expect(metricFromTags([{ Key: METRIC_TAG }])).toBeUndefined();
    expect(metricFromTags([{ Key: METRIC_TAG, Value: '' }])).toBeUndefined();
    expect(metricFromTags([{ Key: METRIC_TAG, Value: '   ' }])).toBeUndefined();
    expect(metricFromTags([{ Key: METRIC_TAG, Value: 'high' }])).toBeUndefined();
    expect(metricFromTags([{ Key: METRIC_TAG, Value: 'Infinity' }])).toBeUndefined();
  });
});
