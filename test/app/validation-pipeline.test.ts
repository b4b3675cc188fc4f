import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CloudFormationValidatePlugin, type IPolicyValidationContext } from 'aws-cdk-lib';
import { ChildProcessCloudFormationValidatePlugin } from '../../lib/grounds/validation-process';

/**
 * The validation child started early and handed templates as they are written
 * (lib/grounds/validation-process.ts): its report must be the built-in plugin's for the templates
 * as they are when `validate` runs, whatever it validated ahead. How many templates it validated
 * ahead is read from its BLUEPRINT_SYNTH_TIMING line.
 */
const CLEAN = { Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 30 } } } };
const BROKEN = { Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 'soon', NoSuchProperty: 1 } } } };
const BROKEN_OTHERWISE = { Resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: { 'Fn::GetAtt': ['Missing', 'Arn'] } } } } };
/** Breaks a rule aws-cdk-lib loads only for templates holding GameLift resources (core/lib/validation/rules/gamelift-fleet.rego). */
const GAMELIFT = {
  Resources: {
    Fleet: {
      Type: 'AWS::GameLift::Fleet',
      Properties: {
        Name: 'fleet',
        EC2InstanceType: 'c5.large',
        EC2InboundPermissions: [{ FromPort: 2000, ToPort: 1000, IpRange: '10.0.0.0/16', Protocol: 'TCP' }],
      },
    },
  },
};

describe('CloudFormation validation, templates validated as they are written', () => {
  let dir: string;
  let timing: string[];
  let restore: () => void;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'validation-pipeline-'));
    timing = [];
    process.env.BLUEPRINT_SYNTH_TIMING = '1';
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      timing.push(String(chunk));
      return true;
    });
    restore = () => {
      spy.mockRestore();
      delete process.env.BLUEPRINT_SYNTH_TIMING;
    };
  });
  afterEach(() => {
    restore();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, template: unknown) => fs.writeFileSync(path.join(dir, `${name}.template.json`), JSON.stringify(template));
  const context = (names: string[]): IPolicyValidationContext => {
    const stackTemplates = names.map((name) => ({
      stackConstructPath: name,
      templatePath: path.join(dir, `${name}.template.json`),
      accountId: '123456789012',
      region: 'eu-west-1',
    }));
    return { templatePaths: stackTemplates.map((s) => s.templatePath), stackTemplates, appConstruct: new App() };
  };
  const builtinReport = (names: string[]) => {
    const builtin = new CloudFormationValidatePlugin();
    try {
      return JSON.parse(JSON.stringify(builtin.validate(context(names))));
    } finally {
      builtin._dispose();
    }
  };
  const ahead = () =>
    timing
      .join('')
      .match(/\((\d+) of (\d+) templates validated ahead\)/)
      ?.slice(1);

  test("templates handed over as they are written: the built-in plugin's report, none validated twice", () => {
    const plugin = new ChildProcessCloudFormationValidatePlugin();
    plugin.start();
    write('Clean', CLEAN);
    plugin.submit({ templatePath: path.join(dir, 'Clean.template.json'), accountId: '123456789012', region: 'eu-west-1' });
    write('Broken', BROKEN);
    plugin.submit({ templatePath: path.join(dir, 'Broken.template.json'), accountId: '123456789012', region: 'eu-west-1' });
    const report = JSON.parse(JSON.stringify(plugin.validate(context(['Clean', 'Broken']))));
    const expected = builtinReport(['Clean', 'Broken']);
    expect(expected.success).toBe(false);
    expect(report).toEqual(expected);
    expect(ahead()).toEqual(['2', '2']);
  });

  test('a template changed after it was handed over, or handed over for another region, is validated again', () => {
    const plugin = new ChildProcessCloudFormationValidatePlugin();
    write('Clean', CLEAN);
    plugin.submit({ templatePath: path.join(dir, 'Clean.template.json'), accountId: '123456789012', region: 'us-east-1' });
    write('Broken', BROKEN);
    plugin.submit({ templatePath: path.join(dir, 'Broken.template.json'), accountId: '123456789012', region: 'eu-west-1' });
    write('Broken', BROKEN_OTHERWISE);
    const report = JSON.parse(JSON.stringify(plugin.validate(context(['Clean', 'Broken']))));
    const expected = builtinReport(['Clean', 'Broken']);
    expect(JSON.stringify(expected)).toContain('Missing');
    expect(report).toEqual(expected);
    expect(ahead()).toEqual(['0', '2']);
  });

  test('a template that brings rules of its own has every template validated again with them', () => {
    const plugin = new ChildProcessCloudFormationValidatePlugin();
    plugin.start();
    write('Clean', CLEAN);
    write('Games', GAMELIFT);
    for (const name of ['Clean', 'Games'])
      plugin.submit({ templatePath: path.join(dir, `${name}.template.json`), accountId: '123456789012', region: 'eu-west-1' });
    const report = JSON.parse(JSON.stringify(plugin.validate(context(['Clean', 'Games']))));
    const expected = builtinReport(['Clean', 'Games']);
    expect(JSON.stringify(expected)).toContain('CDK-GameLift-001');
    expect(report).toEqual(expected);
    expect(ahead()).toEqual(['0', '2']);
  });
});
