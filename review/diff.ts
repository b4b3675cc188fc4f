import { formatUsd } from './cost';
import { BLOCKS, type ReviewResource, type ReviewStack, STATEFUL_TYPES, serviceOf } from './model';
import { referencedIds, removedResources, same, upgradeReplacements } from './replacement';

/**
 * What deploying one stack over another changes (ground N over ground N-1: the same CloudFormation
 * stack, updated in place), in the words an architect reviews: data at risk first, then routes and
 * authentication, new data stores, IAM grants, and every resource added, removed, replaced or
 * modified, each in the block that created it. Offline: the two templates are the only input.
 */
export interface StackDiff {
  readonly below: string;
  readonly above: string;
  readonly added: readonly ReviewResource[];
  readonly removed: readonly ReviewResource[];
  /** Same logical id, replaced by CloudFormation (type changed, or a replacement-requiring property changed). */
  readonly replaced: readonly Replaced[];
  /** A resource deleted and created again under a new logical id (same construct path and type, or same properties). */
  readonly recreated: readonly Recreated[];
  readonly modified: readonly Modified[];
  /** Resources whose only change is their tags. */
  readonly tagsOnly: readonly ReviewResource[];
  /** Resources whose only change is CDK metadata (construct path, asset metadata) or DependsOn ordering. */
  readonly metadataOnly: readonly ReviewResource[];
  readonly dataAtRisk: readonly DataAtRisk[];
  readonly newDataStores: readonly ReviewResource[];
  readonly grantsGained: readonly Grant[];
  readonly grantsLost: readonly Grant[];
  readonly routesAdded: readonly Route[];
  readonly routesRemoved: readonly Route[];
  readonly routesChanged: readonly { readonly before: Route; readonly after: Route }[];
  /** Edge and identity changes in words: Cognito, API authorizers, WAF web ACLs, usage plans, API keys. */
  readonly access: readonly string[];
}

export interface Replaced {
  readonly resource: ReviewResource;
  /** The properties whose change forces the replacement (CloudFormation's "Update requires: Replacement"). */
  readonly causes: readonly string[];
}

export interface Recreated {
  readonly removed: ReviewResource;
  readonly added: ReviewResource;
}

export interface Modified {
  readonly resource: ReviewResource;
  /** What changed, summarised: property names, `function code changed`, environment variable names. */
  readonly changes: readonly string[];
}

export interface DataAtRisk {
  readonly resource: ReviewResource;
  readonly change: 'replaced' | 'removed' | 'recreated under a new logical id';
  /** Whether the stored data survives (DeletionPolicy / UpdateReplacePolicy), in words. */
  readonly outcome: string;
  /** Whether a Retain policy keeps the old resource in the account. */
  readonly retained: boolean;
}

/** Permissions one principal has, one line of the review: principal → actions on resources. */
export interface Grant {
  readonly principal: string;
  readonly effect: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** Condition keys the grant is scoped by (`aws:SourceArn`, ...). */
  readonly conditions: readonly string[];
}

export interface Route {
  /** The REST API's construct path, e.g. `Api/Api`. */
  readonly api: string;
  readonly path: string;
  readonly verb: string;
  readonly authorization: string;
  readonly apiKeyRequired: boolean;
  readonly scopes: readonly string[];
  /** The authorizer's construct path, when the route has one. */
  readonly authorizer: string | undefined;
}

/** Cost figures of the two stacks, from the cost sheet (review/cost.ts); the diff shows the change. */
export interface DiffCost {
  /** Idle floor: what the stack costs a month with no traffic, in USD. */
  readonly idleBelow: number;
  readonly idleAbove: number;
  /** Cost of 1,000 requests on the main route, in USD. */
  readonly per1kBelow: number;
  readonly per1kAbove: number;
}

export function stackDiff(below: ReviewStack, above: ReviewStack): StackDiff {
  const before = new Map(below.resources.map((r) => [r.logicalId, r]));
  const after = new Map(above.resources.map((r) => [r.logicalId, r]));

  const replacedById = new Map(
    upgradeReplacements(below.template, above.template)
      .filter((r) => before.has(r.logicalId) && after.has(r.logicalId))
      .map((r) => [r.logicalId, r.causes]),
  );
  const replaced = [...replacedById].map(([id, causes]): Replaced => ({ resource: after.get(id)!, causes }));

  // A logical id that disappears while the same construct (or the same properties) appears under a
  // new one is one resource deleted and created again: CDK's API deployments and Lambda versions
  // are named by a hash of what they publish, so this is how they move forward.
  const renamedTo = new Map(
    removedResources(below.template, above.template).flatMap((r) => (r.renamedTo && after.has(r.renamedTo) ? [[r.logicalId, r.renamedTo] as const] : [])),
  );
  const addedIds = new Set([...after.keys()].filter((id) => !before.has(id)));
  const recreated: Recreated[] = [];
  for (const old of below.resources.filter((r) => !after.has(r.logicalId))) {
    const twin = [...addedIds].find((id) => after.get(id)!.type === old.type && after.get(id)!.path === old.path) ?? renamedTo.get(old.logicalId);
    if (twin !== undefined && addedIds.delete(twin)) recreated.push({ removed: old, added: after.get(twin)! });
  }
  const recreatedIds = new Set(recreated.map((r) => r.removed.logicalId));
  const movedTo = new Map(recreated.map((r) => [r.added.logicalId, r]));
  const added = above.resources.filter((r) => addedIds.has(r.logicalId));
  const removed = below.resources.filter((r) => !after.has(r.logicalId) && !recreatedIds.has(r.logicalId));

  const modified: Modified[] = [];
  const tagsOnly: ReviewResource[] = [];
  const metadataOnly: ReviewResource[] = [];
  for (const r of above.resources) {
    const old = before.get(r.logicalId);
    if (old === undefined || replacedById.has(r.logicalId)) continue;
    const changes = propertyChanges(old, r, movedTo);
    const policies = [
      ...(old.deletionPolicy !== r.deletionPolicy ? [`DeletionPolicy ${old.deletionPolicy ?? 'Delete'} → ${r.deletionPolicy ?? 'Delete'}`] : []),
      ...(old.updateReplacePolicy !== r.updateReplacePolicy
        ? [`UpdateReplacePolicy ${old.updateReplacePolicy ?? 'Delete'} → ${r.updateReplacePolicy ?? 'Delete'}`]
        : []),
    ];
    const changedKeys = changes.map((c) => c.key);
    if (policies.length === 0 && changedKeys.length > 0 && changedKeys.every((k) => TAG_PROPERTIES.has(k))) tagsOnly.push(r);
    else if (policies.length > 0 || changes.length > 0) modified.push({ resource: r, changes: [...changes.map((c) => c.words), ...policies] });
    else if (!same(templateEntry(below, old), templateEntry(above, r))) metadataOnly.push(r);
  }

  const dataAtRisk = [
    ...replaced.map((r) => atRisk(r.resource, 'replaced')),
    ...removed.map((r) => atRisk(r, 'removed')),
    ...recreated.map((r) => atRisk(r.removed, 'recreated under a new logical id')),
  ].filter((d): d is DataAtRisk => d !== undefined);

  const grantsBefore = grantAtoms(below);
  const grantsAfter = grantAtoms(above);
  const routesBefore = routes(below);
  const routesAfter = routes(above);
  const routeKey = (r: Route) => `${r.api} ${r.path} ${r.verb}`;
  const oldRoutes = new Map(routesBefore.map((r) => [routeKey(r), r]));
  const newRoutes = new Map(routesAfter.map((r) => [routeKey(r), r]));

  return {
    below: below.id,
    above: above.id,
    added: byPath(added),
    removed: byPath(removed),
    replaced: replaced.sort((a, b) => a.resource.path.localeCompare(b.resource.path)),
    recreated: recreated.sort((a, b) => a.added.path.localeCompare(b.added.path)),
    modified: modified.sort((a, b) => a.resource.path.localeCompare(b.resource.path)),
    tagsOnly: byPath(tagsOnly),
    metadataOnly: byPath(metadataOnly),
    dataAtRisk: dataAtRisk.sort((a, b) => a.resource.path.localeCompare(b.resource.path)),
    newDataStores: byPath(added.filter((r) => STATEFUL_TYPES.has(r.type))),
    grantsGained: groupGrants([...grantsAfter].filter(([k]) => !grantsBefore.has(k)).map(([, a]) => a)),
    grantsLost: groupGrants([...grantsBefore].filter(([k]) => !grantsAfter.has(k)).map(([, a]) => a)),
    routesAdded: routesAfter.filter((r) => !oldRoutes.has(routeKey(r))),
    routesRemoved: routesBefore.filter((r) => !newRoutes.has(routeKey(r))),
    routesChanged: routesAfter.flatMap((r) => {
      const old = oldRoutes.get(routeKey(r));
      return old && !same(old, r) ? [{ before: old, after: r }] : [];
    }),
    access: accessChanges(below, above, added, removed),
  };
}

/** Properties that only tag a resource. */
const TAG_PROPERTIES = new Set(['Tags', 'UserPoolTags']);

/** A resource's template entry with its `aws:cdk:path` relative to the stack (the stack id differs between grounds). */
function templateEntry(stack: ReviewStack, r: ReviewResource): unknown {
  const entry = stack.template.Resources[r.logicalId];
  return entry.Metadata ? { ...entry, Metadata: { ...entry.Metadata, 'aws:cdk:path': r.path } } : entry;
}

function byPath(resources: ReviewResource[]): ReviewResource[] {
  return [...resources].sort((a, b) => a.path.localeCompare(b.path));
}

/** Changed top-level properties, in words: code and deployed files by name, environment variables by name. */
function propertyChanges(old: ReviewResource, now: ReviewResource, movedTo: ReadonlyMap<string, Recreated>): { key: string; words: string }[] {
  const a = old.properties;
  const b = now.properties;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((k) => !same(a[k], b[k]))
    .sort()
    .map((key) => {
      // A reference that only follows a resource to its new logical id (a stage to the new deployment).
      const moved = [...referencedIds(b[key])].map((id) => movedTo.get(id)).find((m) => m !== undefined);
      const follows = moved && same(a[key], JSON.parse(JSON.stringify(b[key]).replaceAll(`"${moved.added.logicalId}"`, `"${moved.removed.logicalId}"`)));
      return { key, words: follows ? `${key} follows \`${shortPath(moved.added)}\` to its new logical id` : changeWords(now.type, key, a[key], b[key]) };
    });
}

function changeWords(type: string, key: string, a: unknown, b: unknown): string {
  if (type === 'AWS::Lambda::Function' && key === 'Code') return 'function code changed';
  if (type === 'AWS::Lambda::Function' && key === 'Environment') {
    const vars = (v: unknown) => (isObject(v) && isObject(v.Variables) ? v.Variables : {});
    const [x, y] = [vars(a), vars(b)];
    const parts = [
      ['added', Object.keys(y).filter((k) => !(k in x))],
      ['removed', Object.keys(x).filter((k) => !(k in y))],
      ['changed', Object.keys(y).filter((k) => k in x && !same(x[k], y[k]))],
    ] as const;
    return `environment variables ${parts
      .filter(([, names]) => names.length > 0)
      .map(([verb, names]) => `${verb} ${[...names].sort().join(', ')}`)
      .join('; ')}`;
  }
  if (type === 'Custom::CDKBucketDeployment' && key === 'SourceObjectKeys') return 'deployed files changed';
  if (key === 'PolicyDocument' || key === 'Policies' || key === 'KeyPolicy') return `${key} (see IAM grants)`;
  if (a === undefined) return `${key} added`;
  if (b === undefined) return `${key} removed`;
  return key;
}

const RETAINED = new Set(['Retain', 'RetainExceptOnCreate']);

function atRisk(r: ReviewResource, change: DataAtRisk['change']): DataAtRisk | undefined {
  if (!STATEFUL_TYPES.has(r.type)) return undefined;
  if (change === 'replaced') {
    // CloudFormation creates the new resource, then deletes the old one unless UpdateReplacePolicy keeps it.
    const retained = RETAINED.has(r.updateReplacePolicy ?? '') || r.updateReplacePolicy === 'Snapshot';
    const outcome =
      r.updateReplacePolicy === 'Snapshot'
        ? 'the old one is snapshotted, then deleted; the stack continues on a new, empty one'
        : retained
          ? 'UpdateReplacePolicy Retain keeps the old one in the account, outside the stack; the stack continues on a new, empty one'
          : 'the old one is deleted with its data (no UpdateReplacePolicy Retain); the stack continues on a new, empty one';
    return { resource: r, change, outcome, retained: RETAINED.has(r.updateReplacePolicy ?? '') };
  }
  const retained = RETAINED.has(r.deletionPolicy ?? '');
  const outcome =
    r.deletionPolicy === 'Snapshot'
      ? 'a final snapshot is taken, then it is deleted'
      : retained
        ? 'DeletionPolicy Retain keeps it and its data in the account, outside the stack'
        : 'deleted with its data (no DeletionPolicy Retain)';
  return { resource: r, change, outcome: change === 'removed' ? outcome : `the old one: ${outcome}; the new one starts empty`, retained };
}

// ---- IAM grants -------------------------------------------------------------------------------

interface GrantAtom {
  readonly principal: string;
  readonly effect: string;
  readonly action: string;
  readonly resource: string;
  readonly conditions: readonly string[];
}

/**
 * Every (principal, effect, action, resource) a stack grants, keyed so the same grant in two
 * templates compares equal: identity policies (AWS::IAM::Policy, ManagedPolicy, a role's inline
 * Policies and ManagedPolicyArns), resource policies (bucket, queue, topic, key) and Lambda
 * permissions.
 */
function grantAtoms(stack: ReviewStack): Map<string, GrantAtom> {
  const out = new Map<string, GrantAtom>();
  const byId = new Map(stack.resources.map((r) => [r.logicalId, r]));
  const put = (a: GrantAtom) => out.set(JSON.stringify([a.principal, a.effect, a.action, a.resource, a.conditions]), a);
  const identity = (principal: string, doc: unknown) => {
    for (const s of statements(doc)) for (const a of statementAtoms(stack, s, principal)) put(a);
  };
  const refs = (v: unknown) => (Array.isArray(v) ? v : []).flatMap((e) => [...referencedIds(e)]).filter((id) => byId.has(id));
  for (const r of stack.resources) {
    const p = r.properties;
    switch (r.type) {
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
        for (const id of [...refs(p.Roles), ...refs(p.Users), ...refs(p.Groups)]) identity(principalName(stack, id), p.PolicyDocument);
        break;
      case 'AWS::IAM::Role':
        for (const inline of Array.isArray(p.Policies) ? p.Policies : [])
          identity(principalName(stack, r.logicalId), isObject(inline) ? inline.PolicyDocument : undefined);
        for (const arn of Array.isArray(p.ManagedPolicyArns) ? p.ManagedPolicyArns : []) {
          put({
            principal: principalName(stack, r.logicalId),
            effect: 'Allow',
            action: `managed policy ${render(stack, arn).split('/').pop()}`,
            resource: '',
            conditions: [],
          });
        }
        break;
      case 'AWS::S3::BucketPolicy':
      case 'AWS::SQS::QueuePolicy':
      case 'AWS::SNS::TopicPolicy':
        for (const s of statements(p.PolicyDocument)) for (const a of statementAtoms(stack, s, undefined)) put(a);
        break;
      case 'AWS::KMS::Key':
        for (const s of statements(p.KeyPolicy)) for (const a of statementAtoms(stack, s, undefined, shortPath(r))) put(a);
        break;
      case 'AWS::Lambda::Permission': {
        // SourceArn is shown in the resource (`from ...`); the other scoping properties by name.
        const conditions = ['SourceAccount', 'PrincipalOrgID', 'FunctionUrlAuthType'].filter((k) => p[k] !== undefined);
        const from = p.SourceArn === undefined ? '' : ` from ${render(stack, p.SourceArn)}`;
        put({
          principal: render(stack, p.Principal),
          effect: 'Allow',
          action: String(p.Action),
          resource: `${render(stack, p.FunctionName)}${from}`,
          conditions,
        });
        break;
      }
      default:
        break;
    }
  }
  return out;
}

function statements(doc: unknown): Record<string, unknown>[] {
  const s = isObject(doc) ? doc.Statement : undefined;
  return (Array.isArray(s) ? s : s === undefined ? [] : [s]).filter(isObject);
}

function statementAtoms(stack: ReviewStack, s: Record<string, unknown>, principal: string | undefined, ownResource?: string): GrantAtom[] {
  const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const actions = s.NotAction !== undefined ? [`every action except ${list(s.NotAction).map(String).join(', ')}`] : list(s.Action).map(String);
  const resources =
    s.NotResource !== undefined
      ? [
          `every resource except ${list(s.NotResource)
            .map((r) => render(stack, r))
            .join(', ')}`,
        ]
      : s.Resource === undefined && ownResource !== undefined
        ? [ownResource]
        : list(s.Resource).map((r) => (r === '*' && ownResource !== undefined ? ownResource : render(stack, r)));
  const conditions = isObject(s.Condition) ? [...new Set(Object.values(s.Condition).flatMap((c) => (isObject(c) ? Object.keys(c) : [])))].sort() : [];
  const who = principal ?? statementPrincipal(stack, s);
  const effect = String(s.Effect ?? 'Allow');
  return actions.flatMap((action) => resources.map((resource) => ({ principal: who, effect, action, resource, conditions })));
}

function statementPrincipal(stack: ReviewStack, s: Record<string, unknown>): string {
  const p = s.Principal ?? s.NotPrincipal;
  const not = s.NotPrincipal !== undefined ? 'everyone except ' : '';
  if (p === '*') return `${not}anyone`;
  if (!isObject(p)) return `${not}${render(stack, p)}`;
  return `${not}${Object.entries(p)
    .flatMap(([kind, v]) => (Array.isArray(v) ? v : [v]).map((e) => (kind === 'AWS' && e === '*' ? 'anyone' : render(stack, e))))
    .sort()
    .join(', ')}`;
}

/** A role by what runs as it: the function, state machine, knowledge base, ... whose role property names it. */
function principalName(stack: ReviewStack, roleId: string): string {
  const role = stack.resources.find((r) => r.logicalId === roleId);
  if (role === undefined) return roleId;
  const users = stack.resources
    .filter((r) => !r.type.startsWith('AWS::IAM::') && Object.entries(r.properties).some(([k, v]) => /Role/.test(k) && referencedIds(v).has(roleId)))
    .sort((a, b) => a.path.localeCompare(b.path));
  return users.length > 0 ? `\`${shortPath(users[0])}\` (${typeWords(users[0].type)})` : `role \`${shortPath(role)}\``;
}

function groupGrants(atoms: GrantAtom[]): Grant[] {
  // principal + effect + conditions → resource → actions; then resources with the same actions share a line.
  const groups = new Map<string, { atom: GrantAtom; actions: Map<string, Set<string>> }>();
  for (const a of atoms) {
    const key = JSON.stringify([a.principal, a.effect, a.conditions]);
    const g = groups.get(key) ?? { atom: a, actions: new Map<string, Set<string>>() };
    g.actions.set(a.resource, (g.actions.get(a.resource) ?? new Set()).add(a.action));
    groups.set(key, g);
  }
  const grants: Grant[] = [];
  for (const { atom, actions } of groups.values()) {
    const byActions = new Map<string, { actions: string[]; resources: string[] }>();
    for (const [resource, set] of actions) {
      const sorted = [...set].sort();
      const line = byActions.get(sorted.join('\n')) ?? { actions: sorted, resources: [] };
      line.resources.push(resource);
      byActions.set(sorted.join('\n'), line);
    }
    for (const line of byActions.values()) {
      grants.push({
        principal: atom.principal,
        effect: atom.effect,
        actions: line.actions,
        resources: line.resources.filter((r) => r !== '').sort(),
        conditions: atom.conditions,
      });
    }
  }
  const text = (g: Grant) => [g.principal, g.effect, g.actions.join(','), g.resources.join(','), g.conditions.join(',')].join('\u0000');
  return grants.sort((a, b) => text(a).localeCompare(text(b)));
}

// ---- Routes and access ------------------------------------------------------------------------

function routes(stack: ReviewStack): Route[] {
  const byId = new Map(stack.resources.map((r) => [r.logicalId, r]));
  const pathOf = (ref: unknown, depth = 0): string => {
    if (isObject(ref) && typeof ref.Ref === 'string' && depth < 50) {
      const res = byId.get(ref.Ref);
      if (res?.type === 'AWS::ApiGateway::Resource') {
        const parent = pathOf(res.properties.ParentId, depth + 1);
        return `${parent === '/' ? '' : parent}/${String(res.properties.PathPart)}`;
      }
    }
    return '/'; // the API's root resource (Fn::GetAtt RestApi.RootResourceId)
  };
  return stack.resources
    .filter((r) => r.type === 'AWS::ApiGateway::Method')
    .map((m): Route => {
      const p = m.properties;
      const apiId = [...referencedIds(p.RestApiId)][0];
      const authorizerId = [...referencedIds(p.AuthorizerId)][0];
      return {
        api: apiId && byId.has(apiId) ? shortPath(byId.get(apiId)!) : String(apiId),
        path: pathOf(p.ResourceId),
        verb: String(p.HttpMethod),
        authorization: String(p.AuthorizationType ?? 'NONE'),
        apiKeyRequired: p.ApiKeyRequired === true,
        scopes: Array.isArray(p.AuthorizationScopes) ? p.AuthorizationScopes.map(String).sort() : [],
        authorizer: authorizerId && byId.has(authorizerId) ? shortPath(byId.get(authorizerId)!) : undefined,
      };
    })
    .sort((a, b) => a.api.localeCompare(b.api) || a.path.localeCompare(b.path) || a.verb.localeCompare(b.verb));
}

/** Resource types that decide who reaches the API and how much: identity, authorizers, WAF, usage plans, API keys. */
function accessChanges(below: ReviewStack, above: ReviewStack, added: ReviewResource[], removed: ReviewResource[]): string[] {
  const describe = (stack: ReviewStack, r: ReviewResource): string | undefined => {
    const p = r.properties;
    const name = `\`${shortPath(r)}\``;
    if (r.type === 'AWS::Cognito::UserPool') return `Cognito user pool ${name}: callers authenticate with Cognito`;
    if (r.type.startsWith('AWS::Cognito::')) return `Cognito ${r.type.split('::')[2]} ${name}`;
    if (r.type === 'AWS::ApiGateway::Authorizer') return `API authorizer ${name} (${String(p.Type)})`;
    if (r.type === 'AWS::WAFv2::WebACL') {
      const rules = (Array.isArray(p.Rules) ? p.Rules : []).map((x) => (isObject(x) ? String(x.Name) : '')).sort();
      return `WAF web ACL ${name}${rules.length > 0 ? ` (rules: ${rules.join(', ')})` : ''}`;
    }
    if (r.type === 'AWS::WAFv2::WebACLAssociation') return `WAF web ACL association ${name} on ${render(stack, p.ResourceArn)}`;
    if (r.type === 'AWS::ApiGateway::UsagePlan') {
      const t = isObject(p.Throttle) ? p.Throttle : {};
      const q = isObject(p.Quota) ? p.Quota : {};
      const throttle = t.RateLimit !== undefined ? `, throttle ${String(t.RateLimit)} requests/s (burst ${String(t.BurstLimit)})` : '';
      const quota = q.Limit !== undefined ? `, quota ${String(q.Limit)} per ${String(q.Period).toLowerCase()}` : '';
      return `usage plan ${name}${throttle}${quota}`;
    }
    if (r.type === 'AWS::ApiGateway::ApiKey') return `API key ${name}`;
    if (r.type === 'AWS::ApiGateway::UsagePlanKey') return `API key attached to a usage plan ${name}`;
    return undefined;
  };
  const words = (stack: ReviewStack, rs: ReviewResource[], verb: string) =>
    rs.flatMap((r) => {
      const d = describe(stack, r);
      return d === undefined ? [] : [`${verb}: ${d}`];
    });
  return [...words(above, added, 'Added'), ...words(below, removed, 'Removed')].sort();
}

// ---- Rendering values -------------------------------------------------------------------------

const PSEUDO: Record<string, string> = {
  'AWS::Partition': '${Partition}',
  'AWS::Region': '${Region}',
  'AWS::AccountId': '${Account}',
  'AWS::URLSuffix': '${URLSuffix}',
  'AWS::StackName': '${StackName}',
  'AWS::StackId': '${StackId}',
  'AWS::NoValue': '',
};

/**
 * A template value as text: another resource is named by its construct path (`Sessions/Table`,
 * in braces inside a longer text: `{Sessions/Table}/index/*`), pseudo parameters as `${Region}`.
 */
function render(stack: ReviewStack, v: unknown, inText = false): string {
  const name = (id: string, attr?: string) => {
    const r = stack.resources.find((x) => x.logicalId === id);
    return `${r ? shortPath(r) : id}${attr === undefined || attr.endsWith('Arn') ? '' : `.${attr}`}`;
  };
  const named = (id: string, attr?: string) => (id in PSEUDO ? PSEUDO[id] : inText ? `{${name(id, attr)}}` : name(id, attr));
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map((e) => render(stack, e, inText)).join(', ');
  if (!isObject(v)) return '';
  if (typeof v.Ref === 'string') return named(v.Ref);
  const att = v['Fn::GetAtt'];
  if (att !== undefined) {
    const [id, attr] = Array.isArray(att) ? [String(att[0]), String(att[1])] : String(att).split('.');
    return named(id, attr);
  }
  const join = v['Fn::Join'];
  if (Array.isArray(join) && Array.isArray(join[1])) return join[1].map((e) => render(stack, e, true)).join(String(join[0]));
  const sub = v['Fn::Sub'];
  if (sub !== undefined) {
    const [text, vars] = Array.isArray(sub) ? [String(sub[0]), isObject(sub[1]) ? sub[1] : {}] : [String(sub), {}];
    const inner = (id: string, attr?: string) => (id in vars ? render(stack, vars[id], true) : id in PSEUDO ? PSEUDO[id] : `{${name(id, attr)}}`);
    return text.replace(/\$\{([^!}][^}.]*)(?:\.([^}]*))?\}/g, (_, id: string, attr?: string) => inner(id, attr));
  }
  return JSON.stringify(v);
}

/** A resource's construct path without the `/Resource` leaf CDK gives L1s inside L2s. */
function shortPath(r: ReviewResource): string {
  return r.path.replace(/(\/Resource)+$/, '');
}

function typeWords(type: string): string {
  return type.startsWith('Custom::') ? `custom resource ${type}` : `${serviceOf(type)} ${type.split('::')[2]}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---- Markdown ---------------------------------------------------------------------------------

export interface DiffMarkdownOptions {
  readonly cost?: DiffCost;
}

/** The diff as a Markdown page: deterministic (sorted, no timestamps), data at risk first. */
export function diffMarkdown(diff: StackDiff, options: DiffMarkdownOptions = {}): string {
  const out: string[] = [];
  const counts = [
    `${diff.added.length} added`,
    `${diff.removed.length} removed`,
    `${diff.replaced.length} replaced`,
    `${diff.recreated.length} recreated under a new logical id`,
    `${diff.modified.length} modified in place`,
  ];
  out.push(`# ${diff.above}: what changes from ${diff.below}`, '');
  out.push(
    `Deploying \`${diff.above}\` over \`${diff.below}\` updates the same CloudFormation stack in place. Resources: ${counts.join(', ')}; ` +
      `${diff.tagsOnly.length} with tag changes only and ${diff.metadataOnly.length} with CDK metadata changes only.`,
    '',
  );

  if (diff.dataAtRisk.length > 0) {
    out.push('## ⚠ Data at risk', '');
    for (const d of diff.dataAtRisk) out.push(`- **${d.change}**: ${resourceLine(d.resource)}: ${d.outcome}.`);
  } else {
    out.push('## Data at risk', '', 'None: no resource that holds data is replaced or removed.');
  }
  out.push('');

  if (options.cost) {
    const c = options.cost;
    out.push('## Cost', '', `| | ${diff.below} | ${diff.above} | change |`, '|---|---:|---:|---:|');
    out.push(`| Idle floor (USD a month) | ${usd(c.idleBelow)} | ${usd(c.idleAbove)} | ${signedUsd(c.idleAbove - c.idleBelow)} |`);
    out.push(`| Cost per 1,000 requests (USD) | ${usd(c.per1kBelow)} | ${usd(c.per1kAbove)} | ${signedUsd(c.per1kAbove - c.per1kBelow)} |`, '');
  }

  out.push('## Routes and authentication', '');
  const routeLines = [
    ...diff.routesAdded.map((r) => `- Route added: ${routeWords(r)}`),
    ...diff.routesRemoved.map((r) => `- Route removed: ${routeWords(r)}`),
    ...diff.routesChanged.map((c) => `- Authentication changed on \`${c.after.verb} ${c.after.path}\`: ${authWords(c.before)} → ${authWords(c.after)}`),
    ...diff.access.map((a) => `- ${a}`),
  ];
  out.push(...(routeLines.length > 0 ? routeLines : ['No route, authentication or edge protection changes.']), '');

  out.push('## New data stores', '');
  out.push(
    ...(diff.newDataStores.length > 0
      ? diff.newDataStores.map((r) => `- ${resourceLine(r)}${RETAINED.has(r.deletionPolicy ?? '') ? ' (DeletionPolicy Retain)' : ' (deleted with the stack)'}`)
      : ['None.']),
    '',
  );

  out.push('## IAM grants', '');
  if (diff.grantsGained.length === 0 && diff.grantsLost.length === 0) out.push('No permission is gained or lost.', '');
  for (const [title, grants, allow, deny] of [
    ['Gained', diff.grantsGained, 'may now', 'is now denied'],
    ['Lost', diff.grantsLost, 'may no longer', 'is no longer denied'],
  ] as const) {
    if (grants.length === 0) continue;
    out.push(`### ${title}`, '');
    for (const g of grants) out.push(`- ${grantWords(g, g.effect === 'Deny' ? deny : allow)}`);
    out.push('');
  }

  section(out, 'Resources added', diff.added, (rs) => typeGroups(rs));
  section(out, 'Resources removed', diff.removed, (rs) => typeGroups(rs));
  section(
    out,
    'Resources replaced',
    diff.replaced.map((r) => r.resource),
    (rs) => rs.map((r) => `- ${resourceLine(r)}: replaced because ${diff.replaced.find((x) => x.resource === r)!.causes.join(', ')} changed`),
  );
  section(
    out,
    'Resources recreated under a new logical id',
    diff.recreated.map((r) => r.added),
    (rs) =>
      rs.map((r) => {
        const old = diff.recreated.find((x) => x.added === r)!.removed;
        return `- ${resourceLine(r)}: \`${old.logicalId}\` → \`${r.logicalId}\`${REPUBLISHED[r.type] ? ` (${REPUBLISHED[r.type]})` : ''}`;
      }),
  );
  section(
    out,
    'Modified in place',
    diff.modified.map((m) => m.resource),
    (rs) => rs.map((r) => `- ${resourceLine(r)}: ${diff.modified.find((m) => m.resource === r)!.changes.join('; ')}`),
  );
  if (diff.tagsOnly.length > 0 || diff.metadataOnly.length > 0) {
    if (diff.modified.length === 0) out.push('## Modified in place', '');
    if (diff.tagsOnly.length > 0) out.push(`- ${plural(diff.tagsOnly.length, 'resource')}: tags only`);
    if (diff.metadataOnly.length > 0)
      out.push(`- ${plural(diff.metadataOnly.length, 'resource')}: CDK metadata only (construct path, asset metadata, ordering)`);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

const REPUBLISHED: Record<string, string> = {
  // aws-cdk-lib names a Deployment after a hash of the API's routes, models and the RestApi's own
  // template entry, tags and construct path included (aws-apigateway/lib/deployment.ts, calculateLogicalId).
  'AWS::ApiGateway::Deployment': "a new API deployment: CDK names it after a hash of the API's definition and tags; the stage moves to it",
  'AWS::Lambda::Version': 'a new published function version, expected when the function changes',
};

/** A `## title` with one `### block` per block that has resources, in the order of the architecture. */
function section(out: string[], title: string, resources: readonly ReviewResource[], lines: (rs: ReviewResource[]) => string[]): void {
  if (resources.length === 0) return;
  out.push(`## ${title}`, '');
  for (const b of BLOCKS) {
    const rs = resources.filter((r) => r.block === b.id);
    if (rs.length === 0) continue;
    out.push(`### ${b.name}`, '', ...lines(rs), '');
  }
}

/** Resources of one block, one line per type: `- Lambda Function ×2: \`A\`, \`B\``. */
function typeGroups(rs: ReviewResource[]): string[] {
  const types = [...new Set(rs.map((r) => r.type))].sort((a, b) => typeWords(a).localeCompare(typeWords(b)));
  return types.map((t) => {
    const of = rs.filter((r) => r.type === t);
    const flag = STATEFUL_TYPES.has(t) ? ' (holds data)' : '';
    return `- ${typeWords(t)}${of.length > 1 ? ` ×${of.length}` : ''}${flag}: ${of.map((r) => `\`${shortPath(r)}\``).join(', ')}`;
  });
}

function resourceLine(r: ReviewResource): string {
  return `\`${shortPath(r)}\` (${typeWords(r.type)})`;
}

function routeWords(r: Route): string {
  return `\`${r.verb} ${r.path}\`: ${authWords(r)}`;
}

function authWords(r: Route): string {
  const auth: Record<string, string> = {
    NONE: 'no authentication',
    AWS_IAM: 'IAM (SigV4)',
    COGNITO_USER_POOLS: 'Cognito user pool',
    CUSTOM: 'Lambda authorizer',
  };
  const parts = [auth[r.authorization] ?? r.authorization];
  if (r.authorizer) parts.push(`authorizer \`${r.authorizer}\``);
  if (r.scopes.length > 0) parts.push(`scopes ${r.scopes.join(', ')}`);
  parts.push(r.apiKeyRequired ? 'API key required' : 'no API key');
  const text = parts.join(', ');
  return r.authorization === 'NONE' && !r.apiKeyRequired ? `**public**, ${text}` : text;
}

function grantWords(g: Grant, verb: string): string {
  const actions = g.actions.map((a) => `\`${a}\``).join(', ');
  const on = g.resources.length > 0 ? ` on ${g.resources.map((r) => `\`${r}\``).join(', ')}` : '';
  const when = g.conditions.length > 0 ? ` (conditions on ${g.conditions.join(', ')})` : '';
  return `${g.principal} ${verb} ${actions}${on}${when}`;
}

function usd(n: number): string {
  return `$${formatUsd(n)}`;
}

function signedUsd(n: number): string {
  return n === 0 ? '±$0' : `${n > 0 ? '+' : '−'}${usd(Math.abs(n))}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
