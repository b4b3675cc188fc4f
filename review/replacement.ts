import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { Property, PropertyType, Resource, SpecDatabase } from '@aws-cdk/service-spec-types';

/**
 * What CloudFormation replaces when a stack goes from one template to the next, from
 * CloudFormation's own rules: the resource specification's `causesReplacement` per property
 * ("Update requires: Replacement" in the template reference), as `@aws-cdk/aws-service-spec`
 * ships it, down into nested property types.
 *
 * CloudFormation's rules this follows (User Guide, "Understand update behaviors of stack
 * resources"; "UpdateReplacePolicy attribute"):
 * - a replaced resource gets a new physical id, and CloudFormation "changes references from other
 *   dependent resources to point to the replacement resource": a `Ref`/`Fn::GetAtt`/`Fn::Sub` of a
 *   replaced resource is a changed value even when its text is the same, so replacement propagates;
 * - adding or removing a replacement-causing property replaces the resource even when the
 *   effective value does not change: absent and present are different values here;
 * - a logical id whose type changes is a delete and a create.
 */

type Json = unknown;
export type TemplateJson = { Resources?: Record<string, { Type: string; Properties?: Record<string, Json> }> };

export interface Replacement {
  readonly logicalId: string;
  readonly type: string;
  /** Property paths whose change causes the replacement, e.g. `GroupDescription` or `Tags` or `type AWS::S3::Bucket → …`. */
  readonly causes: string[];
}

let database: SpecDatabase | undefined;
/** The resource specification shipped with `@aws-cdk/aws-service-spec` (about a second to load, once per process). */
export function serviceSpec(): SpecDatabase {
  database ??= loadAwsServiceSpecSync();
  return database;
}

function resourceSpec(db: SpecDatabase, type: string): Resource | undefined {
  return db.lookup('resource', 'cloudFormationType', 'equals', type)[0];
}

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const INTRINSIC = /^(Ref|Fn::[A-Za-z]+|Condition)$/;
const isIntrinsic = (v: Json): boolean => isObject(v) && Object.keys(v).length === 1 && INTRINSIC.test(Object.keys(v)[0]);

/** Whether two template values are equal, key order aside. */
export function same(a: Json, b: Json): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
function canonical(v: Json): Json {
  if (Array.isArray(v)) return v.map(canonical);
  if (isObject(v))
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical(v[k])]),
    );
  return v;
}

/** Logical ids a value refers to: Ref, Fn::GetAtt (both forms) and the `${X}`/`${X.Attr}` of Fn::Sub. */
export function referencedIds(v: Json, into = new Set<string>()): Set<string> {
  if (Array.isArray(v)) {
    for (const e of v) referencedIds(e, into);
  } else if (isObject(v)) {
    for (const [k, e] of Object.entries(v)) {
      if (k === 'Ref' && typeof e === 'string') into.add(e);
      else if (k === 'Fn::GetAtt') into.add(Array.isArray(e) ? String(e[0]) : String(e).split('.')[0]);
      else if (k === 'Fn::Sub') {
        const text = Array.isArray(e) ? e[0] : e;
        if (typeof text === 'string') for (const m of text.matchAll(/\$\{([^!}][^}.]*)(\.[^}]*)?\}/g)) into.add(m[1]);
        if (Array.isArray(e)) referencedIds(e[1], into);
      } else referencedIds(e, into);
    }
  }
  return into;
}

/**
 * Whether `a` (lower) and `b` (upper) differ for CloudFormation: different text, or the same text
 * naming a resource this update replaces (its physical id, hence the resolved value, changes).
 */
function changes(a: Json, b: Json, replaced: ReadonlySet<string>): boolean {
  if (!same(a, b)) return true;
  for (const id of referencedIds(b)) if (replaced.has(id)) return true;
  return false;
}

/** Whether a property type holds, at any depth, a property that causes replacement. */
function holdsReplacing(db: SpecDatabase, t: PropertyType, seen = new Set<string>()): boolean {
  switch (t.type) {
    case 'array':
    case 'map':
      return holdsReplacing(db, t.element, seen);
    case 'union':
      return t.types.some((u) => holdsReplacing(db, u, seen));
    case 'ref': {
      const id = t.reference.$ref;
      if (seen.has(id)) return false;
      seen.add(id);
      return Object.values(db.get('typeDefinition', t.reference).properties).some(
        (p) => p.causesReplacement === 'yes' || p.causesReplacement === 'maybe' || holdsReplacing(db, p.type, seen),
      );
    }
    default:
      return false;
  }
}

/** Replacement causes for one property: its own rule, or the rule of a nested property that changes. */
function propertyCauses(db: SpecDatabase, prop: Property | undefined, path: string, a: Json, b: Json, replaced: ReadonlySet<string>, out: string[]): void {
  if (!changes(a, b, replaced)) return;
  if (prop === undefined) return; // not in the specification: judged by the caller
  if (prop.causesReplacement === 'yes') {
    out.push(path);
    return;
  }
  if (prop.causesReplacement === 'maybe') {
    out.push(`${path} (conditional replacement)`);
    return;
  }
  nestedCauses(db, prop.type, path, a, b, replaced, out);
}

function nestedCauses(db: SpecDatabase, t: PropertyType, path: string, a: Json, b: Json, replaced: ReadonlySet<string>, out: string[]): void {
  if (!changes(a, b, replaced) || !holdsReplacing(db, t)) return;
  // An intrinsic (Fn::If, Fn::Join, …) or a value added or removed cannot be walked into: a
  // change of a value that holds replacement-causing properties is then judged as one.
  const walkable = (x: Json) => Array.isArray(x) || isObject(x);
  if (isIntrinsic(a) || isIntrinsic(b) || !walkable(a) || !walkable(b)) {
    out.push(`${path} (holds replacement-causing properties)`);
    return;
  }
  switch (t.type) {
    case 'union':
      for (const u of t.types) nestedCauses(db, u, path, a, b, replaced, out);
      return;
    case 'array':
      if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) {
        out.push(`${path} (element added or removed; elements hold replacement-causing properties)`);
        return;
      }
      a.forEach((e, i) => nestedCauses(db, t.element, `${path}[${i}]`, e, b[i], replaced, out));
      return;
    case 'map':
      if (!isObject(a) || !isObject(b)) return;
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) nestedCauses(db, t.element, `${path}.${k}`, a[k], b[k], replaced, out);
      return;
    case 'ref': {
      if (!isObject(a) || !isObject(b)) return;
      const def = db.get('typeDefinition', t.reference);
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) propertyCauses(db, def.properties[k], `${path}.${k}`, a[k], b[k], replaced, out);
      return;
    }
    default:
      return;
  }
}

/** Values at a path of `additionalReplacementProperties` (`*` walks every array element). */
function atPath(v: Json, path: string[]): Json {
  if (path.length === 0) return v;
  const [head, ...rest] = path;
  if (head === '*') return Array.isArray(v) ? v.map((e) => atPath(e, rest)) : undefined;
  return isObject(v) ? atPath(v[head], rest) : undefined;
}

/** Why CloudFormation would replace `logicalId` going from `lower` to `upper`, given the resources already replaced. */
function resourceCauses(
  db: SpecDatabase,
  type: string,
  lowerProps: Record<string, Json>,
  upperProps: Record<string, Json>,
  replaced: ReadonlySet<string>,
): string[] {
  const spec = resourceSpec(db, type);
  if (spec === undefined) {
    // Custom resources: CloudFormation sends an Update to the provider, never replaces by itself.
    if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') return [];
    return [`type ${type} is not in the resource specification`];
  }
  const out: string[] = [];
  for (const key of new Set([...Object.keys(lowerProps), ...Object.keys(upperProps)])) {
    const prop = spec.properties[key];
    if (prop === undefined && changes(lowerProps[key], upperProps[key], replaced)) {
      out.push(`${key} (not in the specification of ${type})`);
      continue;
    }
    propertyCauses(db, prop, key, lowerProps[key], upperProps[key], replaced, out);
  }
  for (const path of spec.additionalReplacementProperties ?? []) {
    const name = path.join('.');
    if (!out.includes(name) && changes(atPath(lowerProps, path), atPath(upperProps, path), replaced)) out.push(name);
  }
  return [...new Set(out)];
}

/**
 * Every resource of `lower` that deploying `upper` over it replaces: same logical id and a changed
 * replacement-causing property (transitively through references), or a changed type.
 */
export function upgradeReplacements(lower: TemplateJson, upper: TemplateJson, db: SpecDatabase = serviceSpec()): Replacement[] {
  const before = lower.Resources ?? {};
  const after = upper.Resources ?? {};
  const common = Object.keys(before).filter((id) => id in after);
  const found = new Map<string, Replacement>();
  for (const id of common) {
    if (before[id].Type !== after[id].Type) found.set(id, { logicalId: id, type: before[id].Type, causes: [`type ${before[id].Type} → ${after[id].Type}`] });
  }
  // Replacement propagates through references: repeat until no new resource is replaced.
  for (let grew = true; grew;) {
    grew = false;
    const replaced = new Set(found.keys());
    for (const id of common) {
      if (found.has(id)) continue;
      const causes = resourceCauses(db, after[id].Type, before[id].Properties ?? {}, after[id].Properties ?? {}, replaced);
      if (causes.length > 0) {
        found.set(id, { logicalId: id, type: after[id].Type, causes });
        grew = true;
      }
    }
  }
  return [...found.values()].sort((x, y) => x.logicalId.localeCompare(y.logicalId));
}

/** One line per replacement: `Id (Type) replaced: Cause, Cause`. */
export function describeReplacements(replacements: readonly Replacement[]): string[] {
  return replacements.map((r) => `${r.logicalId} (${r.type}) replaced: ${r.causes.join(', ')}`);
}

/**
 * Properties of AWS::Lambda::Function that do not go into a published version, so aws-cdk-lib's
 * version hash leaves them out (`VERSION_LOCKED` in aws-cdk-lib/aws-lambda/lib/function-hash.ts,
 * with `@aws-cdk/aws-lambda:recognizeVersionProps`).
 */
const NOT_VERSIONED = new Set(['Tags', 'ReservedConcurrentExecutions', 'CodeSigningConfigArn', 'TenancyConfig']);

export interface NewVersion {
  readonly functionId: string;
  readonly versionId: string;
  /** Versioned properties of the function that changed (empty: the new version is spurious). */
  readonly changed: string[];
}

/**
 * AWS::Lambda::Version resources of `upper` with a logical id `lower` does not have, for functions
 * `lower` has: CDK publishes a version under a logical id hashed from the function's versioned
 * properties, so a new id is a new published version. `changed` lists the versioned properties
 * that differ; none means the version was cut for nothing (a tag, say).
 */
export function newLambdaVersions(lower: TemplateJson, upper: TemplateJson, replaced: ReadonlySet<string> = new Set()): NewVersion[] {
  const before = lower.Resources ?? {};
  const after = upper.Resources ?? {};
  const out: NewVersion[] = [];
  for (const [versionId, r] of Object.entries(after)) {
    if (r.Type !== 'AWS::Lambda::Version' || versionId in before) continue;
    const fnRef = r.Properties?.FunctionName;
    const functionId = isObject(fnRef) && typeof fnRef.Ref === 'string' ? fnRef.Ref : undefined;
    if (functionId === undefined || before[functionId]?.Type !== 'AWS::Lambda::Function') continue;
    const a = before[functionId].Properties ?? {};
    const b = after[functionId].Properties ?? {};
    const changed = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !NOT_VERSIONED.has(k) && changes(a[k], b[k], replaced)).sort();
    out.push({ functionId, versionId, changed });
  }
  return out.sort((x, y) => x.versionId.localeCompare(y.versionId));
}

export interface Removal {
  readonly logicalId: string;
  readonly type: string;
  /** A resource of `upper` with a new logical id, the same type and the same properties: the same thing, renamed. */
  readonly renamedTo?: string;
}

/**
 * Logical ids of `lower` that `upper` does not have: CloudFormation deletes them (after creating
 * the resources new to `upper`, in the cleanup phase). A resource that reappears under a new id
 * with the same properties is a rename, a replacement by another name; for resources that an
 * account may hold once per target (an SQS event source mapping per queue and function, a usage
 * plan key per plan and key, a security group rule), the create fails before the delete is reached.
 */
export function removedResources(lower: TemplateJson, upper: TemplateJson): Removal[] {
  const before = lower.Resources ?? {};
  const after = upper.Resources ?? {};
  const added = Object.keys(after).filter((id) => !(id in before));
  return Object.keys(before)
    .filter((id) => !(id in after))
    .sort()
    .map((id) => {
      const renamedTo = added.find((n) => after[n].Type === before[id].Type && same(after[n].Properties, before[id].Properties));
      return { logicalId: id, type: before[id].Type, ...(renamedTo ? { renamedTo } : {}) };
    });
}

/** Whether any resource of the given types differs, appears or disappears between the templates. */
export function anyChanged(lower: TemplateJson, upper: TemplateJson, types: ReadonlySet<string>): boolean {
  const pick = (t: TemplateJson) => Object.entries(t.Resources ?? {}).filter(([, r]) => types.has(r.Type));
  const a = new Map(pick(lower));
  const b = new Map(pick(upper));
  return a.size !== b.size || [...a].some(([id, r]) => !b.has(id) || !same(r, b.get(id)));
}
