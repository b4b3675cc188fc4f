import { AspectPriority, Aspects, CfnResource, Stack, Token, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { CodePipeline } from 'aws-cdk-lib/pipelines';
import type { IConstruct } from 'constructs';
import { asArray, flatten } from '../checks/template';
import { SMOKE_ROLE_PATH } from './smoke-check-access';

/** A value of a resolved policy as cdk-nag names it in a finding id (`<LogicalId.Arn>`, `<AWS::Region>`). */
function nagForm(value: unknown): string {
  return flatten(value).replace(/\$\{([^}]+)\}/g, '<$1>');
}

interface Statement {
  readonly Action?: string | string[];
  readonly Resource?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/**
 * The wildcards CDK Pipelines itself grants its roles, each with why it cannot be narrower. A
 * statement of another kind is not acknowledged, so a new wildcard fails synth (AwsSolutions-IAM5).
 */
const KINDS: readonly { reason: string; matches(s: Statement, resources: string[], ctx: Context): boolean }[] = [
  {
    reason:
      'CDK Pipelines grants the roles that pass artifacts read (and write) on objects of the pipeline artifact bucket: CodePipeline names each ' +
      "artifact object per execution, so no narrower key exists; the bucket holds only this pipeline's artifacts",
    matches: (_s, resources, ctx) => resources.every((r) => ctx.buckets.some((b) => r === b || r === `${b}/*`)),
  },
  {
    reason:
      'Encrypting and decrypting artifacts with the pipeline artifact key (crossAccountKeys): kms:GenerateDataKey* and kms:ReEncrypt* on that ' +
      'one key, as CDK Pipelines grants them',
    matches: (_s, resources, ctx) => ctx.key !== undefined && resources.every((r) => r === ctx.key),
  },
  {
    reason:
      "With a stage in another Region, the pipeline role encrypts artifacts for that Region's replication bucket with its key, which the " +
      'pipeline stack knows only by alias, so aws-cdk-lib grants the kms actions on *: any key of the pipeline account whose key policy ' +
      'defers to IAM (a tooling account that holds pipelines only, docs/delivery.md)',
    matches: (s, resources, ctx) =>
      ctx.crossRegion && resources.includes('*') && resources.every((r) => r === '*' || r === ctx.key) && asArray(s.Action).every((a) => a.startsWith('kms:')),
  },
  {
    reason:
      'A CodeBuild project writes its log streams and test reports under names it creates per build: CDK Pipelines scopes them to the ' +
      "project's log group and report groups (the asset role: every CodeBuild project of this account and Region, which it shares)",
    matches: (_s, resources) => resources.every((r) => /:logs:[^:]+:[^:]+:log-group:\/aws\/codebuild\/|:codebuild:[^:]+:[^:]+:report-group\//.test(r)),
  },
  {
    reason:
      'Self-mutation and asset publishing assume the CDK bootstrap roles of the target accounts, selected by their aws-cdk:bootstrap-role tag ' +
      '(role names carry a qualifier the pipeline does not know)',
    matches: (s) => s.Action === 'sts:AssumeRole' && s.Condition?.['ForAnyValue:StringEquals']?.['iam:ResourceTag/aws-cdk:bootstrap-role'] !== undefined,
  },
  {
    reason:
      'Self-mutation reads the state of any stack the assembly names and lists the bootstrap asset buckets: cloudformation:DescribeStacks and ' +
      's3:ListBucket, granted by CDK Pipelines on *',
    matches: (s, resources) => resources.join() === '*' && asArray(s.Action).every((a) => a === 'cloudformation:DescribeStacks' || a === 's3:ListBucket'),
  },
  {
    reason: 'The asset role starts and watches the builds of the asset projects, which CDK Pipelines creates after this role (codebuild:*Build on *)',
    matches: (s, resources) => resources.join() === '*' && asArray(s.Action).every((a) => /^codebuild:(BatchGetBuilds|StartBuild|StopBuild)$/.test(a)),
  },
  {
    reason:
      "The smoke step assumes the stage's SmokeCheckAccess role, whose name CloudFormation generates in the stage account: the grant is that " +
      `account's roles under the path ${SMOKE_ROLE_PATH}, and the role itself trusts only this pipeline's roles`,
    matches: (s, resources) => s.Action === 'sts:AssumeRole' && resources.every((r) => r.includes(`:role${SMOKE_ROLE_PATH}`)),
  },
];

interface Context {
  /** The artifact bucket and the replication buckets of other Regions. */
  readonly buckets: readonly string[];
  readonly key?: string;
  readonly crossRegion: boolean;
}

/**
 * Acknowledges, on each policy CDK Pipelines made for `pipeline` (built), the AwsSolutions-IAM5
 * findings of the wildcards listed in KINDS, and the artifact bucket's server access logs (S1).
 * Each id is the finding cdk-nag reports for that policy, so nothing else is hidden.
 */
export function acknowledgePipelineFindings(pipeline: CodePipeline): void {
  const stack = Stack.of(pipeline);
  const bucket = pipeline.pipeline.artifactBucket;
  const support = Object.values(pipeline.pipeline.crossRegionSupport);
  const ctx: Context = {
    buckets: [bucket, ...support.map((s) => s.replicationBucket)].map((b) => nagForm(stack.resolve(b.bucketArn))),
    ...(bucket.encryptionKey ? { key: nagForm(stack.resolve(bucket.encryptionKey.keyArn)) } : {}),
    crossRegion: support.length > 0,
  };
  const noAccessLogs =
    "holds only this pipeline's artifacts (source archives, cloud assemblies), private and used by its own roles; CloudTrail records who " +
    'used it, and access logs would need one more bucket per pipeline and Region';
  Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: `The artifact bucket ${noAccessLogs}` });
  for (const { replicationBucket } of support) {
    Validations.of(replicationBucket).acknowledge(
      { id: 'AwsSolutions-S1', reason: `The replication bucket of a stage Region ${noAccessLogs}` },
      {
        id: 'GenAiBlueprint-RetainedResourceFixedName',
        reason:
          'aws-cdk-lib names the replication bucket of a Region so that the pipeline stack can refer to it, and retains it: re-creating the ' +
          'support stack after deleting it fails until the retained bucket is emptied and deleted (docs/delivery.md, what it cannot do)',
      },
    );
  }
  // Without an artifact key, CDK Pipelines gives each project the AWS managed key for S3 by its alias.
  // https://docs.aws.amazon.com/codebuild/latest/APIReference/API_Project.html (encryptionKey: the alias/<alias-name> format)
  for (const project of stack.node.findAll().filter((c): c is codebuild.Project => c instanceof codebuild.Project && Stack.of(c) === stack)) {
    if (stack.resolve((project.node.defaultChild as codebuild.CfnProject).encryptionKey) !== 'alias/aws/s3') continue;
    Validations.of(project).acknowledge({
      id: 'AwsSolutions-CB4',
      reason:
        'Every stage is in the pipeline account, so there is no cross-account artifact key: the project encrypts build output with the ' +
        'AWS managed key for S3 (alias/aws/s3); a stage in another account turns on crossAccountKeys, and every project then uses that key',
    });
  }
  for (const policy of stack.node.findAll().filter((c): c is iam.Policy => c instanceof iam.Policy && Stack.of(c) === stack)) {
    const acks = new Map<string, string>();
    const statements = asArray((stack.resolve(policy.document.toJSON()) as { Statement?: Statement[] } | undefined)?.Statement);
    for (const statement of statements) {
      const resources = asArray(statement.Resource).map(nagForm);
      const kind = KINDS.find((k) => k.matches(statement, resources, ctx));
      if (!kind) continue;
      for (const action of asArray(statement.Action).filter((a) => a.includes('*'))) acks.set(`AwsSolutions-IAM5[Action::${action}]`, kind.reason);
      for (const resource of resources.filter((r) => r.includes('*'))) acks.set(`AwsSolutions-IAM5[Resource::${resource}]`, kind.reason);
    }
    if (acks.size > 0) Validations.of(policy).acknowledge(...[...acks].map(([id, reason]) => ({ id, reason })));
  }
}

/** The pseudo parameters cdk-nag prints for an environment-agnostic stack, and their value in `stack`'s environment. */
function environmentValues(stack: Stack): [string, string][] {
  return (
    [
      ['<AWS::Partition>', stack.partition],
      ['<AWS::Region>', stack.region],
      ['<AWS::AccountId>', stack.account],
    ] as [string, string][]
  ).filter(([, value]) => !Token.isUnresolved(value));
}

/**
 * The blocks acknowledge findings as cdk-nag words them for the environment-agnostic ground stacks
 * (`arn:<AWS::Partition>:s3:::cdk-...-<AWS::AccountId>-<AWS::Region>/*`). A pipeline stage gives its
 * stacks an account and Region, and then an ARN a block built with `Stack.formatArn` or
 * `stack.region` is a literal in the template (one built with `Aws.REGION` stays a reference), so
 * the same finding carries the literal in its id. This rewrites an acknowledgement id of `stack` to
 * the stage's values when the resources it covers (its construct and below) hold the literal form
 * and not the other: same construct, same reason, the finding it hid before. Runs last, after
 * aspects that acknowledge (the regulated profile's controls).
 */
export function retargetAcknowledgements(stack: Stack): void {
  const values = environmentValues(stack);
  if (values.length === 0) return;
  Aspects.of(stack).add({ visit: (construct) => retarget(construct, values) }, { priority: AspectPriority.READONLY });
}

/** `Pack-Rule[Kind::<text>]`: the text a finding names. */
const FINDING_TEXT = /\[[A-Za-z]+::(.*)\]$/;

function retarget(construct: IConstruct, values: [string, string][]): void {
  let rendered: Set<string> | undefined;
  for (const entry of construct.node.metadata) {
    if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
    // node.metadata copies the list, not its entries: the entry's data is the one cdk-nag reads.
    const data = entry.data as Record<string, string>;
    for (const id of Object.keys(data)) {
      const literal = values.reduce((text, [pseudo, value]) => text.split(pseudo).join(value), id);
      if (literal === id) continue;
      rendered ??= renderedStrings(construct);
      const text = (finding: string) => FINDING_TEXT.exec(finding)?.[1] ?? finding;
      if (rendered.has(text(id)) || !rendered.has(text(literal))) continue;
      data[literal] = data[id];
      delete data[id];
    }
  }
}

/** Every string of the resolved resources at and below `scope`, references as cdk-nag prints them. */
function renderedStrings(scope: IConstruct): Set<string> {
  const stack = Stack.of(scope);
  const strings = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string' || (value && typeof value === 'object' && !Array.isArray(value) && isIntrinsic(value))) strings.add(nagForm(value));
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  for (const c of scope.node.findAll()) {
    if (!CfnResource.isCfnResource(c) || Stack.of(c) !== stack) continue;
    // As StackTemplate (lib/checks/template.ts) renders a resource: the template CloudFormation gets.
    visit(stack.resolve((c as unknown as { _toCloudFormation(): unknown })._toCloudFormation()));
  }
  return strings;
}

function isIntrinsic(value: object): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}
