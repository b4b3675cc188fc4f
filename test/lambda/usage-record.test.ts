import * as z from 'zod/mini';
import { NO_TENANT, USAGE_DIMENSION_SETS } from '../../contracts/usage';
import type * as UsageModule from '../../lambda/shared/usage';
import { jsonObject, parseJson } from '../support/json';

/**
 * recordUsage on its own (lambda/shared/usage.ts): the EMF lines one usage record publishes, read
 * from the console whole. test/lambda/usage.test.ts checks the same record through each handler and
 * against the alarms; this file is the module's direct test (docs/mutation.md).
 */

const NAMESPACE = 'GenAiBlueprintUsageTest';
const saved = { ...process.env };
let usage: typeof UsageModule;
let lines: string[] = [];

beforeAll(() => {
  // Powertools reads these when the module creates its Metrics instance: on, through the global console.
  Object.assign(process.env, { POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_DEV: 'true', POWERTOOLS_METRICS_NAMESPACE: NAMESPACE });
  jest.isolateModules(() => {
    usage = require('../../lambda/shared/usage') as typeof UsageModule;
  });
});
afterAll(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});
beforeEach(() => {
  lines = [];
  jest.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
});
afterEach(() => jest.restoreAllMocks());

const Emf = z.looseObject({
  _aws: z.object({
    Timestamp: z.number(),
    CloudWatchMetrics: z.array(z.object({ Namespace: z.string(), Dimensions: z.array(z.array(z.string())), Metrics: z.array(z.unknown()) })),
  }),
});

/** Each EMF line without its timestamp. */
const published = () =>
  lines.map((line) => {
    const emf = parseJson(Emf, line);
    expect(emf._aws.Timestamp).toBeGreaterThan(0);
    const values = parseJson(jsonObject, line);
    delete values._aws;
    return { metrics: emf._aws.CloudWatchMetrics, ...values };
  });

const METRICS = [
  { Name: 'CostUsd', Unit: 'None' },
  { Name: 'InputTokens', Unit: 'Count' },
  { Name: 'OutputTokens', Unit: 'Count' },
];

describe('recordUsage', () => {
  test('one EMF line per dimension set, each with the three metrics, their units and values, and no service dimension (POWERTOOLS_SERVICE_NAME is set)', () => {
    usage.recordUsage({ model: 'nova-lite', tenant: 'acme', usage: { inputTokens: 120, outputTokens: 30, totalTokens: 150 }, costUsd: 0.0000144 });
    expect(USAGE_DIMENSION_SETS).toEqual([['Model', 'Tenant'], ['Model']]);
    expect(published()).toEqual([
      {
        metrics: [{ Namespace: NAMESPACE, Dimensions: [['Model', 'Tenant']], Metrics: METRICS }],
        Model: 'nova-lite',
        Tenant: 'acme',
        CostUsd: 0.0000144,
        InputTokens: 120,
        OutputTokens: 30,
      },
      {
        metrics: [{ Namespace: NAMESPACE, Dimensions: [['Model']], Metrics: METRICS }],
        Model: 'nova-lite',
        CostUsd: 0.0000144,
        InputTokens: 120,
        OutputTokens: 30,
      },
    ]);
  });

  test(`a record without a tenant is published under Tenant "${NO_TENANT}"`, () => {
    usage.recordUsage({ model: 'claude-haiku', usage: { inputTokens: 0, outputTokens: 7, totalTokens: 7 }, costUsd: 0 });
    const [first, second] = published();
    expect(first).toMatchObject({ Model: 'claude-haiku', Tenant: NO_TENANT, CostUsd: 0, InputTokens: 0, OutputTokens: 7 });
    expect(second).not.toHaveProperty('Tenant');
    expect(second).toMatchObject({ Model: 'claude-haiku', CostUsd: 0, InputTokens: 0, OutputTokens: 7 });
  });

  test('two records are two pairs of lines: nothing of the first is carried into the second', () => {
    usage.recordUsage({ model: 'a', tenant: 't1', usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 }, costUsd: 1 });
    usage.recordUsage({ model: 'b', usage: { inputTokens: 4, outputTokens: 5, totalTokens: 9 }, costUsd: 2 });
    const all = published();
    expect(all).toHaveLength(4);
    expect(all[2]).toMatchObject({ Model: 'b', Tenant: NO_TENANT, CostUsd: 2, InputTokens: 4, OutputTokens: 5 });
    expect(all[3]).toEqual(expect.not.objectContaining({ Tenant: expect.anything() }));
    expect(all[3]).toMatchObject({ Model: 'b', CostUsd: 2 });
  });
});
