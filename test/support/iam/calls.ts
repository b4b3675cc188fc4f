import { LAMBDA_ENI_ACTIONS } from '../../../lib/constructs/shared/blueprint-function';
import { actionsOf, sdkCalls, sfnActionsOf } from './commands';
import { ACCOUNT, PARTITION, PROFILE_DESTINATIONS, REGION, type TemplateResolver, fakeArn, queueArnFromUrl } from './resolve';

/** One request the simulation evaluates: an action on one concrete resource, with its context. */
export interface Call {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  /** What sends it: `ConverseCommand`, `Lambda service: logs`, `Task Train`, ... */
  readonly why: string;
  /** The resource's own policy, where it has one we evaluate (KMS key policies). */
  readonly resourcePolicy?: unknown;
}

export interface FunctionUnderTest {
  readonly stackName: string;
  readonly logicalId: string;
  readonly roleLogicalId: string;
  /** POWERTOOLS_SERVICE_NAME: the lambda/<dir> the function is built from. */
  readonly service: string;
  /** Environment and, for a custom-resource handler, its resource's properties: all resolved. */
  readonly inputs: Record<string, unknown>;
  readonly bundle: string;
}

/**
 * Where a function keeps several tables, which table each DynamoDB action goes to, read from the
 * handler's call sites (the bundle holds whole store classes, methods the handler never calls included).
 * `*` is every action the bundle can send. A table variable missing here gets every action.
 */
export const TABLE_USE: Record<string, Record<string, readonly string[] | '*'>> = {
  // route.ts: SessionStore.history/append (Get, Query, Put, Update); FeedbackStore.recordAnswer only (store.ts:99, PutItem).
  prompt: { SESSIONS_TABLE: '*', FEEDBACK_TABLE: ['dynamodb:PutItem'] },
  // handler.ts: SessionStore.read only (sessions-store.ts:156: meta GetItem + turns Query).
  sessions: { SESSIONS_TABLE: ['dynamodb:GetItem', 'dynamodb:Query'] },
  // handler.ts: FeedbackStore.rate only (store.ts:111: GetItem, then a conditional UpdateItem).
  feedback: { FEEDBACK_TABLE: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
};

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
/**
 * A call whose resource the environment does not name is dormant on this ground: the handlers
 * build the client for an optional feature only when its variables are set (e.g. lambda/prompt/route.ts
 * retrieves only with KNOWLEDGE_BASE_ID), so the bundle carries the command but never sends it.
 */
class Dormant extends Error {}
const need = (fn: FunctionUnderTest, ...keys: string[]): string => {
  for (const k of keys) if (str(fn.inputs[k])) return fn.inputs[k] as string;
  throw new Dormant(keys.join(' or '));
};
/** A run's name as the training pipeline makes it: `<endpoint>-<uuid>` (training-pipeline.ts). */
const RUN_SUFFIX = '-0f8fad5b-d9cb-469f-a165-70867728950e';

/** The model ARNs (and, through a profile, the context) an InvokeModel* call on `id` is authorized on. */
export function modelTargets(r: TemplateResolver, id: string): { resource: string; context?: Record<string, string> }[] {
  const fm = (region: string, modelId: string) => `arn:${PARTITION}:bedrock:${region}::foundation-model/${modelId}`;
  const appProfile = /^arn:[^:]+:bedrock:[^:]+:\d{12}:application-inference-profile\//.test(id);
  const systemProfile = (profileId: string) => {
    const [geo, ...rest] = profileId.split('.');
    const regions = PROFILE_DESTINATIONS[geo];
    if (!regions) throw new Error(`unknown inference profile geography in ${profileId}`);
    return { modelId: rest.join('.'), regions };
  };
  if (appProfile) {
    // An application profile copies a system profile (or an in-Region model); Bedrock invokes the
    // model in the copied route's Regions, authorized "through" the application profile
    // (https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html).
    const [logicalId] =
      Object.entries(r.template.Resources).find(
        ([lid, res]) => res.Type === 'AWS::Bedrock::ApplicationInferenceProfile' && r.getAtt(lid, 'InferenceProfileArn') === id,
      ) ?? [];
    if (!logicalId) throw new Error(`no application inference profile with ARN ${id}`);
    const source = String(r.resolve(r.resource(logicalId).Properties!.ModelSource.CopyFrom));
    const copied = source.split('/').slice(1).join('/');
    const { modelId, regions } = source.includes(':inference-profile/') ? systemProfile(copied) : { modelId: copied, regions: [REGION] };
    return [{ resource: id }, ...regions.map((region) => ({ resource: fm(region, modelId), context: { 'bedrock:InferenceProfileArn': id } }))];
  }
  if (/^(us|eu|apac|global)\./.test(id)) {
    const profileArn = fakeArn('bedrock', `inference-profile/${id}`);
    const { modelId, regions } = systemProfile(id);
    return [{ resource: profileArn }, ...regions.map((region) => ({ resource: fm(region, modelId), context: { 'bedrock:InferenceProfileArn': profileArn } }))];
  }
  return [{ resource: fm(REGION, id) }];
}

/** Every model id a function's environment names: routing policy, fixed model, tenants' profiles, embedding model. */
function modelIds(fn: FunctionUnderTest): string[] {
  const ids = new Set<string>();
  const json = (k: string) => (str(fn.inputs[k]) ? JSON.parse(fn.inputs[k] as string) : undefined);
  for (const t of json('ROUTING_POLICY')?.targets ?? []) ids.add(t.modelId);
  for (const k of ['MODEL_ID', 'CACHE_EMBEDDING_MODEL_ID']) if (str(fn.inputs[k])) ids.add(fn.inputs[k] as string);
  for (const tenant of Object.values<any>(json('TENANTS') ?? {})) for (const id of Object.values<string>(tenant.modelIds ?? {})) ids.add(id);
  return [...ids];
}

/** The resources (and context) a function's SDK call authorized as `action` goes to. */
function sdkTargets(r: TemplateResolver, fn: FunctionUnderTest, action: string): { resource: string; context?: Record<string, string> }[] {
  const kb = () => fakeArn('bedrock', `knowledge-base/${need(fn, 'KNOWLEDGE_BASE_ID')}`);
  const endpoint = () => need(fn, 'ENDPOINT_NAME', 'EndpointName');
  switch (action) {
    case 'bedrock:InvokeModel':
    case 'bedrock:InvokeModelWithResponseStream': {
      const ids = modelIds(fn);
      if (!ids.length) throw new Dormant('model id');
      return ids.flatMap((id) => modelTargets(r, id));
    }
    case 'bedrock:ApplyGuardrail':
      return [{ resource: fakeArn('bedrock', `guardrail/${need(fn, 'GUARDRAIL_ID')}`) }];
    case 'bedrock:GetPrompt':
      return [{ resource: fakeArn('bedrock', `prompt/${need(fn, 'PROMPT_ID')}:${need(fn, 'PROMPT_VERSION')}`) }];
    case 'bedrock:Retrieve':
    case 'bedrock:StartIngestionJob':
    case 'bedrock:GetIngestionJob':
    case 'bedrock:ListIngestionJobs':
      return [{ resource: kb() }];
    case 'bedrock:InvokeAgent':
      return [{ resource: fakeArn('bedrock', `agent-alias/${need(fn, 'AGENT_ID')}/${need(fn, 'AGENT_ALIAS_ID')}`) }];
    case 'bedrock:GetModelInvocationLoggingConfiguration':
    case 'bedrock:PutModelInvocationLoggingConfiguration':
    case 'bedrock:DeleteModelInvocationLoggingConfiguration':
    case 'sagemaker:ListEndpointConfigs':
    case 'sagemaker:ListModels':
      return [{ resource: '*' }];
    case 'iam:PassRole': {
      // The roles the function hands to a service: role ARNs among its inputs, passed to the
      // service that the role trusts.
      const roles = JSON.stringify(fn.inputs).match(new RegExp(`arn:${PARTITION}:iam::${ACCOUNT}:role/[\\w+=,.@-]+`, 'g')) ?? [];
      if (!roles.length) throw new Dormant('role ARN');
      return [...new Set(roles)].map((roleArn) => ({ resource: roleArn, context: { 'iam:PassedToService': trustedService(r, roleArn) } }));
    }
    case 'sqs:SendMessage':
      return [{ resource: queueArnFromUrl(need(fn, 'QUEUE_URL')) }];
    case 'sagemaker:InvokeEndpoint':
    case 'sagemaker:DescribeEndpoint':
    case 'sagemaker:DeleteEndpoint':
      return [{ resource: fakeArn('sagemaker', `endpoint/${endpoint()}`) }];
    case 'sagemaker:DescribeEndpointConfig':
    case 'sagemaker:DeleteEndpointConfig':
    case 'sagemaker:ListTags':
      return [{ resource: fakeArn('sagemaker', `endpoint-config/${endpoint()}${RUN_SUFFIX}`) }];
    case 'sagemaker:DeleteModel':
      return [{ resource: fakeArn('sagemaker', `model/${endpoint()}${RUN_SUFFIX}`) }];
    // lambda/ingest/s3.ts: it checks that an uploaded document exists, then writes or removes its sidecar.
    case 's3:ListBucket':
      return [{ resource: `arn:${PARTITION}:s3:::${need(fn, 'DOCUMENTS_BUCKET')}` }];
    case 's3:GetObject':
      return [{ resource: `arn:${PARTITION}:s3:::${need(fn, 'DOCUMENTS_BUCKET')}/tenants/acme/report.pdf` }];
    case 's3:PutObject':
    case 's3:DeleteObject':
      return [{ resource: `arn:${PARTITION}:s3:::${need(fn, 'DOCUMENTS_BUCKET')}/tenants/acme/report.pdf.metadata.json` }];
    case 'elasticache:Connect':
      // Authorized on the cache and on the user (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth-iam.html).
      return [
        { resource: fakeArn('elasticache', `serverlesscache:${need(fn, 'CACHE_NAME')}`) },
        { resource: fakeArn('elasticache', `user:${need(fn, 'CACHE_USER_ID')}`) },
      ];
    default:
      if (action.startsWith('dynamodb:')) return tableTargets(fn, action);
      throw new Error(`${fn.service}: no resource rule for ${action} in test/support/iam/calls.ts`);
  }
}

function tableTargets(fn: FunctionUnderTest, action: string) {
  const vars = Object.keys(fn.inputs).filter((k) => /(^|_)TABLE(_NAME)?$/.test(k) && str(fn.inputs[k]));
  if (!vars.length) throw new Dormant('table');
  const use = TABLE_USE[fn.service] ?? {};
  return vars
    .filter((v) => (use[v] ?? '*') === '*' || (use[v] as readonly string[]).includes(action))
    .map((v) => ({ resource: fakeArn('dynamodb', `table/${fn.inputs[v]}`) }));
}

function trustedService(r: TemplateResolver, roleArn: string): string {
  const [, role] = Object.entries(r.template.Resources).find(([lid, res]) => res.Type === 'AWS::IAM::Role' && r.getAtt(lid, 'Arn') === roleArn) ?? [];
  const principal = JSON.stringify(role?.Properties?.AssumeRolePolicyDocument ?? {}).match(/"Service":"([^"]+)"/);
  if (!principal) throw new Error(`role ${roleArn} trusts no service`);
  return principal[1];
}

/** Every call a function's SDK commands make, with the commands the table lacks. */
export function functionSdkCalls(r: TemplateResolver, fn: FunctionUnderTest): { calls: Call[]; unknown: string[]; dormant: string[] } {
  const calls: Call[] = [];
  const unknown: string[] = [];
  const dormant: string[] = [];
  for (const call of sdkCalls(fn.bundle)) {
    const actions = actionsOf(call);
    if (!actions) {
      unknown.push(`${call.pkg} ${call.command}`);
      continue;
    }
    for (const action of actions) {
      try {
        for (const t of sdkTargets(r, fn, action)) calls.push({ action, ...t, why: call.command });
      } catch (e) {
        if (!(e instanceof Dormant)) throw e;
        dormant.push(`${call.command} (${action}: no ${e.message})`);
      }
    }
  }
  return { calls, unknown, dormant };
}

/**
 * What the Lambda service itself does with the execution role: write the function's logs, send its
 * traces, manage a VPC function's network interfaces, poll its SQS event source.
 */
export function lambdaServiceCalls(r: TemplateResolver, functionLogicalId: string): Call[] {
  const props = r.resource(functionLogicalId).Properties!;
  const calls: Call[] = [];
  // https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html: CreateLogStream and
  // PutLogEvents on the function's log group (CreateLogGroup only when Lambda creates the group).
  const group = props.LoggingConfig?.LogGroup ? String(r.resolve(props.LoggingConfig.LogGroup)) : `/aws/lambda/${r.ref(functionLogicalId)}`;
  const stream = fakeArn('logs', `log-group:${group}:log-stream:2026/01/01/[$LATEST]0123456789abcdef`);
  calls.push(
    { action: 'logs:CreateLogStream', resource: stream, why: 'Lambda service: logs' },
    { action: 'logs:PutLogEvents', resource: stream, why: 'Lambda service: logs' },
  );
  if (!props.LoggingConfig?.LogGroup)
    calls.push({ action: 'logs:CreateLogGroup', resource: fakeArn('logs', `log-group:${group}`), why: 'Lambda service: logs' });
  // https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html: active tracing sends segments as the role.
  if (props.TracingConfig?.Mode === 'Active') {
    for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords']) calls.push({ action, resource: '*', why: 'Lambda service: active tracing' });
  }
  // https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html, "Required IAM permissions".
  if (props.VpcConfig) {
    const subnets = (r.resolve(props.VpcConfig.SubnetIds) as string[]).map((s) => fakeArn('ec2', `subnet/${s}`));
    const groups = (r.resolve(props.VpcConfig.SecurityGroupIds) as string[]).map((g) => fakeArn('ec2', `security-group/${g}`));
    const eni = fakeArn('ec2', 'network-interface/eni-0123456789abcdef0');
    const why = 'Lambda service: VPC network interfaces';
    for (const action of LAMBDA_ENI_ACTIONS.describe) calls.push({ action, resource: '*', why });
    for (const resource of [eni, ...subnets, ...groups]) calls.push({ action: 'ec2:CreateNetworkInterface', resource, why });
    for (const action of LAMBDA_ENI_ACTIONS.manage.filter((a) => a !== 'ec2:CreateNetworkInterface')) calls.push({ action, resource: eni, why });
  }
  // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html ("Execution role
  // permissions"): the event source mapping receives, deletes and reads the queue's attributes as the role.
  for (const [, res] of Object.entries(r.template.Resources)) {
    if (res.Type !== 'AWS::Lambda::EventSourceMapping' || JSON.stringify(res.Properties?.FunctionName) !== JSON.stringify({ Ref: functionLogicalId })) continue;
    const source = String(r.resolve(res.Properties!.EventSourceArn));
    if (!source.includes(':sqs:')) throw new Error(`event source ${source}: only SQS sources are simulated`);
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'])
      calls.push({ action, resource: source, why: 'Lambda service: SQS event source' });
  }
  return calls;
}

/** A KMS key's ARN → its key policy, resolved (for calls that use the key). */
export function keyPolicyOf(r: TemplateResolver, keyArn: string): unknown {
  const [, key] = Object.entries(r.template.Resources).find(([lid, res]) => res.Type === 'AWS::KMS::Key' && r.getAtt(lid, 'Arn') === keyArn) ?? [];
  return key ? r.resolve(key.Properties!.KeyPolicy) : undefined;
}

/**
 * What SNS needs from a publisher to an encrypted topic: kms:GenerateDataKey and kms:Decrypt on the
 * topic's key (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html, "Allow a user to send
 * messages to a topic with SSE").
 */
export function topicKeyCalls(r: TemplateResolver, topicArn: string, why: string): Call[] {
  const [logicalId] = Object.entries(r.template.Resources).find(([lid, res]) => res.Type === 'AWS::SNS::Topic' && r.ref(lid) === topicArn) ?? [];
  if (!logicalId) throw new Error(`no topic ${topicArn} in the template`);
  const keyId = r.resource(logicalId).Properties?.KmsMasterKeyId;
  if (!keyId) return [];
  const keyArn = String(r.resolve(keyId));
  if (!keyArn.startsWith('arn:')) throw new Error(`topic ${topicArn}: key ${keyArn} is not a key ARN (an AWS managed alias needs no grant)`);
  const resourcePolicy = keyPolicyOf(r, keyArn);
  return ['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({ action, resource: keyArn, why, resourcePolicy }));
}

/** The Task states of a definition, nested Parallel branches and Map iterators included. */
function tasks(states: Record<string, any>): [string, any][] {
  return Object.entries(states).flatMap(([name, s]) => [
    ...(s.Type === 'Task' ? [[name, s] as [string, any]] : []),
    ...(s.Branches ?? []).flatMap((b: any) => tasks(b.States)),
    ...(s.Iterator ? tasks(s.Iterator.States) : s.ItemProcessor ? tasks(s.ItemProcessor.States) : []),
  ]);
}

/**
 * Sample values of the JSONPaths a definition's tasks read, for the calls' resource names: the
 * documents pipeline's input, and the run name the training pipeline's Pass state formats with
 * `States.Format('<prefix>{}', States.UUID())`.
 */
function sampleState(definition: any): Record<string, any> {
  const state: Record<string, any> = { key: 'blueprint/sample.md' };
  for (const s of Object.values<any>(definition.States)) {
    if (s.Type !== 'Pass' || !s.Parameters || !s.ResultPath || state[s.ResultPath.replace(/^\$\./, '')]) continue;
    const value: Record<string, unknown> = {};
    let evaluable = false;
    for (const [k, v] of Object.entries<any>(s.Parameters)) {
      const m = typeof v === 'string' && /^States\.Format\('([^']*)\{\}', States\.UUID\(\)\)$/.exec(v);
      if (!k.endsWith('.$')) value[k] = v;
      else if (m) {
        value[k.slice(0, -2)] = `${m[1]}${RUN_SUFFIX.slice(1)}`;
        evaluable = true;
      } else evaluable = false;
    }
    if (evaluable) state[s.ResultPath.replace(/^\$\./, '')] = value;
  }
  return state;
}

function jsonPath(state: Record<string, any>, path: string): string {
  // States.Format('...{}...', $.a, $.b): the intrinsic the training pipeline names its jobs with.
  const format = /^States\.Format\('([^']*)'((?:, *\$[\w.]+)*)\)$/.exec(path);
  if (format) {
    const args = format[2]
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean)
      .map((a) => jsonPath(state, a));
    return format[1].replace(/\{\}/g, () => args.shift() ?? '');
  }
  const value = path
    .replace(/^\$\./, '')
    .split('.')
    .reduce<any>((o, k) => o?.[k], state);
  if (typeof value !== 'string' && typeof value !== 'number') throw new Error(`no sample value for ${path}`);
  return String(value);
}

/** A Task's parameter, static or (`<name>.$`) from the sample state. */
function param(p: Record<string, any>, name: string, state: Record<string, any>): string | undefined {
  if (typeof p[name] === 'string') return p[name];
  if (typeof p[`${name}.$`] === 'string') return jsonPath(state, p[`${name}.$`]);
  return undefined;
}

/** Every call a state machine's role makes: each Task's integration, logging and tracing. */
export function stateMachineCalls(r: TemplateResolver, logicalId: string): { calls: Call[]; unknown: string[] } {
  const props = r.resource(logicalId).Properties!;
  const definition = JSON.parse(String(r.resolve(props.DefinitionString)));
  const state = sampleState(definition);
  const calls: Call[] = [];
  const unknown: string[] = [];
  const sm = (action: string, type: string, name: string) => fakeArn(action.split(':')[0], `${type}/${name}`);
  for (const [name, task] of tasks(definition.States)) {
    const why = `Task ${name}`;
    const p = task.Parameters ?? {};
    const resource = String(task.Resource);
    const lambdaArn = /^arn:[^:]+:lambda:/.test(resource) ? resource : undefined;
    const integration = lambdaArn ? 'lambda:invoke' : resource.replace(/^arn:[^:]+:states:::/, '');
    const actions = sfnActionsOf(integration);
    if (!actions) {
      unknown.push(integration);
      continue;
    }
    for (const action of actions) {
      const push = (res: string, context?: Record<string, string>) => calls.push({ action, resource: res, context, why });
      switch (action) {
        case 'lambda:InvokeFunction':
          push(lambdaArn ?? String(p.FunctionName));
          break;
        case 'sns:Publish':
          push(String(p.TopicArn));
          calls.push(...topicKeyCalls(r, String(p.TopicArn), why));
          break;
        case 'iam:PassRole': {
          const role = p.RoleArn ?? p.ExecutionRoleArn;
          push(String(role), { 'iam:PassedToService': trustedService(r, String(role)) });
          break;
        }
        case 'events:PutTargets':
        case 'events:PutRule':
        case 'events:DescribeRule':
          // The managed rule of a .sync SageMaker training task.
          push(fakeArn('events', 'rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule'));
          break;
        case 'sagemaker:CreateTrainingJob':
        case 'sagemaker:DescribeTrainingJob':
        case 'sagemaker:StopTrainingJob':
        case 'sagemaker:ListTags':
          push(sm(action, 'training-job', param(p, 'TrainingJobName', state)!));
          break;
        case 'sagemaker:CreateModel':
          push(sm(action, 'model', param(p, 'ModelName', state)!));
          break;
        case 'sagemaker:CreateEndpointConfig':
          push(sm(action, 'endpoint-config', param(p, 'EndpointConfigName', state)!));
          // Tags in the request are authorized as sagemaker:AddTags as well
          // (https://docs.aws.amazon.com/sagemaker/latest/dg/security_iam_id-based-policy-examples.html, "tag on create").
          if (p.Tags) calls.push({ action: 'sagemaker:AddTags', resource: sm(action, 'endpoint-config', param(p, 'EndpointConfigName', state)!), why });
          break;
        case 'sagemaker:CreateEndpoint':
        case 'sagemaker:UpdateEndpoint':
          push(sm(action, 'endpoint', param(p, 'EndpointName', state)!));
          push(sm(action, 'endpoint-config', param(p, 'EndpointConfigName', state)!));
          break;
        case 'sagemaker:DescribeEndpoint':
        case 'sagemaker:DeleteEndpoint':
          push(sm(action, 'endpoint', param(p, 'EndpointName', state)!));
          break;
        case 's3:GetObject':
          push(`arn:${PARTITION}:s3:::${p.Bucket}/${param(p, 'Key', state)}`);
          break;
        case 's3:ListBucket':
          push(`arn:${PARTITION}:s3:::${p.Bucket}`);
          break;
        case 'bedrock:StartIngestionJob':
        case 'bedrock:GetIngestionJob':
          push(fakeArn('bedrock', `knowledge-base/${p.KnowledgeBaseId}`));
          break;
        default:
          throw new Error(`${why}: no resource rule for ${action} in test/support/iam/calls.ts`);
      }
    }
  }
  // https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html ("IAM policies for logging to CloudWatch Logs"): Resource "*".
  if (props.LoggingConfiguration?.Level && props.LoggingConfiguration.Level !== 'OFF') {
    for (const action of [
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ]) {
      calls.push({ action, resource: '*', why: 'Step Functions: execution logs' });
    }
  }
  // https://docs.aws.amazon.com/step-functions/latest/dg/xray-iam.html.
  if (props.TracingConfiguration?.Enabled) {
    for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'])
      calls.push({ action, resource: '*', why: 'Step Functions: X-Ray tracing' });
  }
  return { calls, unknown };
}
