import * as path from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as z from 'zod/mini';
import { buildBlueprint } from '../../lib/grounds/app';
import { BlueprintFunction } from '../../lib/constructs/shared/blueprint-function';
import { PACKAGE_ROOT } from '../../lib/constructs/shared/bundling';
import * as env from '../../contracts/env';
import { METRICS_NAMESPACE } from '../../contracts/metrics';
import { CDK_JSON_CONTEXT } from '../support/synth';
import { jsonObject } from '../support/json';

/** Each entry (under lambda/) and the contract its handler reads with `readEnv`. */
const CONTRACTS: Readonly<Record<string, z.ZodMiniObject>> = {
  'prompt/handler.ts': env.promptEnvSchema,
  'prompt/handler-cached.ts': env.promptCachedEnvSchema,
  'chat-stream/handler.ts': env.chatStreamEnvSchema,
  'openai/handler.ts': env.openAiEnvSchema,
  'agent/handler.ts': env.agentEnvSchema,
  'agent-actions/handler.ts': env.agentActionsEnvSchema,
  'sessions/handler.ts': env.sessionsEnvSchema,
  'feedback/handler.ts': env.feedbackEnvSchema,
  'predict/handler.ts': env.predictEnvSchema,
  'ingest/handler.ts': env.ingestEnvSchema,
  'invocation-logging/handler.ts': env.invocationLoggingEnvSchema,
  'endpoint-teardown/handler.ts': env.endpointTeardownEnvSchema,
  'training-gate/handler.ts': env.trainingGateEnvSchema,
};

/** What the template's Environment.Variables can hold: a literal, or a token ({Ref}, {Fn::GetAtt}, {Fn::Join}). */
type Variables = Record<string, unknown>;

/**
 * What is wrong with `variables` for a function whose contract is `schema`: a name the function
 * does not read (a misspelling, even of an optional variable), a required name missing, a literal
 * value the function would refuse. A token is a string at deploy time: only its name is checked.
 */
function problems(schema: z.ZodMiniObject, variables: Variables): string[] {
  const known = { ...env.powertoolsEnvSchema.shape, ...schema.shape };
  const unknown = Object.keys(variables)
    .filter((name) => !(name in known))
    .map((name) => `${name}: not in the function's contract`);
  const tokens = Object.keys(variables).filter((name) => typeof variables[name] !== 'string' && name in known);
  const relaxed = z.extend(z.extend(schema, env.powertoolsEnvSchema.shape), Object.fromEntries(tokens.map((name) => [name, z.string()])));
  const result = relaxed.safeParse({ ...variables, ...Object.fromEntries(tokens.map((name) => [name, '<token>'])) });
  const invalid = result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  return [...unknown, ...invalid];
}

interface SynthesizedFunction {
  readonly entry: string;
  readonly path: string;
  readonly variables: Variables;
}

/** Every BlueprintFunction of `stack`, with the environment its template gives it. */
function functionsOf(stack: Stack): SynthesizedFunction[] {
  const resources = z.record(z.string(), jsonObject).parse(Template.fromStack(stack).toJSON().Resources);
  const environment = z.object({ Properties: z.object({ Environment: z.object({ Variables: jsonObject }) }) });
  return stack.node
    .findAll()
    .filter((c): c is BlueprintFunction => c instanceof BlueprintFunction)
    .map((fn) => ({
      entry: path.relative(path.join(PACKAGE_ROOT, 'lambda'), fn.entry).split(path.sep).join('/'),
      path: fn.node.path,
      variables: environment.parse(resources[stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction)]).Properties.Environment.Variables,
    }));
}

function synth(ground: number | 'ml'): Stack[] {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, ground }, analyticsReporting: false, builtinCloudFormationValidation: false });
  const { stacks, predictiveMl } = buildBlueprint(app, { nag: false });
  return [...stacks, ...(predictiveMl ? [predictiveMl] : [])];
}

describe('every function gets the environment its contract (contracts/env.ts) reads', () => {
  // Ground 4 deploys the prompt entry without a cache; ground 7 every other function of the grounds.
  const functions = [...synth(4), ...synth(7), ...synth('ml')].flatMap(functionsOf);

  test('the grounds and the PredictiveMl stack deploy every entry that has a contract, and no other', () => {
    expect([...new Set(functions.map((f) => f.entry))].sort()).toEqual(Object.keys(CONTRACTS).sort());
  });

  test.each(functions.map((f) => [f.path, f] as const))('%s', (_path, fn) => {
    expect(problems(CONTRACTS[fn.entry], fn.variables)).toEqual([]);
    expect(fn.variables.POWERTOOLS_METRICS_NAMESPACE).toBe(METRICS_NAMESPACE);
  });

  test('a misspelled, missing or refused variable is a problem (the check above can fail)', () => {
    const ingest = functions.find((f) => f.entry === 'ingest/handler.ts')!;
    const { KNOWLEDGE_BASE_ID, ...rest } = ingest.variables;
    expect(problems(env.ingestEnvSchema, { ...rest, KNOWLEDGE_BASEID: KNOWLEDGE_BASE_ID })).toEqual([
      "KNOWLEDGE_BASEID: not in the function's contract",
      expect.stringMatching(/^KNOWLEDGE_BASE_ID: /),
    ]);
    const prompt = functions.find((f) => f.entry === 'prompt/handler-cached.ts')!;
    // An optional variable misspelled would silently be unset: the function would run without it.
    expect(problems(env.promptCachedEnvSchema, { ...prompt.variables, GUARDRAIL_VERSON: '1' })).toEqual(["GUARDRAIL_VERSON: not in the function's contract"]);
    expect(problems(env.promptCachedEnvSchema, { ...prompt.variables, MAX_TOKENS: 'many' })).toEqual([expect.stringMatching(/^MAX_TOKENS: /)]);
  });
});

test('functionEnvironment refuses at synth a name the types cannot see (spread from an untyped record)', () => {
  const untyped: Record<string, string> = { AGENT_ALIASID: 'x' };
  expect(() => env.functionEnvironment(env.agentActionsEnvSchema, { TABLE_NAME: 't', ...untyped })).toThrow(
    'environment names AGENT_ALIASID, which the function does not read (contracts/env.ts)',
  );
  expect(env.functionEnvironment(env.agentActionsEnvSchema, { TABLE_NAME: 't' })).toEqual({ TABLE_NAME: 't' });
});
