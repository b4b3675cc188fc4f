import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CloudFormationValidatePlugin, type IPolicyValidationContext } from 'aws-cdk-lib';
import { ChildProcessCloudFormationValidatePlugin, installValidationProcess } from '../../lib/grounds/validation-process';

/** Two templates: one clean, one that breaks CloudFormation's schema and rules in several ways, twice over. */
const TEMPLATES: Record<string, unknown> = {
  'Clean.template.json': { Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 30 } } } },
  'Broken.template.json': {
    Resources: {
      Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 'soon', NoSuchProperty: 1 } },
      Queue2: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 'soon' } },
      Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: { 'Fn::GetAtt': ['Missing', 'Arn'] } } },
      Fn: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs8.10', Handler: 'index.handler', Code: { ZipFile: 'x' } } },
    },
  },
};

function context(dir: string): IPolicyValidationContext {
  const stackTemplates = Object.keys(TEMPLATES).map((file) => ({
    stackConstructPath: file.replace('.template.json', ''),
    templatePath: path.join(dir, file),
    accountId: '123456789012',
    region: 'eu-west-1',
  }));
  return { templatePaths: stackTemplates.map((s) => s.templatePath), stackTemplates, appConstruct: new App() };
}

describe('CloudFormation validation in a child process', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genai-cfn-validate-'));
    for (const [file, template] of Object.entries(TEMPLATES)) fs.writeFileSync(path.join(dir, file), JSON.stringify(template));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("reports what aws-cdk-lib's built-in plugin reports, in the same order, with its version", () => {
    const builtin = new CloudFormationValidatePlugin();
    const expected = builtin.validate(context(dir));
    const child = new ChildProcessCloudFormationValidatePlugin();
    const actual = child.validate(context(dir));
    builtin._dispose();
    // The comparison means something only if the broken template is reported, and as a failure.
    expect(expected.success).toBe(false);
    expect(expected.violations.length).toBeGreaterThan(2);
    expect(expected.violations.some((v) => v.violatingResources.length > 1)).toBe(true);
    expect(JSON.parse(JSON.stringify(actual))).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(child.version).toBe(builtin.version);
    expect(child.name).toBe(builtin.name);
  });

  test('takes the place of the built-in plugin (an aws-cdk-lib upgrade that stops this fails here)', () => {
    const Builtin = CloudFormationValidatePlugin as unknown as { _singletonInstance(): CloudFormationValidatePlugin; _disposeSingleton(): void };
    try {
      const plugin = installValidationProcess();
      expect(Builtin._singletonInstance()).toBe(plugin);
    } finally {
      Builtin._disposeSingleton();
    }
    expect(Builtin._singletonInstance()).not.toBeInstanceOf(ChildProcessCloudFormationValidatePlugin);
    Builtin._disposeSingleton();
  });
});
