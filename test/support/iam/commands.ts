/**
 * Which AWS calls a function bundle can send, and the IAM actions each one is authorized as.
 *
 * The bundles leave `@aws-sdk/*` and `@smithy/*` external (lib/constructs/shared/bundling.ts), so
 * esbuild's minified CommonJS keeps every SDK import as `var X=require("@aws-sdk/<pkg>")` and every
 * use as a property access `X.<Name>`: property names are never minified. A command the bundle can
 * send is therefore `X.<Something>Command` (or `X.paginate<Op>`, which sends `<Op>Command`) on a
 * binding of an SDK package; esbuild has already dropped the modules that no entry reaches.
 */

export interface SdkCall {
  /** The npm package, e.g. `@aws-sdk/client-bedrock-runtime`. */
  readonly pkg: string;
  /** The command class, e.g. `ConverseCommand`; for the ElastiCache token, `connect` (see below). */
  readonly command: string;
}

/** The SDK commands a bundle's text can send. */
export function sdkCalls(bundle: string): SdkCall[] {
  const bindings = new Map<string, string>();
  for (const m of bundle.matchAll(/([A-Za-z_$][\w$]*)=require\("(@aws-sdk\/[^"]+)"\)/g)) bindings.set(m[1], m[2]);
  const found = new Map<string, SdkCall>();
  for (const [name, pkg] of bindings) {
    const escaped = name.replace(/\$/g, '\\$');
    for (const m of bundle.matchAll(new RegExp(`(?<![\\w$.])${escaped}\\.(\\w+Command|paginate\\w+)\\b`, 'g'))) {
      const command = m[1].startsWith('paginate') ? `${m[1].slice('paginate'.length)}Command` : m[1];
      found.set(`${pkg}#${command}`, { pkg, command });
    }
  }
  // ElastiCache IAM authentication: the function presigns `Action=connect` for the service
  // `elasticache` itself (lambda/shared/cache-auth.ts); ElastiCache authorizes it as elasticache:Connect.
  if ([...bundle.matchAll(/require\("@smithy\/signature-v4"\)/g)].length && /service:"elasticache"/.test(bundle) && /Action:"connect"/.test(bundle)) {
    found.set('sigv4:elasticache#connect', { pkg: 'sigv4:elasticache', command: 'connect' });
  }
  // S3 object calls signed without an S3 client (lambda/ingest/s3.ts): its S3_OPERATIONS table names
  // each operation beside its HTTP method, and the signer is built for the service `s3`. They are the
  // S3 API's own operations, so they are listed as the S3 client's commands would be: every table
  // keyed by package (the IAM actions here, the VPC endpoints in test/network/endpoints.ts) applies.
  if (/require\("@smithy\/signature-v4"\)/.test(bundle) && /service:"s3"/.test(bundle)) {
    for (const m of bundle.matchAll(/\b(HeadObject|PutObject|DeleteObject):"(?:HEAD|PUT|DELETE)"/g)) {
      found.set(`@aws-sdk/client-s3#${m[1]}Command`, { pkg: '@aws-sdk/client-s3', command: `${m[1]}Command` });
    }
  }
  return [...found.values()].sort((a, b) => `${a.pkg}#${a.command}`.localeCompare(`${b.pkg}#${b.command}`));
}

export interface CommandEntry {
  /** The IAM actions AWS authorizes the call as (the Service Authorization Reference's "Actions" table). */
  readonly actions: readonly string[];
  /** Where AWS says so, when the action's name is not the operation's name. */
  readonly source?: string;
}

const same = (prefix: string, ...ops: string[]) => Object.fromEntries(ops.map((op) => [`${op}Command`, { actions: [`${prefix}:${op}`] }]));

/**
 * Command → IAM actions, by package. Operations whose action has the operation's own name follow
 * the Service Authorization Reference's rule ("Actions defined by <service>": the action is the API
 * operation); the others cite the page that says which action authorizes them.
 * A command a bundle sends that is missing here fails the simulation test.
 */
export const COMMAND_ACTIONS: Record<string, Record<string, CommandEntry>> = {
  '@aws-sdk/client-bedrock-runtime': {
    ConverseCommand: {
      actions: ['bedrock:InvokeModel'],
      source: 'https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html ("requires permission for the bedrock:InvokeModel action")',
    },
    ConverseStreamCommand: {
      actions: ['bedrock:InvokeModelWithResponseStream'],
      source:
        'https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html ' +
        '("This operation requires permission for the bedrock:InvokeModelWithResponseStream action")',
    },
    ...same('bedrock', 'InvokeModel', 'InvokeModelWithResponseStream', 'ApplyGuardrail'),
  },
  '@aws-sdk/client-bedrock-agent': same('bedrock', 'GetPrompt', 'StartIngestionJob', 'GetIngestionJob', 'ListIngestionJobs'),
  '@aws-sdk/client-bedrock-agent-runtime': same('bedrock', 'Retrieve', 'InvokeAgent'),
  '@aws-sdk/client-bedrock': {
    ...same('bedrock', 'GetModelInvocationLoggingConfiguration', 'DeleteModelInvocationLoggingConfiguration'),
    PutModelInvocationLoggingConfigurationCommand: {
      actions: ['bedrock:PutModelInvocationLoggingConfiguration', 'iam:PassRole'],
      source: 'https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html (the CloudWatch Logs delivery role is passed to Bedrock)',
    },
  },
  // The document client's commands marshal to DynamoDB's own operations
  // (https://docs.aws.amazon.com/AWSJavaScriptSDK/v3/latest/Package/-aws-sdk-lib-dynamodb/).
  '@aws-sdk/lib-dynamodb': {
    GetCommand: { actions: ['dynamodb:GetItem'] },
    PutCommand: { actions: ['dynamodb:PutItem'] },
    UpdateCommand: { actions: ['dynamodb:UpdateItem'] },
    DeleteCommand: { actions: ['dynamodb:DeleteItem'] },
    QueryCommand: { actions: ['dynamodb:Query'] },
    ScanCommand: { actions: ['dynamodb:Scan'] },
    BatchGetCommand: { actions: ['dynamodb:BatchGetItem'] },
    BatchWriteCommand: { actions: ['dynamodb:BatchWriteItem'] },
    TransactGetCommand: { actions: ['dynamodb:GetItem'], source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html' },
    TransactWriteCommand: {
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
      source: 'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html',
    },
  },
  '@aws-sdk/client-dynamodb': same('dynamodb', 'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'),
  '@aws-sdk/client-sqs': same('sqs', 'SendMessage', 'ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes'),
  '@aws-sdk/client-sagemaker-runtime': same('sagemaker', 'InvokeEndpoint'),
  '@aws-sdk/client-sagemaker': same(
    'sagemaker',
    'DescribeEndpoint',
    'DescribeEndpointConfig',
    'ListTags',
    'DeleteEndpoint',
    'DeleteEndpointConfig',
    'DeleteModel',
    'ListEndpointConfigs',
    'ListModels',
  ),
  // Signed by lambda/ingest/s3.ts itself (see sdkCalls).
  '@aws-sdk/client-s3': {
    HeadObjectCommand: {
      actions: ['s3:GetObject', 's3:ListBucket'],
      source:
        'https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html ("Permissions": s3:GetObject; without s3:ListBucket a missing key answers 403)',
    },
    ...same('s3', 'PutObject', 'DeleteObject'),
  },
  'sigv4:elasticache': {
    connect: {
      actions: ['elasticache:Connect'],
      source: 'https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth-iam.html ("elasticache:Connect" on the cache and the user)',
    },
  },
};

/** The actions of one call, or undefined when the table has no entry (the test reports it). */
export function actionsOf(call: SdkCall): readonly string[] | undefined {
  return COMMAND_ACTIONS[call.pkg]?.[call.command]?.actions;
}

/**
 * Step Functions Task integrations → IAM actions of the state machine role, as the Step Functions
 * guide's "IAM policies for integrated services" pages list them. `aws-sdk:<service>:<api>` tasks
 * call the API as such; their action is `<prefix>:<Api>` (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html,
 * "IAM policies for AWS SDK integrations"), except where listed here.
 */
export const SFN_INTEGRATIONS: Record<string, CommandEntry> = {
  'sagemaker:createTrainingJob.sync': {
    actions: [
      'sagemaker:CreateTrainingJob',
      'sagemaker:DescribeTrainingJob',
      'sagemaker:StopTrainingJob',
      'sagemaker:ListTags',
      'iam:PassRole',
      'events:PutTargets',
      'events:PutRule',
      'events:DescribeRule',
    ],
    source: 'https://docs.aws.amazon.com/step-functions/latest/dg/sagemaker-iam.html (CreateTrainingJob, Run a Job (.sync))',
  },
  'sns:publish': { actions: ['sns:Publish'], source: 'https://docs.aws.amazon.com/step-functions/latest/dg/sns-iam.html' },
  'lambda:invoke': { actions: ['lambda:InvokeFunction'], source: 'https://docs.aws.amazon.com/step-functions/latest/dg/lambda-iam.html' },
  'aws-sdk:s3:headObject': {
    // HeadObject is authorized as s3:GetObject; without s3:ListBucket a missing key answers 403
    // instead of 404 (NoSuchKey), which the pipeline's Catch relies on
    // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html, "Permissions").
    actions: ['s3:GetObject', 's3:ListBucket'],
    source: 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html',
  },
};

/** IAM prefix of an `aws-sdk:<service>` integration's service name, where it differs. */
export const SDK_SERVICE_PREFIX: Record<string, string> = { bedrockagent: 'bedrock', sfn: 'states' };

/** The actions of a Task's `Resource` (without its `arn:aws:states:::` head), or undefined. */
export function sfnActionsOf(integration: string): readonly string[] | undefined {
  if (SFN_INTEGRATIONS[integration]) return SFN_INTEGRATIONS[integration].actions;
  const m = /^aws-sdk:([a-z0-9]+):([a-zA-Z0-9]+)$/.exec(integration);
  if (m) return [`${SDK_SERVICE_PREFIX[m[1]] ?? m[1]}:${m[2][0].toUpperCase()}${m[2].slice(1)}`];
  return undefined;
}
