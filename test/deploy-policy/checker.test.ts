import {
  type CfnTemplate,
  deployPolicy,
  deployStatements,
  policySize,
  referencedSecrets,
  resourceTypes,
  trustedServices,
  uncoveredResources,
} from '../../lib/deploy-policy/deploy-policy';
import { RESOURCE_ACTIONS } from '../../lib/deploy-policy/resource-actions';

/** The checker and builder on small templates: what a ground's template would make them do. */

const lambdaRole = {
  Type: 'AWS::IAM::Role',
  Properties: { AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] } },
};
const fn = { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['Role', 'Arn'] } } };
const base: CfnTemplate = { Resources: { Role: lambdaRole, Fn: fn } };
const opts = { stackNames: ['GenAiBlueprint'] };

describe('uncoveredResources', () => {
  test('a template of covered types and an in-template custom resource provider has nothing uncovered', () => {
    const template = { Resources: { ...base.Resources, Seed: { Type: 'Custom::Seed', Properties: { ServiceToken: { 'Fn::GetAtt': ['Fn', 'Arn'] } } } } };
    expect(uncoveredResources(template)).toEqual([]);
  });

  test('fails when a template holds a resource type the mapping does not have', () => {
    const template = { Resources: { ...base.Resources, Thing: { Type: 'AWS::Unknown::Thing' } } };
    expect(uncoveredResources(template)).toEqual(['AWS::Unknown::Thing: no IAM actions for this resource type in lib/deploy-policy/resource-actions.ts']);
    expect(() => deployPolicy([template], opts)).toThrow(/does not cover:\nAWS::Unknown::Thing: no IAM actions/);
  });

  test('fails when a type the template holds is taken out of the mapping', () => {
    const { ['AWS::Lambda::Function']: _removed, ...withoutLambda } = RESOURCE_ACTIONS;
    expect(uncoveredResources(base, withoutLambda)).toEqual([
      'AWS::Lambda::Function: no IAM actions for this resource type in lib/deploy-policy/resource-actions.ts',
    ]);
  });

  test('fails when a custom resource is served by an SNS topic or a function outside the template', () => {
    const template = {
      Resources: {
        ...base.Resources,
        ViaTopic: { Type: 'AWS::CloudFormation::CustomResource', Properties: { ServiceToken: 'arn:aws:sns:us-east-1:123456789012:provider' } },
        ViaRole: { Type: 'Custom::Odd', Properties: { ServiceToken: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
      },
    };
    expect(uncoveredResources(template)).toEqual([
      'ViaTopic (AWS::CloudFormation::CustomResource): ServiceToken "arn:aws:sns:us-east-1:123456789012:provider" is not Fn::GetAtt [<function>, Arn] of an ' +
        'AWS::Lambda::Function in this template',
      'ViaRole (Custom::Odd): ServiceToken {"Fn::GetAtt":["Role","Arn"]} is not Fn::GetAtt [<function>, Arn] of an AWS::Lambda::Function in this template',
    ]);
  });

  test('fails when an IAM policy is attached to a user or group', () => {
    const template = { Resources: { ...base.Resources, P: { Type: 'AWS::IAM::Policy', Properties: { Users: ['ops'], PolicyDocument: {} } } } };
    expect(uncoveredResources(template)).toEqual([
      'P (AWS::IAM::Policy): attached to IAM groups or users; the deploy policy lets CloudFormation attach policies to roles only',
    ]);
  });

  test('fails when a role, managed policy or function is given its own name', () => {
    const template = {
      Resources: {
        Role: { ...lambdaRole, Properties: { ...lambdaRole.Properties, RoleName: 'OrgAdmin' } },
        Fn: { ...fn, Properties: { ...fn.Properties, FunctionName: 'provider' } },
        P: { Type: 'AWS::IAM::ManagedPolicy', Properties: { ManagedPolicyName: { 'Fn::Sub': '${AWS::StackName}-x' }, PolicyDocument: {} } },
      },
    };
    expect(uncoveredResources(template)).toEqual([
      'Role (AWS::IAM::Role): RoleName is set; the deploy policy allows only the names CloudFormation generates (<stack name>-...)',
      'Fn (AWS::Lambda::Function): FunctionName is set; the deploy policy allows only the names CloudFormation generates (<stack name>-...)',
      'P (AWS::IAM::ManagedPolicy): ManagedPolicyName is set; the deploy policy allows only the names CloudFormation generates (<stack name>-...)',
    ]);
  });

  test('a policy attached to roles leaves group and user actions out', () => {
    const template = { Resources: { ...base.Resources, P: { Type: 'AWS::IAM::Policy', Properties: { Roles: [{ Ref: 'Role' }], PolicyDocument: {} } } } };
    const actions = deployStatements([template], opts).flatMap((s) => s.Action);
    expect(actions).toContain('iam:PutRolePolicy');
    expect(actions.filter((a) => /^iam:.*(Group|User)/.test(a))).toEqual([]);
  });
});

describe('trustedServices', () => {
  test('are the services the roles trust, each once', () => {
    const flowRole = {
      Type: 'AWS::IAM::Role',
      Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: ['vpc-flow-logs.amazonaws.com'] } }] } },
    };
    expect(trustedServices({ Resources: { A: lambdaRole, B: lambdaRole, C: flowRole } })).toEqual(['lambda.amazonaws.com', 'vpc-flow-logs.amazonaws.com']);
  });

  test('fails when a trusted service is not a plain string', () => {
    const role = { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: { 'Fn::Join': ['', ['x']] } } }] } } };
    expect(() => trustedServices({ Resources: { Odd: role } })).toThrow(
      'Odd: trust policy Principal.Service must be a plain string to derive iam:PassedToService, got {"Fn::Join":["",["x"]]}',
    );
  });
});

describe('deployStatements', () => {
  const statements = deployStatements(
    [{ Resources: { ...base.Resources, Seed: { Type: 'Custom::Seed', Properties: { ServiceToken: { 'Fn::GetAtt': ['Fn', 'Arn'] } } } } }],
    {
      stackNames: ['GenAiBlueprint', 'GenAiBlueprint-PredictiveMl'],
    },
  );
  const sid = (id: string) => statements.find((s) => s.Sid === id);

  test('lambda:CreateFunction is allowed on any resource: the function has no name before it is created', () => {
    expect(sid('Lambda')).toMatchObject({ Resource: '*', Action: expect.arrayContaining(['lambda:CreateFunction', 'lambda:DeleteFunction']) });
  });

  test("roles are managed and passed only under the stack's name, and passed only to the services they trust", () => {
    expect(sid('StackRolesAndPolicies')).toMatchObject({
      Resource: ['arn:aws:iam::*:role/GenAiBlueprint-*', 'arn:aws:iam::*:policy/GenAiBlueprint-*'],
      Action: expect.arrayContaining(['iam:CreateRole', 'iam:PutRolePolicy']),
    });
    expect(sid('PassStackRoles')).toEqual({
      Sid: 'PassStackRoles',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: ['arn:aws:iam::*:role/GenAiBlueprint-*'],
      Condition: { StringEquals: { 'iam:PassedToService': ['lambda.amazonaws.com'] } },
    });
    expect(statements.filter((s) => s.Resource === '*').flatMap((s) => s.Action)).not.toContain('iam:PassRole');
  });

  test('code is read only from the CDK asset buckets, and custom resources invoke only functions of the stack', () => {
    expect(sid('ReadCdkAssets')).toMatchObject({ Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: 'arn:aws:s3:::cdk-*-assets-*/*' });
    expect(sid('InvokeCustomResourceProviders')).toMatchObject({
      Action: ['lambda:InvokeFunction'],
      Resource: ['arn:aws:lambda:*:*:function:GenAiBlueprint-*'],
    });
  });

  test('without custom resources no function may be invoked', () => {
    expect(deployStatements([base], opts).map((s) => s.Sid)).not.toContain('InvokeCustomResourceProviders');
  });

  test('fails when no stack name is given', () => {
    expect(() => deployStatements([base], { stackNames: [] })).toThrow('stackNames must name at least one stack, got none');
  });
});

describe('referencedSecrets', () => {
  const idp = (secret: unknown) => ({
    Resources: { Idp: { Type: 'AWS::Cognito::UserPoolIdentityProvider', Properties: { ProviderDetails: { client_secret: secret } } } },
  });
  const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:corp/okta';

  test('a dynamic reference by full ARN reads that secret, one by partial ARN or name any of its versions of the name', () => {
    expect(referencedSecrets(idp(`{{resolve:secretsmanager:${arn}-AbC123:SecretString:clientSecret::}}`))).toEqual([`${arn}-AbC123`]);
    expect(referencedSecrets(idp({ 'Fn::Join': ['', [`{{resolve:secretsmanager:${arn}:SecretString:::}}`]] }))).toEqual([`${arn}-??????`]);
    expect(referencedSecrets(idp('{{resolve:secretsmanager:corp/okta}}'), 'aws-cn')).toEqual(['arn:aws-cn:secretsmanager:*:*:secret:corp/okta-??????']);
  });

  test('the policy reads only the referenced secrets, and nothing without a reference', () => {
    const withIdp = { Resources: { ...base.Resources, ...idp(`{{resolve:secretsmanager:${arn}-AbC123:SecretString:clientSecret::}}`).Resources } };
    expect(deployStatements([withIdp], opts).find((s) => s.Sid === 'ResolveSecretReferences')).toEqual({
      Sid: 'ResolveSecretReferences',
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: [`${arn}-AbC123`],
    });
    expect(deployStatements([base], opts).flatMap((s) => s.Action)).not.toContain('secretsmanager:GetSecretValue');
  });

  test('fails on an SSM dynamic reference', () => {
    expect(() => referencedSecrets(idp('{{resolve:ssm-secure:/corp/okta}}'))).toThrow(
      'Dynamic reference {{resolve:ssm-secure:...}}: the deploy policy grants only secretsmanager references',
    );
  });
});

describe('deployPolicy', () => {
  test('splits into policies within the size given, keeping every action', () => {
    const template: CfnTemplate = { Resources: { ...base.Resources, Bucket: { Type: 'AWS::S3::Bucket' }, Table: { Type: 'AWS::DynamoDB::Table' } } };
    const whole = deployPolicy([template], opts);
    const split = deployPolicy([template], { ...opts, maxChars: 1_000 });
    expect(whole).toHaveLength(1);
    expect(split.length).toBeGreaterThan(2);
    for (const policy of split) expect(policySize(policy)).toBeLessThanOrEqual(1_000);
    const actions = (docs: typeof whole) => docs.flatMap((d) => d.Statement.flatMap((s) => s.Action)).sort();
    expect(actions(split)).toEqual(actions(whole));
  });

  test('fails when the size leaves no room for a statement', () => {
    expect(() => deployPolicy([base], { ...opts, maxChars: 30 })).toThrow('maxChars must leave room for a statement, got 30');
  });

  test('resourceTypes lists each type once, sorted', () => {
    expect(resourceTypes({ Resources: { B: fn, A: lambdaRole, C: fn } })).toEqual(['AWS::IAM::Role', 'AWS::Lambda::Function']);
  });
});
