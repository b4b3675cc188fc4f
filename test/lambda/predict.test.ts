import { CHURN_DATASET } from '../../contracts/dataset';
import { csvRow, NO_MODEL_MESSAGE, parseProbability } from '../../lambda/predict/core';
import { apiEvent, lambdaContext, LEAK_PATTERNS, parseResult } from '../support/api-event';
import { PREDICT_ENDPOINT, type PredictHandler, SageMakerFake, startPredictHandler, throttle } from '../support/sagemaker-fake';

let fake: SageMakerFake;
let handler: PredictHandler;
beforeAll(async () => {
  ({ fake, handler } = await startPredictHandler());
});
afterAll(() => fake.stop());
beforeEach(() => {
  fake.reset();
  fake.endpoints.set(PREDICT_ENDPOINT, { name: PREDICT_ENDPOINT, configName: `${PREDICT_ENDPOINT}-run1`, status: 'InService' });
});

const LOYAL = {
  tenure_months: 60,
  monthly_charges: 25.5,
  support_calls: 0,
  contract_months: 24,
  fiber: false,
  late_payments: 0,
  data_usage_gb: 120.5,
  age: 45,
};
const AT_RISK = { tenure_months: 2, monthly_charges: 110, support_calls: 6, contract_months: 1, fiber: true, late_payments: 4, data_usage_gb: 20, age: 30 };

const predict = async (features: unknown) => parseResult(await handler(apiEvent('predict', { features }), lambdaContext()));

describe('POST /predict', () => {
  test('sends the features as one CSV row in dataset order to the configured endpoint, and answers probability and label', async () => {
    const res = await predict(AT_RISK);
    expect(res.statusCode).toBe(200);
    expect(res.json).toMatchObject({ label: 'churn', latencyMs: expect.any(Number), requestId: expect.any(String) });
    expect(res.json.probability as number).toBeGreaterThan(0.9);
    const [call] = fake.calls;
    expect(call).toMatchObject({ operation: 'InvokeEndpoint', endpointName: PREDICT_ENDPOINT, body: '2,110,6,1,1,4,20,30' });
    expect(call.headers['content-type']).toBe('text/csv');
    expect(call.headers.accept).toBe('text/csv');
  });

  test('a loyal customer is predicted to stay, with a low probability', async () => {
    const res = await predict(LOYAL);
    expect(res.statusCode).toBe(200);
    expect(res.json.label).toBe('stay');
    expect(res.json.probability as number).toBeLessThan(0.1);
  });

  test('no endpoint yet: 503 saying no model has been deployed, not a 500', async () => {
    fake.endpoints.clear();
    const res = await predict(LOYAL);
    expect(res.statusCode).toBe(503);
    expect(res.json.error).toBe(NO_MODEL_MESSAGE);
    expect(res.headers['Retry-After']).toBe('300');
    expect(fake.count('InvokeEndpoint')).toBe(1); // a client error: not retried
  });

  test('throttling is retried with backoff, and succeeds when the endpoint recovers', async () => {
    fake.enqueue('InvokeEndpoint', throttle(), throttle());
    const res = await predict(LOYAL);
    expect(res.statusCode).toBe(200);
    expect(fake.count('InvokeEndpoint')).toBe(3);
  });

  test('throttling on every attempt: 429 with Retry-After, no AWS error text', async () => {
    fake.enqueue('InvokeEndpoint', throttle(), throttle(), throttle());
    const res = await predict(LOYAL);
    expect(res.statusCode).toBe(429);
    expect(res.headers['Retry-After']).toBeDefined();
    expect(fake.count('InvokeEndpoint')).toBe(3);
    for (const pattern of LEAK_PATTERNS) expect(JSON.stringify(res.json)).not.toMatch(pattern);
  });

  test.each([
    ['a container error', 502, { kind: 'error' as const, status: 424, type: 'ModelError', message: 'fake: xgboost stack trace at /opt/ml' }],
    ['a malformed answer', 502, { kind: 'answer' as const, body: 'not a number' }],
    ['a probability out of range', 502, { kind: 'answer' as const, body: '1.7\n' }],
    ['another validation error', 502, { kind: 'error' as const, status: 400, type: 'ValidationError', message: 'fake: input too large' }],
  ])('%s: %d with a message of our own', async (_label, status, behaviour) => {
    fake.enqueue('InvokeEndpoint', behaviour);
    const res = await predict(LOYAL);
    expect(res.statusCode).toBe(status);
    expect(res.json.error).toMatch(/^The model/);
    for (const pattern of LEAK_PATTERNS) expect(JSON.stringify(res.json)).not.toMatch(pattern);
    expect(JSON.stringify(res.json)).not.toMatch(/fake/);
  });
});

describe('core', () => {
  test('csvRow follows the dataset order and writes booleans as 0/1', () => {
    expect(csvRow(CHURN_DATASET, LOYAL)).toBe('60,25.5,0,24,0,0,120.5,45');
  });

  test('parseProbability reads the first value of the XGBoost answer', () => {
    expect(parseProbability('0.25\n')).toBe(0.25);
    expect(parseProbability('1e-3,0.4\n')).toBe(0.001);
    expect(() => parseProbability('')).toThrow(/malformed/);
    expect(() => parseProbability('-0.1')).toThrow(/malformed/);
  });
});
