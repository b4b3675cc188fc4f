import * as fc from 'fast-check';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { CHURN_DATASET, type FeatureSpec } from '../../contracts/dataset';
import { apiEvent, isJson, lambdaContext, LEAK_PATTERNS, parseResult } from '../support/api-event';
import { PREDICT_ENDPOINT, type PredictHandler, SageMakerFake, startPredictHandler } from '../support/sagemaker-fake';

/**
 * Thousands of malformed and hostile /predict requests: each gets a 4xx JSON error that names the
 * feature (or the problem); none a 5xx, a stack trace or AWS error text, and none reaches the endpoint.
 */

let fake: SageMakerFake;
let handler: PredictHandler;
beforeAll(async () => {
  ({ fake, handler } = await startPredictHandler());
  fake.endpoints.set(PREDICT_ENDPOINT, { name: PREDICT_ENDPOINT, configName: 'c', status: 'InService' });
});
afterAll(() => fake.stop());

const FEATURES = CHURN_DATASET.features;
const NAMES = FEATURES.map((f) => f.name);

/** A valid value of each feature. */
const validValue = (f: FeatureSpec): fc.Arbitrary<number | boolean> => {
  switch (f.type) {
    case 'integer':
      return fc.integer({ min: f.min, max: f.max });
    case 'number':
      return fc.double({ min: f.min, max: f.max, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'choice':
      return fc.constantFrom(...f.values);
  }
};
const validFeatures = fc.record(Object.fromEntries(FEATURES.map((f) => [f.name, validValue(f)])) as Record<string, fc.Arbitrary<number | boolean>>);

const jsonValue = fc.jsonValue({ maxDepth: 2 });
/** A value of the wrong type or out of range for `f`, and what the error must say. */
const badValue = (f: FeatureSpec): fc.Arbitrary<{ value: unknown; says: RegExp }> => {
  const notNumber = fc.oneof(
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.integer(), { maxLength: 2 }),
    fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }),
  );
  switch (f.type) {
    case 'integer':
      return fc.oneof(
        notNumber.map((value) => ({ value, says: /must be an integer/ })),
        fc.double({ min: f.min, max: f.max, noInteger: true, noNaN: true }).map((value) => ({ value, says: /must be an integer/ })),
        fc.integer({ max: f.min - 1 }).map((value) => ({ value, says: new RegExp(`must be at least ${f.min}`) })),
        fc.integer({ min: f.max + 1 }).map((value) => ({ value, says: new RegExp(`must be at most ${f.max}`) })),
      );
    case 'number':
      return fc.oneof(
        notNumber.map((value) => ({ value, says: /must be a number/ })),
        fc
          .double({ max: f.min, maxExcluded: true, noNaN: true, noDefaultInfinity: true })
          .filter((v) => v < f.min)
          .map((value) => ({ value, says: new RegExp(`must be at least ${f.min}`) })),
        fc
          .double({ min: f.max, minExcluded: true, noNaN: true, noDefaultInfinity: true })
          .filter((v) => v > f.max)
          .map((value) => ({ value, says: new RegExp(`must be at most ${f.max}`) })),
      );
    case 'boolean':
      return fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.constantFrom('true', 0, 1)).map((value) => ({ value, says: /must be a boolean/ }));
    case 'choice':
      return fc
        .oneof(
          fc.integer().filter((v) => !f.values.includes(v)),
          fc.string(),
          fc.constant(null),
        )
        .map((value) => ({ value, says: /must be one of 1, 12, 24/ }));
  }
};

interface BadCase {
  readonly label: string;
  readonly event: APIGatewayProxyEvent;
  readonly names: RegExp;
  readonly status?: number;
}
const bodyOf = (body: unknown, headers?: Record<string, string>) => apiEvent('predict', body, headers ? { headers } : {});
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const badCases: fc.Arbitrary<BadCase> = fc.oneof(
  // A feature of the wrong type or out of range (-0 is 0 in JSON, hence the filters): the error names the feature.
  fc.tuple(validFeatures, fc.constantFrom(...FEATURES)).chain(([features, f]) =>
    badValue(f).map(({ value, says }): BadCase => ({
      label: `bad ${f.name}`,
      event: bodyOf({ features: { ...features, [f.name]: value } }),
      names: new RegExp(`features\\.${f.name} ${says.source}`),
    })),
  ),
  // A missing feature.
  fc.tuple(validFeatures, fc.constantFrom(...NAMES)).map(([features, name]): BadCase => {
    const { [name]: _dropped, ...rest } = features;
    return { label: 'missing feature', event: bodyOf({ features: rest }), names: new RegExp(`features\\.${name} is required`) };
  }),
  // An unknown feature, prototype-pollution keys included: named (quoted) in the error.
  fc
    .tuple(
      validFeatures,
      fc
        .oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.constantFrom('__proto__', 'constructor', 'prototype', 'Tenure_Months', 'label'))
        .filter((k) => !NAMES.includes(k)),
      jsonValue,
    )
    .map(([features, key, value]): BadCase => ({
      label: 'unknown feature',
      event: bodyOf(
        `{"features":{${Object.entries(features)
          .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
          .join(',')},${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}}}`,
      ),
      names: new RegExp(`unknown field: ${escape(JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key))}`),
    })),
  // No features object, or not an object.
  fc.oneof(fc.constant(undefined), fc.integer(), fc.string(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 })).map((features): BadCase => ({
    label: 'features type',
    event: bodyOf(features === undefined ? {} : { features }),
    names: features === undefined ? /features is required/ : /features must be an object/,
  })),
  // Fields beside `features`.
  fc.tuple(validFeatures, fc.constantFrom('endpoint', 'EndpointName', 'model', '__proto__', 'threshold')).map(([features, key]): BadCase => ({
    label: 'unknown field',
    event: bodyOf(`{"features":${JSON.stringify(features)},${JSON.stringify(key)}:"x"}`),
    names: /unknown field/,
  })),
  // Bytes that are not a JSON object.
  fc
    .string({ unit: 'binary', maxLength: 200 })
    .filter((s) => s.length > 0 && !isJson(s))
    .map((s): BadCase => ({ label: 'not JSON', event: bodyOf(s), names: /^Invalid JSON body$/ })),
  fc.constantFrom('text/plain', 'application/xml', 'text/csv').map((type): BadCase => ({
    label: 'content type',
    event: bodyOf({ features: {} }, { 'content-type': type }),
    names: /Content-Type must be application\/json/,
    status: 415,
  })),
);

test('5,000 malformed and hostile requests each get a 4xx JSON error naming the feature or the problem', async () => {
  const seen = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(badCases, async (bad) => {
      const res = parseResult(await handler(bad.event, lambdaContext()));
      seen.set(bad.label, (seen.get(bad.label) ?? 0) + 1);
      expect(res.statusCode).toBe(bad.status ?? 400);
      expect(res.headers['Content-Type']).toBe('application/json');
      expect(res.json.error).toMatch(bad.names);
      const text = JSON.stringify(res.json);
      for (const pattern of LEAK_PATTERNS) expect(text).not.toMatch(pattern);
    }),
    { numRuns: 5_000 },
  );
  expect(fake.count('InvokeEndpoint')).toBe(0);
  expect(seen.size).toBeGreaterThanOrEqual(7);
});

test('valid features of every kind reach the endpoint and get a probability', async () => {
  await fc.assert(
    fc.asyncProperty(validFeatures, async (features) => {
      const res = parseResult(await handler(bodyOf({ features }), lambdaContext()));
      expect(res.statusCode).toBe(200);
      expect(res.json.probability).toBeGreaterThanOrEqual(0);
      expect(res.json.probability).toBeLessThanOrEqual(1);
    }),
    { numRuns: 200 },
  );
});
