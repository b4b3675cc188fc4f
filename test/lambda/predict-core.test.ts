import type { DatasetSpec } from '../../contracts/dataset';
import { HttpError } from '../../lambda/shared/http';
import { parseRequest } from '../../lambda/shared/validation';
import { csvRow, endpointError, type EndpointPort, NO_MODEL_MESSAGE, parseProbability, predict, predictRequestSchema } from '../../lambda/predict/core';
import { refusal as refusalOf } from '../support/refusal';

/**
 * The /predict function's core with an in-memory endpoint: the request a dataset spec accepts
 * (read through the handler's parseRequest), the CSV row the model gets, how its answer is read,
 * and what each SageMaker error becomes. The handler tests (predict.test.ts,
 * predict-bad-input.test.ts) run it through the real SageMaker client against a local fake.
 */

/** One feature of each type, in an order that is not alphabetical. */
const SPEC: DatasetSpec = {
  name: 'loans',
  positiveLabel: 'default',
  negativeLabel: 'repay',
  features: [
    { name: 'years', type: 'integer', min: 1, max: 30, description: '' },
    { name: 'rate', type: 'number', min: -0.5, max: 9.5, description: '' },
    { name: 'secured', type: 'boolean', description: '' },
    { name: 'term', type: 'choice', values: [12, 36], description: '' },
  ],
};
const VALID = { years: 5, rate: 3.25, secured: true, term: 36 };

const schema = predictRequestSchema(SPEC);

const refusal = (features: unknown): string => refusalOf(schema, { features });

/** An HttpError's status, message and headers, or the value itself when it is not one. */
const answer = (error: unknown) => (error instanceof HttpError ? { status: error.statusCode, message: error.message, headers: error.headers } : error);
const sdkError = (name: string, message = 'x') => Object.assign(new Error(message), { name });

describe('predictRequestSchema', () => {
  test('accepts every feature at its bounds', () => {
    expect(parseRequest(schema, { features: VALID })).toEqual({ features: VALID });
    const low = { years: 1, rate: -0.5, secured: false, term: 12 };
    const high = { years: 30, rate: 9.5, secured: true, term: 36 };
    expect(parseRequest(schema, { features: low })).toEqual({ features: low });
    expect(parseRequest(schema, { features: high })).toEqual({ features: high });
  });

  test('fails when an integer feature is out of range or not an integer, naming it', () => {
    expect(refusal({ ...VALID, years: 0 })).toBe('features.years must be at least 1');
    expect(refusal({ ...VALID, years: 31 })).toBe('features.years must be at most 30');
    expect(refusal({ ...VALID, years: 2.5 })).toBe('features.years must be an integer');
    expect(refusal({ ...VALID, years: '5' })).toBe('features.years must be an integer');
  });

  test('fails when a number feature is out of range or not a number', () => {
    expect(refusal({ ...VALID, rate: -0.51 })).toBe('features.rate must be at least -0.5');
    expect(refusal({ ...VALID, rate: 9.51 })).toBe('features.rate must be at most 9.5');
    expect(refusal({ ...VALID, rate: '3' })).toBe('features.rate must be a number');
  });

  test('fails when a boolean feature is not a boolean', () => {
    expect(refusal({ ...VALID, secured: 1 })).toBe('features.secured must be a boolean');
  });

  test('fails when a choice feature is not one of its values', () => {
    expect(refusal({ ...VALID, term: 24 })).toBe('features.term must be one of 12, 36');
    expect(refusal({ ...VALID, term: '12' })).toBe('features.term must be one of 12, 36');
  });

  test('fails when a feature of any type is missing, saying it is required', () => {
    for (const name of Object.keys(VALID)) {
      const features: Record<string, unknown> = { ...VALID };
      delete features[name];
      expect(refusal(features)).toBe(`features.${name} is required`);
    }
  });

  test('fails when a feature or a field is unknown', () => {
    expect(refusal({ ...VALID, income: 3 })).toBe('features has unknown field: "income"');
    expect(() => parseRequest(schema, { features: VALID, model: 'x' })).toThrow('unknown field: "model"');
    expect(() => parseRequest(schema, {})).toThrow('features is required');
  });
});

describe('csvRow', () => {
  test('the features in dataset order, booleans as 1 and 0, numbers as written', () => {
    expect(csvRow(SPEC, { term: 36, secured: true, rate: 3.25, years: 5 })).toBe('5,3.25,1,36');
    expect(csvRow(SPEC, { years: 30, rate: -0.5, secured: false, term: 12 })).toBe('30,-0.5,0,12');
  });
});

describe('parseProbability', () => {
  test.each([
    ['0.7', 0.7],
    ['0', 0],
    ['1', 1],
    ['1.0', 1],
    ['0.', 0],
    ['.25', 0.25],
    ['+0.5', 0.5],
    ['-0.0', -0],
    ['2.5e-1', 0.25],
    ['10E-1', 1],
    ['1e-10', 1e-10],
    ['1e+0', 1],
    ['0.01e2', 1],
    ['12.5e-2', 0.125],
    ['0.125\n', 0.125],
    ['\n 0.4 \n', 0.4],
    ['0.3\n0.9', 0.3],
    [' 0.3 ,0.9', 0.3],
  ])('reads %j as %p', (body, expected) => {
    expect(parseProbability(body)).toBe(expected);
  });

  test.each(['', ' ', 'abc', '0.5abc', 'abc0.5', 'NaN', 'Infinity', '0x1', '1.5', '1.0001', '-0.1', '5.', '1e1', '[0.5]', '0.5 0.6', '.', 'e1'])(
    'fails when the answer is %j: 502 malformed answer',
    (body) => {
      let caught: unknown;
      try {
        parseProbability(body);
      } catch (error) {
        caught = error;
      }
      expect(answer(caught)).toEqual({ status: 502, message: 'The model returned a malformed answer', headers: {} });
    },
  );
});

describe('predict', () => {
  const endpoint = (reply: () => Promise<string>) => {
    const calls: { csvRow: string; signal: AbortSignal }[] = [];
    const port: EndpointPort = { invoke: (row, signal) => (calls.push({ csvRow: row, signal }), reply()) };
    return { calls, port };
  };

  afterEach(() => jest.restoreAllMocks());

  test('sends one CSV row with the caller signal, answers the probability, the label and the latency around the call', async () => {
    const clock = jest.spyOn(performance, 'now').mockReturnValueOnce(1000).mockReturnValueOnce(1012.6);
    const { calls, port } = endpoint(async () => '0.93\n');
    const signal = new AbortController().signal;
    expect(await predict(VALID, SPEC, { endpoint: port }, signal)).toEqual({ probability: 0.93, label: 'default', latencyMs: 13 });
    expect(calls).toEqual([{ csvRow: '5,3.25,1,36', signal }]);
    expect(clock).toHaveBeenCalledTimes(2);
  });

  test('the positive label from 0.5 up, the negative one below', async () => {
    const signal = new AbortController().signal;
    expect((await predict(VALID, SPEC, { endpoint: endpoint(async () => '0.5').port }, signal)).label).toBe('default');
    expect((await predict(VALID, SPEC, { endpoint: endpoint(async () => '0.49999').port }, signal)).label).toBe('repay');
    expect((await predict(VALID, SPEC, { endpoint: endpoint(async () => '0').port }, signal)).label).toBe('repay');
  });

  test('a malformed answer is a 502', async () => {
    await expect(predict(VALID, SPEC, { endpoint: endpoint(async () => 'oops').port }, new AbortController().signal)).rejects.toThrow(
      'The model returned a malformed answer',
    );
  });

  test("the endpoint's errors are mapped: a missing endpoint is 503 with what to do", async () => {
    const missing = endpoint(() => Promise.reject(sdkError('ValidationError', 'Endpoint loans of account 123456789012 not found.')));
    const caught: unknown = await predict(VALID, SPEC, { endpoint: missing.port }, new AbortController().signal).catch((error: unknown) => error);
    expect(answer(caught)).toEqual({ status: 503, message: NO_MODEL_MESSAGE, headers: { 'Retry-After': '300' } });
  });
});

describe('endpointError', () => {
  test('a missing endpoint (ValidationError "Endpoint <name> of account <id> not found.") is 503 and says to run the pipeline', () => {
    expect(NO_MODEL_MESSAGE).toBe('No model has been deployed yet; run the training pipeline (see README)');
    const expected = { status: 503, message: NO_MODEL_MESSAGE, headers: { 'Retry-After': '300' } };
    expect(answer(endpointError(sdkError('ValidationError', 'Endpoint churn-predict of account 123456789012 not found.')))).toEqual(expected);
    expect(answer(endpointError(sdkError('ValidationError', 'endpoint x NOT FOUND')))).toEqual(expected);
  });

  test('any other ValidationError is 502: the endpoint refused the row', () => {
    const expected = { status: 502, message: 'The model endpoint rejected the request', headers: {} };
    expect(answer(endpointError(sdkError('ValidationError', 'Input has 3 columns, expected 8')))).toEqual(expected);
    expect(answer(endpointError(sdkError('ValidationError', 'Endpoint not found')))).toEqual(expected);
    expect(answer(endpointError({ name: 'ValidationError' }))).toEqual(expected);
  });

  test('a model failure is 502: the model failed to answer', () => {
    const expected = { status: 502, message: 'The model failed to answer', headers: {} };
    expect(answer(endpointError(sdkError('ModelError', 'Received server error (500) from primary')))).toEqual(expected);
    expect(answer(endpointError(sdkError('InternalDependencyException')))).toEqual(expected);
  });

  test('other errors, and values that are not errors, go on unchanged to the shared mapper', () => {
    const throttled = sdkError('ThrottlingException', 'Rate exceeded');
    expect(endpointError(throttled)).toBe(throttled);
    expect(endpointError(sdkError('ModelNotReadyException'))).toMatchObject({ name: 'ModelNotReadyException' });
    expect(endpointError(null)).toBeNull();
    expect(endpointError(undefined)).toBeUndefined();
    expect(endpointError('boom')).toBe('boom');
  });
});
