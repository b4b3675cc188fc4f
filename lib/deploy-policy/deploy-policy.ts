import { RESOURCE_ACTIONS } from './resource-actions';

/**
 * The CloudFormation execution policy a stack needs: the IAM policy of the role CloudFormation
 * assumes to create, update and delete the stack's resources (`cdk bootstrap
 * --cloudformation-execution-policies`), instead of AdministratorAccess. Built from the resource
 * types of synthesized templates and RESOURCE_ACTIONS; docs/deploy-policy.md says how to use it.
 *
 * What CloudFormation does with the role: "If you specify a service role, CloudFormation uses that
 * role's credentials" for stack operations
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html).
 */

/** The parts of a CloudFormation template read here. */
export interface CfnTemplate {
  readonly Resources?: Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>;
}

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: PolicyStatement[];
}

/**
 * A customer managed policy holds at most 6,144 characters, white space not counted ("Managed
 * policy size", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
 */
export const MANAGED_POLICY_MAX_CHARS = 6_144;
/** Managed policies a role can have attached by default (the same page; a quota increase allows 20). */
export const MANAGED_POLICIES_PER_ROLE = 10;

export interface DeployPolicyOptions {
  /**
   * The CloudFormation stack name(s) the policy deploys. CloudFormation names what a template leaves
   * unnamed `<stack name>-<logical id>-<random suffix>`, so IAM roles and policies and the custom
   * resources' functions are scoped to `<stack name>-*`.
   */
  readonly stackNames: readonly string[];
  /** @default 'aws' */
  readonly partition?: string;
  /** The most characters of one managed policy. @default MANAGED_POLICY_MAX_CHARS */
  readonly maxChars?: number;
}

/**
 * IAM actions some handlers call that are not scoped to `*` (see `deployPolicy`). `iam:ListRoles` and
 * `iam:ListPolicies` take no resource (the IAM action data marks them wildcard-only), so they stay in
 * the `*` statement; test/deploy-policy checks both lists against that data.
 */
export const IAM_WILDCARD_ONLY_ACTIONS: readonly string[] = ['iam:ListPolicies', 'iam:ListRoles'];
/** Read from the bootstrap's file asset bucket: a function's or layer's code, a state machine's definition. */
export const ASSET_READ_ACTIONS: readonly string[] = ['s3:GetObject', 's3:GetObjectVersion'];

const CUSTOM_RESOURCE = /^Custom::|^AWS::CloudFormation::CustomResource$/;
/**
 * Name properties that would take a role, policy or function out of `<stack name>-*`, the names
 * CloudFormation generates ("MyStack-MyBucket-abcdefghijk1",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html).
 * A function's name matters because a custom resource's provider is invoked by name.
 */
const NAME_PROPERTIES: Readonly<Record<string, string>> = {
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::Lambda::Function': 'FunctionName',
};
/**
 * The IAM::Policy and IAM::ManagedPolicy handlers also attach to groups and users; our policies attach
 * to roles only (`uncoveredResources` fails otherwise), so these actions are left out.
 */
const GROUP_OR_USER_ACTION = /^iam:[A-Za-z]*(Group|User)[A-Za-z]*$/;

/** The resource types of a template, sorted, each once. */
export function resourceTypes(template: CfnTemplate): string[] {
  return [...new Set(Object.values(template.Resources ?? {}).map((r) => r.Type))].sort();
}

/**
 * What the policy would not cover, one message per problem: a resource type with no entry in
 * `actions`, an IAM policy attached to groups or users, a role, managed policy or function given a
 * name of its own, and a custom resource whose ServiceToken is not `Fn::GetAtt` of a Lambda function in the
 * same template (CloudFormation invokes that function with the execution role; a function elsewhere,
 * or an SNS topic, is not in the policy).
 */
export function uncoveredResources(template: CfnTemplate, actions: Readonly<Record<string, readonly string[]>> = RESOURCE_ACTIONS): string[] {
  const resources = template.Resources ?? {};
  const problems: string[] = [];
  for (const type of resourceTypes(template)) {
    if (!CUSTOM_RESOURCE.test(type) && !Object.hasOwn(actions, type)) {
      problems.push(`${type}: no IAM actions for this resource type in lib/deploy-policy/resource-actions.ts`);
    }
  }
  for (const [id, resource] of Object.entries(resources)) {
    const props = resource.Properties ?? {};
    if ((resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') && (props.Groups !== undefined || props.Users !== undefined)) {
      problems.push(`${id} (${resource.Type}): attached to IAM groups or users; the deploy policy lets CloudFormation attach policies to roles only`);
    }
    const nameKey = NAME_PROPERTIES[resource.Type];
    if (nameKey !== undefined && props[nameKey] !== undefined) {
      problems.push(`${id} (${resource.Type}): ${nameKey} is set; the deploy policy allows only the names CloudFormation generates (<stack name>-...)`);
    }
    if (!CUSTOM_RESOURCE.test(resource.Type)) continue;
    const token = resource.Properties?.ServiceToken;
    const target = serviceTokenFunction(token);
    if (target === undefined || resources[target]?.Type !== 'AWS::Lambda::Function') {
      problems.push(
        `${id} (${resource.Type}): ServiceToken ${JSON.stringify(token)} is not Fn::GetAtt [<function>, Arn] of an AWS::Lambda::Function in this template`,
      );
    }
  }
  return problems;
}

function serviceTokenFunction(token: unknown): string | undefined {
  if (typeof token !== 'object' || token === null || !('Fn::GetAtt' in token)) return undefined;
  const getAtt = token['Fn::GetAtt'];
  return Array.isArray(getAtt) && getAtt.length === 2 && getAtt[1] === 'Arn' && typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
}

const DYNAMIC_REFERENCE = /\{\{resolve:([a-z-]+):([^}]*)\}\}/g;

/**
 * The Secrets Manager secrets the template's dynamic references (`{{resolve:secretsmanager:...}}`)
 * read, as IAM resource ARNs. CloudFormation resolves them during the stack operation, and with the
 * bootstrap's roles only the execution role can: the deploy role has no Secrets Manager permission
 * (bootstrap-template.yaml), yet `SecretValue.secretsManager` works in a default bootstrap.
 * A secret named without its six-character suffix gets `-??????`, as IAM matches secret ARNs
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_iam-policies.html).
 * Other dynamic references (`ssm`, `ssm-secure`) throw: nothing here grants them.
 */
export function referencedSecrets(template: CfnTemplate, partition = 'aws'): string[] {
  const secrets = new Set<string>();
  for (const [, service, key] of JSON.stringify(template.Resources ?? {}).matchAll(DYNAMIC_REFERENCE)) {
    if (service !== 'secretsmanager') throw new Error(`Dynamic reference {{resolve:${service}:...}}: the deploy policy grants only secretsmanager references`);
    const parts = key.split(':');
    if (parts[0] !== 'arn') {
      secrets.add(`arn:${partition}:secretsmanager:*:*:secret:${parts[0]}-??????`);
      continue;
    }
    const arn = parts.slice(0, 7).join(':');
    secrets.add(/-[A-Za-z0-9]{6}$/.test(parts[6] ?? '') ? arn : `${arn}-??????`);
  }
  return [...secrets].sort();
}

/**
 * The services the template's IAM roles trust (`Principal.Service` of their trust policies): the only
 * services CloudFormation needs to pass the stack's roles to (`iam:PassedToService`).
 */
export function trustedServices(template: CfnTemplate): string[] {
  const services = new Set<string>();
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.Type !== 'AWS::IAM::Role') continue;
    const doc = resource.Properties?.AssumeRolePolicyDocument as { Statement?: Array<{ Principal?: { Service?: unknown } }> } | undefined;
    for (const statement of doc?.Statement ?? []) {
      const service = statement.Principal?.Service;
      if (service === undefined) continue;
      for (const s of [service].flat()) {
        if (typeof s !== 'string') {
          throw new Error(`${id}: trust policy Principal.Service must be a plain string to derive iam:PassedToService, got ${JSON.stringify(s)}`);
        }
        services.add(s);
      }
    }
  }
  return [...services].sort();
}

const serviceOf = (action: string) => action.slice(0, action.indexOf(':'));
const sidOf = (service: string) => service.replace(/[^A-Za-z0-9]/g, '').replace(/^./, (c) => c.toUpperCase());
const byName = (a: string, b: string) => a.toLowerCase().localeCompare(b.toLowerCase());

/**
 * The statements the templates need, before splitting into managed policies:
 * - one statement per service with Resource `*`: most Create* actions name no resource yet (the
 *   resource does not exist, and its physical id is generated), and the read and list handlers
 *   address resources by ids CloudFormation learns only at deploy time;
 * - IAM roles and policies only under `<stack name>-*`; iam:PassRole only for those roles and only to
 *   the services they trust; service-linked roles only under `aws-service-role/`;
 * - s3:GetObject only on the CDK bootstrap's asset buckets (`cdk-<qualifier>-assets-<account>-<region>`);
 * - lambda:InvokeFunction, for the custom resources, only on functions named `<stack name>-*`;
 * - secretsmanager:GetSecretValue only on the secrets the templates' dynamic references name.
 */
export function deployStatements(templates: readonly CfnTemplate[], options: DeployPolicyOptions): PolicyStatement[] {
  const partition = options.partition ?? 'aws';
  if (options.stackNames.length === 0) throw new Error('stackNames must name at least one stack, got none');
  const problems = templates.flatMap((t) => uncoveredResources(t));
  if (problems.length > 0) throw new Error(`The deploy policy does not cover:\n${problems.join('\n')}`);

  const actions = new Set<string>();
  for (const type of new Set(templates.flatMap(resourceTypes))) for (const action of RESOURCE_ACTIONS[type] ?? []) actions.add(action);
  const hasCustomResources = templates.some((t) => resourceTypes(t).some((type) => CUSTOM_RESOURCE.test(type)));

  // `GenAiBlueprint-*` already matches what `GenAiBlueprint-PredictiveMl` names.
  const names = [...new Set(options.stackNames)].sort();
  const prefixes = names.filter((n) => !names.some((m) => n.startsWith(`${m}-`))).map((name) => `${name}-*`);
  const iamArns = (kind: 'role' | 'policy') => prefixes.map((p) => `arn:${partition}:iam::*:${kind}/${p}`);
  const scoped = new Set(['iam:PassRole', 'iam:CreateServiceLinkedRole', ...ASSET_READ_ACTIONS]);
  const isStackIam = (a: string) => serviceOf(a) === 'iam' && !scoped.has(a) && !IAM_WILDCARD_ONLY_ACTIONS.includes(a);
  for (const action of actions) if (GROUP_OR_USER_ACTION.test(action)) actions.delete(action);

  const byService = new Map<string, string[]>();
  for (const action of actions) {
    if (scoped.has(action) || isStackIam(action)) continue;
    byService.set(serviceOf(action), [...(byService.get(serviceOf(action)) ?? []), action]);
  }
  const statements: PolicyStatement[] = [...byService.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([service, list]) => ({ Sid: sidOf(service), Effect: 'Allow', Action: list.sort(byName), Resource: '*' }));

  const stackIam = [...actions].filter(isStackIam).sort(byName);
  if (stackIam.length > 0)
    statements.push({ Sid: 'StackRolesAndPolicies', Effect: 'Allow', Action: stackIam, Resource: [...iamArns('role'), ...iamArns('policy')] });
  if (actions.has('iam:PassRole')) {
    const services = [...new Set(templates.flatMap(trustedServices))].sort();
    if (services.length > 0) {
      statements.push({
        Sid: 'PassStackRoles',
        Effect: 'Allow',
        Action: ['iam:PassRole'],
        Resource: iamArns('role'),
        Condition: { StringEquals: { 'iam:PassedToService': services } },
      });
    }
  }
  if (actions.has('iam:CreateServiceLinkedRole')) {
    statements.push({
      Sid: 'ServiceLinkedRoles',
      Effect: 'Allow',
      Action: ['iam:CreateServiceLinkedRole'],
      Resource: `arn:${partition}:iam::*:role/aws-service-role/*`,
    });
  }
  const assetReads = ASSET_READ_ACTIONS.filter((a) => actions.has(a));
  if (assetReads.length > 0) {
    statements.push({ Sid: 'ReadCdkAssets', Effect: 'Allow', Action: assetReads, Resource: `arn:${partition}:s3:::cdk-*-assets-*/*` });
  }
  const secrets = [...new Set(templates.flatMap((t) => referencedSecrets(t, partition)))].sort();
  if (secrets.length > 0) {
    statements.push({ Sid: 'ResolveSecretReferences', Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: secrets });
  }
  if (hasCustomResources) {
    statements.push({
      Sid: 'InvokeCustomResourceProviders',
      Effect: 'Allow',
      Action: ['lambda:InvokeFunction'],
      Resource: prefixes.map((p) => `arn:${partition}:lambda:*:*:function:${p}`),
    });
  }
  return statements;
}

/** The characters IAM counts: the document without white space. */
export function policySize(policy: PolicyDocument): number {
  return JSON.stringify(policy).length;
}

/**
 * The templates' execution policy as managed policy documents, each within `maxChars`: statements
 * are packed first-fit, largest first; a statement too large alone is split by its actions.
 */
export function deployPolicy(templates: readonly CfnTemplate[], options: DeployPolicyOptions): PolicyDocument[] {
  const maxChars = options.maxChars ?? MANAGED_POLICY_MAX_CHARS;
  const empty = (): PolicyDocument => ({ Version: '2012-10-17', Statement: [] });
  if (policySize(empty()) >= maxChars) throw new Error(`maxChars must leave room for a statement, got ${maxChars}`);
  const fits = (statements: PolicyStatement[]) => policySize({ Version: '2012-10-17', Statement: statements }) <= maxChars;

  const pieces: PolicyStatement[] = [];
  for (const statement of deployStatements(templates, options)) pieces.push(...splitStatement(statement, fits));
  const sized = pieces.map((s) => ({ s, size: JSON.stringify(s).length })).sort((a, b) => b.size - a.size || a.s.Sid.localeCompare(b.s.Sid));

  const policies: PolicyDocument[] = [];
  for (const { s } of sized) {
    const home = policies.find((p) => fits([...p.Statement, s]));
    if (home) home.Statement.push(s);
    else policies.push({ ...empty(), Statement: [s] });
  }
  for (const p of policies) p.Statement.sort((a, b) => a.Sid.localeCompare(b.Sid));
  return policies;
}

function splitStatement(statement: PolicyStatement, fits: (s: PolicyStatement[]) => boolean): PolicyStatement[] {
  if (fits([statement])) return [statement];
  if (statement.Action.length < 2) throw new Error(`Statement ${statement.Sid} does not fit in one managed policy even with one action`);
  const half = Math.ceil(statement.Action.length / 2);
  return [
    ...splitStatement({ ...statement, Sid: `${statement.Sid}A`, Action: statement.Action.slice(0, half) }, fits),
    ...splitStatement({ ...statement, Sid: `${statement.Sid}B`, Action: statement.Action.slice(half) }, fits),
  ];
}
