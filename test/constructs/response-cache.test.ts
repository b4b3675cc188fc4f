import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, CfnParameter, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { IsolatedNetwork, type IsolatedNetworkProps } from '../../lib/constructs/cache/isolated-network';
import { DEFAULT_ACCESS_STRING, DISABLED_DEFAULT_ACCESS_STRING, ResponseCache, type ResponseCacheProps } from '../../lib/constructs/cache/response-cache';
import { CDK_JSON_CONTEXT } from '../support/synth';

function build(props: Partial<ResponseCacheProps> = {}, networkProps: IsolatedNetworkProps = {}) {
  const app = new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Test', { stackName: 'GenAiBlueprint' });
  const network = new IsolatedNetwork(stack, 'Network', networkProps);
  const cache = new ResponseCache(stack, 'ResponseCache', { vpc: network.vpc, ...props });
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    vpc: network.vpc,
    vpcSubnets: network.subnets,
    memorySize: 256,
    timeout: Duration.seconds(10),
    tracing: lambda.Tracing.ACTIVE,
  });
  cache.grantConnect(fn);
  return { app, stack, network, cache, fn, template: Template.fromStack(stack) };
}

function only<T = Record<string, any>>(template: Template, type: string): T {
  const all = Object.values(template.findResources(type));
  expect(all).toHaveLength(1);
  return all[0].Properties as T;
}

function logicalIdOf(stack: Stack, construct: { node: { defaultChild?: unknown } } | unknown): string {
  return stack.resolve((construct as ec2.CfnSecurityGroup).logicalId) as string;
}

describe('IsolatedNetwork', () => {
  const { template, network, stack } = build();

  test('no NAT gateway, no internet gateway, no egress-only gateway, no route to 0.0.0.0/0', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::VPCGatewayAttachment', 0);
    template.resourceCountIs('AWS::EC2::EgressOnlyInternetGateway', 0);
    for (const route of Object.values(template.findResources('AWS::EC2::Route'))) {
      expect(route.Properties.DestinationCidrBlock).not.toBe('0.0.0.0/0');
      expect(route.Properties.DestinationIpv6CidrBlock).toBeUndefined();
    }
  });

  test('two isolated subnets, in two AZs from the stack (no lookup), none mapping public IPs', () => {
    const subnets = Object.values(template.findResources('AWS::EC2::Subnet'));
    expect(subnets).toHaveLength(2);
    for (const s of subnets) {
      expect(s.Properties.MapPublicIpOnLaunch).toBe(false);
      expect(s.Properties.Tags).toEqual(expect.arrayContaining([{ Key: 'aws-cdk:subnet-type', Value: 'Isolated' }]));
      expect(s.Properties.AvailabilityZone).toEqual({ 'Fn::Select': [expect.any(Number), { 'Fn::GetAZs': '' }] });
    }
    expect(network.vpc.publicSubnets).toHaveLength(0);
    expect(network.vpc.privateSubnets).toHaveLength(0);
  });

  test('flow logs record ALL traffic to a log group with retention', () => {
    const flowLog = only(template, 'AWS::EC2::FlowLog');
    expect(flowLog).toMatchObject({ ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    expect(flowLog.LogGroupName).toEqual({ Ref: logicalIdOf(stack, network.flowLogGroup.node.defaultChild) });
    expect(flowLog.ResourceId).toEqual({ Ref: logicalIdOf(stack, network.vpc.node.defaultChild) });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('gateway endpoints for S3 and DynamoDB on the isolated route tables', () => {
    const gateways = Object.values(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Gateway' } }));
    const services = gateways.map((g) => JSON.stringify(g.Properties.ServiceName));
    expect(services).toHaveLength(2);
    expect(services.some((s) => s.includes('.s3'))).toBe(true);
    expect(services.some((s) => s.includes('.dynamodb'))).toBe(true);
    for (const g of gateways) expect(g.Properties.RouteTableIds).toHaveLength(2);
  });

  test('interface endpoints for the Bedrock runtimes and GetPrompt, private DNS, isolated subnets, endpoint security group', () => {
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }));
    const names = endpoints.map((e) => JSON.stringify(e.Properties.ServiceName)).sort();
    expect(names).toHaveLength(3);
    expect(names.join()).toMatch(/\.bedrock-agent".*\.bedrock-agent-runtime".*\.bedrock-runtime"/);
    const sg = logicalIdOf(stack, network.endpointSecurityGroup.node.defaultChild);
    for (const e of endpoints) {
      expect(e.Properties.PrivateDnsEnabled).toBe(true);
      expect(e.Properties.SubnetIds).toHaveLength(2);
      expect(e.Properties.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [sg, 'GroupId'] }]);
    }
  });

  test('the endpoint security group admits HTTPS from the VPC CIDR only, and sends nothing', () => {
    const sg = template.toJSON().Resources[logicalIdOf(stack, network.endpointSecurityGroup.node.defaultChild)].Properties;
    expect(sg.SecurityGroupIngress).toEqual([
      {
        // The VPC's block as a literal (the default 10.0.0.0/16), which rule packs can read.
        CidrIp: '10.0.0.0/16',
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        Description: 'HTTPS from the VPC',
      },
    ]);
    expect(sg.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32' })]);
  });

  test('endpointsOpenToVpc false: only security groups given access reach the endpoints', () => {
    const app = new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
    const s = new Stack(app, 'Test');
    const n = new IsolatedNetwork(s, 'Network', { endpointsOpenToVpc: false });
    const fn = new lambda.Function(s, 'Fn', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
      vpc: n.vpc,
    });
    n.allowEndpointAccessFrom(fn);
    const t = Template.fromStack(s);
    const sg = t.toJSON().Resources[logicalIdOf(s, n.endpointSecurityGroup.node.defaultChild)].Properties;
    expect(sg.SecurityGroupIngress).toBeUndefined();
    const ingress = Object.values(t.findResources('AWS::EC2::SecurityGroupIngress', { Properties: { FromPort: 443 } }));
    expect(ingress).toHaveLength(1);
    expect(ingress[0].Properties.SourceSecurityGroupId).toEqual({
      'Fn::GetAtt': [logicalIdOf(s, fn.connections.securityGroups[0].node.defaultChild), 'GroupId'],
    });
  });

  test('interfaceServices replaces the default list; endpoint ids follow the service, not the position', () => {
    const { template: t } = build({}, { interfaceServices: [ec2.InterfaceVpcEndpointAwsService.XRAY, ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME] });
    const ids = Object.keys(t.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }));
    expect(ids.some((id) => id.startsWith('NetworkVpcXrayEndpoint'))).toBe(true);
    expect(ids.some((id) => id.startsWith('NetworkVpcBedrockRuntimeEndpoint'))).toBe(true);
    expect(ids).toHaveLength(2);
  });

  test('the default security group is stripped of its rules by the CDK custom resource', () => {
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
    template.hasResourceProperties('Custom::VpcRestrictDefaultSG', {
      DefaultSecurityGroupId: { 'Fn::GetAtt': [logicalIdOf(stack, network.vpc.node.defaultChild), 'DefaultSecurityGroup'] },
    });
  });

  test('fails when the CIDR is not an IPv4 /16 to /24', () => {
    expect(() => build({}, { cidr: '10.0.0.0/8' })).toThrow('cidr must be an IPv4 CIDR block from /16 to /24 (e.g. 10.0.0.0/16), got 10.0.0.0/8');
    expect(() => build({}, { cidr: '300.0.0.0/16' })).toThrow('got 300.0.0.0/16');
  });

  test('fails when an interface service is listed twice', () => {
    const s = ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME;
    expect(() => build({}, { interfaceServices: [s, s] })).toThrow('interfaceServices must not list a service twice, got bedrock-runtime more than once');
  });
});

describe('ResponseCache', () => {
  const { template, stack, network, cache, fn } = build();
  const cacheProps = only(template, 'AWS::ElastiCache::ServerlessCache');
  const fnSg = logicalIdOf(stack, fn.connections.securityGroups[0].node.defaultChild);
  const cacheSg = logicalIdOf(stack, cache.securityGroup.node.defaultChild);

  test('Valkey 8 serverless in the isolated subnets, with its own security group and the user group', () => {
    const isolated = network.vpc.isolatedSubnets.map((s) => ({ Ref: logicalIdOf(stack, s.node.defaultChild) }));
    expect(cacheProps).toMatchObject({
      Engine: 'valkey',
      MajorEngineVersion: '8',
      SubnetIds: isolated,
      SecurityGroupIds: [{ 'Fn::GetAtt': [cacheSg, 'GroupId'] }],
      UserGroupId: { Ref: logicalIdOf(stack, cache.userGroup) },
    });
    expect(cacheProps.ServerlessCacheName).toMatch(/^[a-z][a-z0-9-]{0,39}$/);
    expect(cacheProps.ServerlessCacheName).not.toContain('--');
  });

  test('usage limits (1 GB, 5000 ECPU/s) and daily snapshots kept 1 day by default', () => {
    expect(cacheProps.CacheUsageLimits).toEqual({ DataStorage: { Maximum: 1, Unit: 'GB' }, ECPUPerSecond: { Maximum: 5000 } });
    expect(cacheProps.SnapshotRetentionLimit).toBe(1);
    expect(cacheProps.DailySnapshotTime).toBe('03:00');
  });

  test('configured limits and snapshots reach the cache', () => {
    const p = only(
      build({ maxDataStorageGb: 10, maxEcpuPerSecond: 20_000, snapshotRetentionLimit: 7, dailySnapshotTime: '22:30' }).template,
      'AWS::ElastiCache::ServerlessCache',
    );
    expect(p).toMatchObject({
      CacheUsageLimits: { DataStorage: { Maximum: 10, Unit: 'GB' }, ECPUPerSecond: { Maximum: 20_000 } },
      SnapshotRetentionLimit: 7,
      DailySnapshotTime: '22:30',
    });
  });

  test("the cache security group's only ingress is TCP 6379 from the function's security group; no CIDR, no egress", () => {
    const sg = template.toJSON().Resources[cacheSg].Properties;
    expect(sg.SecurityGroupIngress).toBeUndefined();
    expect(sg.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32', IpProtocol: 'icmp' })]);
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter((r) =>
      JSON.stringify(r.Properties.GroupId).includes(cacheSg),
    );
    expect(ingress.map((r) => r.Properties)).toEqual([
      {
        GroupId: { 'Fn::GetAtt': [cacheSg, 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [fnSg, 'GroupId'] },
        IpProtocol: 'tcp',
        FromPort: 6379,
        ToPort: 6379,
        Description: expect.any(String),
      },
    ]);
    for (const r of Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))) {
      expect(r.Properties.CidrIp).toBeUndefined();
    }
  });

  test('the application user authenticates with IAM only, user name = user id, least-privilege access string', () => {
    template.hasResourceProperties('AWS::ElastiCache::User', {
      Engine: 'redis',
      UserId: cache.userId,
      UserName: cache.userId,
      AuthenticationMode: { Type: 'iam' },
      AccessString: DEFAULT_ACCESS_STRING,
      Passwords: Match.absent(),
      NoPasswordRequired: Match.absent(),
    });
    expect(DEFAULT_ACCESS_STRING).toMatch(/^on ~genai:\* -@all( \+[a-z|]+)+$/);
    for (const risky of ['+@all', '~*', '+eval', '+keys', '+flushall', '+flushdb', '+config', '+scan'])
      expect(DEFAULT_ACCESS_STRING.split(' ')).not.toContain(risky);
  });

  test('the default user is replaced by one that is off and may run nothing', () => {
    template.hasResourceProperties('AWS::ElastiCache::User', {
      UserName: 'default',
      UserId: Match.stringLikeRegexp('-default$'),
      AuthenticationMode: { Type: 'no-password-required' },
      AccessString: DISABLED_DEFAULT_ACCESS_STRING,
    });
    expect(DISABLED_DEFAULT_ACCESS_STRING.split(' ')).toEqual(['off', '-@all']);
    const group = only(template, 'AWS::ElastiCache::UserGroup');
    const users = Object.values(template.findResources('AWS::ElastiCache::User')).map((u) => u.Properties.UserId);
    expect([...group.UserIds].sort()).toEqual([...users].sort());
    expect(group.UserIds).toHaveLength(2);
    expect(group.UserIds).not.toContain('default');
  });

  test('elasticache:Connect on the cache and the user ARNs only, nothing else cache-related, no wildcard', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const connect = statements.filter((s) => JSON.stringify(s.Action).includes('elasticache:'));
    expect(connect).toEqual([
      {
        Effect: 'Allow',
        Action: 'elasticache:Connect',
        Resource: [{ 'Fn::GetAtt': [logicalIdOf(stack, cache.cache), 'ARN'] }, { 'Fn::GetAtt': [logicalIdOf(stack, cache.user), 'Arn'] }],
      },
    ]);
  });

  test('the function gets the endpoint, port, cache name and user id', () => {
    const env = template.toJSON().Resources[logicalIdOf(stack, fn.node.defaultChild)].Properties.Environment.Variables;
    const c = logicalIdOf(stack, cache.cache);
    expect(env).toEqual({
      CACHE_ENDPOINT: { 'Fn::GetAtt': [c, 'Endpoint.Address'] },
      CACHE_PORT: { 'Fn::GetAtt': [c, 'Endpoint.Port'] },
      CACHE_NAME: cacheProps.ServerlessCacheName,
      CACHE_USER_ID: cache.userId,
    });
  });

  test('physical names are stable: the same stack name and path give the same names', () => {
    const again = only(build().template, 'AWS::ElastiCache::ServerlessCache');
    expect(again.ServerlessCacheName).toBe(cacheProps.ServerlessCacheName);
    expect(cache.userId).toBe(`${cacheProps.ServerlessCacheName}-app`);
  });

  test('metrics: hit rate as hits / (hits + misses) and ECPU, on AWS/ElastiCache by clusterId', () => {
    const hitRate = cache.metricHitRate();
    expect(hitRate.expression).toBe('IF((hits + misses) > 0, hits / (hits + misses), 0)');
    const used = hitRate.usingMetrics as Record<string, any>;
    expect(used.hits).toMatchObject({ namespace: 'AWS/ElastiCache', metricName: 'CacheHits', statistic: 'Sum', dimensions: { clusterId: cache.cacheName } });
    expect(used.misses).toMatchObject({
      namespace: 'AWS/ElastiCache',
      metricName: 'CacheMisses',
      statistic: 'Sum',
      dimensions: { clusterId: cache.cacheName },
    });
    expect(cache.metricEcpu()).toMatchObject({
      namespace: 'AWS/ElastiCache',
      metricName: 'ElastiCacheProcessingUnits',
      dimensions: { clusterId: cache.cacheName },
    });
  });

  test.each([
    [{ maxDataStorageGb: 0 }, 'maxDataStorageGb must be an integer between 1 and 5000, got 0'],
    [{ maxDataStorageGb: 1.5 }, 'maxDataStorageGb must be an integer between 1 and 5000, got 1.5'],
    [{ maxEcpuPerSecond: 999 }, 'maxEcpuPerSecond must be an integer between 1000 and 15000000, got 999'],
    [{ snapshotRetentionLimit: 0 }, 'snapshotRetentionLimit must be an integer between 1 and 35, got 0'],
    [{ snapshotRetentionLimit: 36 }, 'snapshotRetentionLimit must be an integer between 1 and 35, got 36'],
    [{ dailySnapshotTime: '24:00' }, 'dailySnapshotTime must be HH:MM in UTC (00:00 to 23:59), got 24:00'],
    [{ majorEngineVersion: '6' }, 'majorEngineVersion must be a Valkey major version from 7 to 9, got 6'],
    [{ accessString: 'off ~genai:* +get' }, 'accessString must enable the user with "on", got off ~genai:* +get'],
    [{ accessString: 'on ~* +@all' }, 'accessString must restrict keys to a prefix (e.g. ~genai:*), not all keys, got on ~* +@all'],
  ])('fails when %j', (props, message) => {
    expect(() => build(props)).toThrow(message);
  });

  test('fails when the subnets are fewer than two', () => {
    expect(() => build({ vpcSubnets: { subnetFilters: [ec2.SubnetFilter.byIds(['subnet-1'])] } })).toThrow(
      'vpcSubnets must select at least 2 subnets (in different AZs), got 0',
    );
  });

  test('fails when the function is not in a VPC', () => {
    const app = new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
    const s = new Stack(app, 'Test');
    const c = new ResponseCache(s, 'ResponseCache', { vpc: new IsolatedNetwork(s, 'Network').vpc });
    const outside = new lambda.Function(s, 'Outside', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    expect(() => c.grantConnect(outside)).toThrow("grantConnect needs a function in the cache's VPC, got Test/Outside which has no VPC configuration");
  });

  test('token values are not validated at synth time', () => {
    const app = new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
    const s = new Stack(app, 'Test');
    const gb = new CfnParameter(s, 'Gb', { type: 'Number' }).valueAsNumber;
    const ecpu = new CfnParameter(s, 'Ecpu', { type: 'Number' }).valueAsNumber;
    const keep = new CfnParameter(s, 'Keep', { type: 'Number' }).valueAsNumber;
    const at = new CfnParameter(s, 'At').valueAsString;
    expect(
      () =>
        new ResponseCache(s, 'ResponseCache', {
          vpc: new IsolatedNetwork(s, 'Network').vpc,
          maxDataStorageGb: gb,
          maxEcpuPerSecond: ecpu,
          snapshotRetentionLimit: keep,
          dailySnapshotTime: at,
        }),
    ).not.toThrow();
  });

  test('the CloudFormation schema validation built into aws-cdk-lib finds nothing (property names, enums, patterns)', () => {
    const app = new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: true });
    const s = new Stack(app, 'Test', { stackName: 'GenAiBlueprint' });
    const n = new IsolatedNetwork(s, 'Network');
    new ResponseCache(s, 'ResponseCache', { vpc: n.vpc });
    app.synth();
    // Schema findings (e.g. an AuthenticationMode.Type outside iam/no-password-required/password) are
    // reported as warnings in this file rather than thrown.
    const report = JSON.parse(fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8'));
    const violations = report.pluginReports.flatMap((r: { violations: { ruleName: string; description: string }[] }) =>
      r.violations.map((v) => `${v.ruleName}: ${v.description}`),
    );
    expect(violations).toEqual([]);
  });

  test.each([
    ['AwsSolutions', new AwsSolutionsChecks()],
    ['Serverless', new ServerlessChecks()],
  ])('cdk-nag %s: no unacknowledged finding on the network, the cache and the granted function', (_pack, checks) => {
    const { stack: s, fn: f } = build();
    // The test function stands in for a BlueprintFunction (which has its own role and acknowledgements).
    const standIn = 'test stand-in for a BlueprintFunction, whose own tests cover these findings';
    Validations.of(f).acknowledge({ id: 'Serverless-LambdaDLQ', reason: standIn }, { id: 'Serverless-LambdaAsyncFailureDestination', reason: standIn });
    Validations.of(f.role!).acknowledge(
      { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: standIn },
      { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]', reason: standIn },
      { id: 'AwsSolutions-IAM5[Resource::*]', reason: `${standIn} (X-Ray actions of active tracing)` },
    );
    const report = checks.validateScope(s);
    const findings = report.violations.map((v) => `${v.ruleName} (${v.severity}): ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
  });
});
