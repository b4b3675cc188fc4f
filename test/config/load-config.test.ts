/**
 * loadConfig read directly, with nothing but lib/config loaded (stryker.config.mjs UNIT_TESTS;
 * test/config/schema.test.ts also checks the grounds against the configuration). Every refusal is
 * compared whole: the key, the value received and what is allowed.
 */
import * as fs from 'node:fs';
import { ConfigError } from '../../lib/config/errors';
import { DEFAULT_PROMPT } from '../../lib/config/prompts';
import { effectiveRouter, loadConfig } from '../../lib/config/schema';
import { CONFIGURATION_DOC, renderConfigurationDoc } from '../../scripts/generate-docs';

const HEADER = 'Invalid genai-blueprint configuration (cdk.json context or -c key=value):';

/** The lines of the ConfigError that loadConfig throws for this context. */
function problems(context: Record<string, unknown>): string[] {
  let error: unknown;
  try {
    loadConfig(context);
  } catch (e) {
    error = e;
  }
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError for ${JSON.stringify(context)}, got ${String(error)}`);
  expect(error.name).toBe('ConfigError');
  const [header, ...lines] = error.message.split('\n');
  expect(header).toBe(HEADER);
  return lines.map((line) => {
    expect(line.slice(0, 4)).toBe('  - ');
    return line.slice(4);
  });
}

const tenant = (name: string, tier = 'basic') => ({ name, tier, quotaPerDay: 1, rateLimit: 1, burstLimit: 1 });
const GROUND_ALLOWED =
  'expected one of 0, 1, 2, 3, 4, 5, 6, 7 (one ground), all or unset (every ground and the PredictiveMl stack), ml (the PredictiveMl stack alone)';

describe('the documented configuration', () => {
  // Every key's description, default and allowed values reach users through this page (npm run docs).
  test('docs/configuration.md is the page generated from the schema', () => {
    expect(renderConfigurationDoc()).toBe(fs.readFileSync(CONFIGURATION_DOC, 'utf8'));
  });
});

describe('-c strings read as the key takes them', () => {
  test('numbers: integers, decimals and negatives, blanks around them ignored', () => {
    const cfg = loadConfig({ 'model.maxTokens': ' 2048 ', 'model.temperature': '0.25', 'knowledgeBase.minScore': '0.75' });
    expect([cfg.model.maxTokens, cfg.model.temperature, cfg.knowledgeBase.minScore]).toEqual([2048, 0.25, 0.75]);
    expect(problems({ 'knowledgeBase.minScore': '-0.5' })).toEqual(['knowledgeBase.minScore = -0.5: Too small: expected number to be >=0']);
  });

  test.each(['1.', '.5', '1e3', '12abc', 'abc12', '- 1', '1.2.3', ''])('a number key keeps %j as the string it is, and says so', (value) => {
    expect(problems({ 'model.temperature': value })).toEqual([`model.temperature = ${JSON.stringify(value)}: Invalid input: expected number, received string`]);
  });

  test('booleans: true and false, blanks around them ignored; nothing else', () => {
    expect(loadConfig({ 'cache.semantic': ' false ' }).cache.semantic).toBe(false);
    expect(loadConfig({ 'cache.semantic': 'true', 'gateway.blockLargeBodies': 'true' }).gateway.blockLargeBodies).toBe(true);
    expect(problems({ 'cache.semantic': 'TRUE', 'gateway.blockLargeBodies': '1' })).toEqual([
      'cache.semantic = "TRUE": Invalid input: expected boolean, received string',
      'gateway.blockLargeBodies = "1": Invalid input: expected boolean, received string',
    ]);
  });

  test('a number key does not read true, and a string key keeps numbers and booleans as typed', () => {
    expect(problems({ 'model.maxTokens': 'true' })).toEqual(['model.maxTokens = "true": Invalid input: expected number, received string']);
    expect(problems({ 'model.alias': 'true' })[0]).toMatch(/^model\.alias = "true": Invalid option: expected one of "nova-micro"/);
    const cfg = loadConfig({ 'api.stageName': '2024', 'guardrail.blockedInputMessage': 'false' });
    expect([cfg.api.stageName, cfg.guardrail.blockedInputMessage]).toEqual(['2024', 'false']);
  });

  test('a key taking a number or a word (ground) reads numbers and booleans, and keeps words', () => {
    expect(loadConfig({ ground: ' 3 ' }).ground).toBe(3);
    expect(loadConfig({ ground: 'ml' }).ground).toBe('ml');
    expect(problems({ ground: 'true' })).toEqual([`ground = true: ${GROUND_ALLOWED}`]);
    expect(problems({ ground: '0.5' })).toEqual([`ground = 0.5: ${GROUND_ALLOWED}`]);
  });

  test('a key taking one of some numbers reads a number, and names them', () => {
    expect(loadConfig({ 'cache.embeddingDimensions': '512' }).cache.embeddingDimensions).toBe(512);
    expect(problems({ 'cache.embeddingDimensions': 'true' })).toEqual(['cache.embeddingDimensions = "true": Invalid option: expected one of 256|512|1024']);
  });

  test('values from cdk.json keep their JSON type', () => {
    expect(loadConfig({ 'model.maxTokens': 2048, 'cache.semantic': false, tenants: [tenant('acme')] })).toMatchObject({
      model: { maxTokens: 2048 },
      cache: { semantic: false },
      tenants: [tenant('acme')],
    });
  });

  test('array and object keys take JSON, blanks around it ignored; a record value by its own key', () => {
    const cfg = loadConfig({
      'guardrail.blockedWords': ' ["foo"] ',
      'router.byTier': '{"basic":"nova-lite"}',
      'router.fallbacks.nova-lite': '["nova-micro"]',
    });
    expect(cfg.guardrail.blockedWords).toEqual(['foo']);
    expect(cfg.router.byTier).toEqual({ basic: 'nova-lite' });
    expect(cfg.router.fallbacks).toEqual({ 'nova-lite': ['nova-micro'] });
  });

  test('fails on invalid JSON with an example of the array or object the key takes', () => {
    expect(problems({ 'guardrail.blockedWords': 'foo', 'router.byTier': '{basic}' })).toEqual([
      'guardrail.blockedWords = "foo": is not valid JSON (Unexpected token \'o\', "foo" is not valid JSON); guardrail.blockedWords takes a JSON array: ' +
        '-c guardrail.blockedWords=\'["...", ...]\'',
      'router.byTier = "{basic}": is not valid JSON (Expected property name or \'}\' in JSON at position 1 (line 1 column 2)); router.byTier takes a ' +
        'JSON object: -c router.byTier=\'{"key": ...}\'',
    ]);
  });

  test('a field under an array element is read as that field takes it', () => {
    // tenants.0.name is a string: "123" stays "123" (tenants given this way is then not an array).
    for (const index of ['0', '10']) {
      expect(problems({ [`tenants.${index}.name`]: '123' })).toEqual([`tenants = {"${index}":{"name":"123"}}: Invalid input: expected array, received object`]);
    }
    // Not an index: the key is unknown, and "123" is read as a number.
    for (const index of ['x', 'x1', '1x']) {
      expect(problems({ [`tenants.${index}.name`]: '123' })).toEqual([`tenants = {"${index}":{"name":123}}: Invalid input: expected array, received object`]);
    }
  });
});

describe('keys', () => {
  test('CDK feature flags, lookups, telemetry and acknowledged notices are not configuration', () => {
    expect(() =>
      loadConfig({
        '@aws-cdk/core:newStyleStackSynthesis': true,
        '@acme/flag': 'x',
        'availability-zones:account=1:region=x': ['a'],
        'cli-telemetry': false,
        'acknowledged-issue-numbers': [34892],
      }),
    ).not.toThrow();
  });

  test('a key merely containing @ is configuration', () => {
    expect(problems({ 'model@x': 1 })).toEqual([
      "unknown key 'model@x'; allowed: ground, compliance, stackName, model, api, lambda, network, prompt, knowledgeBase, guardrail, router, " +
        'tenants, cache, gateway, agent, auth, sessions, feedback, observability, pipeline, predictiveMl, delivery',
    ]);
  });

  test('fails on unknown keys at every depth, naming each and the keys allowed there', () => {
    expect(problems({ modle: 1, apii: 2, 'knowledgeBase.x': 3, 'knowledgeBase.chunking.size': 4 })).toEqual([
      "unknown key 'knowledgeBase.chunking.size'; allowed: strategy, maxTokens, overlapPercentage, parentMaxTokens, childMaxTokens, overlapTokens, " +
        'bufferSize, breakpointPercentileThreshold',
      "unknown key 'knowledgeBase.x'; allowed: vectorStore, embeddingModel, dimensions, chunking, ingestionBatchWindowSeconds, defaultTopK, maxTopK, minScore",
      "unknown key 'modle', 'apii'; allowed: ground, compliance, stackName, model, api, lambda, network, prompt, knowledgeBase, guardrail, router, " +
        'tenants, cache, gateway, agent, auth, sessions, feedback, observability, pipeline, predictiveMl, delivery',
    ]);
  });

  test('fails on a key under an unknown section, naming the section', () => {
    expect(problems({ 'modle.alias': 'nova-pro' })).toEqual([
      "unknown key 'modle'; allowed: ground, compliance, stackName, model, api, lambda, network, prompt, knowledgeBase, guardrail, router, " +
        'tenants, cache, gateway, agent, auth, sessions, feedback, observability, pipeline, predictiveMl, delivery',
    ]);
  });

  test('fails on an unknown key inside an array element, naming the keys the element allows', () => {
    expect(problems({ tenants: [{ ...tenant('a'), quota: 1 }] })).toEqual([
      "unknown key 'tenants.0.quota'; allowed: name, tier, quotaPerDay, rateLimit, burstLimit",
    ]);
  });

  test('a section and dotted keys into it merge, in either order', () => {
    for (const context of [
      { model: { alias: 'nova-pro' }, 'model.temperature': '0.2' },
      { 'model.temperature': '0.2', model: { alias: 'nova-pro' } },
    ]) {
      expect(loadConfig(context).model).toEqual({
        alias: 'nova-pro',
        inference: 'us',
        maxTokens: 1024,
        temperature: 0.2,
        maxAttempts: 3,
        attemptTimeoutSeconds: 20,
      });
    }
  });

  test('a dotted key replaces a value that is not a section, and a non-section replaces what dotted keys set', () => {
    expect(loadConfig({ model: 5, 'model.alias': 'nova-pro' }).model.alias).toBe('nova-pro');
    expect(loadConfig({ model: null, 'model.alias': 'nova-pro' }).model.alias).toBe('nova-pro');
    expect(problems({ 'model.alias': 'nova-pro', model: 5 })).toEqual(['model = 5: Invalid input: expected object, received number']);
    expect(problems({ router: { models: ['nova-lite'] }, 'router.models.first': 'nova-lite' })).toEqual([
      'router.models = {"first":"nova-lite"}: Invalid input: expected array, received object',
    ]);
  });

  test('network=<mode> is short for network.mode; network still takes a section as JSON or an object', () => {
    expect(loadConfig({ network: 'private' }).network.mode).toBe('private');
    expect(loadConfig({ network: ' {"mode":"private"}' }).network.mode).toBe('private');
    expect(loadConfig({ network: { mode: 'private' } }).network.mode).toBe('private');
    expect(problems({ network: 'closed' })).toEqual([
      'network.mode = "closed": expected public (the API on the internet, the default) or private (the API and every function only inside a VPC, ' +
        'docs/network.md)',
    ]);
  });

  test('a value left to its default is shown as (default); one inside an array by its index', () => {
    expect(problems({ 'router.models': '["nova-lite","nova-micro"]' })).toEqual([
      'router.byTier.premium = (default): must be one of router.models: nova-lite, nova-micro',
      'router.longPromptModel = (default): must be one of router.models: nova-lite, nova-micro',
      'router.fallbacks.claude-haiku-4-5 = (default): names claude-haiku-4-5; each must be one of router.models: nova-lite, nova-micro',
    ]);
    expect(problems({ tenants: [{ ...tenant('a b'), tier: 'gold' }] })).toEqual([
      'tenants.0.name = "a b": must be 1-64 letters, digits or hyphens',
      'tenants.0.tier = "gold": Invalid option: expected one of "basic"|"standard"|"premium"',
    ]);
  });

  test('stackName: a letter, then letters, digits and hyphens, 128 at most', () => {
    expect(loadConfig({ stackName: `a${'B1-'.repeat(42)}x` }).stackName).toHaveLength(128);
    for (const name of ['a', 'Z', 'Za', 'aZ', 'a1', 'a-']) expect(loadConfig({ stackName: name }).stackName).toBe(name);
    const refusal = 'must start with a letter and hold only letters, digits and hyphens (at most 128)';
    for (const name of [`a${'b'.repeat(128)}`, '1abc', '-abc', 'ab_c', 'ab c', '']) {
      expect(problems({ stackName: name })).toEqual([`stackName = ${JSON.stringify(name)}: ${refusal}`]);
    }
  });

  test('api.stageName: 1-64 letters, digits or underscores', () => {
    expect(loadConfig({ 'api.stageName': `V_${'9'.repeat(62)}` }).api.stageName).toHaveLength(64);
    for (const name of ['v', 'V', '1', '_']) expect(loadConfig({ 'api.stageName': name }).api.stageName).toBe(name);
    for (const name of ['9'.repeat(65), '', 'v-1', 'v 1']) {
      expect(problems({ 'api.stageName': name })).toEqual([`api.stageName = ${JSON.stringify(name)}: must be 1-64 letters, digits or underscores`]);
    }
  });

  test('lambda.logRetentionDays: one of the retention periods CloudWatch Logs offers', () => {
    expect(loadConfig({ 'lambda.logRetentionDays': '3653' }).lambda.logRetentionDays).toBe(3653);
    expect(problems({ 'lambda.logRetentionDays': '2' })).toEqual([
      'lambda.logRetentionDays = 2: expected one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653',
    ]);
  });
});

describe('the model', () => {
  test('maxTokens up to what the model generates', () => {
    expect(loadConfig({ 'model.maxTokens': '10000' }).model.maxTokens).toBe(10_000);
    expect(loadConfig({ 'model.alias': 'claude-haiku-4-5', 'model.maxTokens': '64000' }).model.maxTokens).toBe(64_000);
    expect(problems({ 'model.maxTokens': '10001' })).toEqual(['model.maxTokens = 10001: must be at most 10000 for nova-lite']);
  });

  test('an attempt must end before the function is stopped', () => {
    expect(loadConfig({ 'model.attemptTimeoutSeconds': '19', 'lambda.timeoutSeconds': '20' }).model.attemptTimeoutSeconds).toBe(19);
    expect(problems({ 'model.attemptTimeoutSeconds': '20', 'lambda.timeoutSeconds': '20' })).toEqual([
      'model.attemptTimeoutSeconds = 20: must be below lambda.timeoutSeconds (20) so the function answers before it is killed',
    ]);
  });

  test('in-Region for a model served on demand, a geography it has a profile in', () => {
    expect(loadConfig({ 'model.inference': 'in-region' }).model.inference).toBe('in-region');
    expect(loadConfig({ 'model.alias': 'claude-haiku-4-5', 'model.inference': 'global' }).model.inference).toBe('global');
    expect(problems({ 'model.alias': 'claude-haiku-4-5', 'model.inference': 'in-region', 'router.models': '["claude-haiku-4-5"]' })).toContain(
      'model.inference = "in-region": claude-haiku-4-5 is only served through a cross-region inference profile; allowed: us, eu, apac, global',
    );
    expect(problems({ 'model.inference': 'global', 'router.models': '["nova-lite"]' })).toContain(
      'model.inference = "global": nova-lite has no global inference profile; allowed: in-region, us, eu, apac',
    );
  });
});

describe('the prompt (ground 1)', () => {
  const prompt = (changes: Partial<typeof DEFAULT_PROMPT>) => ({ prompt: { ...DEFAULT_PROMPT, ...changes } });

  test('the default prompt and variables used with blanks inside the braces', () => {
    expect(loadConfig({}).prompt).toEqual(DEFAULT_PROMPT);
    expect(loadConfig(prompt({ tone: 'Suited to {{ audience }}.' })).prompt.tone).toBe('Suited to {{ audience }}.');
  });

  test.each(['persona', 'objective', 'instructions', 'tone'] as const)('fails when the %s uses an undeclared variable, naming those declared', (section) => {
    expect(problems(prompt({ [section]: 'For {{ reader }}.' }))).toEqual([
      `prompt.${section} = "For {{ reader }}.": uses {{reader}}, which is not a declared variable; declared: audience`,
    ]);
  });

  test('fails when a constraint uses an undeclared variable; with none declared, says so', () => {
    expect(problems(prompt({ persona: 'An assistant.', constraints: ['Keep it short.', 'Write for {{who}}.'], variables: [] }))).toEqual([
      'prompt.constraints = ["Keep it short.","Write for {{who}}."]: uses {{who}}, which is not a declared variable; declared: none',
    ]);
  });

  test('names every declared variable; a variable cannot span two constraints', () => {
    const variables = [
      { name: 'audience', description: 'a' },
      { name: 'tone', description: 'b' },
    ];
    expect(problems(prompt({ variables, objective: '{{goal}}' }))).toEqual([
      'prompt.objective = "{{goal}}": uses {{goal}}, which is not a declared variable; declared: audience, tone',
    ]);
    expect(loadConfig(prompt({ constraints: ['Keep {', '{goal}} in mind.'] })).prompt.constraints).toEqual(['Keep {', '{goal}} in mind.']);
  });

  test('fails on two variables of the same name', () => {
    const variables = [
      { name: 'audience', description: 'a' },
      { name: 'audience', description: 'b' },
    ];
    expect(problems(prompt({ variables }))).toEqual([`prompt.variables = ${JSON.stringify(variables)}: variable names must be unique`]);
  });

  test('variable names: a lowercase letter, then at most 39 letters, digits or underscores; query and context reserved', () => {
    const name = `a${'B_9'.repeat(13)}`;
    expect(loadConfig(prompt({ persona: `{{${name}}}`, variables: [{ name, description: 'x' }] })).prompt.variables[0].name).toHaveLength(40);
    for (const short of ['a', 'ab', 'aB', 'a1', 'a_']) {
      expect(loadConfig(prompt({ persona: `{{${short}}}`, variables: [{ name: short, description: 'x' }] })).prompt.variables[0].name).toBe(short);
    }
    const refusal = 'must start with a lowercase letter and hold at most 40 letters, digits or underscores';
    for (const bad of [`${name}x`, 'Audience', '1a', 'a-b', '']) {
      expect(problems(prompt({ persona: 'x', variables: [{ name: bad, description: 'x' }] }))).toEqual([
        `prompt.variables.0.name = ${JSON.stringify(bad)}: ${refusal}`,
      ]);
    }
    expect(problems(prompt({ persona: 'x', variables: [{ name: 'query', description: 'x' }] }))).toEqual([
      'prompt.variables.0.name = "query": is reserved: query, context are filled by the blueprint',
    ]);
  });

  test('prompt names: 1-64 letters, digits, underscores or hyphens', () => {
    expect(loadConfig(prompt({ name: `A_-${'9'.repeat(61)}` })).prompt.name).toHaveLength(64);
    for (const name of ['a', 'A', '9', '_', '-']) expect(loadConfig(prompt({ name })).prompt.name).toBe(name);
    for (const name of ['a'.repeat(65), '', 'a b', 'a.b']) {
      expect(problems(prompt({ name }))).toEqual([`prompt.name = ${JSON.stringify(name)}: must be 1-64 letters, digits, underscores or hyphens`]);
    }
  });
});

describe('the knowledge base (ground 2)', () => {
  test('dimensions the embedding model produces', () => {
    expect(loadConfig({ 'knowledgeBase.dimensions': '512' }).knowledgeBase.dimensions).toBe(512);
    expect(problems({ 'knowledgeBase.dimensions': '768' })).toEqual(['knowledgeBase.dimensions = 768: titan-embed-text-v2 produces 256, 512, 1024 dimensions']);
  });

  test('defaultTopK up to maxTopK', () => {
    expect(loadConfig({ 'knowledgeBase.defaultTopK': '7', 'knowledgeBase.maxTopK': '7' }).knowledgeBase.defaultTopK).toBe(7);
    expect(problems({ 'knowledgeBase.defaultTopK': '8', 'knowledgeBase.maxTopK': '7' })).toEqual([
      'knowledgeBase.defaultTopK = 8: must be at most knowledgeBase.maxTopK (7)',
    ]);
  });

  test('hierarchical chunking: child chunks below the parent size; other strategies ignore the two', () => {
    const sizes = { 'knowledgeBase.chunking.parentMaxTokens': '300', 'knowledgeBase.chunking.childMaxTokens': '300' };
    expect(loadConfig({ ...sizes, 'knowledgeBase.chunking.strategy': 'fixed' }).knowledgeBase.chunking.strategy).toBe('fixed');
    expect(
      loadConfig({ ...sizes, 'knowledgeBase.chunking.strategy': 'hierarchical', 'knowledgeBase.chunking.childMaxTokens': '299' }).knowledgeBase.chunking,
    ).toMatchObject({
      childMaxTokens: 299,
    });
    expect(problems({ ...sizes, 'knowledgeBase.chunking.strategy': 'hierarchical' })).toEqual([
      'knowledgeBase.chunking.childMaxTokens = 300: must be below knowledgeBase.chunking.parentMaxTokens (300)',
    ]);
  });

  test('fails on OpenSearch Serverless, which is not built; S3 Vectors may be named', () => {
    expect(loadConfig({ 'knowledgeBase.vectorStore': 's3-vectors' }).knowledgeBase.vectorStore).toBe('s3-vectors');
    expect(problems({ 'knowledgeBase.vectorStore': 'opensearch-serverless' })).toEqual([
      'knowledgeBase.vectorStore = "opensearch-serverless": is not built yet; allowed: s3-vectors',
    ]);
  });
});

describe('the guardrail (ground 3)', () => {
  const regex = (changes: Record<string, unknown>) => ({
    'guardrail.regexes': JSON.stringify([{ name: 'Ticket', pattern: 'T-[0-9]+', action: 'BLOCK', ...changes }]),
  });

  test('custom patterns must be regular expressions', () => {
    expect(loadConfig(regex({})).guardrail.regexes).toEqual([{ name: 'Ticket', pattern: 'T-[0-9]+', action: 'BLOCK' }]);
    expect(problems(regex({ pattern: 'T-[0-9' }))).toEqual(['guardrail.regexes.0.pattern = "T-[0-9": must be a valid regular expression']);
  });

  test('pattern names: 1-100 letters, digits, spaces, - or _', () => {
    expect(loadConfig(regex({ name: `a -_${'9'.repeat(96)}` })).guardrail.regexes[0].name).toHaveLength(100);
    for (const name of ['a', 'A', '9', '-', '_', ' ']) expect(loadConfig(regex({ name })).guardrail.regexes[0].name).toBe(name);
    for (const name of ['a'.repeat(101), '', 'a!']) {
      expect(problems(regex({ name }))).toEqual([`guardrail.regexes.0.name = ${JSON.stringify(name)}: must be 1-100 letters, digits, spaces, - or _`]);
    }
  });

  test('denied topic names: 1-100 letters, digits, spaces or -_!?.', () => {
    const topic = (name: string) => ({ 'guardrail.deniedTopics': JSON.stringify([{ name, definition: 'd' }]) });
    expect(loadConfig(topic(`Q -_!?.${'9'.repeat(93)}`)).guardrail.deniedTopics).toEqual([{ name: `Q -_!?.${'9'.repeat(93)}`, definition: 'd', examples: [] }]);
    for (const name of ['q', 'Q', '9', '-', '_', ' ', '!', '?', '.']) expect(loadConfig(topic(name)).guardrail.deniedTopics[0].name).toBe(name);
    for (const name of ['a'.repeat(101), '', 'a,b']) {
      expect(problems(topic(name))).toEqual([`guardrail.deniedTopics.0.name = ${JSON.stringify(name)}: must be 1-100 letters, digits, spaces or -_!?.`]);
    }
  });
});

describe('auth (ground 7) is checked with the rest', () => {
  test('fails on tenant values naming an unconfigured tenant, without identity providers', () => {
    expect(problems({ 'auth.tenantValues': '{"acme-corp":"acme"}' })).toEqual([
      'auth.tenantValues.acme-corp = "acme": names tenant acme, which is not configured; tenants: demo',
      'auth.tenantValues = {"acme-corp":"acme"}: is only read for users of identity providers, and auth.identityProviders is empty',
    ]);
  });
});

describe('the router and tenants (ground 4)', () => {
  test('router.models set: only those, with the tier, long-prompt and fallback entries naming them', () => {
    const cfg = loadConfig({
      'router.models': '["nova-lite","nova-micro"]',
      'router.byTier': '{"basic":"nova-micro"}',
      'router.longPromptModel': 'nova-lite',
      'router.fallbacks': '{"nova-lite":["nova-micro"],"nova-micro":[]}',
    });
    expect(effectiveRouter(cfg)).toEqual({
      models: ['nova-lite', 'nova-micro'],
      byTier: { basic: 'nova-micro' },
      longPrompt: { minChars: 20_000, alias: 'nova-lite' },
      fallbacks: { 'nova-lite': ['nova-micro'], 'nova-micro': [] },
    });
  });

  test('router.models unset: the model plus the default ones the route reaches, once each; entries naming others dropped', () => {
    expect(
      effectiveRouter({
        model: { alias: 'nova-pro', inference: 'in-region' },
        router: {
          byTier: { basic: 'nova-micro', premium: 'claude-haiku-4-5', standard: undefined },
          longPromptChars: 5,
          longPromptModel: 'claude-haiku-4-5',
          fallbacks: { 'nova-pro': ['claude-haiku-4-5', 'nova-lite'], 'claude-haiku-4-5': ['nova-pro'], 'nova-lite': undefined },
        },
      }),
    ).toEqual({
      models: ['nova-pro', 'nova-micro', 'nova-lite'],
      byTier: { basic: 'nova-micro' },
      longPrompt: undefined,
      fallbacks: { 'nova-pro': ['nova-lite'], 'nova-lite': [] },
    });
    expect(effectiveRouter(loadConfig({ 'model.alias': 'nova-micro' })).models).toEqual(['nova-micro', 'nova-lite', 'claude-haiku-4-5']);
  });

  test('a tier left undefined in a cdk.json object is not checked', () => {
    const router = { models: ['nova-lite'], byTier: { basic: undefined, standard: 'nova-lite' }, longPromptModel: 'nova-lite', fallbacks: {} };
    expect(effectiveRouter(loadConfig({ router })).byTier).toEqual({ standard: 'nova-lite' });
  });

  test('fails when router.models leaves out the model or names one the route cannot reach', () => {
    expect(
      problems({
        'model.inference': 'in-region',
        'router.models': '["nova-micro","claude-haiku-4-5"]',
        'router.byTier': '{}',
        'router.longPromptModel': 'nova-micro',
        'router.fallbacks': '{}',
      }),
    ).toEqual([
      'router.models = ["nova-micro","claude-haiku-4-5"]: must include model.alias (nova-lite)',
      'router.models = ["nova-micro","claude-haiku-4-5"]: claude-haiku-4-5 cannot be reached through model.inference = in-region',
    ]);
  });

  test('fails on a tier or fallback naming a model outside router.models, each by name', () => {
    expect(
      problems({
        'router.models': '["nova-lite","nova-micro"]',
        'router.byTier': '{"basic":"nova-micro","premium":"nova-pro"}',
        'router.longPromptModel': 'nova-lite',
        'router.fallbacks': '{"nova-pro":["nova-lite"],"nova-lite":["nova-micro","claude-haiku-4-5"]}',
      }),
    ).toEqual([
      'router.byTier.premium = "nova-pro": must be one of router.models: nova-lite, nova-micro',
      'router.fallbacks.nova-pro = ["nova-lite"]: names nova-pro; each must be one of router.models: nova-lite, nova-micro',
      'router.fallbacks.nova-lite = ["nova-micro","claude-haiku-4-5"]: names claude-haiku-4-5; each must be one of router.models: nova-lite, nova-micro',
    ]);
  });

  test('tenant names are unique regardless of case', () => {
    expect(loadConfig({ tenants: [tenant('acme'), tenant('acme-2')] }).tenants).toHaveLength(2);
    expect(problems({ tenants: [tenant('acme'), tenant('ACME', 'premium')] })).toEqual([
      'tenants = [{"name":"acme","tier":"basic","quotaPerDay":1,"rateLimit":1,"burstLimit":1},{"name":"ACME","tier":"premium","quotaPerDay":1,' +
        '"rateLimit":1,"burstLimit":1}]: tenant names must be unique (case-insensitive)',
    ]);
  });
});
