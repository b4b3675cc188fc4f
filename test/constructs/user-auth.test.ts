import { App, CfnParameter, Duration, SecretValue, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { auditAcknowledgements, GenAiBlueprintChecks } from '../../lib/checks';
import { loadConfig } from '../../lib/config/schema';
import { ModelApi } from '../../lib/constructs/api/model-api';
import { type FederatedIdentityProvider, UserAuth, type UserAuthProps } from '../../lib/constructs/auth/user-auth';
import { userAuthProps } from '../../lib/grounds/props';
import { buildApp, CDK_JSON_CONTEXT } from '../support/synth';

function build(props: Partial<UserAuthProps> | ((stack: Stack) => Partial<UserAuthProps>) = {}) {
  const app = new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Test', { stackName: 'GenAiBlueprint' });
  const auth = new UserAuth(stack, 'Auth', { tenants: ['acme', 'globex'], ...(typeof props === 'function' ? props(stack) : props) });
  const api = new ModelApi(stack, 'Api', { cognito: { authorizer: auth.authorizer, scopes: [auth.invokeScope] } });
  api.acknowledgeNoWebAcl('Test fixture: the block alone, without the gateway that adds the web ACL');
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler=async()=>({})'),
  });
  api.addJsonRoute('prompt', fn, { modelName: 'P', bodySchema: { type: apigateway.JsonSchemaType.OBJECT } });
  return { stack, auth, template: Template.fromStack(stack) };
}

describe('UserAuth', () => {
  const { template, stack } = build();

  test('user pool: admin-created users, MFA required (TOTP), strong passwords, Plus plan with threat protection enforced, kept on delete', () => {
    template.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        MfaConfiguration: 'ON',
        EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
        Policies: {
          PasswordPolicy: Match.objectLike({ MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true }),
        },
        UserPoolTier: 'PLUS',
        UserPoolAddOns: Match.objectLike({ AdvancedSecurityMode: 'ENFORCED' }),
        DeletionProtection: 'ACTIVE',
      }),
    });
  });

  test('a tenant group and a client-credentials machine client per tenant; people use a public code+PKCE client', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'tenant-acme' });
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'tenant-globex' });
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 3);
    const clients = Object.values(template.findResources('AWS::Cognito::UserPoolClient')).map((c) => c.Properties);
    const machines = clients.filter((c) => c.GenerateSecret === true);
    expect(machines).toHaveLength(2);
    const invoke = { 'Fn::Join': ['', [{ Ref: expect.stringMatching(/^AuthUserPoolResourceServer/) }, '/invoke']] };
    for (const m of machines) {
      expect(m).toMatchObject({ AllowedOAuthFlows: ['client_credentials'], AllowedOAuthScopes: [invoke], AllowedOAuthFlowsUserPoolClient: true });
      // No sign-in flow for people through a machine client.
      expect(m.ExplicitAuthFlows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH']);
    }
    const people = clients.find((c) => !c.GenerateSecret)!;
    expect(people).toMatchObject({ AllowedOAuthFlows: ['code'], PreventUserExistenceErrors: 'ENABLED', CallbackURLs: ['http://localhost:3000/callback'] });
    expect(people.AllowedOAuthScopes).toEqual(expect.arrayContaining(['openid', invoke]));
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'genai',
      Scopes: [{ ScopeName: 'invoke', ScopeDescription: Match.anyValue() }],
    });
  });

  test('outputs what callers need: the pool, the user client, the token endpoint and each machine client', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    for (const prefix of [
      'AuthUserPoolId',
      'AuthUserClientId',
      'AuthTokenEndpoint',
      'AuthUserPoolMachineClientAcmeClientId',
      'AuthUserPoolMachineClientGlobexClientId',
    ]) {
      expect(outputs.some((o) => o.startsWith(prefix))).toBe(true);
    }
  });

  test('every route requires a Cognito access token with the invoke scope (no IAM, no anonymous)', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'COGNITO_USER_POOLS', IdentitySource: 'method.request.header.Authorization' });
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    expect(methods.length).toBeGreaterThan(0);
    for (const m of methods) {
      expect(m.Properties).toMatchObject({
        AuthorizationType: 'COGNITO_USER_POOLS',
        AuthorizationScopes: ['genai/invoke'],
        AuthorizerId: { Ref: expect.stringMatching(/^AuthAuthorizer/) },
      });
    }
  });

  test('cdk-nag AwsSolutions and Serverless: no finding on the auth resources', () => {
    for (const checks of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
      const findings = checks
        .validateScope(stack)
        .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName}: ${r.constructPath}`))
        .filter((f) => f.includes('/Auth/') || f.includes('COG'));
      expect(findings).toEqual([]);
    }
  });

  test.each([
    [{ tenants: [] }, 'tenants must name at least one tenant, got none'],
    [{ tenants: ['a-b', 'aB'] }, 'tenants must differ in more than case and hyphens; two of them are both AB: a-b, aB'],
    [{ callbackUrls: ['http://example.com/cb'] }, 'callbackUrls must be https URLs (or http://localhost), got http://example.com/cb'],
    [{ domainPrefix: 'Bad_Prefix' }, 'domainPrefix must be 1-63 lowercase letters, digits or hyphens, got Bad_Prefix'],
    [{ tokenValidity: Duration.minutes(2) }, 'tokenValidity must be between 5 minutes and 1 day, got 2 minutes'],
  ])('fails when %j', (props, message) => {
    expect(() => build(props as Partial<UserAuthProps>)).toThrow(message);
  });
});

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:genai/okta-client-AbCdEf';
const SAML: FederatedIdentityProvider = {
  type: 'saml',
  name: 'CorpEntra',
  tenantClaim: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
  emailClaim: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  metadata: cognito.UserPoolIdentityProviderSamlMetadata.url('https://login.example.com/federationmetadata.xml'),
};
const OIDC: FederatedIdentityProvider = {
  type: 'oidc',
  name: 'CorpOkta',
  tenantClaim: 'groups',
  issuerUrl: 'https://corp.okta.example.com',
  clientId: 'okta-client-id',
  clientSecret: SecretValue.secretsManager(SECRET_ARN),
};
const idpRef = (name: string) => ({ Ref: expect.stringMatching(new RegExp(`^AuthIdp${name}`)) });
const clientsOf = (template: Template) => Object.values(template.findResources('AWS::Cognito::UserPoolClient')).map((c) => c.Properties);

describe('UserAuth with corporate identity providers', () => {
  const { template, stack } = build({ identityProviders: [SAML, OIDC], tenantValues: { 'group-1': 'acme' } });

  test('a SAML provider from its metadata URL, its tenant claim mapped to custom:tenant and its email claim to email', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderName: 'CorpEntra',
      ProviderType: 'SAML',
      ProviderDetails: Match.objectLike({ MetadataURL: 'https://login.example.com/federationmetadata.xml' }),
      AttributeMapping: {
        email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
        'custom:tenant': 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
      },
    });
  });

  test('an OIDC provider: issuer, client id, default scopes, email mapped, and the secret as a Secrets Manager dynamic reference only', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderName: 'CorpOkta',
      ProviderType: 'OIDC',
      ProviderDetails: {
        client_id: 'okta-client-id',
        client_secret: `{{resolve:secretsmanager:${SECRET_ARN}:SecretString:::}}`,
        oidc_issuer: 'https://corp.okta.example.com',
        authorize_scopes: 'openid email profile',
        attributes_request_method: 'GET',
      },
      AttributeMapping: { email: 'email', 'custom:tenant': 'groups' },
    });
  });

  test('the pool gets the mutable custom attribute the claims are mapped into', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      Schema: [{ Name: 'tenant', AttributeDataType: 'String', Mutable: true, StringAttributeConstraints: { MaxLength: '2048' } }],
    });
  });

  test('the user client offers the pool’s own sign-in and both providers, and may write the mapped attributes; machine clients offer none', () => {
    const people = clientsOf(template).find((c) => !c.GenerateSecret)!;
    expect(people.SupportedIdentityProviders).toEqual(['COGNITO', idpRef('CorpEntra'), idpRef('CorpOkta')]);
    expect([...people.WriteAttributes].sort()).toEqual(['custom:tenant', 'email']);
    for (const machine of clientsOf(template).filter((c) => c.GenerateSecret)) {
      expect(machine.SupportedIdentityProviders).toEqual(['COGNITO']);
      expect(machine.WriteAttributes).toBeUndefined();
    }
  });

  test('a pre token generation trigger, event version V2_0 (the access token’s groups), with the tenants and the value map', () => {
    const fnRef = { 'Fn::GetAtt': [expect.stringMatching(/^AuthTenantClaim/), 'Arn'] };
    const pool = Object.values(template.findResources('AWS::Cognito::UserPool'))[0].Properties;
    expect(pool.LambdaConfig).toEqual({ PreTokenGenerationConfig: { LambdaArn: fnRef, LambdaVersion: 'V2_0' } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Pre token generation'),
      Timeout: 5,
      Environment: { Variables: Match.objectLike({ TENANT_NAMES: '["acme","globex"]', TENANT_VALUES: '{"group-1":"acme"}' }) },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', Principal: 'cognito-idp.amazonaws.com' });
  });

  test('the trigger’s role may write its own logs and traces, nothing else (it calls no AWS API)', () => {
    const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('AuthTenantClaimRole'));
    expect(policies).toHaveLength(1);
    const actions = (policies[0][1].Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((st) => [st.Action].flat());
    expect(actions.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  test('cdk-nag AwsSolutions, Serverless and GenAiBlueprint: no finding on the auth resources or the trigger', () => {
    for (const checks of [new AwsSolutionsChecks(), new ServerlessChecks(), new GenAiBlueprintChecks()]) {
      const findings = checks
        .validateScope(stack)
        .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName}: ${r.constructPath}`))
        .filter((f) => f.includes('/Auth/') || f.includes('COG'));
      expect(findings).toEqual([]);
    }
  });

  test('localSignIn false: only the providers on the user client', () => {
    const { template: only } = build({ identityProviders: [SAML], localSignIn: false });
    expect(clientsOf(only).find((c) => !c.GenerateSecret)!.SupportedIdentityProviders).toEqual([idpRef('CorpEntra')]);
  });

  test('a SAML metadata document is written as the document; OIDC scopes as given', () => {
    const xml = '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com"/>';
    const { template: t } = build({
      identityProviders: [
        { ...SAML, metadata: cognito.UserPoolIdentityProviderSamlMetadata.file(xml) },
        { ...OIDC, scopes: ['openid', 'groups'] } as FederatedIdentityProvider,
      ],
    });
    t.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', { ProviderType: 'SAML', ProviderDetails: Match.objectLike({ MetadataFile: xml }) });
    t.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderType: 'OIDC',
      ProviderDetails: Match.objectLike({ authorize_scopes: 'openid groups' }),
    });
  });

  test('without identity providers: no custom attribute, no trigger, no function, clients as before', () => {
    const { template: plain } = build();
    const pool = Object.values(plain.findResources('AWS::Cognito::UserPool'))[0].Properties;
    expect(pool.Schema).toBeUndefined();
    expect(pool.LambdaConfig).toBeUndefined();
    plain.resourceCountIs('AWS::Lambda::Function', 1); // the fixture's route function only
    plain.resourceCountIs('AWS::Cognito::UserPoolIdentityProvider', 0);
    expect(clientsOf(plain).find((c) => !c.GenerateSecret)!.WriteAttributes).toBeUndefined();
  });

  test.each([
    [
      'two providers have one name',
      { identityProviders: [SAML, { ...OIDC, name: 'corpentra' }] },
      'identityProviders must have unique names (case-insensitive); corpentra appears twice',
    ],
    [
      'two provider names differ only in punctuation (one construct id)',
      { identityProviders: [SAML, { ...OIDC, name: 'Corp-Entra' }] },
      'identityProviders must differ in more than case, dots and hyphens; two of them are both CorpEntra',
    ],
    [
      'tenantValues names an unknown tenant',
      { identityProviders: [SAML], tenantValues: { g1: 'hooli' } },
      'tenantValues maps "g1" to hooli, which is not a tenant; tenants: acme, globex',
    ],
    [
      'tenantValues is given without identity providers',
      { tenantValues: { g1: 'acme' } },
      'tenantValues is only read with identityProviders, and none is given',
    ],
    [
      'tenantValues would not fit in the trigger’s 4 KB environment',
      {
        identityProviders: [SAML],
        tenantValues: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`0b6f3c1e-4f7a-4d2b-9a51-1d5e2f3a4${String(i).padStart(3, '0')}`, 'acme'])),
      },
      /^tenants and tenantValues must fit in 3900 characters of the trigger's environment, got 4\d{3}$/,
    ],
  ])('fails when %s', (_name, props, message) => {
    expect(() => build(props as Partial<UserAuthProps>)).toThrow(message);
  });
});

describe('UserAuth on a user pool brought by its owner (userPoolId)', () => {
  const POOL_ID = 'us-east-1_AbCdEf123';
  const { template } = build({ userPoolId: POOL_ID, domainPrefix: 'corp-login' });

  test('no pool and no domain are created; the resource server, groups and clients go onto the given pool', () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    template.resourceCountIs('AWS::Cognito::UserPoolDomain', 0);
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', { UserPoolId: POOL_ID, Identifier: 'genai' });
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { UserPoolId: POOL_ID, GroupName: 'tenant-acme' });
    const clients = clientsOf(template);
    expect(clients).toHaveLength(3);
    for (const c of clients) expect(c.UserPoolId).toBe(POOL_ID);
  });

  test('the authorizer trusts that pool, and the token endpoint is its existing domain', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      ProviderARNs: [{ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(`:userpool/${POOL_ID}$`)])] }],
    });
    const endpoint = Object.entries(template.findOutputs('*')).find(([id]) => id.startsWith('AuthTokenEndpoint'))![1];
    expect(endpoint.Value).toEqual({ 'Fn::Join': ['', ['https://corp-login.auth.', { Ref: 'AWS::Region' }, '.amazoncognito.com/oauth2/token']] });
  });

  test('with identity providers: the providers and the trigger function are created, and the pool owner is told to attach it', () => {
    const { template: t, stack } = build({ userPoolId: POOL_ID, domainPrefix: 'corp-login', identityProviders: [OIDC] });
    t.resourceCountIs('AWS::Cognito::UserPool', 0);
    t.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', { UserPoolId: POOL_ID, ProviderName: 'CorpOkta' });
    t.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'cognito-idp.amazonaws.com',
      SourceArn: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(`:userpool/${POOL_ID}$`)])] },
    });
    const output = Object.entries(t.findOutputs('*')).find(([id]) => id.startsWith('AuthTenantClaimTriggerArn'))![1];
    expect(output.Description).toMatch(/pre token generation trigger, event version V2_0/);
    Annotations.fromStack(stack).hasWarning('/Test/Auth', Match.stringLikeRegexp('CloudFormation cannot change a pool it does not manage'));
  });

  test('a pool id from a CfnParameter (a token) is not checked', () => {
    expect(() => build((stack) => ({ userPoolId: new CfnParameter(stack, 'PoolId').valueAsString, domainPrefix: 'corp-login' }))).not.toThrow();
  });

  test.each([
    [
      'the pool id is not one',
      { userPoolId: 'not a pool', domainPrefix: 'corp-login' },
      'userPoolId must be a Cognito user pool id (<region>_<id>), got not a pool',
    ],
    [
      'the pool’s domain prefix is not given',
      { userPoolId: POOL_ID },
      'domainPrefix is required with userPoolId: the prefix of the Cognito domain the pool already has (a pool has one)',
    ],
  ])('fails when %s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});

describe('configuration → UserAuth (lib/grounds/props.ts)', () => {
  const OIDC_CONFIG = { type: 'oidc', name: 'CorpOkta', tenantClaim: 'groups', issuer: 'https://corp.okta.example.com', clientId: 'okta-client-id' };

  test('an OIDC provider’s secret is read from its ARN (with a JSON field) at deploy, never put in the template', () => {
    const config = loadConfig({
      'auth.identityProviders': JSON.stringify([{ ...OIDC_CONFIG, clientSecretArn: SECRET_ARN, clientSecretField: 'clientSecret' }]),
      'auth.tenantValues': '{"00aa":"demo"}',
    });
    const { template } = build(userAuthProps(config));
    template.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderDetails: Match.objectLike({ client_secret: `{{resolve:secretsmanager:${SECRET_ARN}:SecretString:clientSecret::}}` }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ TENANT_VALUES: '{"00aa":"demo"}' }) } });
  });

  test('a SAML provider from its metadata document; the bring-your-own pool id and domain', () => {
    const config = loadConfig({
      auth: {
        userPoolId: 'eu-west-1_Abc',
        domainPrefix: 'corp-login',
        identityProviders: [{ type: 'saml', name: 'Corp', tenantClaim: 'tenant', metadataDocument: '<EntityDescriptor/>' }],
      },
    });
    const props = userAuthProps(config);
    expect(props).toMatchObject({ userPoolId: 'eu-west-1_Abc', domainPrefix: 'corp-login', localSignIn: true, tenantValues: {} });
    const { template } = build(props);
    template.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      UserPoolId: 'eu-west-1_Abc',
      ProviderDetails: { MetadataFile: '<EntityDescriptor/>' },
    });
  });

  test('the default configuration gives the props it always gave', () => {
    expect(Object.keys(userAuthProps(loadConfig({}))).sort()).toEqual(['callbackUrls', 'domainPrefix', 'tenants', 'tokenValidity']);
  });

  test.each(
    (
      [
        [
          { ...OIDC_CONFIG, issuer: undefined, clientSecretArn: SECRET_ARN },
          /auth\.identityProviders\.0\.issuer = \(default\): is required for an OIDC provider/,
        ],
        [
          { ...OIDC_CONFIG, clientId: undefined, clientSecretArn: SECRET_ARN },
          /auth\.identityProviders\.0\.clientId = \(default\): is required for an OIDC provider/,
        ],
        [OIDC_CONFIG, /auth\.identityProviders\.0\.clientSecretArn = \(default\): is required for an OIDC provider: the ARN of the Secrets Manager secret/],
        [
          { ...OIDC_CONFIG, clientSecretArn: 'q8Z~3kPz.Vb1-literal-secret' },
          // The pasted secret is not echoed back (lib/config/auth.ts shownValue).
          /auth\.identityProviders\.0\.clientSecretArn = \(not shown\): must be the ARN of the Secrets Manager secret .*never the secret itself/,
        ],
        [{ ...OIDC_CONFIG, clientSecretArn: 'genai/okta-client' }, /auth\.identityProviders\.0\.clientSecretArn = \(not shown\): must be the ARN/],
        [
          { ...OIDC_CONFIG, clientSecretArn: SECRET_ARN, issuer: 'http://corp.example.com' },
          /auth\.identityProviders\.0\.issuer = "http:\/\/corp\.example\.com": must be the https URL/,
        ],
        [{ ...OIDC_CONFIG, clientSecretArn: SECRET_ARN, scopes: ['email'] }, /auth\.identityProviders\.0\.scopes = \["email"\]: must include openid/],
        [
          { ...OIDC_CONFIG, clientSecretArn: SECRET_ARN, metadataUrl: 'https://x.example.com/m' },
          /auth\.identityProviders\.0\.metadataUrl = .*: is for saml providers only; this one is oidc/,
        ],
        [
          { type: 'saml', name: 'Corp', tenantClaim: 'g' },
          /auth\.identityProviders\.0\.metadataUrl = \(default\): a SAML provider needs exactly one of metadataUrl and metadataDocument/,
        ],
        [
          { type: 'saml', name: 'Corp', tenantClaim: 'g', metadataUrl: 'https://x.example.com/m', metadataDocument: '<x/>' },
          /auth\.identityProviders\.0\.metadataUrl = .*: a SAML provider needs exactly one of metadataUrl and metadataDocument/,
        ],
        [
          { type: 'saml', name: 'Corp', tenantClaim: 'g', metadataDocument: 'not xml' },
          /auth\.identityProviders\.0\.metadataDocument = "not xml": must be the XML metadata document itself/,
        ],
        [
          { type: 'saml', name: 'Google', tenantClaim: 'g', metadataUrl: 'https://x.example.com/m' },
          /auth\.identityProviders\.0\.name = "Google": must not be one of Cognito's reserved names/,
        ],
        [
          { type: 'saml', name: 'My_Idp', tenantClaim: 'g', metadataUrl: 'https://x.example.com/m' },
          /auth\.identityProviders\.0\.name = "My_Idp": must be 3-32 letters/,
        ],
        [{ type: 'ldap', name: 'Corp', tenantClaim: 'g' }, /auth\.identityProviders\.0\.type = "ldap": Invalid option: expected one of "saml"\|"oidc"/],
        [{ type: 'saml', name: 'Corp', metadataUrl: 'https://x.example.com/m' }, /auth\.identityProviders\.0\.tenantClaim = \(default\)/],
      ] as [Record<string, unknown>, RegExp][]
    ).map(([idp, message]) => [message, idp] as const),
  )('fails when an identity provider is refused with %s (the key named)', (message, idp) => {
    expect(() => loadConfig({ 'auth.identityProviders': JSON.stringify([idp]) })).toThrow(message);
  });

  test.each(
    (
      [
        [{ 'auth.userPoolId': 'us-east-1_Abc' }, /auth\.domainPrefix = \(default\): is required with auth\.userPoolId/],
        [{ 'auth.userPoolId': 'my pool', 'auth.domainPrefix': 'corp' }, /auth\.userPoolId = "my pool": must be a Cognito user pool id/],
        [{ 'auth.tenantValues': '{"g1":"demo"}' }, /auth\.tenantValues = \{"g1":"demo"\}: is only read for users of identity providers/],
        [
          {
            'auth.identityProviders': JSON.stringify([
              { type: 'oidc', name: 'Corp', tenantClaim: 'g', issuer: 'https://x.example.com', clientId: 'c', clientSecretArn: SECRET_ARN },
            ]),
            'auth.tenantValues': '{"g1":"hooli"}',
          },
          /auth\.tenantValues\.g1 = "hooli": names tenant hooli, which is not configured; tenants: demo/,
        ],
        [
          {
            'auth.identityProviders': JSON.stringify([
              { type: 'saml', name: 'Corp', tenantClaim: 'g', metadataUrl: 'https://a.example.com/m' },
              { type: 'saml', name: 'corp', tenantClaim: 'g', metadataUrl: 'https://b.example.com/m' },
            ]),
          },
          /auth\.identityProviders\.1\.name = "corp": must be unique among the identity providers/,
        ],
      ] as [Record<string, unknown>, RegExp][]
    ).map(([context, message]) => [message, context] as const),
  )('fails when the auth configuration is refused with %s (the key named)', (message, context) => {
    expect(() => loadConfig(context)).toThrow(message);
  });
});

test('ground 7 with a SAML and an OIDC provider synthesizes with every rule pack clean and no stale acknowledgement', () => {
  const identityProviders = [
    { type: 'saml', name: 'CorpEntra', tenantClaim: 'groups', metadataUrl: 'https://login.example.com/metadata.xml' },
    { type: 'oidc', name: 'CorpOkta', tenantClaim: 'groups', issuer: 'https://corp.okta.example.com', clientId: 'c', clientSecretArn: SECRET_ARN },
  ];
  const { stacks } = buildApp({ ground: 7, 'auth.identityProviders': JSON.stringify(identityProviders) });
  const audit = auditAcknowledgements(stacks[0], [new AwsSolutionsChecks(), new ServerlessChecks(), new GenAiBlueprintChecks()]);
  expect(audit.reports.flatMap((r) => r.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((x) => x.constructPath).join(', ')}`))).toEqual([]);
  expect(audit.stale).toEqual([]);
  Template.fromStack(stacks[0]).resourceCountIs('AWS::Cognito::UserPoolIdentityProvider', 2);
});
