import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as z from 'zod';
import { GROUNDS } from '../../lib/grounds/ground-stack';
import { type StackDiff, stackDiff } from '../../review/diff';
import { cfnTemplateSchema, type ReviewStack, reviewStack } from '../../review/model';
import { same } from '../../review/replacement';
import { STATEFUL_TYPES } from '../support/stateful';
import { buildApp, maskedTemplate } from '../support/synth';

/**
 * Switching a deployed stack from the standard to the regulated profile is `cdk deploy -c ground=N
 * -c compliance=regulated` over the stack the standard profile made: the same CloudFormation stack,
 * updated in place. What that update does is review/diff.ts's `stackDiff(standard, regulated)`, per
 * ground and for the PredictiveMl stack. No resource that holds data or identity may be replaced or
 * removed, no role may be without its permissions during the update, and docs/compliance.md's
 * "Switching a deployed stack to regulated" shows the table this diff makes (a change to the profile
 * that changes the table fails here until the page says so).
 */
const STACK_IDS = [...GROUNDS.map((g) => g.stackId), 'PredictiveMl'];
const optional = z.unknown().optional();
const policyDocument = z.looseObject({
  Statement: z.array(
    z.looseObject({ Effect: z.string(), Action: optional, NotAction: optional, Resource: optional, NotResource: optional, Condition: optional }),
  ),
});
const SECTION = '## Switching a deployed stack to regulated';

function reviewStacks(context: Record<string, unknown>): Map<string, ReviewStack> {
  const { app } = buildApp(context);
  app.synth(); // the regulated profile is an aspect: it runs at synth
  return new Map(STACK_IDS.map((id) => [id, reviewStack(id, cfnTemplateSchema.parse(maskedTemplate(Template.fromStack(Stack.of(app.node.findChild(id))))))]));
}
const standard = reviewStacks({});
const regulated = reviewStacks({ compliance: 'regulated' });
const diffs = new Map(STACK_IDS.map((id) => [id, stackDiff(standard.get(id)!, regulated.get(id)!)]));

const shortType = (type: string) => type.replace(/^AWS::/, '');

/** `25 IAM::ManagedPolicy, 2 KMS::Key`: resources counted by type, most first. */
function countByType(types: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const t of types) counts.set(shortType(t), (counts.get(shortType(t)) ?? 0) + 1);
  const parts = [...counts].sort(([a, m], [b, n]) => n - m || a.localeCompare(b)).map(([t, n]) => `${n} ${t}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

/** `16 Lambda::Function (DeadLetterConfig, ReservedConcurrentExecutions)`: modified resources by type and the properties that change. */
function modifiedWords(diff: StackDiff, below: ReviewStack): string {
  const groups = new Map<string, number>();
  for (const m of diff.modified) {
    const old = below.resources.find((r) => r.logicalId === m.resource.logicalId)!;
    const keys = [...new Set([...Object.keys(old.properties), ...Object.keys(m.resource.properties)])]
      .filter((k) => !same(old.properties[k], m.resource.properties[k]))
      .concat(old.deletionPolicy !== m.resource.deletionPolicy ? ['DeletionPolicy'] : [])
      .concat(old.updateReplacePolicy !== m.resource.updateReplacePolicy ? ['UpdateReplacePolicy'] : [])
      .sort();
    const key = `${shortType(m.resource.type)} (${keys.join(', ')})`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  const parts = [...groups].sort(([a, m], [b, n]) => n - m || a.localeCompare(b)).map(([g, n]) => `${n} ${g}`);
  return parts.length > 0 ? parts.join('; ') : 'none';
}

/** One row of the page's table: stack, added, removed, replaced, modified in place. */
function row(id: string): string[] {
  const diff = diffs.get(id)!;
  const recreated = diff.recreated.map((r) => r.added.type);
  return [
    id,
    countByType(diff.added.map((r) => r.type)),
    countByType(diff.removed.map((r) => r.type)),
    countByType([...diff.replaced.map((r) => r.resource.type), ...recreated]),
    modifiedWords(diff, standard.get(id)!),
  ];
}

/** Resources that hold data or identity which the switch replaces, removes or recreates under a new logical id. */
function statefulLosses(diff: StackDiff): string[] {
  return [
    ...diff.replaced
      .filter((r) => STATEFUL_TYPES.has(r.resource.type))
      .map((r) => `${r.resource.logicalId} (${r.resource.type}) replaced: ${r.causes.join(', ')}`),
    ...diff.removed.filter((r) => STATEFUL_TYPES.has(r.type)).map((r) => `${r.logicalId} (${r.type}) removed`),
    ...diff.recreated
      .filter((r) => STATEFUL_TYPES.has(r.removed.type))
      .map((r) => `${r.removed.logicalId} (${r.removed.type}) recreated as ${r.added.logicalId}`),
  ].sort();
}

/** Every (principal kind, principal, effect, action, resource, condition) a policy resource grants. */
function grantAtoms(properties: Record<string, unknown>): unknown[] {
  const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const principals = [
    ...list(properties.Roles).map((p) => ['role', p]),
    ...list(properties.Users).map((p) => ['user', p]),
    ...list(properties.Groups).map((p) => ['group', p]),
  ];
  // NotAction / NotResource are kept as such: a statement is covered only by the same statement shape.
  return principals.flatMap((principal) =>
    policyDocument.parse(properties.PolicyDocument).Statement.flatMap((st) => {
      const actions = st.Action !== undefined ? list(st.Action) : list(st.NotAction).map((a) => ({ NotAction: a }));
      const resources = st.Resource !== undefined ? list(st.Resource) : list(st.NotResource).map((r) => ({ NotResource: r }));
      return actions.flatMap((action) => resources.map((resource) => [principal, st.Effect, action, resource, st.Condition ?? null]));
    }),
  );
}

/**
 * Removed resources other than an inline policy whose every grant (principal, action, resource,
 * condition) a managed policy the switch adds still makes: nobody loses a permission.
 */
function orphanRemovals(diff: StackDiff): string[] {
  const kept = diff.added.filter((r) => r.type === 'AWS::IAM::ManagedPolicy').flatMap((m) => grantAtoms(m.properties));
  const covered = (inline: Record<string, unknown>) => grantAtoms(inline).every((a) => kept.some((k) => same(a, k)));
  return diff.removed.filter((r) => r.type !== 'AWS::IAM::Policy' || !covered(r.properties)).map((r) => `${r.logicalId} (${r.type})`);
}

/** The table rows of the page's section, cells trimmed (prettier pads them). */
function documentedRows(): string[][] {
  const doc = fs.readFileSync(path.join(__dirname, '../../docs/compliance.md'), 'utf8');
  const start = doc.indexOf(SECTION);
  if (start < 0) throw new Error(`docs/compliance.md has no section "${SECTION}"`);
  const next = doc.indexOf('\n## ', start + SECTION.length);
  const lines = doc.slice(start, next < 0 ? undefined : next).split('\n');
  const table = lines.filter((l) => l.startsWith('| ')).slice(1); // the header row goes, the |---| row never matches '| '
  return table
    .filter((l) => !/^\|\s*-/.test(l))
    .map((l) =>
      l
        .slice(1, l.lastIndexOf('|'))
        .split(' | ')
        .map((c) => c.trim()),
    );
}

describe.each(STACK_IDS)('switching %s from standard to regulated', (id) => {
  const diff = diffs.get(id)!;

  test('replaces, removes or recreates no resource that holds data or identity', () => {
    expect(statefulLosses(diff)).toEqual([]);
    expect(diff.dataAtRisk).toEqual([]);
  });

  test('removes only inline policies, each for managed policies that keep every grant it made (principal, action, resource, condition)', () => {
    expect(orphanRemovals(diff)).toEqual([]);
  });
});

test('the checks report a removed table, a replaced bucket and an inline policy whose grants no managed policy keeps', () => {
  const policy = (type: string, action: string) => ({
    Type: type,
    Properties: { Roles: [{ Ref: 'R' }], PolicyDocument: { Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] } },
  });
  const below = reviewStack('X', {
    Resources: {
      T: { Type: 'AWS::DynamoDB::Table', Properties: { KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] } },
      B: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'a' } },
      P: policy('AWS::IAM::Policy', 's3:GetObject'),
      Q: policy('AWS::IAM::Policy', 's3:PutObject'),
    },
  });
  const above = reviewStack('X', {
    Resources: {
      B: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'b' } },
      M: policy('AWS::IAM::ManagedPolicy', 's3:GetObject'), // P's grant; Q's is lost
    },
  });
  const diff = stackDiff(below, above);
  expect(statefulLosses(diff)).toEqual(['B (AWS::S3::Bucket) replaced: BucketName', 'T (AWS::DynamoDB::Table) removed']);
  expect(orphanRemovals(diff)).toEqual(['Q (AWS::IAM::Policy)', 'T (AWS::DynamoDB::Table)']);
});

test(`docs/compliance.md "${SECTION.slice(3)}" shows what the switch does, per stack, as the diff says`, () => {
  expect(documentedRows()).toEqual(STACK_IDS.map(row));
});
