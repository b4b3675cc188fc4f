/**
 * The `delivery` section (lib/config/delivery.ts: the CDK Pipelines pipeline and its stages) read
 * through loadConfig, with nothing but lib/config loaded (stryker.config.mjs UNIT_TESTS;
 * test/delivery/ checks the stages the app resolves and the pipeline it builds). Every refusal is
 * compared whole: key, value and what is allowed.
 */
import { isProductionStage } from '../../lib/config/delivery';
import { ConfigError } from '../../lib/config/errors';
import { loadConfig } from '../../lib/config/schema';

const CONNECTION_ARN = 'arn:aws:codeconnections:eu-west-1:111111111111:connection/0123abcd-0123-4567-89ab-0123456789ab';
const DEV = { name: 'Dev', account: '222222222222', region: 'eu-west-1', ground: 2 };
const PROD = { name: 'Prod', account: '333333333333', region: 'eu-central-1', ground: 2 };

/** A `delivery` section: the pipeline in 111111111111, eu-west-1, and `stages`, with `extra` over it. */
const section = (stages: readonly Record<string, unknown>[], extra: Record<string, unknown> = {}) => ({
  connectionArn: CONNECTION_ARN,
  repository: 'acme/genai-blueprint',
  account: '111111111111',
  region: 'eu-west-1',
  stages,
  ...extra,
});

const load = (delivery: Record<string, unknown>) => loadConfig({ delivery }).delivery;

/** The lines of the ConfigError that loadConfig throws for this `delivery` section. */
function problems(delivery: Record<string, unknown>): string[] {
  try {
    loadConfig({ delivery });
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n  - ').slice(1);
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(delivery)}`);
}

/** The problems of one stage, given as `delivery.stages[0]`. */
const stageProblems = (stage: Record<string, unknown>) => problems(section([stage]));

describe('the pipeline', () => {
  test('unset by default: no pipeline', () => {
    expect(loadConfig({}).delivery).toBeUndefined();
  });

  test('defaults: branch main, self-mutation on, no stage context', () => {
    expect(load(section([DEV]))).toEqual({ ...section([{ ...DEV, context: {} }]), branch: 'main', selfMutation: true });
  });

  test('every key given is kept as given', () => {
    const delivery = section(
      [
        { ...DEV, production: false, context: { 'model.alias': 'nova-micro', stackName: 'GenAiDev' } },
        { ...PROD, ground: 7, production: true, availabilityZones: ['eu-central-1a', 'eu-central-1c'], context: { 'api.throttleRateLimit': 50 } },
      ],
      { branch: 'release/1.2', selfMutation: false },
    );
    expect(load(delivery)).toEqual(delivery);
  });

  test('an unknown key is named with the keys allowed', () => {
    expect(problems(section([DEV], { stage: [] }))).toEqual([
      "unknown key 'delivery.stage'; allowed: connectionArn, repository, branch, account, region, selfMutation, stages",
    ]);
  });

  test('the required keys, each missing one named with what it takes', () => {
    expect(problems({ stages: [DEV] })).toEqual([
      'delivery.connectionArn = (default): expected the ARN of a CodeConnections connection (Developer Tools console > Settings > Connections)',
      'delivery.repository = (default): expected the repository as owner/name',
      'delivery.account = (default): expected the 12-digit id of the account the pipeline lives in, as a string',
      'delivery.region = (default): expected the Region of the pipeline, e.g. us-east-1',
    ]);
    expect(problems(section([DEV], { stages: undefined }))).toEqual(['delivery.stages = (default): Invalid input: expected array, received undefined']);
  });

  test.each([
    CONNECTION_ARN,
    'arn:aws:codestar-connections:us-east-1:111111111111:connection/abcdef01-2345-6789-abcd-ef0123456789',
    'arn:aws-us-gov:codeconnections:us-gov-west-1:111111111111:connection/0123abcd-0123-4567-89ab-0123456789ab',
  ])('takes the connection %j', (arn) => {
    expect(load(section([DEV], { connectionArn: arn }))?.connectionArn).toBe(arn);
  });

  test.each([
    'arn:aws:iam::111111111111:role/x',
    'arn:aws:codeconnections:eu-west-1:111111111111:connection/0123ABCD-0123-4567-89ab-0123456789ab',
    'arn:aws:codeconnections:eu-west-1:111111111111:connection/0123abcd-0123-4567-89ab-0123456789a',
    'arn:aws:codeconnections:eu-west-1:111111111111:connection/0123abcd-0123-4567-89ab-0123456789abc',
    'arn:aws:codeconnections:eu-west-1:11111111111:connection/0123abcd-0123-4567-89ab-0123456789ab',
    'arn:aws:codeconnections:eu-west-1:111111111111:host/0123abcd-0123-4567-89ab-0123456789ab',
    'arn:aws:codeconnections:EU-WEST-1:111111111111:connection/0123abcd-0123-4567-89ab-0123456789ab',
    `x${CONNECTION_ARN}`,
  ])('refuses the connection %j', (arn) => {
    expect(problems(section([DEV], { connectionArn: arn }))).toEqual([
      `delivery.connectionArn = ${JSON.stringify(arn)}: must be a CodeConnections connection ARN: arn:aws:codeconnections:<region>:<account>:connection/<id> ` +
        '(or codestar-connections)',
    ]);
  });

  test.each(['acme/genai-blueprint', 'a/b', 'Acme_1.x/genai.blueprint-2'])('takes the repository %j', (repository) => {
    expect(load(section([DEV], { repository }))?.repository).toBe(repository);
  });

  test.each(['genai-blueprint', 'acme/genai/blueprint', '/genai', 'acme/', 'acme corp/genai', 'acme/genai!'])('refuses the repository %j', (repository) => {
    expect(problems(section([DEV], { repository }))).toEqual([
      `delivery.repository = ${JSON.stringify(repository)}: must be owner/name, e.g. acme/genai-blueprint`,
    ]);
  });

  test.each(['main', 'm', 'feature/sign-in', 'release-1.2_rc', 'b'.repeat(255)])('takes the branch %j', (branch) => {
    expect(load(section([DEV], { branch }))?.branch).toBe(branch);
  });

  test.each(['', '/main', 'feature//x', 'release..1', 'main/', 'my branch', 'main~1', 'b'.repeat(256)])('refuses the branch %j', (branch) => {
    expect(problems(section([DEV], { branch }))).toEqual([`delivery.branch = ${JSON.stringify(branch)}: must be a git branch name (letters, digits, . _ - /)`]);
  });

  test('self-mutation off', () => {
    expect(load(section([DEV], { selfMutation: false }))?.selfMutation).toBe(false);
  });
});

describe('accounts and Regions, of the pipeline and of each stage', () => {
  test.each(['11111111111', '1111111111111', 'x11111111111', '11111111111x', '1111-1111-11'])('refuses the account %j', (account) => {
    const message = `= ${JSON.stringify(account)}: must be a 12-digit AWS account id (as a string)`;
    expect(problems(section([{ ...DEV, account }], { account }))).toEqual([`delivery.account ${message}`, `delivery.stages.0.account ${message}`]);
  });

  test('refuses an account given as a number, which would lose its leading zeros', () => {
    expect(problems(section([{ ...DEV, account: 22222222222 }], { account: 11111111111 }))).toEqual([
      'delivery.account = 11111111111: expected the 12-digit id of the account the pipeline lives in, as a string',
      'delivery.stages.0.account = 22222222222: expected the 12-digit id of the account the stage deploys to, as a string',
    ]);
  });

  test.each(['us-east-1', 'eu-central-2', 'us-gov-west-1', 'ap-southeast-10'])('takes the Region %j', (region) => {
    expect(load(section([{ ...DEV, region }], { region }))).toMatchObject({ region, stages: [{ region }] });
  });

  test.each(['europe', 'eu-west', 'eu-1', 'EU-west-1', 'eu-west-1a', 'xeu-west-1', 'eu--west-1', 'e-west-1'])('refuses the Region %j', (region) => {
    const message = `= ${JSON.stringify(region)}: must be an AWS Region code such as us-east-1 or eu-west-2`;
    expect(problems(section([{ ...DEV, region }], { region }))).toEqual([`delivery.region ${message}`, `delivery.stages.0.region ${message}`]);
  });
});

describe('stages', () => {
  test('1 to 20 of them', () => {
    const stages = (n: number) => Array.from({ length: n }, (_, i) => ({ ...DEV, name: `Stage${i}` }));
    expect(load(section(stages(20)))?.stages).toHaveLength(20);
    expect(problems(section([]))).toEqual(['delivery.stages = []: must name at least one stage']);
    expect(problems(section(stages(21)))).toEqual([`delivery.stages = ${JSON.stringify(stages(21))}: Too big: expected array to have <=20 items`]);
  });

  test('each required key missing is named with what it takes', () => {
    expect(stageProblems({})).toEqual([
      'delivery.stages.0.name = (default): expected a stage name, e.g. Dev',
      'delivery.stages.0.account = (default): expected the 12-digit id of the account the stage deploys to, as a string',
      'delivery.stages.0.region = (default): expected the Region of the stage, e.g. us-east-1',
      'delivery.stages.0.ground = (default): expected a ground number, 0-7',
    ]);
  });

  test('an unknown key is named with the keys allowed', () => {
    expect(stageProblems({ ...DEV, stackName: 'GenAiDev' })).toEqual([
      "unknown key 'delivery.stages.0.stackName'; allowed: name, account, region, ground, production, availabilityZones, context",
    ]);
  });

  test.each(['Dev', 'd', 'prod-eu-1', `A${'b'.repeat(63)}`])('takes the name %j', (name) => {
    expect(load(section([{ ...DEV, name }]))?.stages[0].name).toBe(name);
  });

  test.each(['', '1dev', '-dev', 'dev_1', 'dev stage', 'dev.1', `A${'b'.repeat(64)}`])('refuses the name %j', (name) => {
    expect(stageProblems({ ...DEV, name })).toEqual([
      `delivery.stages.0.name = ${JSON.stringify(name)}: must start with a letter and hold at most 64 letters, digits or hyphens`,
    ]);
  });

  test('names are unique, case-insensitive: each repeat names the first stage of that name', () => {
    expect(problems(section([DEV, PROD, { ...DEV, name: 'dev' }, { ...PROD, name: 'PROD' }, { ...DEV, name: 'DEV' }]))).toEqual([
      'delivery.stages.2.name = "dev": is the name of stages.0 already; stage names must be unique (case-insensitive)',
      'delivery.stages.3.name = "PROD": is the name of stages.1 already; stage names must be unique (case-insensitive)',
      'delivery.stages.4.name = "DEV": is the name of stages.0 already; stage names must be unique (case-insensitive)',
    ]);
  });

  test('names that differ beyond case are no repeat, even where upper case would make them one (ß, SS)', () => {
    expect(
      problems(
        section([
          { ...DEV, name: 'STRASSE' },
          { ...PROD, name: 'Straße' },
        ]),
      ),
    ).toEqual(['delivery.stages.1.name = "Straße": must start with a letter and hold at most 64 letters, digits or hyphens']);
  });

  test('grounds 0 to 4 need no Availability Zones, and may name them', () => {
    for (const ground of [0, 1, 2, 3, 4]) expect(load(section([{ ...DEV, ground }]))?.stages[0].ground).toBe(ground);
    expect(load(section([{ ...DEV, ground: 4, availabilityZones: ['eu-west-1a', 'eu-west-1b'] }]))?.stages[0].availabilityZones).toEqual([
      'eu-west-1a',
      'eu-west-1b',
    ]);
  });

  test.each([5, 6, 7])('ground %j needs the 2 Availability Zones of its VPC, given in the stage', (ground) => {
    expect(load(section([{ ...DEV, ground, availabilityZones: ['eu-west-1a', 'eu-west-1c'] }]))?.stages[0].ground).toBe(ground);
    expect(stageProblems({ ...PROD, ground })).toEqual([
      `delivery.stages.0.availabilityZones = (default): is required for ground ${ground} (its VPC spans 2 Availability Zones, which synth would ` +
        'otherwise look up in account 333333333333): e.g. ["eu-central-1a", "eu-central-1b"]',
    ]);
  });

  // A ground that does not exist is refused alone: no Availability Zones are asked for ground 8.
  test.each([
    [-1, 'must be a ground number, 0-7'],
    [8, 'must be a ground number, 0-7'],
    [2.5, 'expected a ground number, 0-7'],
    ['2', 'expected a ground number, 0-7'],
  ])('refuses the ground %j', (ground, message) => {
    expect(stageProblems({ ...DEV, ground })).toEqual([`delivery.stages.0.ground = ${JSON.stringify(ground)}: ${message}`]);
  });

  test.each([
    [['eu-west-1a'], 'must name 2 Availability Zones (the VPC of grounds 5-7 spans 2)'],
    [['eu-west-1a', 'eu-west-1b', 'eu-west-1c'], 'must name 2 Availability Zones (the VPC of grounds 5-7 spans 2)'],
  ])('refuses the Availability Zones %j', (zones, message) => {
    expect(stageProblems({ ...DEV, ground: 5, availabilityZones: zones })).toEqual([
      `delivery.stages.0.availabilityZones = ${JSON.stringify(zones)}: ${message}`,
    ]);
  });

  test.each(['eu-west-1', 'eu-west-1ab', 'EU-west-1a', 'euw-west-1a', 'eu-west-a', 'xeu-west-1a'])('refuses the Availability Zone %j', (zone) => {
    expect(stageProblems({ ...DEV, ground: 5, availabilityZones: ['eu-west-1a', zone] })).toEqual([
      `delivery.stages.0.availabilityZones.1 = ${JSON.stringify(zone)}: must be an Availability Zone name such as us-east-1a`,
    ]);
  });

  test('production: a boolean when given', () => {
    expect(stageProblems({ ...DEV, production: 'yes' })).toEqual(['delivery.stages.0.production = "yes": Invalid input: expected boolean, received string']);
  });

  test('every wrong stage is named at once', () => {
    expect(problems(section([{ ...DEV, ground: 9 }, PROD, { ...PROD, name: 'Test', region: 'eu' }]))).toEqual([
      'delivery.stages.0.ground = 9: must be a ground number, 0-7',
      'delivery.stages.2.region = "eu": must be an AWS Region code such as us-east-1 or eu-west-2',
    ]);
  });
});

describe("a stage's context: configuration keys as -c takes them", () => {
  test.each(['stackName', 'model.alias', 'api.throttleRateLimit', 'router.tiers.basic', 'tenants.0', 'groundwork', 'deliveryTeam', 'a1.B2'])(
    'takes the key %j',
    (key) => {
      expect(load(section([{ ...DEV, context: { [key]: 'x' } }]))?.stages[0].context).toEqual({ [key]: 'x' });
    },
  );

  test.each(['model..alias', '1model', '.model', 'model.', 'model-alias', 'model alias', 'model.al_ias', ''])('refuses the key %j', (key) => {
    expect(stageProblems({ ...DEV, context: { [key]: 'x' } })).toEqual([
      `delivery.stages.0.context.${key} = "x": must be a configuration key such as model.alias (dotted, as -c takes it)`,
    ]);
  });

  test('refuses a context that is no object, with what it takes', () => {
    expect(stageProblems({ ...DEV, context: ['model.alias'] })).toEqual([
      'delivery.stages.0.context = ["model.alias"]: Invalid input: expected record, received array',
    ]);
  });

  test("refuses the ground, the stage's own key", () => {
    expect(stageProblems({ ...DEV, context: { ground: 4, 'ground.x': 1 } })).toEqual([
      "delivery.stages.0.context.ground = 4: is the stage's `ground`, not a context key",
      "delivery.stages.0.context.ground.x = 1: is the stage's `ground`, not a context key",
    ]);
  });

  test('refuses the keys set for the whole pipeline, with the keys a stage may not set', () => {
    const wide = "is set for the whole pipeline, not per stage; a stage's context may set any key but ground, delivery, compliance";
    expect(stageProblems({ ...DEV, context: { compliance: 'regulated', 'delivery.branch': 'dev', stackName: 'GenAiDev' } })).toEqual([
      `delivery.stages.0.context.compliance = "regulated": ${wide}`,
      `delivery.stages.0.context.delivery.branch = "dev": ${wide}`,
    ]);
  });
});

describe('production stages: the pipeline waits for an approval before deploying them', () => {
  test.each([
    [{ name: 'Prod' }, true],
    [{ name: 'prod' }, true],
    [{ name: 'PRODUCTION' }, true],
    [{ name: 'production' }, true],
    [{ name: 'Prod', production: false }, false],
    [{ name: 'Live', production: true }, true],
    [{ name: 'Staging' }, false],
    [{ name: 'Production2' }, false],
    [{ name: 'PreProd' }, false],
    [{ name: 'Produ' }, false],
  ])('%j: %j', (stage, production) => {
    expect(isProductionStage(stage)).toBe(production);
  });
});
