import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { SERVICE_LOG_GROUPS, SERVICE_LOG_RETENTION } from '../../lib/compliance/logs';
import { RegulatedProfile } from '../../lib/compliance/regulated-profile';
import { buildApp } from '../support/synth';

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DependsOn?: string[] }>;

const ofType = (resources: Resources, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const logsKeyArn = (resources: Resources) => {
  const [key] = ofType(resources, 'AWS::KMS::Key').filter(([id]) => id.startsWith('RegulatedDataLogsKey'));
  return { 'Fn::GetAtt': [key[0], 'Arn'] };
};

describe.each([0, 7])('regulated ground %i: no log group left for a service to create', (ground) => {
  const { stacks } = buildApp({ compliance: 'regulated', ground });
  const resources = Template.fromStack(stacks[0]).toJSON().Resources as Resources;
  const [[restApi]] = ofType(resources, 'AWS::ApiGateway::RestApi');
  const [[stageId, stage]] = ofType(resources, 'AWS::ApiGateway::Stage');

  test('the execution log group API Gateway writes to is in the template, on the logs key, kept as long as the access log, before the stage', () => {
    const execution = ofType(resources, 'AWS::Logs::LogGroup').filter(([, g]) => JSON.stringify(g.Properties.LogGroupName ?? '').includes('Execution-Logs'));
    expect(execution).toHaveLength(1);
    const [id, group] = execution[0];
    expect(group.Properties.LogGroupName).toEqual({ 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: restApi }, `/${stage.Properties.StageName}`]] });
    expect(group.Properties.KmsKeyId).toEqual(logsKeyArn(resources));
    const destination = JSON.stringify(stage.Properties.AccessLogSetting.DestinationArn);
    const accessLogs = ofType(resources, 'AWS::Logs::LogGroup').filter(([logId]) => destination.includes(`{"Ref":"${logId}"}`));
    expect(accessLogs).toHaveLength(1);
    expect(group.Properties.RetentionInDays).toBe(accessLogs[0][1].Properties.RetentionInDays);
    expect(group.Properties.RetentionInDays).not.toBe(SERVICE_LOG_RETENTION);
    expect(resources[stageId].DependsOn).toContain(id);
  });

  test('every function logs to a log group of the stack on the logs key: none is left to Lambda’s /aws/lambda default', () => {
    const functions = ofType(resources, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(1);
    for (const [id, fn] of functions) {
      const group = fn.Properties.LoggingConfig?.LogGroup;
      expect({ id, group: group !== undefined }).toEqual({ id, group: true });
      const groupId = group.Ref;
      expect({ id, type: resources[groupId]?.Type, key: resources[groupId]?.Properties.KmsKeyId?.['Fn::GetAtt']?.[0] }).toEqual({
        id,
        type: 'AWS::Logs::LogGroup',
        key: expect.stringMatching(/^(RegulatedDataLogsKey|.*InvocationLog)/),
      });
    }
  });

  test("the default security group's cleaner, a custom resource provider, gets a group of its own", () => {
    const [[, handler]] = ofType(resources, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('CustomVpcRestrictDefaultSG'));
    const group = resources[handler.Properties.LoggingConfig.LogGroup.Ref];
    expect(group.Properties).toEqual({ RetentionInDays: SERVICE_LOG_RETENTION, KmsKeyId: logsKeyArn(resources), Tags: expect.any(Array) });
  });
});

test('the standard profile is unchanged: no execution log group, the cleaner without a LoggingConfig', () => {
  const { stacks } = buildApp({ ground: 5 });
  const resources = Template.fromStack(stacks[0]).toJSON().Resources as Resources;
  expect(ofType(resources, 'AWS::Logs::LogGroup').filter(([, g]) => JSON.stringify(g.Properties.LogGroupName ?? '').includes('Execution-Logs'))).toEqual([]);
  const [[, handler]] = ofType(resources, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('CustomVpcRestrictDefaultSG'));
  expect(handler.Properties.LoggingConfig).toBeUndefined();
});

describe('the control alone', () => {
  function fixture(build: (stack: Stack) => void): Resources {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Fixture');
    build(stack);
    RegulatedProfile.applyTo(stack, [SERVICE_LOG_GROUPS]);
    return Template.fromStack(stack).toJSON().Resources as Resources;
  }
  const api = (stack: Stack, loggingLevel?: apigateway.MethodLoggingLevel) => {
    const rest = new apigateway.RestApi(stack, 'Api', { deployOptions: { loggingLevel } });
    rest.root.addMethod('GET', new apigateway.MockIntegration());
  };

  test('a stage without execution logging gets no group; INFO and ERROR do; without an access log the retention is a year', () => {
    expect(
      ofType(
        fixture((s) => api(s, apigateway.MethodLoggingLevel.OFF)),
        'AWS::Logs::LogGroup',
      ),
    ).toEqual([]);
    expect(
      ofType(
        fixture((s) => api(s)),
        'AWS::Logs::LogGroup',
      ),
    ).toEqual([]);
    for (const level of [apigateway.MethodLoggingLevel.INFO, apigateway.MethodLoggingLevel.ERROR]) {
      const groups = ofType(
        fixture((s) => api(s, level)),
        'AWS::Logs::LogGroup',
      );
      expect(groups.map(([, g]) => g.Properties.RetentionInDays)).toEqual([SERVICE_LOG_RETENTION]);
    }
  });

  test('a function with a LoggingConfig keeps it; one without gets a group', () => {
    const resources = fixture((stack) => {
      const code = lambda.Code.fromInline('exports.handler=async()=>({})');
      const logGroup = new logs.LogGroup(stack, 'Mine');
      new lambda.Function(stack, 'WithGroup', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code, logGroup });
      new lambda.Function(stack, 'Without', { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code });
      new ec2.Vpc(stack, 'Vpc', { restrictDefaultSecurityGroup: true, natGateways: 0, subnetConfiguration: [] });
    });
    const groupOf = (prefix: string) => ofType(resources, 'AWS::Lambda::Function').find(([id]) => id.startsWith(prefix))![1].Properties.LoggingConfig.LogGroup;
    expect(groupOf('WithGroup')).toEqual({ Ref: expect.stringMatching(/^Mine/) });
    expect(resources[groupOf('Without').Ref].Type).toBe('AWS::Logs::LogGroup');
    expect(resources[groupOf('CustomVpcRestrictDefaultSG').Ref].Type).toBe('AWS::Logs::LogGroup');
  });
});
