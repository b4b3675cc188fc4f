import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { MODEL_CATALOG } from '../../lib/config/models';
import { ModelApi } from '../../lib/constructs/api/model-api';
import { Guardrail } from '../../lib/constructs/guardrail/guardrail';
import { ModelCall, type ModelCallProps } from '../../lib/constructs/model-call/model-call';
import { BedrockModel, type ModelInvocation } from '../../lib/constructs/shared/bedrock-model';
import { LATEST_NODE_RUNTIME } from '../../lib/constructs/shared/blueprint-function';
import { CDK_JSON_CONTEXT } from '../support/synth';
import { MAX_CHAT_MESSAGES, MODEL_PRICE_ENV } from '../../contracts/model-call';

function build(props: Partial<ModelCallProps> | ((stack: Stack) => Partial<ModelCallProps>) = {}, model = new BedrockModel(MODEL_CATALOG['nova-lite'], 'us')) {
  const stack = new Stack(new App({ context: CDK_JSON_CONTEXT }), 'Test');
  const api = new ModelApi(stack, 'Api');
  const call = new ModelCall(stack, 'ModelCall', { api, model, ...(typeof props === 'function' ? props(stack) : props) });
  return { stack, api, call, template: Template.fromStack(stack) };
}

const profileArn = (id: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:inference-profile/${id}`]],
});

describe('ModelCall', () => {
  const { template } = build();

  test('prompt function: latest Node.js, ARM64, explicit memory and timeout, active tracing, JSON logs', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 1024,
      Timeout: 29,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: {
        LogFormat: 'JSON',
        ApplicationLogLevel: 'INFO',
        SystemLogLevel: 'WARN',
        LogGroup: { Ref: Match.stringLikeRegexp('PromptFunctionLogs') },
      },
      Environment: {
        Variables: {
          ROUTING_POLICY: JSON.stringify({
            targets: [{ alias: 'nova-lite', modelId: 'us.amazon.nova-lite-v1:0', price: { inputPerMTok: 0.06, outputPerMTok: 0.24 } }],
            defaultAlias: 'nova-lite',
            fallbacks: {},
          }),
          MAX_TOKENS: '1024',
          TEMPERATURE: '0.5',
          MAX_QUERY_CHARS: '8000',
          BEDROCK_MAX_ATTEMPTS: '3',
          BEDROCK_ATTEMPT_TIMEOUT_MS: '20000',
          POWERTOOLS_SERVICE_NAME: 'prompt',
          POWERTOOLS_METRICS_NAMESPACE: 'GenAiBlueprint',
        },
      },
    });
  });

  test('the runtime is the newest Node.js this aws-cdk-lib offers', () => {
    const newest = Object.values(lambda.Runtime)
      .filter((r): r is lambda.Runtime => r instanceof lambda.Runtime && /^nodejs\d+\.x$/.test(r.name))
      .map((r) => Number(/\d+/.exec(r.name)![0]))
      .sort((a, b) => b - a)[0];
    expect(LATEST_NODE_RUNTIME.name).toBe(`nodejs${newest}.x`);
  });

  test('its log group keeps logs for the configured retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('the role may write its own log group and invoke exactly the profile and, through it, the model', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('PromptFunctionLogs'), 'Arn'] },
          },
          { Effect: 'Allow', Action: 'bedrock:InvokeModel', Resource: profileArn('us.amazon.nova-lite-v1:0') },
          {
            Effect: 'Allow',
            Action: 'bedrock:InvokeModel',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:*::foundation-model/amazon.nova-lite-v1:0']] },
            Condition: { StringEquals: { 'bedrock:InferenceProfileArn': profileArn('us.amazon.nova-lite-v1:0') } },
          },
        ]),
      },
    });
    template.resourcePropertiesCountIs('AWS::IAM::Role', { ManagedPolicyArns: Match.anyValue() }, 1); // only API Gateway's CloudWatch role
  });

  test('POST /prompt is IAM-authorized, body-validated and proxied to the function', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      AuthorizationType: 'AWS_IAM',
      RequestValidatorId: { Ref: Match.stringLikeRegexp('BodyValidator') },
      RequestModels: { 'application/json': { Ref: Match.stringLikeRegexp('PromptRequestModel') } },
      Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST', TimeoutInMillis: 29000 },
    });
  });

  test('the body model caps the query length and forbids unknown fields', () => {
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      ContentType: 'application/json',
      Schema: {
        type: 'object',
        required: ['query'],
        additionalProperties: false,
        properties: {
          query: { type: 'string', minLength: 1, maxLength: 8000 },
          maxTokens: { type: 'integer', minimum: 1, maximum: 1024 },
          temperature: { type: 'number', minimum: 0, maximum: 1 },
        },
      },
    });
  });

  test('settings reach the function and the body model', () => {
    const t = build({ maxTokens: 256, maxQueryChars: 500, memorySize: 512, timeout: Duration.seconds(15), attemptTimeout: Duration.seconds(5) }).template;
    t.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 512,
      Timeout: 15,
      Environment: { Variables: Match.objectLike({ MAX_TOKENS: '256', BEDROCK_ATTEMPT_TIMEOUT_MS: '5000' }) },
    });
    t.hasResourceProperties('AWS::ApiGateway::Model', {
      Schema: Match.objectLike({ properties: Match.objectLike({ query: { type: 'string', minLength: 1, maxLength: 500 } }) }),
    });
  });

  test.each([
    [{ maxTokens: 0 }, 'maxTokens must be between 1 and 64000, got 0'],
    [{ temperature: 1.2 }, 'temperature must be between 0 and 1, got 1.2'],
    [{ maxQueryChars: 0 }, 'maxQueryChars must be between 1 and 100000, got 0'],
    [{ maxAttempts: 11 }, 'maxAttempts must be between 1 and 10, got 11'],
    [{ timeout: Duration.seconds(30) }, 'timeout must be between 1 and 29, got 30'],
    [{ attemptTimeout: Duration.seconds(29) }, 'attemptTimeout must be below timeout (29 s), got 29 s'],
    [{ memorySize: 64 }, 'memorySize must be between 128 and 10240 MB, got 64'],
  ])('fails when %j', (props, message) => {
    expect(() => build(props as Partial<ModelCallProps>)).toThrow(message);
  });

  test('accepts unresolved tokens without judging them', () => {
    const stack = new Stack(new App({ context: CDK_JSON_CONTEXT }), 'Tokens');
    const maxTokens = new CfnParameter(stack, 'MaxTokens', { type: 'Number' }).valueAsNumber;
    const api = new ModelApi(stack, 'Api');
    expect(() => new ModelCall(stack, 'ModelCall', { api, model: new BedrockModel(MODEL_CATALOG['nova-lite'], 'us'), maxTokens })).not.toThrow();
  });
});

describe('ModelCall routing (ground 4)', () => {
  const routed = (routing: Partial<NonNullable<ModelCallProps['routing']>>) =>
    build({
      routing: { models: [new BedrockModel(MODEL_CATALOG['nova-micro'], 'us'), new BedrockModel(MODEL_CATALOG['claude-haiku-4-5'], 'us')], ...routing },
    });

  test('every routed model is granted, the policy and tenants reach the function, requests may name a model', () => {
    const { template: t } = routed({
      byTier: { premium: 'claude-haiku-4-5' },
      fallbacks: { 'claude-haiku-4-5': ['nova-lite'] },
      tenants: [{ apiKeyId: 'abc123', name: 'acme', tier: 'premium' }],
    });
    const fn = Object.values(t.findResources('AWS::Lambda::Function'))[0];
    const policy = JSON.parse(fn.Properties.Environment.Variables.ROUTING_POLICY);
    expect(policy.targets.map((x: { alias: string }) => x.alias)).toEqual(['nova-lite', 'nova-micro', 'claude-haiku-4-5']);
    expect(policy).toMatchObject({ defaultAlias: 'nova-lite', byTier: { premium: 'claude-haiku-4-5' }, fallbacks: { 'claude-haiku-4-5': ['nova-lite'] } });
    expect(JSON.parse(fn.Properties.Environment.Variables.TENANTS)).toEqual({ abc123: { tenant: 'acme', tier: 'premium' } });
    const statements = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    for (const id of ['us.amazon.nova-lite-v1:0', 'us.amazon.nova-micro-v1:0', 'us.anthropic.claude-haiku-4-5-20251001-v1:0'])
      expect(statements).toContain(`:inference-profile/${id}`);
    t.hasResourceProperties('AWS::ApiGateway::Model', {
      Schema: Match.objectLike({ properties: Match.objectLike({ model: { type: 'string', maxLength: 64 } }) }),
    });
  });

  test('fails when routing names a model that is not routed to', () => {
    expect(() => routed({ fallbacks: { 'nova-lite': ['nova-pro'] } })).toThrow(
      'routing names models that are not routed to: nova-pro; routed: nova-lite, nova-micro, claude-haiku-4-5',
    );
  });
});

describe('ModelCall streamed routes (ground 4)', () => {
  const functionNamed = (t: Template, handlerDir: string) =>
    Object.entries(t.findResources('AWS::Lambda::Function')).find(([, r]) => r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === handlerDir)!;
  const { template: t, call } = build((stack) => ({
    guardrail: Guardrail.fromGuardrailAttributes(stack, 'Guardrail', {
      guardrailArn: 'arn:aws:bedrock:us-east-1:123456789012:guardrail/gr-1',
      guardrailVersion: '3',
    }),
    routing: {
      models: [new BedrockModel(MODEL_CATALOG['nova-micro'], 'us')],
      tenants: [
        { apiKeyId: 'key1', name: 'acme', tier: 'basic', modelIds: { 'nova-lite': 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/p1' } },
      ],
    },
    streaming: { timeout: Duration.minutes(2), guardrailWindowChars: 500 },
  }));

  test('POST /chat/stream and POST /v1/chat/completions stream from their own functions, IAM-authorized and body-validated', () => {
    for (const [model, handlerDir] of [
      ['ChatStreamRequest', 'chat-stream'],
      ['ChatCompletionRequest', 'openai'],
    ]) {
      const [fnId] = functionNamed(t, handlerDir);
      t.hasResourceProperties('AWS::ApiGateway::Method', {
        HttpMethod: 'POST',
        AuthorizationType: 'AWS_IAM',
        RequestModels: { 'application/json': { Ref: Match.stringLikeRegexp(`${model}Model`) } },
        Integration: {
          Type: 'AWS_PROXY',
          ResponseTransferMode: 'STREAM',
          TimeoutInMillis: 120_000,
          Uri: {
            'Fn::Join': [
              '',
              Match.arrayWith([Match.stringLikeRegexp('/2021-11-15/functions/'), { 'Fn::GetAtt': [fnId, 'Arn'] }, '/response-streaming-invocations']),
            ],
          },
        },
      });
    }
    expect(call.methods).toHaveLength(3);
  });

  test('both chat routes refuse more messages at API Gateway than the one limit the functions also check (contracts/model-call.ts)', () => {
    const models = Object.values(t.findResources('AWS::ApiGateway::Model')).filter((m) =>
      ['ChatStreamRequest', 'ChatCompletionRequest'].includes(m.Properties.Name),
    );
    expect(models.map((m) => m.Properties.Schema.properties.messages.maxItems)).toEqual([MAX_CHAT_MESSAGES, MAX_CHAT_MESSAGES]);
  });

  test('streaming functions: the stream timeout, the guardrail window, tenants and the default model; out of any VPC', () => {
    const [, chat] = functionNamed(t, 'chat-stream');
    expect(chat.Properties).toMatchObject({
      Timeout: 120,
      Environment: {
        Variables: {
          MODEL_ID: 'us.amazon.nova-lite-v1:0',
          MODEL_ALIAS: 'nova-lite',
          GUARDRAIL_WINDOW_CHARS: '500',
          GUARDRAIL_ID: 'gr-1',
          GUARDRAIL_VERSION: '3',
        },
      },
    });
    expect(JSON.parse(chat.Properties.Environment.Variables.TENANTS)).toEqual({
      key1: { tenant: 'acme', tier: 'basic', modelIds: { 'nova-lite': 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/p1' } },
    });
    expect(chat.Properties.VpcConfig).toBeUndefined();
    // The price of its model, for the usage record's CostUsd.
    expect(JSON.parse(chat.Properties.Environment.Variables[MODEL_PRICE_ENV])).toEqual({
      inputPerMTok: MODEL_CATALOG['nova-lite'].price.inputPerMTok,
      outputPerMTok: MODEL_CATALOG['nova-lite'].price.outputPerMTok,
    });
    const [, openAi] = functionNamed(t, 'openai');
    expect(JSON.parse(openAi.Properties.Environment.Variables.ROUTING_POLICY).targets.map((x: { alias: string }) => x.alias)).toEqual([
      'nova-lite',
      'nova-micro',
    ]);
  });

  test('streaming roles may stream from every routed model and apply the guardrail, nothing more', () => {
    const [, fn] = functionNamed(t, 'chat-stream');
    const roleRef = fn.Properties.Role['Fn::GetAtt'][0];
    const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(roleRef));
    const actions = new Set(policies.flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((st: { Action: string | string[] }) => [st.Action].flat())));
    expect([...actions].sort()).toEqual([
      'bedrock:ApplyGuardrail',
      'bedrock:InvokeModelWithResponseStream',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    expect(JSON.stringify(policies)).toContain(':inference-profile/us.amazon.nova-micro-v1:0');
  });

  test.each([
    [{ timeout: Duration.seconds(10) }, 'streaming.timeout must be between 30 and 900, got 10'],
    [{ timeout: Duration.minutes(16) }, 'streaming.timeout must be between 30 and 900, got 960'],
    [{ guardrailWindowChars: 50 }, 'streaming.guardrailWindowChars must be between 100 and 10000, got 50'],
  ])('fails when streaming is %j', (streaming, message) => {
    expect(() => build({ streaming })).toThrow(message);
  });
});

describe('BedrockModel grants', () => {
  function statements(model: BedrockModel, invocation: ModelInvocation = 'buffered') {
    const stack = new Stack();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    model.grantInvoke(stack, role, invocation);
    return stack.resolve((role.node.findChild('DefaultPolicy') as iam.Policy).document).Statement as Record<string, unknown>[];
  }

  test('in-Region: the foundation model of the stack Region only, no condition needed', () => {
    expect(statements(new BedrockModel(MODEL_CATALOG['nova-micro'], 'in-region'))).toEqual([
      {
        Effect: 'Allow',
        Action: 'bedrock:InvokeModel',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, '::foundation-model/amazon.nova-micro-v1:0']] },
      },
    ]);
  });

  test.each([
    ['streamed', 'bedrock:InvokeModelWithResponseStream'],
    ['both', ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']],
  ] as const)('global profile: the profile, and the model anywhere only through that profile; %s invocation grants %j only', (invocation, actions) => {
    const [profile, model] = statements(new BedrockModel(MODEL_CATALOG['claude-haiku-4-5'], 'global'), invocation);
    expect(profile).toEqual({ Effect: 'Allow', Action: actions, Resource: profileArn('global.anthropic.claude-haiku-4-5-20251001-v1:0') });
    expect(model.Action).toEqual(actions);
    expect(model.Condition).toEqual({ StringEquals: { 'bedrock:InferenceProfileArn': profileArn('global.anthropic.claude-haiku-4-5-20251001-v1:0') } });
  });
});
