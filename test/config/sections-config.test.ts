/**
 * The sections of ground 6, ground 7 and the PredictiveMl stack (lib/config/agent.ts, sessions.ts,
 * operations.ts, predictive-ml.ts) read through loadConfig, with nothing but lib/config loaded
 * (stryker.config.mjs UNIT_TESTS). Each key: its default, the values at its limits, and the one
 * error a value past them gives (the key, the value received and what is allowed, compared whole).
 */
import { ConfigError } from '../../lib/config/errors';
import { DEFAULT_AGENT_INSTRUCTION } from '../../lib/config/agent';
import { SAGEMAKER_PRICES } from '../../lib/config/predictive-ml';
import { loadConfig } from '../../lib/config/schema';

/** The lines of the ConfigError that loadConfig throws for this context. */
function problems(context: Record<string, unknown>): string[] {
  try {
    loadConfig(context);
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n  - ').slice(1);
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(context)}`);
}

/** A key takes each of `accepted` (given as `-c key=value` strings), and refuses each of `refused` with its one message. */
function limits(key: string, accepted: readonly [string, unknown][], refused: readonly [string, string][]): void {
  const [section, field] = key.split('.') as [keyof ReturnType<typeof loadConfig>, string];
  for (const [value, read] of accepted) {
    expect((loadConfig({ [key]: value })[section] as Record<string, unknown>)[field]).toEqual(read);
  }
  for (const [value, message] of refused) expect(problems({ [key]: value })).toEqual([`${key} = ${value}: ${message}`]);
}

const min = (n: number) => `Too small: expected number to be >=${n}`;
const max = (n: number) => `Too big: expected number to be <=${n}`;
const INTEGER = 'Invalid input: expected int, received number';

/** An integer key: both bounds taken, one past each bound and a fraction refused, each with its one message. */
function wholeNumbers(key: string, low: number, high: number): void {
  limits(
    key,
    [
      [String(low), low],
      [String(high), high],
    ],
    [
      [String(low - 1), min(low)],
      [String(high + 1), max(high)],
      [`${low}.5`, INTEGER],
    ],
  );
}
const TEXT_MODELS = '"nova-micro"|"nova-lite"|"nova-pro"|"claude-haiku-4-5"|"claude-sonnet-4-5"';
const RETENTIONS = '1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653';

describe('agent (ground 6)', () => {
  test('defaults: the instruction naming the tools, the model of model.alias, demo data seeded', () => {
    expect(loadConfig({}).agent).toEqual({ instruction: DEFAULT_AGENT_INSTRUCTION, idleSessionTtlSeconds: 600, maxInputChars: 4_000, seedDemoData: true });
    for (const tool of ['calculate', 'lookup_order', 'create_support_ticket']) expect(DEFAULT_AGENT_INSTRUCTION).toContain(tool);
  });

  test('instruction: 40 to 4,000 characters, as Bedrock requires', () => {
    for (const length of [40, 4_000]) expect(loadConfig({ 'agent.instruction': 'x'.repeat(length) }).agent.instruction).toHaveLength(length);
    expect(problems({ 'agent.instruction': 'x'.repeat(39) })).toEqual([
      `agent.instruction = "${'x'.repeat(39)}": Too small: expected string to have >=40 characters`,
    ]);
    expect(problems({ 'agent.instruction': 'x'.repeat(4_001) })).toEqual([
      `agent.instruction = "${'x'.repeat(4_001)}": Too big: expected string to have <=4000 characters`,
    ]);
  });

  test('modelAlias: any text model of the catalog, not an embedding model', () => {
    for (const alias of ['nova-micro', 'claude-sonnet-4-5']) expect(loadConfig({ 'agent.modelAlias': alias }).agent.modelAlias).toBe(alias);
    expect(problems({ 'agent.modelAlias': 'titan-embed-text-v2' })).toEqual([
      `agent.modelAlias = "titan-embed-text-v2": Invalid option: expected one of ${TEXT_MODELS}`,
    ]);
  });

  test('idleSessionTtlSeconds: 60 to 3,600 whole seconds', () => {
    limits(
      'agent.idleSessionTtlSeconds',
      [
        ['60', 60],
        ['3600', 3_600],
      ],
      [
        ['59', min(60)],
        ['3601', max(3_600)],
        ['60.5', INTEGER],
      ],
    );
  });

  test('maxInputChars: 1 to 25,000, what InvokeAgent accepts', () => {
    limits(
      'agent.maxInputChars',
      [
        ['1', 1],
        ['25000', 25_000],
      ],
      [
        ['0', min(1)],
        ['25001', max(25_000)],
      ],
    );
  });

  test('seedDemoData: a boolean', () => {
    expect(loadConfig({ 'agent.seedDemoData': 'false' }).agent.seedDemoData).toBe(false);
    expect(problems({ 'agent.seedDemoData': 'no' })).toEqual(['agent.seedDemoData = "no": Invalid input: expected boolean, received string']);
  });

  test('an unknown key names the keys the section allows', () => {
    expect(problems({ 'agent.model': 'nova-lite' })).toEqual([
      "unknown key 'agent.model'; allowed: instruction, modelAlias, idleSessionTtlSeconds, maxInputChars, seedDemoData",
    ]);
  });
});

describe('sessions and feedback (ground 7)', () => {
  test('defaults', () => {
    const cfg = loadConfig({});
    expect(cfg.sessions).toEqual({ ttlDays: 30, historyTurns: 10, historyChars: 12_000, maxTurnsReturned: 50 });
    expect(cfg.feedback).toEqual({
      windowDays: 7,
      retentionDays: 365,
      maxCommentChars: 1_000,
      thumbsDownAlarmRate: 0.3,
      alarmMinRatings: 20,
      alarmPeriodMinutes: 60,
    });
  });

  test.each([
    ['sessions.ttlDays', 1, 365],
    ['sessions.historyTurns', 0, 50],
    ['sessions.historyChars', 100, 60_000],
    ['sessions.maxTurnsReturned', 1, 200],
    ['feedback.windowDays', 1, 90],
    ['feedback.retentionDays', 1, 3_650],
    ['feedback.maxCommentChars', 1, 4_000],
    ['feedback.alarmMinRatings', 1, 10_000],
    ['feedback.alarmPeriodMinutes', 5, 1_440],
  ])('%s: a whole number from %d to %d', wholeNumbers);

  test('feedback.thumbsDownAlarmRate: a share above 0, at most 1', () => {
    limits(
      'feedback.thumbsDownAlarmRate',
      [
        ['0.01', 0.01],
        ['1', 1],
      ],
      [
        ['0', 'Too small: expected number to be >0'],
        ['1.01', max(1)],
      ],
    );
  });

  test('unknown keys name the keys each section allows', () => {
    expect(problems({ 'sessions.ttl': 1, 'feedback.window': 1 })).toEqual([
      "unknown key 'sessions.ttl'; allowed: ttlDays, historyTurns, historyChars, maxTurnsReturned",
      "unknown key 'feedback.window'; allowed: windowDays, retentionDays, maxCommentChars, thumbsDownAlarmRate, alarmMinRatings, alarmPeriodMinutes",
    ]);
  });
});

describe('observability and the document pipeline (ground 7)', () => {
  test('defaults: no alarm email, invocation logging on, logs kept 30 days; the pipeline not started by uploads', () => {
    const cfg = loadConfig({});
    expect(cfg.observability).toEqual({
      latencyP99Ms: 10_000,
      apiErrorRatePercent: 1,
      dailyCostBudgetUsd: 20,
      cacheHitRateFloorPercent: 5,
      guardrailInterventionsPer5Min: 25,
      invocationLogging: 'on',
      invocationLogRetentionDays: 30,
    });
    expect(cfg.pipeline).toEqual({ maxDocumentMb: 50, checkIntervalSeconds: 60, maxChecks: 60, onUpload: false });
  });

  test('alarmEmail: an email address', () => {
    expect(loadConfig({ 'observability.alarmEmail': 'ops@example.com' }).observability.alarmEmail).toBe('ops@example.com');
    expect(problems({ 'observability.alarmEmail': 'ops' })).toEqual(['observability.alarmEmail = "ops": Invalid email address']);
  });

  test.each([
    ['observability.latencyP99Ms', 100, 29_000],
    ['observability.guardrailInterventionsPer5Min', 1, 1_000_000],
    ['pipeline.maxDocumentMb', 1, 50],
    ['pipeline.checkIntervalSeconds', 10, 3_600],
    ['pipeline.maxChecks', 1, 1_000],
  ])('%s: a whole number from %d to %d', wholeNumbers);

  test.each([
    ['observability.apiErrorRatePercent', 0.1, 100, 0.09, 100.01],
    ['observability.dailyCostBudgetUsd', 0.01, 1_000_000, 0.009, 1_000_000.01],
    ['observability.cacheHitRateFloorPercent', 0, 100, -0.01, 100.01],
  ])('%s: a number from %d to %d', (key, low, high, below, above) => {
    limits(
      key,
      [
        [String(low), low],
        [String(high), high],
      ],
      [
        [String(below), min(low)],
        [String(above), max(high)],
      ],
    );
  });

  test('invocationLogging: on, take-over or off', () => {
    for (const mode of ['on', 'take-over', 'off']) expect(loadConfig({ 'observability.invocationLogging': mode }).observability.invocationLogging).toBe(mode);
    expect(problems({ 'observability.invocationLogging': 'replace' })).toEqual([
      'observability.invocationLogging = "replace": Invalid option: expected one of "on"|"take-over"|"off"',
    ]);
  });

  test('invocationLogRetentionDays: a retention CloudWatch Logs offers, never "never expire"', () => {
    for (const days of [1, 3_653])
      expect(loadConfig({ 'observability.invocationLogRetentionDays': String(days) }).observability.invocationLogRetentionDays).toBe(days);
    // 9999 is RetentionDays.INFINITE: logs holding prompts and answers are never kept for ever.
    for (const days of ['2', '9999', '0']) {
      expect(problems({ 'observability.invocationLogRetentionDays': days })).toEqual([
        `observability.invocationLogRetentionDays = ${days}: expected one of ${RETENTIONS}`,
      ]);
    }
    expect(problems({ 'observability.invocationLogRetentionDays': '7.5' })).toEqual([`observability.invocationLogRetentionDays = 7.5: ${INTEGER}`]);
  });

  test('pipeline.onUpload: a boolean', () => {
    expect(loadConfig({ 'pipeline.onUpload': 'true' }).pipeline.onUpload).toBe(true);
    expect(problems({ 'pipeline.onUpload': 'yes' })).toEqual(['pipeline.onUpload = "yes": Invalid input: expected boolean, received string']);
  });
});

describe('predictiveMl (the PredictiveMl stack)', () => {
  test('defaults: serverless, on demand only, ml.m5.large when instances are used', () => {
    expect(loadConfig({}).predictiveMl).toEqual({
      minValidationAuc: 0.8,
      inference: 'serverless',
      serverlessMemoryMb: 2048,
      serverlessMaxConcurrency: 5,
      instanceType: 'ml.m5.large',
      instanceCount: 1,
      dataCapturePercent: 100,
      trainingInstanceType: 'ml.m5.large',
      maxTrainingMinutes: 30,
      retrainOnUpload: false,
    });
  });

  test('minValidationAuc: from 0.5 (a coin toss) to 1', () => {
    limits(
      'predictiveMl.minValidationAuc',
      [
        ['0.5', 0.5],
        ['1', 1],
      ],
      [
        ['0.49', min(0.5)],
        ['1.01', max(1)],
      ],
    );
  });

  test.each([
    ['predictiveMl.serverlessMaxConcurrency', 1, 200],
    ['predictiveMl.instanceCount', 1, 10],
    ['predictiveMl.dataCapturePercent', 1, 100],
    ['predictiveMl.maxTrainingMinutes', 5, 1_440],
  ])('%s: a whole number from %d to %d', wholeNumbers);

  test('inference: serverless or instance', () => {
    expect(loadConfig({ 'predictiveMl.inference': 'instance' }).predictiveMl.inference).toBe('instance');
    expect(problems({ 'predictiveMl.inference': 'batch' })).toEqual([
      'predictiveMl.inference = "batch": Invalid option: expected one of "serverless"|"instance"',
    ]);
  });

  test('serverlessMemoryMb: one of the sizes Serverless Inference offers', () => {
    for (const mb of [1024, 3072, 6144]) expect(loadConfig({ 'predictiveMl.serverlessMemoryMb': String(mb) }).predictiveMl.serverlessMemoryMb).toBe(mb);
    for (const mb of ['1000', '8192']) {
      expect(problems({ 'predictiveMl.serverlessMemoryMb': mb })).toEqual([
        `predictiveMl.serverlessMemoryMb = ${mb}: expected one of 1024, 2048, 3072, 4096, 5120, 6144`,
      ]);
    }
  });

  test.each(['predictiveMl.instanceType', 'predictiveMl.trainingInstanceType'])('%s: a SageMaker instance type', (key) => {
    for (const type of ['ml.m5.large', 'ml.g5.12xlarge', 'ml.c7i.48xlarge', 'ml.t3.medium']) {
      expect(loadConfig({ [key]: type }).predictiveMl).toMatchObject({ [key.split('.')[1]]: type });
    }
    for (const type of [
      'm5.large',
      'ml.m5',
      'ml.m5.large ',
      ' ml.m5.large',
      'ml.M5.large',
      'ml.m5.Large',
      'ml.m5.',
      'ml..large',
      'mlxm5.large',
      'ml.m5xlarge',
      'ml.m5.large.x',
    ]) {
      expect(problems({ [key]: type })).toEqual([`${key} = ${JSON.stringify(type)}: must be a SageMaker instance type such as ml.m5.large`]);
    }
  });

  // EventBridge refuses the others at deploy: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
  test('schedule: rate(1 <unit>) or rate(<n> <units>) in minutes, hours or days, or cron(<6 fields>)', () => {
    for (const schedule of [
      'rate(1 minute)',
      'rate(2 minutes)',
      'rate(1 hour)',
      'rate(12 hours)',
      'rate(1 day)',
      'rate(9 days)',
      'rate(10 days)',
      'rate(365 days)',
      'cron(0 12 * * ? *)',
      'cron(0/15 8-17 ? * MON-FRI *)',
    ]) {
      expect(loadConfig({ 'predictiveMl.schedule': schedule }).predictiveMl.schedule).toBe(schedule);
    }
    const refusal = 'must be an EventBridge schedule expression: rate(1 <unit>), rate(<n above 1> <units>) or cron(<6 fields>)';
    for (const schedule of [
      'rate(1 days)',
      'rate(1 minutes)',
      'rate(1 hours)',
      'rate(7 day)',
      'rate(10 hour)',
      'rate(0 days)',
      'rate(07 days)',
      'rate(10x days)',
      'rate(7 weeks)',
      'rate(x days)',
      'rate(days)',
      'rate(7days)',
      'rate(7  days)',
      'rate(7 days',
      ' rate(7 days)',
      'rate(7 days) ',
      'xrate(7 days)',
      'cron()',
      'cron(0 12 * * ?)',
      'cron(0 12 * * ? * *)',
      'cron(0 12  * * ? *)',
      'cron(0 12 * * ?\t*)',
      'cron(0 (12) * * ? *)',
      'cron(0 12 * * ? *',
      'cron(0 12 * * ? *) ',
      'xcron(0 12 * * ? *)',
      'at(2026-01-01T00:00:00)',
    ]) {
      expect(problems({ 'predictiveMl.schedule': schedule })).toEqual([`predictiveMl.schedule = ${JSON.stringify(schedule)}: ${refusal}`]);
    }
  });

  test('retrainOnUpload: a boolean', () => {
    expect(loadConfig({ 'predictiveMl.retrainOnUpload': 'true' }).predictiveMl.retrainOnUpload).toBe(true);
    expect(problems({ 'predictiveMl.retrainOnUpload': '1' })).toEqual(['predictiveMl.retrainOnUpload = "1": Invalid input: expected boolean, received string']);
  });

  test('the cost comparison (bench/predict.ts) prices the default instance type, and says when the prices were read', () => {
    const cfg = loadConfig({});
    expect(SAGEMAKER_PRICES.instancePerHour[cfg.predictiveMl.instanceType]).toBeGreaterThan(0);
    expect(SAGEMAKER_PRICES.asOf).toMatch(/^20\d\d-(0[1-9]|1[0-2])$/);
    expect(SAGEMAKER_PRICES.serverlessPerGbSecond).toBeGreaterThan(0);
    expect(SAGEMAKER_PRICES.serverlessPerGbProcessed).toBeGreaterThan(0);
  });
});
