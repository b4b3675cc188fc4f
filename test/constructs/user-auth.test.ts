import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { ModelApi } from '../../lib/constructs/api/model-api';
import { UserAuth, type UserAuthProps } from '../../lib/constructs/auth/user-auth';
import { CDK_JSON_CONTEXT } from '../support/synth';

function build(props: Partial<UserAuthProps> = {}) {
  const app = new App({ context: CDK_JSON_CONTEXT, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Test', { stackName: 'GenAiBlueprint' });
  const auth = new UserAuth(stack, 'Auth', { tenants: ['acme', 'globex'], ...props });
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
