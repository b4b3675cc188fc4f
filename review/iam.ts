import { BLOCKS, type ReviewResource, type ReviewStack } from './model';

/**
 * What the review reads from a template's IAM: each role, who assumes it, what uses it, and the
 * statements attached to it (AWS::IAM::Policy / ManagedPolicy through `Roles`, inline `Policies`,
 * managed policy ARNs), with targets named by the template's own construct paths.
 */

export interface Statement {
  readonly effect: string;
  readonly actions: readonly string[];
  /** The `Resource` entries as written in the template (strings or intrinsics). */
  readonly resources: readonly unknown[];
  readonly conditionKeys: readonly string[];
}

export interface Principal {
  readonly role: ReviewResource;
  /** Service or account principals of the trust policy, e.g. `lambda.amazonaws.com`. */
  readonly assumedBy: readonly string[];
  /** Resources that run as the role: it is their `Role`, `RoleArn`, `...RoleArn` or `...PermissionArn` property. */
  readonly usedBy: readonly ReviewResource[];
  /** Other resources (not IAM ones) that name the role somewhere else in their properties (a definition that passes it on). */
  readonly namedIn: readonly ReviewResource[];
  readonly statements: readonly Statement[];
  /** Names of the managed policies attached, e.g. `AWSLambdaBasicExecutionRole`. */
  readonly managedPolicies: readonly string[];
}

const POLICY_TYPES = new Set(['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']);

/** Every role of the stack with what it may do, in block order, then by construct path. */
export function principalsOf(stack: ReviewStack): Principal[] {
  const roles = stack.resources.filter((r) => r.type === 'AWS::IAM::Role');
  return roles
    .map((role): Principal => {
      const attached = stack.resources.filter((r) => POLICY_TYPES.has(r.type) && asArray(r.properties.Roles).some((v) => refsIn(v).has(role.logicalId)));
      const inline = asArray(role.properties.Policies).map((p) => (isRecord(p) ? p.PolicyDocument : undefined));
      const statements = [...attached.map((p) => p.properties.PolicyDocument), ...inline].flatMap(statementsOf);
      const naming = stack.resources.filter((r) => !r.type.startsWith('AWS::IAM::') && refsIn(r.properties).has(role.logicalId));
      const runsAs = (r: ReviewResource) => Object.entries(r.properties).some(([k, v]) => /(Role|PermissionArn)/.test(k) && refsIn(v).has(role.logicalId));
      return {
        role,
        assumedBy: [...new Set(statementsOfTrust(role.properties.AssumeRolePolicyDocument))].sort(),
        usedBy: naming.filter(runsAs).sort(byPath),
        namedIn: naming.filter((r) => !runsAs(r)).sort(byPath),
        statements,
        managedPolicies: asArray(role.properties.ManagedPolicyArns)
          .map((arn) => textOf(arn).split('/').pop() ?? '')
          .sort(),
      };
    })
    .sort((a, b) => blockOrder(a.role.block) - blockOrder(b.role.block) || byPath(a.role, b.role));
}

function statementsOf(document: unknown): Statement[] {
  if (!isRecord(document)) return [];
  return asArray(document.Statement).flatMap((s) =>
    isRecord(s)
      ? [
          {
            effect: typeof s.Effect === 'string' ? s.Effect : 'Allow',
            actions: asArray(s.Action).map(textOf),
            resources: asArray(s.Resource),
            conditionKeys: isRecord(s.Condition) ? [...new Set(Object.values(s.Condition).flatMap((c) => (isRecord(c) ? Object.keys(c) : [])))].sort() : [],
          },
        ]
      : [],
  );
}

function statementsOfTrust(document: unknown): string[] {
  if (!isRecord(document)) return [];
  return asArray(document.Statement).flatMap((s) => {
    const principal = isRecord(s) ? s.Principal : undefined;
    if (!isRecord(principal)) return principal === undefined ? [] : [textOf(principal)];
    return Object.values(principal).flatMap((p) => asArray(p).map(textOf));
  });
}

/** The logical ids a value refers to (Ref, Fn::GetAtt, `${Id}` in Fn::Sub), pseudo parameters left out. */
export function refsIn(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (isRecord(value)) {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'Ref' && typeof v === 'string') {
        if (!v.startsWith('AWS::')) out.add(v);
      } else if (key === 'Fn::GetAtt' && Array.isArray(v) && typeof v[0] === 'string') out.add(v[0]);
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(v) ? v[0] : v;
        for (const m of String(text).matchAll(/\$\{([A-Za-z0-9]+)[.}]/g)) out.add(m[1]);
        if (Array.isArray(v)) refsIn(v[1], out);
      } else refsIn(v, out);
    }
  }
  return out;
}

/**
 * A template value as text: `Ref`/`Fn::GetAtt` become `${Id}`/`${Id.Attr}`, pseudo parameters
 * `<Region>`, joins are joined, anything else computed at deploy time becomes `…`.
 */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(textOf).join(', ');
  if (!isRecord(value)) return '';
  const [key, v] = Object.entries(value)[0] ?? [];
  if (key === 'Ref') return typeof v === 'string' && v.startsWith('AWS::') ? `<${v.slice(5)}>` : `\${${textOf(v)}}`;
  if (key === 'Fn::GetAtt' && Array.isArray(v)) return `\${${v.map(textOf).join('.')}}`;
  if (key === 'Fn::Join' && Array.isArray(v) && Array.isArray(v[1])) return v[1].map(textOf).join(textOf(v[0]));
  if (key === 'Fn::Sub') return textOf(Array.isArray(v) ? v[0] : v).replace(/\$\{AWS::([A-Za-z]+)\}/g, '<$1>');
  return '…';
}

/** How the review names a resource: its construct path without the trailing `/Resource`. */
export function labelOf(resource: ReviewResource): string {
  return resource.path.replace(/\/(Resource|Default)$/, '');
}

/** A resource entry of a policy, readable: template resources by label, ARNs without their `arn:partition:service:region:account:` head. */
export function targetText(value: unknown, stack: ReviewStack): string {
  const byId = new Map(stack.resources.map((r) => [r.logicalId, r]));
  const text = textOf(value).replace(/\$\{([A-Za-z0-9]+)(\.[A-Za-z0-9.]+)?\}/g, (whole, id: string) => {
    const r = byId.get(id);
    return r ? labelOf(r) : whole;
  });
  return text.replace(/^arn:[^:]+:[a-z0-9-]+:[^:]*:[^:]*:/, '');
}

/** The block that uses a principal: the block of the resource using the role when there is one, else the role's own. */
export function principalBlock(p: Principal): string {
  const users = [...new Set(p.usedBy.map((r) => r.block))];
  return users.length === 1 ? users[0] : p.role.block;
}

export function blockOrder(id: string): number {
  return BLOCKS.findIndex((b) => b.id === id);
}

export function byPath(a: ReviewResource, b: ReviewResource): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asArray(value: unknown): unknown[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Actions that call a model, whose targets are models and inference profiles. */
const INVOKE_ACTIONS = new Set(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream', 'bedrock:Converse', 'bedrock:ConverseStream']);

/** Actions an architect reads better as a verb on the target than as an action name. */
const VERBS: Record<string, string> = {
  'bedrock:ApplyGuardrail': 'apply guardrail',
  'bedrock:Retrieve': 'retrieve from knowledge base',
  'bedrock:RetrieveAndGenerate': 'retrieve and generate with knowledge base',
  'bedrock:GetPrompt': 'read prompt',
  'bedrock:InvokeAgent': 'invoke agent',
  'bedrock:StartIngestionJob': 'start ingestion into knowledge base',
  'elasticache:Connect': 'connect to cache',
  'sagemaker:InvokeEndpoint': 'invoke SageMaker endpoint',
  'sns:Publish': 'publish to topic',
  'lambda:InvokeFunction': 'invoke function',
  'iam:PassRole': 'pass role',
};

/**
 * The models a principal may invoke: those it may call only through an inference profile (a grant
 * on the foundation model conditioned on `bedrock:InferenceProfileArn`) and those it may call directly.
 */
export function modelTargets(p: Principal, stack: ReviewStack): { viaProfile: string[]; direct: string[]; profiles: string[]; actions: string[] } {
  const viaProfile = new Set<string>();
  const direct = new Set<string>();
  const profiles = new Set<string>();
  const actions = new Set<string>();
  for (const s of p.statements) {
    const invoking = s.actions.filter((a) => INVOKE_ACTIONS.has(a));
    if (s.effect !== 'Allow' || invoking.length === 0) continue;
    invoking.forEach((a) => actions.add(a));
    const models = s.conditionKeys.includes('bedrock:InferenceProfileArn') ? viaProfile : direct;
    for (const target of s.resources.map((r) => targetText(r, stack))) {
      if (target.startsWith('foundation-model/')) models.add(target.slice('foundation-model/'.length));
      else profiles.add(target.replace(/^(application-)?inference-profile\//, ''));
    }
  }
  return { viaProfile: [...viaProfile].sort(), direct: [...direct].sort(), profiles: [...profiles].sort(), actions: [...actions].sort() };
}

/**
 * What a principal may do, in words, one phrase per kind of access: model calls first, then the
 * named verbs, then the other actions grouped by service. Targets are construct paths.
 */
export function grantPhrases(p: Principal, stack: ReviewStack): string[] {
  const phrases: string[] = [];
  const { viaProfile, direct, profiles, actions } = modelTargets(p, stack);
  const how = `(${actions.join(', ')})`;
  if (profiles.length > 0) {
    const models = viaProfile.length > 0 ? `${count(viaProfile, 'model')} (${viaProfile.join(', ')})` : 'models';
    phrases.push(`invoke ${models} through inference profile${plural(profiles)} ${profiles.join(', ')} ${how}`);
  }
  if (direct.length > 0) phrases.push(`invoke ${count(direct, 'model')} (${direct.join(', ')}) directly ${how}`);
  const groups = new Map<string, { effect: string; actions: string[]; targets: Set<string>; conditionKeys: readonly string[] }>();
  for (const s of p.statements) {
    const rest = s.actions.filter((a) => !(s.effect === 'Allow' && INVOKE_ACTIONS.has(a)));
    const targets = s.resources.map((r) => targetText(r, stack));
    // A verb gets its own phrase; the other actions of a statement stay together.
    const services = [...new Set(rest.filter((a) => !VERBS[a]).map((a) => a.split(':')[0]))];
    const parts = [...rest.filter((a) => VERBS[a]).map((a) => [a]), ...services.map((svc) => rest.filter((a) => !VERBS[a] && a.startsWith(`${svc}:`)))];
    for (const part of parts) {
      const key = JSON.stringify([s.effect, part, s.conditionKeys]);
      const group = groups.get(key) ?? { effect: s.effect, actions: part, targets: new Set<string>(), conditionKeys: s.conditionKeys };
      targets.forEach((t) => group.targets.add(t));
      groups.set(key, group);
    }
  }
  const rows = [...groups.values()].map((g) => {
    const targets = [...g.targets].sort().map((t) => (t === '*' ? 'any resource' : t));
    const verb = g.actions.length === 1 ? VERBS[g.actions[0]] : undefined;
    const what = verb ? `${verb} ${targets.join(', ')} (${g.actions[0]})` : `${g.actions.join(', ')} on ${targets.join(', ')}`;
    const when = g.conditionKeys.length > 0 ? ` when ${g.conditionKeys.join(', ')} matches` : '';
    return { verb: Boolean(verb), text: `${g.effect === 'Deny' ? 'may not ' : ''}${what}${when}` };
  });
  const sorted = rows.sort((a, b) => Number(b.verb) - Number(a.verb) || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
  return [...phrases, ...sorted.map((r) => r.text)];
}

function plural(items: readonly unknown[]): string {
  return items.length === 1 ? '' : 's';
}

function count(items: readonly unknown[], noun: string): string {
  return `${items.length} ${noun}${plural(items)}`;
}
