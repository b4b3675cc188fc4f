import * as iam from 'aws-cdk-lib/aws-iam';
import {
  allowStatements,
  conditionKeys,
  coversAction,
  isEveryone,
  permissionsOfRole,
  roleOf,
  type Statement,
  servicePrincipals,
  statementsOf,
  wildcardMatches,
} from '../../lib/checks/policy';
import { StackTemplate } from '../../lib/checks/template';
import { fixtureStack } from './fixture';

const allow = (fields: Partial<Statement>): Statement => ({ effect: 'Allow', condition: {}, ...fields });

describe('reading policies (lib/checks/policy.ts)', () => {
  test('statementsOf: one statement or a list, single values as lists, Deny only when it says Deny', () => {
    expect(
      statementsOf({
        Statement: {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: 'arn:aws:s3:::b/*',
          Principal: { Service: 'sns.amazonaws.com' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      }),
    ).toEqual([
      {
        effect: 'Allow',
        actions: ['s3:GetObject'],
        notActions: undefined,
        resources: ['arn:aws:s3:::b/*'],
        notResources: undefined,
        principal: { Service: 'sns.amazonaws.com' },
        condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ]);
    expect(statementsOf({ Statement: [{ Effect: 'Deny', NotAction: ['s3:*', 1], NotResource: 'x' }, null, 'text', { Effect: 'deny' }] })).toEqual([
      { effect: 'Deny', actions: undefined, notActions: ['s3:*', '1'], resources: undefined, notResources: ['x'], principal: undefined, condition: {} },
      { effect: 'Allow', actions: undefined, notActions: undefined, resources: undefined, notResources: undefined, principal: undefined, condition: {} },
    ]);
    for (const none of [undefined, null, 'text', {}]) expect(statementsOf(none)).toEqual([]);
  });

  test('wildcardMatches: * and ? as IAM reads them, case-insensitive, everything else literal', () => {
    expect(wildcardMatches('bedrock:InvokeModel*', 'bedrock:InvokeModelWithResponseStream')).toBe(true);
    expect(wildcardMatches('bedrock:invokemodel', 'bedrock:InvokeModel')).toBe(true);
    expect(wildcardMatches('s3:Get?bject', 's3:GetObject')).toBe(true);
    expect(wildcardMatches('s3:Get?bject', 's3:GetObbject')).toBe(false);
    expect(wildcardMatches('bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream')).toBe(false);
    expect(wildcardMatches('bedrock:InvokeModel', 'xbedrock:InvokeModel')).toBe(false);
    expect(wildcardMatches('s3:Get.bject', 's3:GetObject')).toBe(false);
    expect(wildcardMatches('a+b(c)[d]{1}^$|\\', 'a+b(c)[d]{1}^$|\\')).toBe(true);
    expect(wildcardMatches('*', 'anything:at all')).toBe(true);
  });

  test('coversAction: through Action, through a NotAction leaving it out, and neither', () => {
    expect(coversAction(allow({ actions: ['sqs:Get*', 'sqs:SendMessage'] }), 'sqs:SendMessage')).toBe(true);
    expect(coversAction(allow({ actions: ['sqs:Get*'] }), 'sqs:SendMessage')).toBe(false);
    expect(coversAction(allow({ notActions: ['sqs:Delete*'] }), 'sqs:SendMessage')).toBe(true);
    expect(coversAction(allow({ notActions: ['sqs:Send*'] }), 'sqs:SendMessage')).toBe(false);
    expect(coversAction(allow({ notActions: ['sqs:Delete*', 'sqs:Send*'] }), 'sqs:SendMessage')).toBe(false);
    expect(coversAction(allow({}), 'sqs:SendMessage')).toBe(false);
  });

  test('conditionKeys: every key of every operator, lower-cased', () => {
    const condition = {
      StringEquals: { 'aws:SourceAccount': '1', 'AWS:SourceArn': 'a' },
      ArnLike: { 'bedrock:InferenceProfileArn': 'p' },
      Bad: null,
      Text: 'ab',
    };
    expect([...conditionKeys(allow({ condition: condition as unknown as Statement['condition'] }))]).toEqual([
      'aws:sourceaccount',
      'aws:sourcearn',
      'bedrock:inferenceprofilearn',
    ]);
  });

  test('servicePrincipals and isEveryone', () => {
    expect(servicePrincipals(allow({ principal: { Service: ['sns.amazonaws.com', { 'Fn::Join': ['', ['s3.', 'amazonaws.com']] }] } }))).toEqual([
      'sns.amazonaws.com',
      's3.amazonaws.com',
    ]);
    expect(servicePrincipals(allow({ principal: { Service: 'events.amazonaws.com' } }))).toEqual(['events.amazonaws.com']);
    for (const principal of ['*', undefined, null, { AWS: '*' }]) expect(servicePrincipals(allow({ principal }))).toEqual([]);
    expect(isEveryone(allow({ principal: '*' }))).toBe(true);
    expect(isEveryone(allow({ principal: { AWS: '*' } }))).toBe(true);
    expect(isEveryone(allow({ principal: { AWS: ['arn:aws:iam::1:root', '*'] } }))).toBe(true);
    for (const principal of [undefined, null, 'arn:aws:iam::1:root', { AWS: 'arn:aws:iam::1:root' }, { Service: '*' }]) {
      expect(isEveryone(allow({ principal }))).toBe(false);
    }
  });

  test('permissionsOfRole: inline policies, attached and managed policies of the template, AWS managed policies by ARN', () => {
    const stack = fixtureStack();
    const role = new iam.Role(stack, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: { Inline: new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] })] }) },
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: ['*'] }));
    (role.node.defaultChild as iam.CfnRole).addPropertyOverride('Policies.1', null);
    role.addManagedPolicy(
      new iam.ManagedPolicy(stack, 'Local', { statements: [new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['s3:*'], resources: ['*'] })] }),
    );
    new iam.ManagedPolicy(stack, 'Attached', { roles: [role], statements: [new iam.PolicyStatement({ actions: ['sns:Publish'], resources: ['*'] })] });
    const other = new iam.Role(stack, 'Other', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    other.addToPolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: ['*'] }));

    const template = StackTemplate.of(role.node.defaultChild as iam.CfnRole);
    const roleId = template.resourceOf(role.node.defaultChild as iam.CfnRole)!.logicalId;
    const found = roleOf(template, { 'Fn::GetAtt': [roleId, 'Arn'] });
    expect(found?.logicalId).toBe(roleId);
    const permissions = permissionsOfRole(template, found!);
    expect(permissions.managedPolicyArns).toEqual(['arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
    // The inline policy left null (an entry of Policies without a document) counts as a policy with nothing in it.
    expect(permissions.policies.map((p) => [p.source.logicalId, p.document === undefined])).toEqual([
      [found!.logicalId, false],
      [found!.logicalId, true],
      [expect.stringMatching(/^Local/), false],
      [expect.stringMatching(/^RoleDefaultPolicy/), false],
      [expect.stringMatching(/^Attached/), false],
    ]);
    expect(permissions.policies.map((p) => p.source.logicalId)).toEqual([
      found!.logicalId,
      found!.logicalId,
      expect.stringMatching(/^Local/),
      expect.stringMatching(/^RoleDefaultPolicy/),
      expect.stringMatching(/^Attached/),
    ]);
    expect(allowStatements(permissions).map(({ statement, source }) => [statement.actions, source.logicalId.replace(/[0-9A-F]{8}$/, '')])).toEqual([
      [['s3:GetObject'], 'Role'],
      [['sqs:SendMessage'], 'RoleDefaultPolicy'],
      [['sns:Publish'], 'Attached'],
    ]);
  });

  test('roleOf: only a role of the template', () => {
    const stack = fixtureStack();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const policy = new iam.ManagedPolicy(stack, 'Policy', { statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] })] });
    const template = StackTemplate.of(role.node.defaultChild as iam.CfnRole);
    const roleId = template.resourceOf(role.node.defaultChild as iam.CfnRole)!.logicalId;
    const policyId = template.resourceOf(policy.node.defaultChild as iam.CfnManagedPolicy)!.logicalId;
    expect(roleOf(template, { 'Fn::GetAtt': [roleId, 'Arn'] })?.logicalId).toBe(roleId);
    expect(roleOf(template, { Ref: policyId })).toBeUndefined();
    expect(roleOf(template, 'arn:aws:iam::111122223333:role/elsewhere')).toBeUndefined();
  });
});
