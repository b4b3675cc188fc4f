import { ConfigError } from '../../lib/config/errors';
import { isProductionStage } from '../../lib/config/delivery';
import { GROUND_NUMBERS, loadConfig } from '../../lib/config/schema';
import { resolveStages } from '../../lib/delivery/stages';
import { delivery } from './fixture';

/** The configuration with `stages` as the delivery section, as cdk.json would hold it. */
const load = (stages: Record<string, unknown>[], extra: Record<string, unknown> = {}) => loadConfig({ delivery: delivery(stages), ...extra });
const dev = { name: 'Dev', account: '222222222222', region: 'eu-west-1', ground: 2 };
const prod = { name: 'Prod', account: '333333333333', region: 'eu-central-1', ground: 2 };

/** The stages as the app resolves them from this context. */
function stages(context: Record<string, unknown>) {
  const config = loadConfig(context);
  if (!config.delivery) throw new Error('no delivery section');
  return resolveStages(context, config.delivery);
}

test('delivery is unset by default: no pipeline', () => {
  expect(loadConfig({}).delivery).toBeUndefined();
});

test('a stage section with defaults: branch main, self-mutation on, no context', () => {
  const config = load([dev]);
  expect(config.delivery).toMatchObject({ branch: 'main', selfMutation: true, stages: [{ ...dev, context: {} }] });
});

test('-c delivery.stages takes JSON, as every array key does', () => {
  const config = loadConfig({
    'delivery.connectionArn': delivery([]).connectionArn,
    'delivery.repository': 'acme/genai-blueprint',
    'delivery.account': '111111111111',
    'delivery.region': 'eu-west-1',
    'delivery.stages': JSON.stringify([dev, prod]),
  });
  expect(config.delivery?.stages.map((s) => s.name)).toEqual(['Dev', 'Prod']);
});

test('-c delivery takes the whole section as JSON, as the synth step passes delivery.json', () => {
  expect(loadConfig({ delivery: JSON.stringify(delivery([dev])) }).delivery?.stages[0].name).toBe('Dev');
});

test('stage grounds are the grounds that exist', () => {
  for (const ground of GROUND_NUMBERS) expect(() => load([{ ...dev, ground, availabilityZones: ['eu-west-1a', 'eu-west-1b'] }])).not.toThrow();
  expect(() => load([{ ...dev, ground: 8 }])).toThrow('delivery.stages.0.ground = 8: must be a ground number, 0-7');
});

describe('fails naming key, value and what is allowed', () => {
  test.each([
    [
      'a duplicate stage name (any case)',
      [dev, { ...prod, name: 'dev' }],
      'delivery.stages.1.name = "dev": is the name of stages.0 already; stage names must be unique',
    ],
    ['an account that is not 12 digits', [{ ...dev, account: '12345' }], 'delivery.stages.0.account = "12345": must be a 12-digit AWS account id'],
    ['an account given as a number', [{ ...dev, account: 222222222222 }], 'delivery.stages.0.account = 222222222222: expected the 12-digit id of the account'],
    ['a Region that is not one', [{ ...dev, region: 'europe' }], 'delivery.stages.0.region = "europe": must be an AWS Region code such as us-east-1'],
    ['a stage name CDK cannot use', [{ ...dev, name: 'dev stage' }], 'delivery.stages.0.name = "dev stage": must start with a letter'],
    ['no stage', [], 'delivery.stages = []: must name at least one stage'],
    ['a context key that is no configuration key', [{ ...dev, context: { 'model..alias': 'x' } }], 'must be a configuration key such as model.alias'],
    ['the ground in a stage context', [{ ...dev, context: { ground: 4 } }], "delivery.stages.0.context.ground = 4: is the stage's `ground`, not a context key"],
    [
      'the control profile in a stage context',
      [{ ...dev, context: { compliance: 'regulated' } }],
      'delivery.stages.0.context.compliance = "regulated": is set for the whole pipeline',
    ],
    [
      'ground 5 without its Availability Zones',
      [{ ...dev, ground: 5 }],
      'delivery.stages.0.availabilityZones = (default): is required for ground 5 (its VPC spans 2 Availability Zones, which synth would ' +
        'otherwise look up in account 222222222222): e.g. ["eu-west-1a", "eu-west-1b"]',
    ],
  ])('%s', (_what, list, message) => {
    expect(() => load(list as Record<string, unknown>[])).toThrow(ConfigError);
    expect(() => load(list as Record<string, unknown>[])).toThrow(message);
  });

  test('a connection that is not a CodeConnections ARN', () => {
    expect(() => loadConfig({ delivery: { ...delivery([dev]), connectionArn: 'arn:aws:iam::111111111111:role/x' } })).toThrow(
      'delivery.connectionArn = "arn:aws:iam::111111111111:role/x": must be a CodeConnections connection ARN',
    );
  });

  test('a repository that is not owner/name', () => {
    expect(() => loadConfig({ delivery: { ...delivery([dev]), repository: 'genai-blueprint' } })).toThrow(
      'delivery.repository = "genai-blueprint": must be owner/name',
    );
  });
});

describe('stage context: the one loadConfig, the stage named', () => {
  test('overrides sit over the app context, each stage its own', () => {
    const context = { 'model.alias': 'nova-micro', delivery: delivery([dev, { ...prod, context: { 'model.alias': 'nova-lite', stackName: 'GenAiProd' } }]) };
    const [d, p] = stages(context);
    expect([d.config.model.alias, d.config.stackName]).toEqual(['nova-micro', 'GenAiBlueprint']);
    expect([p.config.model.alias, p.config.stackName]).toEqual(['nova-lite', 'GenAiProd']);
    expect(d.config.delivery).toBeUndefined();
  });

  test('fails on an unknown key, naming stage, key and the keys allowed', () => {
    const context = { delivery: delivery([dev, { ...prod, context: { 'model.aliass': 'nova-lite' } }]) };
    expect(() => stages(context)).toThrow(ConfigError);
    expect(() => stages(context)).toThrow(/delivery\.stages\.1 \(Prod\) context: unknown key 'model\.aliass'; allowed: alias, inference, maxTokens/);
  });

  test('fails on a bad value, naming stage, key, value and what is allowed, for every wrong stage at once', () => {
    const context = {
      delivery: delivery([
        { ...dev, context: { 'api.throttleRateLimit': 0 } },
        { ...prod, context: { 'model.alias': 'gpt-9' } },
      ]),
    };
    expect(() => stages(context)).toThrow(/delivery\.stages\.0 \(Dev\) context: api\.throttleRateLimit = 0: Too small/);
    expect(() => stages(context)).toThrow(/delivery\.stages\.1 \(Prod\) context: model\.alias = "gpt-9": Invalid option: expected one of/);
  });

  test('fails when two stages deploy the same stack to the same account and Region', () => {
    const context = { delivery: delivery([dev, { ...dev, name: 'Test' }]) };
    expect(() => stages(context)).toThrow(
      'delivery.stages.1 (Test): deploys stack GenAiBlueprint to account 222222222222, eu-west-1, as stage Dev does; ' +
        'allowed: another account, Region or stackName',
    );
    expect(() => stages({ delivery: delivery([dev, { ...dev, name: 'Test', context: { stackName: 'GenAiTest' } }]) })).not.toThrow();
  });
});

test('production: named prod or production unless production says otherwise', () => {
  expect(isProductionStage({ name: 'Prod' })).toBe(true);
  expect(isProductionStage({ name: 'production' })).toBe(true);
  expect(isProductionStage({ name: 'Prod', production: false })).toBe(false);
  expect(isProductionStage({ name: 'Live', production: true })).toBe(true);
  expect(isProductionStage({ name: 'Staging' })).toBe(false);
  expect(isProductionStage({ name: 'Production2' })).toBe(false);
});
