import { CfnResource, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * One resource of a stack's template, as CloudFormation will see it: properties resolved
 * (overrides applied), references left as `{ Ref }` / `{ 'Fn::GetAtt' }` to logical ids.
 */
export interface TemplateResource {
  readonly logicalId: string;
  readonly type: string;
  /** Untyped, as in the template. */
  // The rules (lib/checks/rules) walk CloudFormation's untyped property tree (26 reads), as cdk-nag's own rules do.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see the line above
  readonly properties: any;
  readonly deletionPolicy?: string;
  readonly node: CfnResource;
}

/** Pseudo parameters whose value is the same on every deploy of the same stack name in the same place. */
export const STABLE_PSEUDO_PARAMETERS = new Set(['AWS::StackName', 'AWS::Region', 'AWS::AccountId', 'AWS::Partition', 'AWS::URLSuffix']);

/**
 * The resolved resources of one stack, built once per validation run. Our rules look across a
 * template (a topic and the alarms that publish to it; a function and the policies of its role),
 * which a rule that sees one `CfnResource` can only do through an index of the whole stack.
 */
export class StackTemplate {
  private static cache = new WeakMap<Stack, StackTemplate>();

  /** The index of the stack `node` belongs to (built on first use, until `reset`). */
  public static of(node: IConstruct): StackTemplate {
    const stack = Stack.of(node);
    let template = StackTemplate.cache.get(stack);
    if (!template) {
      template = new StackTemplate(stack);
      StackTemplate.cache.set(stack, template);
    }
    return template;
  }

  /** Forgets every index: a pack calls it at the start of each run, so a changed tree is re-read. */
  public static reset(): void {
    StackTemplate.cache = new WeakMap();
  }

  public readonly resources = new Map<string, TemplateResource>();
  private readonly byNode = new Map<CfnResource, TemplateResource>();

  private constructor(public readonly stack: Stack) {
    for (const c of stack.node.findAll()) {
      if (!CfnResource.isCfnResource(c) || Stack.of(c) !== stack) continue;
      let rendered: Record<string, { Type: string; Properties?: unknown; DeletionPolicy?: string }>;
      try {
        rendered = stack.resolve((c as unknown as { _toCloudFormation(): { Resources: typeof rendered } })._toCloudFormation()).Resources;
      } catch {
        continue; // a resource that cannot be rendered on its own is judged by no rule of ours
      }
      for (const [logicalId, r] of Object.entries(rendered ?? {})) {
        const resource: TemplateResource = { logicalId, type: r.Type, properties: r.Properties ?? {}, deletionPolicy: r.DeletionPolicy, node: c };
        this.resources.set(logicalId, resource);
        this.byNode.set(c, resource);
      }
    }
  }

  /** The resource `node` renders to, if it is a resource of this stack. */
  public resourceOf(node: CfnResource): TemplateResource | undefined {
    return this.byNode.get(node);
  }

  public ofType(...types: string[]): TemplateResource[] {
    return [...this.resources.values()].filter((r) => types.includes(r.type));
  }

  /** The resource a `{ Ref }`, `{ 'Fn::GetAtt' }` or `${X}` / `${X.Attr}` in a `Fn::Sub` points to. */
  public target(value: unknown): TemplateResource | undefined {
    const id = referencedId(value);
    return id === undefined ? undefined : this.resources.get(id);
  }

  /** Every resource `value` refers to, anywhere inside it (Ref, GetAtt, Sub). */
  public referencedResources(value: unknown): TemplateResource[] {
    return [...referencedIds(value)].map((id) => this.resources.get(id)).filter((r): r is TemplateResource => r !== undefined);
  }

  /**
   * The logical ids of the resources `node` must wait for: its `DependsOn` and the construct
   * dependencies aws-cdk-lib turns into `DependsOn` when the app is prepared (so the answer is
   * the same before and after synthesis).
   */
  public dependenciesOf(node: CfnResource): Set<string> {
    const ids = new Set<string>();
    const own = this.stack.resolve(
      (node as unknown as { _toCloudFormation(): { Resources: Record<string, { DependsOn?: string | string[] }> } })._toCloudFormation(),
    ).Resources;
    for (const r of Object.values(own) as { DependsOn?: string | string[] }[]) for (const d of asArray(r.DependsOn)) ids.add(String(d));
    for (let scope: IConstruct | undefined = node; scope; scope = scope.node.scope) {
      for (const target of scope.node.dependencies) {
        for (const c of target.node.findAll()) {
          if (CfnResource.isCfnResource(c) && Stack.of(c) === this.stack) {
            const r = this.byNode.get(c);
            if (r) ids.add(r.logicalId);
          }
        }
      }
    }
    return ids;
  }
}

export function asArray<T>(value: T | T[] | undefined | null): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** The logical id a single `{ Ref }` or `{ 'Fn::GetAtt' }` names (pseudo parameters excluded). */
export function referencedId(value: unknown): string | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string' && !v.Ref.startsWith('AWS::')) return v.Ref;
  const getAtt = v['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

/** Every logical id referenced anywhere inside `value`. */
export function referencedIds(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) referencedIds(v, into);
  } else if (value && typeof value === 'object') {
    const id = referencedId(value);
    if (id !== undefined) into.add(id);
    const sub = (value as Record<string, unknown>)['Fn::Sub'];
    if (sub !== undefined) {
      const [text, vars] = Array.isArray(sub) ? sub : [sub, {}];
      for (const m of String(text).matchAll(/\$\{([^!}][^}]*)\}/g)) {
        const name = m[1].split('.')[0];
        if (!name.startsWith('AWS::') && !(vars && name in (vars as object))) into.add(name);
      }
      if (vars) referencedIds(Object.values(vars as object), into);
    } else {
      for (const v of Object.values(value)) referencedIds(v, into);
    }
  }
  return into;
}

/**
 * A resolved value as one string, for reading ARNs: literals kept, `Fn::Join` and `Fn::Sub`
 * expanded, a pseudo parameter as `${AWS::Region}`, a reference as `${LogicalId}` or
 * `${LogicalId.Attr}`, anything else as `${?}`.
 */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (!value || typeof value !== 'object' || Array.isArray(value)) return '${?}';
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return `\${${v.Ref}}`;
  const getAtt = v['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return `\${${getAtt.join('.')}}`;
  const join = v['Fn::Join'];
  if (Array.isArray(join) && Array.isArray(join[1])) return join[1].map(flatten).join(String(join[0]));
  const sub = v['Fn::Sub'];
  if (sub !== undefined) {
    const [text, vars] = Array.isArray(sub) ? sub : [sub, {}];
    return String(text).replace(/\$\{([^!}][^}]*)\}/g, (whole, name: string) =>
      vars && name in vars ? flatten((vars as Record<string, unknown>)[name]) : whole,
    );
  }
  return '${?}';
}

/** An ARN read from a flattened string; `undefined` parts are unknown (a token). */
export interface ParsedArn {
  readonly service: string;
  readonly region: string;
  readonly account: string;
  /** Everything after the account: `foundation-model/anthropic.claude-...`. */
  readonly resource: string;
}

export function parseArn(text: string): ParsedArn | undefined {
  // Placeholders (`${AWS::Partition}`) hold colons of their own.
  const parts = text.split(/:(?![^{]*\})/);
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return { service: parts[2], region: parts[3], account: parts[4], resource: parts.slice(5).join(':') };
}
