import { createHash } from 'node:crypto';

/**
 * A synthesized template made concrete: every Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::FindInMap
 * and pseudo parameter resolved to the value it would have in one fake account and Region, so that
 * a function's environment turns into the ARNs its calls will hit, and a policy's resources into
 * the ARNs IAM compares them with. Deterministic: the same template gives the same values.
 * An intrinsic or attribute this file does not know throws (a test then fails and names it).
 */

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const PARTITION = 'aws';

/**
 * Destination Regions of a cross-Region (system-defined) inference profile by its geography
 * prefix; a sample of each, which is what the simulation needs: the foundation model is invoked
 * in some destination Region "through" the profile
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html).
 */
export const PROFILE_DESTINATIONS: Record<string, string[]> = {
  us: ['us-east-1', 'us-east-2', 'us-west-2'],
  eu: ['eu-central-1', 'eu-west-1', 'eu-west-3'],
  apac: ['ap-northeast-1', 'ap-southeast-1', 'ap-southeast-2'],
};

export interface CfnResource {
  Type: string;
  Properties?: Record<string, any>;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
}

/** A short, stable id derived from a logical id (what a service would generate). */
function fakeId(logicalId: string, length = 10, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'): string {
  const digest = createHash('sha256').update(logicalId).digest();
  return Array.from(digest.subarray(0, length), (b) => alphabet[b % alphabet.length]).join('');
}

const arn = (service: string, resource: string, region = REGION, account = ACCOUNT) => `arn:${PARTITION}:${service}:${region}:${account}:${resource}`;

export class TemplateResolver {
  constructor(
    public readonly template: CfnTemplate,
    public readonly stackName: string,
  ) {}

  public resource(logicalId: string): CfnResource {
    const r = this.template.Resources[logicalId];
    if (!r) throw new Error(`${this.stackName}: no resource ${logicalId}`);
    return r;
  }

  /** A name-like physical id: the resource's own name property when it has one. */
  private physicalName(logicalId: string): string {
    const p = this.resource(logicalId).Properties ?? {};
    for (const key of [
      'TableName',
      'QueueName',
      'TopicName',
      'FunctionName',
      'RoleName',
      'BucketName',
      'LogGroupName',
      'StateMachineName',
      'ServerlessCacheName',
      'UserId',
      'InferenceProfileName',
      'Name',
    ]) {
      if (p[key] !== undefined) return String(this.resolve(p[key]));
    }
    return `${this.stackName}-${logicalId}-${fakeId(logicalId, 12)}`.toLowerCase();
  }

  /** What `Ref` returns for this resource (CloudFormation's "Return values" of each type). */
  public ref(logicalId: string): string {
    const type = this.resource(logicalId).Type;
    const name = this.physicalName(logicalId);
    switch (type) {
      case 'AWS::SQS::Queue':
        return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;
      case 'AWS::SNS::Topic':
        return arn('sns', name);
      case 'AWS::StepFunctions::StateMachine':
        return arn('states', `stateMachine:${name}`);
      case 'AWS::KMS::Key':
        return `${fakeId(logicalId, 8, '0123456789abcdef')}-0000-4000-8000-${fakeId(logicalId + 'k', 12, '0123456789abcdef')}`;
      case 'AWS::EC2::SecurityGroup':
        return `sg-${fakeId(logicalId, 17, '0123456789abcdef')}`;
      case 'AWS::EC2::Subnet':
        return `subnet-${fakeId(logicalId, 17, '0123456789abcdef')}`;
      case 'AWS::EC2::VPC':
        return `vpc-${fakeId(logicalId, 17, '0123456789abcdef')}`;
      case 'AWS::ApiGateway::ApiKey':
      case 'AWS::Cognito::UserPoolClient':
        return fakeId(logicalId, 20, 'abcdefghijklmnopqrstuvwxyz0123456789');
      default:
        return name;
    }
  }

  /** What `Fn::GetAtt` returns. */
  public getAtt(logicalId: string, attribute: string): string {
    const type = this.resource(logicalId).Type;
    const name = this.physicalName(logicalId);
    const id = fakeId(logicalId);
    const key = `${type}.${attribute}`;
    switch (key) {
      case 'AWS::DynamoDB::Table.Arn':
        return arn('dynamodb', `table/${name}`);
      case 'AWS::SQS::Queue.Arn':
        return arn('sqs', name);
      case 'AWS::SQS::Queue.QueueName':
        return name;
      case 'AWS::SNS::Topic.TopicArn':
        return arn('sns', name);
      case 'AWS::Lambda::Function.Arn':
        return arn('lambda', `function:${name}`);
      case 'AWS::IAM::Role.Arn':
        return `arn:${PARTITION}:iam::${ACCOUNT}:role/${name}`;
      case 'AWS::Logs::LogGroup.Arn':
        // CloudFormation's Arn of a log group ends with ":*".
        return arn('logs', `log-group:${name}:*`);
      case 'AWS::S3::Bucket.Arn':
        return `arn:${PARTITION}:s3:::${name}`;
      case 'AWS::S3::Bucket.RegionalDomainName':
        return `${name}.s3.${REGION}.amazonaws.com`;
      case 'AWS::KMS::Key.Arn':
        return arn('kms', `key/${this.ref(logicalId)}`);
      case 'AWS::Bedrock::KnowledgeBase.KnowledgeBaseId':
      case 'AWS::Bedrock::DataSource.DataSourceId':
      case 'AWS::Bedrock::Guardrail.GuardrailId':
      case 'AWS::Bedrock::Prompt.Id':
      case 'AWS::Bedrock::Agent.AgentId':
      case 'AWS::Bedrock::AgentAlias.AgentAliasId':
        return id;
      case 'AWS::Bedrock::KnowledgeBase.KnowledgeBaseArn':
        return arn('bedrock', `knowledge-base/${id}`);
      case 'AWS::Bedrock::Guardrail.GuardrailArn':
        return arn('bedrock', `guardrail/${id}`);
      case 'AWS::Bedrock::GuardrailVersion.Version':
      case 'AWS::Bedrock::PromptVersion.Version':
        return '1';
      case 'AWS::Bedrock::Prompt.Arn':
        return arn('bedrock', `prompt/${id}`);
      case 'AWS::Bedrock::PromptVersion.Arn': {
        const prompt = this.resolve(this.resource(logicalId).Properties!.PromptArn);
        return `${prompt}:1`;
      }
      case 'AWS::Bedrock::Agent.AgentArn':
        return arn('bedrock', `agent/${id}`);
      case 'AWS::Bedrock::AgentAlias.AgentAliasArn': {
        const agentId = this.resolve(this.resource(logicalId).Properties!.AgentId);
        return arn('bedrock', `agent-alias/${agentId}/${id}`);
      }
      case 'AWS::Bedrock::ApplicationInferenceProfile.InferenceProfileArn':
        return arn('bedrock', `application-inference-profile/${fakeId(logicalId, 12, 'abcdefghijklmnopqrstuvwxyz0123456789')}`);
      case 'AWS::ElastiCache::ServerlessCache.ARN':
        return arn('elasticache', `serverlesscache:${name}`);
      case 'AWS::ElastiCache::ServerlessCache.Endpoint.Address':
        return `${name}-${fakeId(logicalId, 6).toLowerCase()}.serverless.use1.cache.amazonaws.com`;
      case 'AWS::ElastiCache::ServerlessCache.Endpoint.Port':
        return '6379';
      case 'AWS::ElastiCache::User.Arn':
        return arn('elasticache', `user:${name}`);
      case 'AWS::S3Vectors::Index.IndexArn':
        return arn('s3vectors', `bucket/${name}/index/${name}`);
      case 'AWS::EC2::VPC.DefaultSecurityGroup':
      case 'AWS::EC2::SecurityGroup.GroupId':
        return `sg-${fakeId(logicalId + attribute, 17, '0123456789abcdef')}`;
      default:
        throw new Error(`${this.stackName}: no fake value for Fn::GetAtt ${logicalId}.${attribute} (${type}); add it to test/support/iam/resolve.ts`);
    }
  }

  private pseudo(name: string): string | undefined {
    return (
      {
        'AWS::AccountId': ACCOUNT,
        'AWS::Region': REGION,
        'AWS::Partition': PARTITION,
        'AWS::URLSuffix': 'amazonaws.com',
        'AWS::StackName': this.stackName,
        'AWS::StackId': arn('cloudformation', `stack/${this.stackName}/5f4b5b30-0000-4000-8000-000000000000`),
        'AWS::NoValue': undefined as unknown as string,
      } as Record<string, string>
    )[name];
  }

  /** Resolves every intrinsic in `value`, deeply. */
  public resolve(value: unknown): any {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0] as [string, any];
      switch (fn) {
        case 'Ref':
          return this.pseudo(arg) ?? this.ref(arg);
        case 'Fn::GetAtt': {
          const [logicalId, ...attr] = Array.isArray(arg) ? arg : String(arg).split('.');
          return this.getAtt(logicalId, attr.join('.'));
        }
        case 'Fn::Join':
          return (this.resolve(arg[1]) as unknown[]).join(arg[0]);
        case 'Fn::Sub': {
          const [text, vars] = Array.isArray(arg) ? [arg[0], this.resolve(arg[1])] : [arg, {}];
          return String(text).replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
            if (name in vars) return vars[name];
            if (this.pseudo(name) !== undefined) return this.pseudo(name)!;
            const [logicalId, ...attr] = name.split('.');
            return attr.length ? this.getAtt(logicalId, attr.join('.')) : this.ref(logicalId);
          });
        }
        case 'Fn::FindInMap': {
          const [map, top, second] = this.resolve(arg) as string[];
          const found = this.template.Mappings?.[map]?.[top]?.[second];
          if (found === undefined) throw new Error(`${this.stackName}: Fn::FindInMap ${map}.${top}.${second} not found`);
          return found;
        }
        case 'Fn::Select':
          return (this.resolve(arg[1]) as unknown[])[Number(this.resolve(arg[0]))];
        case 'Fn::Split':
          return String(this.resolve(arg[1])).split(arg[0]);
        default:
          if (fn.startsWith('Fn::') || fn === 'Condition') throw new Error(`${this.stackName}: intrinsic ${fn} is not resolved by test/support/iam/resolve.ts`);
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v)]));
  }
}

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` → the queue's ARN. */
export function queueArnFromUrl(url: string): string {
  const m = /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com\/(\d{12})\/([^/]+)$/.exec(url);
  if (!m) throw new Error(`not a queue URL: ${url}`);
  return `arn:${PARTITION}:sqs:${m[1]}:${m[2]}:${m[3]}`;
}

export { arn as fakeArn };
