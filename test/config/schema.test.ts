import { ConfigError } from '../../lib/config/errors';
import { GROUND_NUMBERS, effectiveRouter, loadConfig } from '../../lib/config/schema';
import { MODEL_CATALOG, TEXT_MODEL_ALIASES, invocationId } from '../../lib/config/models';
import { selectGrounds } from '../../lib/grounds/app';
import { GROUNDS } from '../../lib/grounds/ground-stack';

describe('configuration schema', () => {
  test('defaults: Nova Lite through the us profile, 29 s functions, 30-day logs', () => {
    const cfg = loadConfig({});
    expect(cfg.model).toEqual({ alias: 'nova-lite', inference: 'us', maxTokens: 1024, temperature: 0.5, maxAttempts: 3, attemptTimeoutSeconds: 20 });
    expect(cfg.lambda).toEqual({ memoryMb: 1024, timeoutSeconds: 29, logRetentionDays: 30 });
    expect(cfg.stackName).toBe('GenAiBlueprint');
  });

  test('-c strings are read as numbers and booleans; nested cdk.json objects merge with dotted keys', () => {
    const cfg = loadConfig({ model: { alias: 'nova-pro', temperature: 0.2 }, 'model.maxTokens': '2048', 'api.throttleRateLimit': '50' });
    expect(cfg.model).toMatchObject({ alias: 'nova-pro', temperature: 0.2, maxTokens: 2048 });
    expect(cfg.api.throttleRateLimit).toBe(50);
  });

  test('CDK feature flags, lookups and the ground selector are not configuration', () => {
    expect(() =>
      loadConfig({ '@aws-cdk/core:newStyleStackSynthesis': true, 'availability-zones:account=1:region=x': ['a'], ground: '0', 'cli-telemetry': false }),
    ).not.toThrow();
  });

  test.each([
    [{ 'model.maxTokens': '0' }, /model\.maxTokens = 0: Too small: expected number to be >=1/],
    [{ 'model.alias': 'gpt-5' }, /model\.alias = "gpt-5": Invalid option: expected one of "nova-micro"\|"nova-lite"/],
    [{ 'model.alias': 'titan-embed-text-v2' }, /model\.alias = "titan-embed-text-v2"/],
    [{ 'model.temperature': '1.5' }, /model\.temperature = 1\.5: Too big: expected number to be <=1/],
    [{ 'lambda.logRetentionDays': '31' }, /lambda\.logRetentionDays = 31: expected one of 1, 3, 5, 7, 14, 30/],
    [{ 'lambda.timeoutSeconds': '60' }, /lambda\.timeoutSeconds = 60: Too big: expected number to be <=29/],
    [{ stackName: 'my stack' }, /stackName = "my stack": must start with a letter/],
    [{ 'model.aliass': 'nova-pro' }, /unknown key 'model\.aliass'; allowed: alias, inference, maxTokens/],
    [{ modle: {} }, /unknown key 'modle'; allowed: ground, compliance, stackName, model, api, lambda/],
    [{ 'api.maxQueryChars': '{"a":' }, /api\.maxQueryChars = "\{\\"a\\":": Invalid input: expected number, received string/],
    [{ 'knowledgeBase.vectorStore': 'opensearch-serverless' }, /knowledgeBase\.vectorStore = "opensearch-serverless": is not built yet; allowed: s3-vectors/],
    // Grounds 4-7 and the PredictiveMl stack.
    [{ 'api.streamTimeoutSeconds': '1000' }, /api\.streamTimeoutSeconds = 1000: Too big: expected number to be <=900/],
    [{ 'auth.callbackUrls': '["http://example.com/cb"]' }, /auth\.callbackUrls\.0 = "http:\/\/example\.com\/cb": must be an https URL or http:\/\/localhost/],
    [{ 'auth.domainPrefix': 'my-aws-login' }, /auth\.domainPrefix = "my-aws-login": must not contain aws, amazon or cognito/],
    [{ 'agent.idleSessionTtlSeconds': '30' }, /agent\.idleSessionTtlSeconds = 30: Too small/],
    [{ 'sessions.historyTurns': '51' }, /sessions\.historyTurns = 51: Too big/],
    [{ 'observability.invocationLogging': 'always' }, /observability\.invocationLogging = "always": .*"on"/],
    [{ 'predictiveMl.minValidationAuc': '2' }, /predictiveMl\.minValidationAuc = 2: Too big/],
  ])('fails on %j naming the key, the value and what is allowed', (context, message) => {
    expect(() => loadConfig(context)).toThrow(message);
  });

  test('fails when a model that needs a cross-region profile is asked for in-Region', () => {
    expect(() => loadConfig({ 'model.alias': 'claude-haiku-4-5', 'model.inference': 'in-region' })).toThrow(
      /model\.inference = "in-region": claude-haiku-4-5 is only served through a cross-region inference profile; allowed: us, eu, apac, global/,
    );
  });

  test('fails when the geography has no profile for the model', () => {
    expect(() => loadConfig({ 'model.alias': 'nova-lite', 'model.inference': 'global' })).toThrow(
      /model\.inference = "global": nova-lite has no global inference profile; allowed: in-region, us, eu, apac/,
    );
  });

  test('fails when maxTokens exceeds what the model can generate', () => {
    expect(() => loadConfig({ 'model.maxTokens': '20000' })).toThrow(/model\.maxTokens = 20000: must be at most 10000 for nova-lite/);
  });

  test('fails when one attempt may outlast the function', () => {
    expect(() => loadConfig({ 'model.attemptTimeoutSeconds': '25', 'lambda.timeoutSeconds': '20' })).toThrow(
      /model\.attemptTimeoutSeconds = 25: must be below lambda\.timeoutSeconds \(20\)/,
    );
  });

  test('a wrong configuration is a ConfigError (bin/app.ts prints it without a stack trace)', () => {
    expect(() => loadConfig({ 'model.alias': 'nope' })).toThrow(ConfigError);
  });

  test('lists every wrong key at once', () => {
    expect(() => loadConfig({ 'model.maxTokens': '-1', 'api.throttleBurstLimit': '0' })).toThrow(/model\.maxTokens[\s\S]*api\.throttleBurstLimit/);
  });
});

describe('-c values are read as their key takes them', () => {
  test('keys taking an array or an object take JSON', () => {
    const cfg = loadConfig({
      tenants: '[{"name":"acme","tier":"premium","quotaPerDay":5000,"rateLimit":10,"burstLimit":20}]',
      'router.models': '["nova-micro","nova-lite"]',
      'router.byTier': '{"basic":"nova-micro","standard":"nova-lite"}',
      'router.longPromptModel': 'nova-lite',
      'router.fallbacks': ' {"nova-lite":["nova-micro"]} ',
      'guardrail.blockedWords': '["foo","bar"]',
    });
    expect(cfg.tenants).toEqual([{ name: 'acme', tier: 'premium', quotaPerDay: 5000, rateLimit: 10, burstLimit: 20 }]);
    expect(cfg.router).toMatchObject({
      models: ['nova-micro', 'nova-lite'],
      byTier: { basic: 'nova-micro', standard: 'nova-lite' },
      fallbacks: { 'nova-lite': ['nova-micro'] },
    });
    expect(cfg.guardrail.blockedWords).toEqual(['foo', 'bar']);
  });

  test('string keys stay strings, even when they look like JSON or a number', () => {
    const cfg = loadConfig({
      'guardrail.blockedInputMessage': '[blocked] Ask something else.',
      'auth.domainPrefix': '123',
      'agent.instruction': '{"role":"assistant"} is how you answer every question here.',
    });
    expect(cfg.guardrail.blockedInputMessage).toBe('[blocked] Ask something else.');
    expect(cfg.auth.domainPrefix).toBe('123');
    expect(cfg.agent.instruction).toBe('{"role":"assistant"} is how you answer every question here.');
  });

  test.each([
    [
      { tenants: '[{"name":"acme",' },
      /tenants = "\[\{\\"name\\":\\"acme\\",": is not valid JSON \(.+\); tenants takes a JSON array: -c tenants='\["\.\.\.", \.\.\.\]'/,
    ],
    [{ 'router.models': 'nova-micro,nova-lite' }, /router\.models = "nova-micro,nova-lite": is not valid JSON \(.+\); router\.models takes a JSON array/],
    [
      { 'router.byTier': "{basic:'nova-micro'}" },
      /router\.byTier = "\{basic:'nova-micro'\}": is not valid JSON \(.+\); router\.byTier takes a JSON object: -c router\.byTier='\{"key": \.\.\.\}'/,
    ],
  ])('fails on invalid JSON %j naming the key', (context, message) => {
    expect(() => loadConfig(context)).toThrow(message);
  });

  test('invalid JSON is listed with the other wrong keys', () => {
    expect(() => loadConfig({ 'router.models': '[nova-micro]', 'model.maxTokens': '0' })).toThrow(
      /router\.models = "\[nova-micro\]": is not valid JSON[\s\S]*model\.maxTokens = 0/,
    );
  });
});

describe('router and tenants (ground 4)', () => {
  test('default router: three price tiers through the us profiles, a fallback chain per model', () => {
    expect(effectiveRouter(loadConfig({}))).toEqual({
      models: ['nova-lite', 'nova-micro', 'claude-haiku-4-5'],
      byTier: { basic: 'nova-micro', standard: 'nova-lite', premium: 'claude-haiku-4-5' },
      longPrompt: { minChars: 20_000, alias: 'claude-haiku-4-5' },
      fallbacks: { 'claude-haiku-4-5': ['nova-lite', 'nova-micro'], 'nova-lite': ['nova-micro'], 'nova-micro': ['nova-lite'] },
    });
  });

  test('in-Region with the default router: models that need a profile are left out, not an error', () => {
    const router = effectiveRouter(loadConfig({ 'model.inference': 'in-region' }));
    expect(router.models).toEqual(['nova-lite', 'nova-micro']);
    expect(router.byTier).toEqual({ basic: 'nova-micro', standard: 'nova-lite' });
    expect(router.longPrompt).toBeUndefined();
    expect(router.fallbacks).toEqual({ 'nova-lite': ['nova-micro'], 'nova-micro': ['nova-lite'] });
  });

  test.each([
    [
      { 'model.inference': 'in-region', 'router.models': '["nova-lite","claude-haiku-4-5"]' },
      /router\.models = \["nova-lite","claude-haiku-4-5"\]: claude-haiku-4-5 cannot be reached through model\.inference = in-region/,
    ],
    [{ 'router.models': '["nova-micro"]' }, /router\.models = \["nova-micro"\]: must include model\.alias \(nova-lite\)/],
    [{ 'router.models': '["nova-lite","nova-micro"]' }, /router\.byTier\.premium = \(default\): must be one of router\.models: nova-lite, nova-micro/],
    [
      { 'router.models': '["nova-lite"]', 'router.byTier': '{}', 'router.longPromptModel': 'nova-lite', 'router.fallbacks': '{"nova-lite":["nova-pro"]}' },
      /router\.fallbacks\.nova-lite = \["nova-pro"\]: names nova-pro/,
    ],
    [
      {
        tenants: JSON.stringify([
          { name: 'a', tier: 'basic', quotaPerDay: 1, rateLimit: 1, burstLimit: 1 },
          { name: 'A', tier: 'premium', quotaPerDay: 1, rateLimit: 1, burstLimit: 1 },
        ]),
      },
      /tenants = .*: tenant names must be unique/,
    ],
    [
      { tenants: '[{"name":"a b","tier":"gold","quotaPerDay":0,"rateLimit":1,"burstLimit":1}]' },
      /tenants\.0\.name = "a b"[\s\S]*tenants\.0\.tier = "gold"[\s\S]*tenants\.0\.quotaPerDay = 0/,
    ],
  ])('fails on %j naming the key, the value and what is allowed', (context, message) => {
    expect(() => loadConfig(context)).toThrow(message);
  });
});

describe('ground selection', () => {
  test('ground is a configuration key: a ground number, all, ml or unset', () => {
    for (const ground of ['0', 7, '7', 'all', 'ml', '', undefined]) expect(() => loadConfig({ ground })).not.toThrow();
    expect(loadConfig({ ground: '3' }).ground).toBe(3);
  });

  test.each(['9', '-1', 'one', '0.5'])('the configuration fails on ground=%s naming the allowed grounds', (value) => {
    expect(() => loadConfig({ ground: value })).toThrow(
      `ground = ${JSON.stringify(/^[\d.-]+$/.test(value) ? Number(value) : value)}: expected one of 0, 1, 2, 3, 4, 5, 6, 7 (one ground), ` +
        'all or unset (every ground and the PredictiveMl stack), ml (the PredictiveMl stack alone)',
    );
  });

  test('the configuration allows exactly the grounds that have a stack', () => {
    expect(GROUND_NUMBERS).toEqual(GROUNDS.map((g) => g.ground));
  });

  test('unset selects every ground; a number selects one', () => {
    expect(selectGrounds(undefined)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(selectGrounds('0')).toEqual([0]);
    expect(selectGrounds(0)).toEqual([0]);
    expect(selectGrounds('7')).toEqual([7]);
    // The PredictiveMl stack alone: no ground stack.
    expect(selectGrounds('ml')).toEqual([]);
  });

  test.each(['9', '-1', 'one', '0.5'])('fails on ground=%s naming the allowed grounds', (value) => {
    expect(() => selectGrounds(value)).toThrow(
      `ground = ${JSON.stringify(value)}; allowed: 0, 1, 2, 3, 4, 5, 6, 7 or unset for all, or ml for the PredictiveMl stack alone`,
    );
  });
});

describe('model catalog', () => {
  test('offers text models across price tiers, each with prices and limits', () => {
    const prices = TEXT_MODEL_ALIASES.map((a) => MODEL_CATALOG[a]).map((m) => (m.kind === 'text' ? m.price.inputPerMTok : NaN));
    expect(prices.every((p) => p > 0)).toBe(true);
    expect(Math.max(...prices) / Math.min(...prices)).toBeGreaterThan(50);
  });

  test('runtime ids: the model in-Region, the geography prefix through a profile', () => {
    expect(invocationId(MODEL_CATALOG['nova-lite'], 'in-region')).toBe('amazon.nova-lite-v1:0');
    expect(invocationId(MODEL_CATALOG['claude-haiku-4-5'], 'global')).toBe('global.anthropic.claude-haiku-4-5-20251001-v1:0');
  });
});
