import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { MODEL_CATALOG } from '../../lib/config/models';
import { Agent } from '../../lib/constructs/agent/agent';
import { AgentRoute } from '../../lib/constructs/agent/agent-route';
import { ModelApi } from '../../lib/constructs/api/model-api';
import { UserAuth } from '../../lib/constructs/auth/user-auth';
import { IsolatedNetwork } from '../../lib/constructs/cache/isolated-network';
import { ResponseCache } from '../../lib/constructs/cache/response-cache';
import { Feedback } from '../../lib/constructs/feedback/feedback';
import { ModelGateway } from '../../lib/constructs/gateway/model-gateway';
import { Guardrail } from '../../lib/constructs/guardrail/guardrail';
import { KnowledgeBase } from '../../lib/constructs/knowledge-base/knowledge-base';
import { ModelCall } from '../../lib/constructs/model-call/model-call';
import { ManagedPrompt } from '../../lib/constructs/prompt-library/managed-prompt';
import { SessionStore } from '../../lib/constructs/sessions/session-store';
import { BedrockModel } from '../../lib/constructs/shared/bedrock-model';
import { CDK_JSON_CONTEXT } from '../support/synth';

/** Blocks created elsewhere, imported by their attributes and used by the blocks that consume them. */

const ACCOUNT = '123456789012';
const KB_ARN = `arn:aws:bedrock:us-east-1:${ACCOUNT}:knowledge-base/KB12345678`;
const GUARDRAIL_ARN = `arn:aws:bedrock:us-east-1:${ACCOUNT}:guardrail/gr12345678`;
const CACHE_ARN = `arn:aws:elasticache:us-east-1:${ACCOUNT}:serverlesscache:shared-cache`;
const USER_ARN = `arn:aws:elasticache:us-east-1:${ACCOUNT}:user:shared-cache-app`;
const PROMPT_ARN = `arn:aws:bedrock:us-east-1:${ACCOUNT}:prompt/PROMPT1234`;
const USER_POOL_ID = 'us-east-1_AbCdEf123';

const newStack = () =>
  new Stack(new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false }), 'Imports', { env: { account: ACCOUNT, region: 'us-east-1' } });
const model = new BedrockModel(MODEL_CATALOG['nova-lite'], 'us');
/** A VPC of two isolated subnets, created elsewhere. */
const theirVpc = (stack: Stack) =>
  ec2.Vpc.fromVpcAttributes(stack, 'TheirVpc', {
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    isolatedSubnetIds: ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb'],
    isolatedSubnetRouteTableIds: ['rtb-0aaaaaaaaaaaaaaaa', 'rtb-0bbbbbbbbbbbbbbbb'],
  });

function promptRole(template: Template): { statements: unknown[]; variables: Record<string, unknown> } {
  const [, fn] = Object.entries(template.findResources('AWS::Lambda::Function')).find(
    ([, r]) => r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'prompt',
  )!;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  const statements = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
  return { statements, variables: fn.Properties.Environment.Variables };
}

describe('a model call over imported blocks', () => {
  const stack = newStack();
  const network = IsolatedNetwork.fromIsolatedNetworkAttributes(stack, 'Network', {
    vpc: theirVpc(stack),
    endpointSecurityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'EndpointGroup', 'sg-0fedcba9876543210'),
  });
  const cacheGroup = ec2.SecurityGroup.fromSecurityGroupId(stack, 'CacheGroup', 'sg-0123456789abcdef0');
  const api = ModelApi.fromModelApiAttributes(stack, 'Api', { restApi: new apigateway.RestApi(stack, 'TheirApi', { deployOptions: { stageName: 'prod' } }) });
  const modelCall = new ModelCall(stack, 'ModelCall', {
    api,
    model,
    prompt: ManagedPrompt.fromManagedPromptAttributes(stack, 'Prompt', { promptArn: PROMPT_ARN, promptVersion: '3' }),
    retrieval: { knowledgeBase: KnowledgeBase.fromKnowledgeBaseAttributes(stack, 'KnowledgeBase', { knowledgeBaseArn: KB_ARN }) },
    guardrail: Guardrail.fromGuardrailAttributes(stack, 'Guardrail', { guardrailArn: GUARDRAIL_ARN, guardrailVersion: '4' }),
    sessions: SessionStore.fromSessionStoreAttributes(stack, 'Sessions', {
      table: dynamodb.Table.fromTableName(stack, 'SessionsTable', 'their-sessions'),
      historyTurns: 4,
    }),
    feedback: Feedback.fromFeedbackAttributes(stack, 'Feedback', { table: dynamodb.Table.fromTableName(stack, 'FeedbackTable', 'their-feedback') }),
    cache: {
      vpc: network.vpc,
      vpcSubnets: network.subnets,
      responseCache: ResponseCache.fromResponseCacheAttributes(stack, 'Cache', {
        cacheName: 'shared-cache',
        cacheArn: CACHE_ARN,
        endpointAddress: 'shared-cache.serverless.use1.cache.amazonaws.com',
        userId: 'shared-cache-app',
        userArn: USER_ARN,
        securityGroup: cacheGroup,
      }),
    },
  });
  network.allowEndpointAccessFrom(modelCall.promptFunction);
  const template = Template.fromStack(stack);
  const { statements, variables } = promptRole(template);

  test('ManagedPrompt.fromManagedPromptAttributes: GetPrompt on that prompt and its version only, their id and version in the environment', () => {
    expect(statements).toContainEqual({ Action: 'bedrock:GetPrompt', Effect: 'Allow', Resource: [PROMPT_ARN, `${PROMPT_ARN}:3`] });
    expect(variables).toMatchObject({ PROMPT_ID: 'PROMPT1234', PROMPT_VERSION: '3' });
  });

  test("IsolatedNetwork.fromIsolatedNetworkAttributes: the function in that VPC's isolated subnets, 443 into its endpoint group", () => {
    const fnGroup = modelCall.promptFunction.connections.securityGroups[0];
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'prompt' }) },
      VpcConfig: { SubnetIds: ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb'], SecurityGroupIds: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: 'vpc-0123456789abcdef0' });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: 'sg-0fedcba9876543210',
      SourceSecurityGroupId: stack.resolve(fnGroup.securityGroupId),
      FromPort: 443,
      ToPort: 443,
      IpProtocol: 'tcp',
    });
  });

  test('KnowledgeBase.fromKnowledgeBaseAttributes: Retrieve on that knowledge base, its id in KNOWLEDGE_BASE_ID', () => {
    expect(statements).toContainEqual({ Action: 'bedrock:Retrieve', Effect: 'Allow', Resource: KB_ARN });
    expect(variables.KNOWLEDGE_BASE_ID).toBe('KB12345678');
  });

  test('Guardrail.fromGuardrailAttributes: ApplyGuardrail on that guardrail, its id and version in the environment', () => {
    expect(statements).toContainEqual({ Action: 'bedrock:ApplyGuardrail', Effect: 'Allow', Resource: GUARDRAIL_ARN });
    expect(variables).toMatchObject({ GUARDRAIL_ID: 'gr12345678', GUARDRAIL_VERSION: '4' });
  });

  test('SessionStore.fromSessionStoreAttributes: read and append on that table only, its name and window in the environment', () => {
    expect(statements).toContainEqual({
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      Effect: 'Allow',
      Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/their-sessions`,
    });
    expect(variables).toMatchObject({ SESSIONS_TABLE: 'their-sessions', SESSION_HISTORY_TURNS: '4', SESSION_HISTORY_CHARS: '12000', SESSION_TTL_DAYS: '30' });
  });

  test('Feedback.fromFeedbackAttributes: PutItem on that table only, its name and windows in the environment', () => {
    expect(statements).toContainEqual({
      Action: 'dynamodb:PutItem',
      Effect: 'Allow',
      Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/their-feedback`,
    });
    expect(variables).toMatchObject({ FEEDBACK_TABLE: 'their-feedback', FEEDBACK_WINDOW_DAYS: '7', FEEDBACK_RETENTION_DAYS: '365' });
  });

  test('ResponseCache.fromResponseCacheAttributes: Connect on the cache and its user, 6379 into its group, the endpoint in the environment', () => {
    expect(statements).toContainEqual({ Action: 'elasticache:Connect', Effect: 'Allow', Resource: [CACHE_ARN, USER_ARN] });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { GroupId: 'sg-0123456789abcdef0', FromPort: 6379, ToPort: 6379, IpProtocol: 'tcp' });
    expect(variables).toMatchObject({
      CACHE_ENDPOINT: 'shared-cache.serverless.use1.cache.amazonaws.com',
      CACHE_PORT: '6379',
      CACHE_NAME: 'shared-cache',
      CACHE_USER_ID: 'shared-cache-app',
    });
  });

  test('ModelApi.fromModelApiAttributes: POST /prompt on that API, body-validated by a validator of its own', () => {
    const restApiId = { Ref: stack.getLogicalId(api.restApi.node.defaultChild as apigateway.CfnRestApi) };
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RestApiId: restApiId,
      RequestValidatorId: Match.anyValue(),
      RequestModels: { 'application/json': Match.anyValue() },
    });
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { RestApiId: restApiId, ValidateRequestBody: true });
    template.hasResourceProperties('AWS::ApiGateway::Model', { RestApiId: restApiId, Name: 'PromptRequest' });
  });
});

describe('imports by attributes', () => {
  test('ModelApi.fromModelApiAttributes over RestApi.fromRestApiAttributes: routes on that API id, grantInvoke on the named stage', () => {
    const stack = newStack();
    const restApi = apigateway.RestApi.fromRestApiAttributes(stack, 'TheirApi', { restApiId: 'abc123defg', rootResourceId: 'root12345' });
    const api = ModelApi.fromModelApiAttributes(stack, 'Api', { restApi, stageName: 'live' });
    const agent = Agent.fromAgentAttributes(stack, 'Agent', { agentId: 'AGENT12345', aliasId: 'ALIAS12345', model });
    const route = new AgentRoute(stack, 'AgentRoute', { api, agent });
    const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    api.grantInvoke(role);
    const template = Template.fromStack(stack);

    // An imported API has no default method options: the route itself requires SigV4, never NONE.
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', RestApiId: 'abc123defg', AuthorizationType: 'AWS_IAM' });
    template.resourcePropertiesCountIs('AWS::ApiGateway::Method', { AuthorizationType: 'NONE' }, 0);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `arn:aws:execute-api:us-east-1:${ACCOUNT}:abc123defg/live/*/*` },
        ]),
      },
    });
    // Agent.fromAgentAttributes: InvokeAgent on that alias only, its ids and model in the route's environment.
    const aliasArn = `arn:aws:bedrock:us-east-1:${ACCOUNT}:agent-alias/AGENT12345/ALIAS12345`;
    expect(stack.resolve(agent.aliasArn)).toBe(aliasArn);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Action: 'bedrock:InvokeAgent', Effect: 'Allow', Resource: aliasArn }]) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ AGENT_ID: 'AGENT12345', AGENT_ALIAS_ID: 'ALIAS12345', MODEL_ALIAS: 'nova-lite' }) },
    });
    expect(route.routeFunctions).toEqual([route.agentFunction]);
  });

  test('IsolatedNetwork.fromIsolatedNetworkAttributes: a response cache in that VPC, its endpoints in the isolated subnets', () => {
    const stack = newStack();
    const network = IsolatedNetwork.fromIsolatedNetworkAttributes(stack, 'Network', { vpc: theirVpc(stack) });
    new ResponseCache(stack, 'Cache', { vpc: network.vpc, vpcSubnets: network.subnets });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', { SubnetIds: ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb'] });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: 'vpc-0123456789abcdef0' });
  });

  test('UserAuth.fromUserAuthAttributes: the API authorizes with that user pool and requires its scope', () => {
    const stack = newStack();
    const userPool = cognito.UserPool.fromUserPoolId(stack, 'TheirPool', USER_POOL_ID);
    const auth = UserAuth.fromUserAuthAttributes(stack, 'Auth', { userPool, invokeScope: 'their-api/invoke' });
    const api = new ModelApi(stack, 'Api', { cognito: { authorizer: auth.authorizer, scopes: [auth.invokeScope] } });
    api.acknowledgeNoWebAcl('Test fixture: the block alone, without the gateway that adds the web ACL');
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler=async()=>({})'),
    });
    api.addJsonRoute('prompt', fn, { modelName: 'P', bodySchema: { type: apigateway.JsonSchemaType.OBJECT } });
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'COGNITO_USER_POOLS',
      ProviderARNs: [`arn:aws:cognito-idp:us-east-1:${ACCOUNT}:userpool/${USER_POOL_ID}`],
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      AuthorizationType: 'COGNITO_USER_POOLS',
      AuthorizationScopes: ['their-api/invoke'],
    });
    expect(auth.machineClients).toEqual({});
  });

  test.each<[string, (stack: Stack) => unknown, string]>([
    [
      'a knowledge base ARN is not one',
      (s) => KnowledgeBase.fromKnowledgeBaseAttributes(s, 'Kb', { knowledgeBaseArn: 'arn:aws:s3:::bucket' }),
      'knowledgeBaseArn must be arn:<partition>:bedrock:<region>:<account>:knowledge-base/<10-character id>, got "arn:aws:s3:::bucket"',
    ],
    [
      'a data source comes without its bucket',
      (s) => KnowledgeBase.fromKnowledgeBaseAttributes(s, 'Kb', { knowledgeBaseArn: KB_ARN, dataSourceId: 'DS12345678' }),
      'dataSourceId and documentsBucket go together (a data source and its bucket), got dataSourceId alone',
    ],
    [
      'an agent id is lower case',
      (s) => Agent.fromAgentAttributes(s, 'Agent', { agentId: 'agent12345', aliasId: 'ALIAS12345' }),
      'agentId must be 10 upper-case letters or digits, got "agent12345"',
    ],
    [
      'an imported session window is too long',
      (s) => SessionStore.fromSessionStoreAttributes(s, 'Sessions', { table: dynamodb.Table.fromTableName(s, 'T', 't'), historyTurns: 51 }),
      'historyTurns must be an integer between 0 and 50, got 51',
    ],
    [
      'a cache user id has upper case',
      (s) =>
        ResponseCache.fromResponseCacheAttributes(s, 'Cache', {
          cacheName: 'c',
          cacheArn: CACHE_ARN,
          endpointAddress: 'e',
          userId: 'App',
          userArn: USER_ARN,
          securityGroup: ec2.SecurityGroup.fromSecurityGroupId(s, 'Sg', 'sg-1'),
        }),
      'userId must be 1-40 lower-case letters, digits or hyphens starting with a letter, got "App"',
    ],
    [
      'an API stage name has a slash',
      (s) => ModelApi.fromModelApiAttributes(s, 'Api', { restApi: apigateway.RestApi.fromRestApiId(s, 'R', 'abc'), stageName: 'v1/x' }),
      'stageName must be 1-128 letters, digits or underscores, got "v1/x"',
    ],
    [
      'a prompt ARN is not one',
      (s) => ManagedPrompt.fromManagedPromptAttributes(s, 'Prompt', { promptArn: KB_ARN, promptVersion: '1' }),
      `promptArn must be arn:<partition>:bedrock:<region>:<account>:prompt/<10-character id>, got "${KB_ARN}"`,
    ],
    [
      'a prompt version is DRAFT',
      (s) => ManagedPrompt.fromManagedPromptAttributes(s, 'Prompt', { promptArn: PROMPT_ARN, promptVersion: 'DRAFT' }),
      'promptVersion must be a numeric version (1 to 99999, not DRAFT), got "DRAFT"',
    ],
    [
      'an invoke scope has no resource server',
      (s) => UserAuth.fromUserAuthAttributes(s, 'Auth', { userPool: cognito.UserPool.fromUserPoolId(s, 'P', USER_POOL_ID), invokeScope: 'invoke' }),
      'invokeScope must be <resource server identifier>/<scope name> (e.g. genai/invoke), got "invoke"',
    ],
    [
      "an imported network without its endpoints' group is asked to admit a function",
      (s) => {
        IsolatedNetwork.fromIsolatedNetworkAttributes(s, 'Network', { vpc: theirVpc(s) }).allowEndpointAccessFrom(
          ec2.SecurityGroup.fromSecurityGroupId(s, 'Sg', 'sg-1'),
        );
      },
      "allowEndpointAccessFrom needs the endpoints' security group, got none in the attributes of Imports/Network",
    ],
  ])('fails when %s', (_what, build, message) => {
    expect(() => build(newStack())).toThrow(message);
  });

  test('ModelGateway.fromModelGatewayAttributes: API keys required on that API, tenant key ids and profiles from the attributes', () => {
    const stack = newStack();
    const restApi = apigateway.RestApi.fromRestApiAttributes(stack, 'TheirApi', { restApiId: 'abc123defg', rootResourceId: 'root12345' });
    const api = ModelApi.fromModelApiAttributes(stack, 'Api', { restApi, stageName: 'live' });
    const profileArn = `arn:aws:bedrock:us-east-1:${ACCOUNT}:application-inference-profile/acmeprofile1`;
    const gateway = ModelGateway.fromModelGatewayAttributes(stack, 'Gateway', {
      restApi,
      tenants: [
        { name: 'acme', apiKeyId: 'key0acme01', inferenceProfileArn: profileArn },
        { name: 'beta-labs', apiKeyId: 'key0beta01' },
      ],
    });
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler=async()=>({})'),
    });
    const method = api.addJsonRoute('predict', fn, { modelName: 'P', bodySchema: { type: apigateway.JsonSchemaType.OBJECT } });
    gateway.requireApiKeys([method]);
    gateway.grantInvokeProfiles(fn, { throughModel: model });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::ApiGateway::Method', { RestApiId: 'abc123defg', AuthorizationType: 'AWS_IAM', ApiKeyRequired: true });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Action: 'bedrock:InvokeModel', Effect: 'Allow', Resource: profileArn }]) },
    });
    expect(gateway.apiKeyIdFor('beta-labs')).toBe('key0beta01');
    expect(gateway.profileArnFor('acme')).toBe(profileArn);
    expect(() => gateway.profileArnFor('beta-labs')).toThrow('tenant "beta-labs" has no inference profile');
    expect(() => gateway.apiKeyIdFor('gamma')).toThrow('unknown tenant "gamma"; tenants are acme, beta-labs');
    expect(() => ModelGateway.fromModelGatewayAttributes(stack, 'Twice', { restApi, tenants: [{ name: 'a b', apiKeyId: 'k' }] })).toThrow(
      'tenant name must be 1-64 characters of A-Z, a-z, 0-9 and -, got "a b"',
    );
  });
});
