import { asArray, flatten, referencedId, type StackTemplate, type TemplateResource } from './template';

/** One statement of a resolved policy document, with its single-or-list fields as lists. */
export interface Statement {
  readonly effect: 'Allow' | 'Deny';
  readonly actions?: string[];
  readonly notActions?: string[];
  /** As in the template (strings or intrinsics). */
  readonly resources?: unknown[];
  readonly notResources?: unknown[];
  readonly principal?: unknown;
  readonly condition: Record<string, Record<string, unknown>>;
}

export function statementsOf(document: unknown): Statement[] {
  if (!document || typeof document !== 'object') return [];
  return asArray((document as { Statement?: unknown }).Statement).flatMap((s) => {
    if (!s || typeof s !== 'object') return [];
    const st = s as Record<string, unknown>;
    return [
      {
        effect: st.Effect === 'Deny' ? 'Deny' : 'Allow',
        actions: st.Action === undefined ? undefined : asArray(st.Action).map(String),
        notActions: st.NotAction === undefined ? undefined : asArray(st.NotAction).map(String),
        resources: st.Resource === undefined ? undefined : asArray(st.Resource),
        notResources: st.NotResource === undefined ? undefined : asArray(st.NotResource),
        principal: st.Principal,
        condition: (st.Condition as Statement['condition']) ?? {},
      },
    ];
  });
}

/** IAM's wildcard match (`*`, `?`), case-insensitive as action names are. */
export function wildcardMatches(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(value);
}

/** Whether the statement covers `action` (through `Action` or a `NotAction` that leaves it out). */
export function coversAction(statement: Statement, action: string): boolean {
  if (statement.actions) return statement.actions.some((a) => wildcardMatches(a, action));
  if (statement.notActions) return !statement.notActions.some((a) => wildcardMatches(a, action));
  return false;
}

/** Condition keys of a statement, lower-cased (condition keys are case-insensitive). */
export function conditionKeys(statement: Statement): Set<string> {
  const keys = new Set<string>();
  for (const operator of Object.values(statement.condition)) {
    if (operator && typeof operator === 'object') for (const k of Object.keys(operator)) keys.add(k.toLowerCase());
  }
  return keys;
}

/** Service principals a resource-policy statement names (`Principal: { Service }`). */
export function servicePrincipals(statement: Statement): string[] {
  const p = statement.principal;
  if (!p || typeof p !== 'object') return [];
  return asArray((p as { Service?: unknown }).Service).map(flatten);
}

/** `Principal: '*'` or `{ AWS: '*' }`: everyone, services included. */
export function isEveryone(statement: Statement): boolean {
  const p = statement.principal;
  if (p === '*') return true;
  return !!p && typeof p === 'object' && asArray((p as { AWS?: unknown }).AWS).includes('*');
}

/** A policy document that applies to a role, and the resource it lives in. */
export interface RolePolicy {
  readonly document: unknown;
  readonly source: TemplateResource;
}

/** What a role in the template is granted: its policy documents and the managed policy ARNs it names. */
export interface RolePermissions {
  readonly policies: RolePolicy[];
  /** Managed policy ARNs as flattened strings (`arn:${AWS::Partition}:iam::aws:policy/...`). */
  readonly managedPolicyArns: string[];
}

/**
 * Every policy of the template that applies to `role`: its inline `Policies`, each
 * `AWS::IAM::Policy` / `AWS::IAM::ManagedPolicy` that lists it in `Roles`, and each managed policy
 * of the template named in its `ManagedPolicyArns`.
 */
export function permissionsOfRole(template: StackTemplate, role: TemplateResource): RolePermissions {
  const policies: RolePolicy[] = asArray(role.properties.Policies).map((p: { PolicyDocument?: unknown }) => ({ document: p?.PolicyDocument, source: role }));
  const managedPolicyArns: string[] = [];
  for (const arn of asArray(role.properties.ManagedPolicyArns)) {
    const local = template.target(arn);
    if (local?.type === 'AWS::IAM::ManagedPolicy') policies.push({ document: local.properties.PolicyDocument, source: local });
    else managedPolicyArns.push(flatten(arn));
  }
  for (const p of template.ofType('AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy')) {
    if (asArray(p.properties.Roles).some((r) => referencedId(r) === role.logicalId)) policies.push({ document: p.properties.PolicyDocument, source: p });
  }
  return { policies, managedPolicyArns };
}

/** The role resource of the template a function's `Role` (a GetAtt of its Arn) points to. */
export function roleOf(template: StackTemplate, roleArn: unknown): TemplateResource | undefined {
  const role = template.target(roleArn);
  return role?.type === 'AWS::IAM::Role' ? role : undefined;
}

/** Allow statements of a role's policies, each with the resource it lives in. */
export function allowStatements(permissions: RolePermissions): { statement: Statement; source: TemplateResource }[] {
  return permissions.policies.flatMap((p) =>
    statementsOf(p.document)
      .filter((s) => s.effect === 'Allow')
      .map((statement) => ({ statement, source: p.source })),
  );
}
