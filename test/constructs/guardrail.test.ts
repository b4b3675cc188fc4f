import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { DEFAULT_BLOCKED_INPUT_MESSAGE, DEFAULT_BLOCKED_OUTPUT_MESSAGE, Guardrail, type GuardrailProps } from '../../lib/constructs/guardrail/guardrail';
import { CDK_JSON_CONTEXT } from '../support/synth';

const TOPIC = {
  name: 'Investment advice',
  definition: 'Recommendations about buying, selling or holding specific securities, funds or crypto assets.',
  examples: ['Which stocks should I buy this year?', 'Is now a good time to sell my bitcoin?'],
};
const REGEX = { name: 'Internal ticket id', pattern: 'SEC-[0-9]{6}', action: 'ANONYMIZE', description: 'Security ticket numbers stay internal' } as const;

function build(props: GuardrailProps = {}, opts: { stackName?: string } = {}) {
  const app = new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Test', { stackName: opts.stackName ?? 'GenAiBlueprint' });
  const guardrail = new Guardrail(stack, 'Guardrail', props);
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  guardrail.grantApply(role);
  return { stack, guardrail, role, template: Template.fromStack(stack) };
}

/** Properties of the one guardrail in a template. */
function guardrailOf(template: Template): Record<string, any> {
  return Object.values(template.findResources('AWS::Bedrock::Guardrail'))[0].Properties;
}
function versionDescription(props: GuardrailProps = {}): string {
  return Object.values(build(props).template.findResources('AWS::Bedrock::GuardrailVersion'))[0].Properties.Description;
}

describe('Guardrail', () => {
  const { stack, guardrail, template } = build({ deniedTopics: [TOPIC], blockedWords: ['project-falcon'], regexes: [REGEX] });
  const filters = guardrailOf(template).ContentPolicyConfig.FiltersConfig as Record<string, unknown>[];

  test('prompt attacks are blocked at HIGH on input; output strength NONE as Bedrock requires', () => {
    expect(filters.filter((f) => f.Type === 'PROMPT_ATTACK')).toEqual([
      { Type: 'PROMPT_ATTACK', InputStrength: 'HIGH', InputAction: 'BLOCK', InputEnabled: true, OutputStrength: 'NONE' },
    ]);
  });

  test('the five harm categories are blocked both ways at MEDIUM or more (HIGH in, MEDIUM out by default)', () => {
    const harm = filters.filter((f) => f.Type !== 'PROMPT_ATTACK');
    expect(harm.map((f) => f.Type).sort()).toEqual(['HATE', 'INSULTS', 'MISCONDUCT', 'SEXUAL', 'VIOLENCE']);
    for (const f of harm) {
      expect(f).toEqual({
        Type: f.Type,
        InputStrength: 'HIGH',
        OutputStrength: 'MEDIUM',
        InputAction: 'BLOCK',
        InputEnabled: true,
        OutputAction: 'BLOCK',
        OutputEnabled: true,
      });
    }
  });

  test('configured harm strengths reach every harm filter', () => {
    const harm = guardrailOf(build({ harmInputStrength: 'MEDIUM', harmOutputStrength: 'HIGH' }).template).ContentPolicyConfig.FiltersConfig.slice(1);
    expect(harm).toHaveLength(5);
    for (const f of harm) expect(f).toMatchObject({ InputStrength: 'MEDIUM', OutputStrength: 'HIGH' });
  });

  test('denied topics are DENY topics with their examples, blocked both ways', () => {
    template.hasResourceProperties('AWS::Bedrock::Guardrail', {
      TopicPolicyConfig: {
        TopicsConfig: [
          {
            Name: TOPIC.name,
            Definition: TOPIC.definition,
            Examples: TOPIC.examples,
            Type: 'DENY',
            InputAction: 'BLOCK',
            InputEnabled: true,
            OutputAction: 'BLOCK',
            OutputEnabled: true,
          },
        ],
      },
    });
  });

  test('word policy: the managed PROFANITY list and the custom words, blocked both ways', () => {
    const both = { InputAction: 'BLOCK', InputEnabled: true, OutputAction: 'BLOCK', OutputEnabled: true };
    template.hasResourceProperties('AWS::Bedrock::Guardrail', {
      WordPolicyConfig: { ManagedWordListsConfig: [{ Type: 'PROFANITY', ...both }], WordsConfig: [{ Text: 'project-falcon', ...both }] },
    });
  });

  test('policies without entries are left out (the CloudFormation schema rejects empty lists)', () => {
    const props = guardrailOf(build({ profanityFilter: false, pii: [] }).template);
    expect(props.TopicPolicyConfig).toBeUndefined();
    expect(props.WordPolicyConfig).toBeUndefined();
    expect(props.SensitiveInformationPolicyConfig).toBeUndefined();
  });

  test('default PII covers secrets, identifiers and contact data, with the same action on requests and answers', () => {
    const pii = guardrailOf(template).SensitiveInformationPolicyConfig.PiiEntitiesConfig as Record<string, unknown>[];
    const types = pii.map((p) => p.Type);
    for (const required of ['EMAIL', 'PHONE', 'US_SOCIAL_SECURITY_NUMBER', 'CREDIT_DEBIT_CARD_NUMBER', 'AWS_ACCESS_KEY', 'AWS_SECRET_KEY', 'PASSWORD']) {
      expect(types).toContain(required);
    }
    for (const p of pii) {
      const action = ['EMAIL', 'PHONE', 'NAME'].includes(p.Type as string) ? 'ANONYMIZE' : 'BLOCK';
      expect(p).toEqual({ Type: p.Type, Action: action, InputAction: action, InputEnabled: true, OutputAction: action, OutputEnabled: true });
    }
  });

  test('custom regexes are sensitive information with their action both ways', () => {
    template.hasResourceProperties('AWS::Bedrock::Guardrail', {
      SensitiveInformationPolicyConfig: {
        RegexesConfig: [
          {
            Name: REGEX.name,
            Pattern: REGEX.pattern,
            Description: REGEX.description,
            Action: 'ANONYMIZE',
            InputAction: 'ANONYMIZE',
            InputEnabled: true,
            OutputAction: 'ANONYMIZE',
            OutputEnabled: true,
          },
        ],
      },
    });
  });

  test('contextual grounding blocks answers below the grounding and relevance thresholds', () => {
    const grounding = (t: Template) => guardrailOf(t).ContextualGroundingPolicyConfig.FiltersConfig;
    expect(grounding(template)).toEqual([
      { Type: 'GROUNDING', Threshold: 0.75, Action: 'BLOCK', Enabled: true },
      { Type: 'RELEVANCE', Threshold: 0.5, Action: 'BLOCK', Enabled: true },
    ]);
    expect(grounding(build({ groundingThreshold: 0.9, relevanceThreshold: 0 }).template).map((f: { Threshold: number }) => f.Threshold)).toEqual([0.9, 0]);
  });

  test('blocked messages: defaults exported for handlers, configured ones reach the guardrail and the members', () => {
    template.hasResourceProperties('AWS::Bedrock::Guardrail', {
      BlockedInputMessaging: DEFAULT_BLOCKED_INPUT_MESSAGE,
      BlockedOutputsMessaging: DEFAULT_BLOCKED_OUTPUT_MESSAGE,
    });
    const custom = build({ blockedInputMessage: 'No.', blockedOutputMessage: 'Withheld.' });
    custom.template.hasResourceProperties('AWS::Bedrock::Guardrail', { BlockedInputMessaging: 'No.', BlockedOutputsMessaging: 'Withheld.' });
    expect([custom.guardrail.blockedInputMessage, custom.guardrail.blockedOutputMessage]).toEqual(['No.', 'Withheld.']);
  });

  test('the name is generated from stack name and path: valid for Bedrock, distinct per stack', () => {
    const name = guardrailOf(template).Name as string;
    expect(name).toMatch(/^GenAiBlueprint-Guardrail-[0-9A-F]{8}$/);
    expect(name.length).toBeLessThanOrEqual(50);
    expect(guardrailOf(build({}, { stackName: 'OtherCopy' }).template).Name).not.toEqual(name);
  });

  test('a pinned version of this guardrail; the members are its attributes, never DRAFT', () => {
    template.resourceCountIs('AWS::Bedrock::GuardrailVersion', 1);
    const [guardrailId] = Object.keys(template.findResources('AWS::Bedrock::Guardrail'));
    const [versionId] = Object.keys(template.findResources('AWS::Bedrock::GuardrailVersion'));
    template.hasResourceProperties('AWS::Bedrock::GuardrailVersion', {
      GuardrailIdentifier: { 'Fn::GetAtt': [guardrailId, 'GuardrailId'] },
      Description: Match.stringLikeRegexp('^genai-blueprint policy [0-9a-f]{16}$'),
    });
    expect(stack.resolve(guardrail.guardrailVersion)).toEqual({ 'Fn::GetAtt': [versionId, 'Version'] });
    expect(stack.resolve(guardrail.guardrailId)).toEqual({ 'Fn::GetAtt': [guardrailId, 'GuardrailId'] });
    expect(stack.resolve(guardrail.guardrailArn)).toEqual({ 'Fn::GetAtt': [guardrailId, 'GuardrailArn'] });
  });

  describe('the version is replaced exactly when the policy changes', () => {
    const base: GuardrailProps = { deniedTopics: [TOPIC], regexes: [REGEX] };
    const baseDescription = versionDescription(base);

    test('the same props give the same description and logical ids', () => {
      expect(versionDescription({ ...base })).toEqual(baseDescription);
      expect(Object.keys(build(base).template.toJSON().Resources)).toEqual(Object.keys(build({ ...base }).template.toJSON().Resources));
    });

    test('a wording change of the guardrail description alone keeps the version', () => {
      expect(versionDescription({ ...base, description: 'reworded' })).toEqual(baseDescription);
    });

    test.each<[string, GuardrailProps]>([
      ['harm output strength', { harmOutputStrength: 'HIGH' }],
      ['grounding threshold', { groundingThreshold: 0.8 }],
      ['a topic example', { deniedTopics: [{ ...TOPIC, examples: ['Should I buy gold?'] }] }],
      ['a PII action', { pii: [{ type: 'EMAIL', action: 'BLOCK' }] }],
      ['a regex pattern', { regexes: [{ ...REGEX, pattern: 'SEC-[0-9]{7}' }] }],
      ['the profanity filter', { profanityFilter: false }],
      ['a blocked word', { blockedWords: ['falcon'] }],
      ['the blocked output message', { blockedOutputMessage: 'Withheld.' }],
    ])('%s', (_what, change) => {
      expect(versionDescription({ ...base, ...change })).not.toEqual(baseDescription);
    });
  });

  test('grantApply: bedrock:ApplyGuardrail on this guardrail only, no wildcard', () => {
    const [guardrailId] = Object.keys(template.findResources('AWS::Bedrock::Guardrail'));
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    expect(policies).toHaveLength(1);
    expect(policies[0].Properties.PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'bedrock:ApplyGuardrail', Resource: { 'Fn::GetAtt': [guardrailId, 'GuardrailArn'] } },
    ]);
    expect(JSON.stringify(policies)).not.toContain('*');
  });

  test('metricInterventions: InvocationsIntervened of this guardrail version, summed over 5 minutes', () => {
    const metric = guardrail.metricInterventions();
    expect(metric.namespace).toBe('AWS/Bedrock/Guardrails');
    expect(metric.metricName).toBe('InvocationsIntervened');
    expect(metric.statistic).toBe('Sum');
    expect(metric.period.toMinutes()).toBe(5);
    expect(stack.resolve(metric.dimensions)).toEqual({
      GuardrailArn: stack.resolve(guardrail.guardrailArn),
      GuardrailVersion: stack.resolve(guardrail.guardrailVersion),
    });
    expect(guardrail.metricInterventions({ statistic: 'Average' }).statistic).toBe('Average');
  });

  test('an imported guardrail version grants and measures the same way', () => {
    const s = new Stack(new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false }), 'Imports');
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123def456';
    const imported = Guardrail.fromGuardrailAttributes(s, 'Imported', { guardrailArn: arn, guardrailVersion: '3' });
    const role = new iam.Role(s, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    imported.grantApply(role);
    expect(imported.guardrailId).toBe('abc123def456');
    expect(s.resolve(imported.metricInterventions().dimensions)).toEqual({ GuardrailArn: arn, GuardrailVersion: '3' });
    Template.fromStack(s).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'bedrock:ApplyGuardrail', Resource: arn }] },
    });
  });

  test.each<[string, Partial<GuardrailProps>, string | RegExp]>([
    ['a harm input strength is LOW', { harmInputStrength: 'LOW' }, 'harmInputStrength must be one of MEDIUM, HIGH, got "LOW"'],
    ['a harm output strength is NONE', { harmOutputStrength: 'NONE' }, 'harmOutputStrength must be one of MEDIUM, HIGH, got "NONE"'],
    ['the grounding threshold is 1.2', { groundingThreshold: 1.2 }, 'groundingThreshold must be between 0 and 0.99, got 1.2'],
    ['the relevance threshold is negative', { relevanceThreshold: -0.1 }, 'relevanceThreshold must be between 0 and 0.99, got -0.1'],
    [
      'a regex does not compile',
      { regexes: [{ ...REGEX, pattern: 'SEC-[0-9' }] },
      /^regexes\[0\]\.pattern must be a valid regular expression, got "SEC-\[0-9" \(/,
    ],
    ['two regexes share a name', { regexes: [REGEX, { ...REGEX, pattern: 'X' }] }, 'regexes must have unique names, got "Internal ticket id" twice'],
    [
      'two topics share a name',
      { deniedTopics: [TOPIC, { ...TOPIC, definition: 'other' }] },
      'deniedTopics must have unique names, got "Investment advice" twice',
    ],
    [
      'a topic name has a forbidden character',
      { deniedTopics: [{ ...TOPIC, name: 'Stocks/crypto' }] },
      'deniedTopics[0].name must be 1-100 letters, digits, spaces or -_!?., got "Stocks/crypto"',
    ],
    [
      'a topic has six examples',
      { deniedTopics: [{ ...TOPIC, examples: ['a', 'b', 'c', 'd', 'e', 'f'] }] },
      'deniedTopics[0].examples may hold at most 5 entries, got 6',
    ],
    [
      'a PII type is listed twice',
      {
        pii: [
          { type: 'EMAIL', action: 'BLOCK' },
          { type: 'EMAIL', action: 'ANONYMIZE' },
        ],
      },
      'pii must have unique types, got "EMAIL" twice',
    ],
    ['a PII type is unknown', { pii: [{ type: 'SHOE_SIZE' as 'EMAIL', action: 'BLOCK' }] }, /^pii\[0\]\.type must be one of ADDRESS, .*, got "SHOE_SIZE"$/],
    ['a PII action is NONE', { pii: [{ type: 'EMAIL', action: 'NONE' as 'BLOCK' }] }, 'pii[0].action must be one of BLOCK, ANONYMIZE, got "NONE"'],
    ['the blocked input message is empty', { blockedInputMessage: '' }, 'blockedInputMessage must be 1-500 characters, got 0'],
    ['the blocked output message is too long', { blockedOutputMessage: 'x'.repeat(501) }, 'blockedOutputMessage must be 1-500 characters, got 501'],
    ['a blocked word is empty', { blockedWords: [''] }, 'blockedWords[0] must be 1-100 characters, got 0'],
  ])('fails when %s', (_what, props, message) => {
    expect(() => build(props)).toThrow(message);
  });

  test('accepts unresolved tokens without judging them', () => {
    const s = new Stack(new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false }), 'Tokens');
    const threshold = new CfnParameter(s, 'GroundingThreshold', { type: 'Number' }).valueAsNumber;
    const strength = new CfnParameter(s, 'HarmStrength', { type: 'String' }).valueAsString as 'HIGH';
    const word = new CfnParameter(s, 'Word', { type: 'String' }).valueAsString;
    expect(() => new Guardrail(s, 'Guardrail', { groundingThreshold: threshold, harmOutputStrength: strength, blockedWords: [word] })).not.toThrow();
    const filters = guardrailOf(Template.fromStack(s)).ContextualGroundingPolicyConfig.FiltersConfig;
    expect(filters[0].Threshold).toEqual({ Ref: 'GroundingThreshold' });
  });

  test('warns when no PII is detected, and only then', () => {
    const warnings = (props: GuardrailProps) =>
      Annotations.fromStack(build(props).stack).findWarning('/Test/Guardrail', Match.stringLikeRegexp('genai-blueprint:guardrail-no-pii'));
    expect(warnings({ pii: [] })).toHaveLength(1);
    expect(warnings({})).toHaveLength(0);
  });

  test.each([
    ['AwsSolutions', new AwsSolutionsChecks()],
    ['Serverless', new ServerlessChecks()],
  ])('cdk-nag %s: no finding on the guardrail and a role granted apply', (_pack, checks) => {
    const report = checks.validateScope(build({ deniedTopics: [TOPIC], regexes: [REGEX] }).stack);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  test('the template passes CloudFormation spec validation (property names, enums, ranges)', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'guardrail-validate-'));
    try {
      const app = new App({ outdir, context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: true });
      new Guardrail(new Stack(app, 'Validated'), 'Guardrail', { deniedTopics: [TOPIC], blockedWords: ['project-falcon'], regexes: [REGEX] });
      // A control with a wrong enum proves the validator ran: it must be the only finding.
      const control = new Guardrail(new Stack(app, 'Control'), 'Guardrail');
      control.cfnGuardrail.addPropertyOverride('ContentPolicyConfig.FiltersConfig.0.InputStrength', 'EXTREME');
      app.synth();
      const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
      const findings = report.pluginReports.flatMap((r: { violations: { violatingConstructs: { constructPath: string }[] }[] }) =>
        r.violations.flatMap((v) => v.violatingConstructs.map((c) => c.constructPath)),
      );
      expect(findings).toEqual(['Control/Guardrail/Resource']);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});
