import * as z from 'zod/mini';
import { intFromEnv, jsonFromEnv, numberFromEnv, tenantClaimEnvSchema } from '../../contracts/env';
import { readEnv } from '../../lambda/shared/env';

/**
 * lambda/shared/env.ts on its own: a function's settings read from its environment with its
 * contract schema (contracts/env.ts). A bad environment is a deployment bug, so the cold start fails
 * naming each bad variable and the value the stack wrote.
 */

const schema = z.object({
  MAX_TOKENS: intFromEnv(),
  TEMPERATURE: numberFromEnv(),
  GUARDRAIL_ID: z.optional(z.string().check(z.minLength(1))),
  LIMITS: jsonFromEnv(z.object({ daily: z.object({ requests: z.number() }), tiers: z.array(z.string()) })),
});
const GOOD = { MAX_TOKENS: '512', TEMPERATURE: '0.2', LIMITS: '{"daily":{"requests":100},"tiers":["basic"]}' };

function failure(env: NodeJS.ProcessEnv): string {
  try {
    readEnv(schema, env);
    return 'no failure';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('readEnv', () => {
  test('the variables parsed with the contract: numbers as numbers, JSON as values, an optional one absent', () => {
    expect(readEnv(schema, { ...GOOD, UNRELATED: 'x' })).toEqual({
      MAX_TOKENS: 512,
      TEMPERATURE: 0.2,
      LIMITS: { daily: { requests: 100 }, tiers: ['basic'] },
    });
    expect(readEnv(schema, { ...GOOD, GUARDRAIL_ID: 'gr-1' }).GUARDRAIL_ID).toBe('gr-1');
  });

  test('reads the process environment when given no other', () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, GOOD);
      expect(readEnv(schema)).toMatchObject({ MAX_TOKENS: 512, TEMPERATURE: 0.2 });
      delete process.env.MAX_TOKENS;
      expect(() => readEnv(schema)).toThrow('Function environment is invalid: MAX_TOKENS (not set)');
    } finally {
      for (const name of Object.keys(GOOD)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });

  test.each<[string, NodeJS.ProcessEnv, string]>([
    ['a variable not set', { TEMPERATURE: '0.2', LIMITS: GOOD.LIMITS }, 'MAX_TOKENS (not set)'],
    ['a value of the wrong kind', { ...GOOD, MAX_TOKENS: '1.5' }, 'MAX_TOKENS (got "1.5")'],
    ['an empty value', { ...GOOD, GUARDRAIL_ID: '' }, 'GUARDRAIL_ID (got "")'],
    ['JSON that does not parse', { ...GOOD, LIMITS: '{daily' }, 'LIMITS (got "{daily")'],
    [
      'a field deep inside a JSON value, by its dotted path',
      { ...GOOD, LIMITS: '{"daily":{"requests":"x"},"tiers":["a"]}' },
      'LIMITS.daily.requests (got "{\\"daily\\":{\\"requests\\":\\"x\\"},\\"tiers\\":[\\"a\\"]}")',
    ],
  ])('%s: the error names the variable and its value', (_name, env, problem) => {
    expect(failure(env)).toBe(`Function environment is invalid: ${problem}`);
  });

  test('every bad variable is named, in the contract’s order; paths into one variable are named together with its value once', () => {
    expect(failure({ TEMPERATURE: 'warm', LIMITS: '{"daily":{},"tiers":[1]}' })).toBe(
      'Function environment is invalid: MAX_TOKENS (not set), TEMPERATURE (got "warm"), ' +
        'LIMITS.daily.requests, LIMITS.tiers.0 (got "{\\"daily\\":{},\\"tiers\\":[1]}")',
    );
  });

  test('a long value is cut after 100 characters', () => {
    const long = `${'7'.repeat(100)}x${'9'.repeat(50)}`;
    expect(failure({ ...GOOD, MAX_TOKENS: long })).toBe(`Function environment is invalid: MAX_TOKENS (got "${'7'.repeat(100)}…")`);
    expect(failure({ ...GOOD, MAX_TOKENS: `${'7'.repeat(99)}x` })).toBe(`Function environment is invalid: MAX_TOKENS (got "${'7'.repeat(99)}x")`);
  });

  test('a contract of the project: the tenant-claim function’s', () => {
    const env = { TENANT_NAMES: '["acme"]', TENANT_VALUES: '{"tenant-acme":"acme"}' };
    expect(readEnv(tenantClaimEnvSchema, env)).toEqual({ TENANT_NAMES: ['acme'], TENANT_VALUES: { 'tenant-acme': 'acme' } });
    expect(() => readEnv(tenantClaimEnvSchema, { ...env, TENANT_NAMES: '[]' })).toThrow(new Error('Function environment is invalid: TENANT_NAMES (got "[]")'));
  });
});
