import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { TENANT_GROUP_PREFIX } from '../../../contracts/tenants';

export interface UserAuthProps {
  /** Tenant names: each gets a user group (`tenant-<name>`) and a machine client. */
  readonly tenants: readonly string[];
  /** Where the hosted sign-in sends users back with a code. @default ['http://localhost:3000/callback'] */
  readonly callbackUrls?: readonly string[];
  /** Prefix of the Cognito domain serving sign-in and the token endpoint. @default '<stack name>-<account id>', lowercased */
  readonly domainPrefix?: string;
  /** Lifetime of access and ID tokens. @default Duration.hours(1) */
  readonly tokenValidity?: Duration;
}

/**
 * Who may call, as the API and the tenant directory consume it: created here (`UserAuth`) or
 * imported (`UserAuth.fromUserAuthAttributes`).
 */
export interface IUserAuth {
  readonly userPool: cognito.IUserPool;
  /** Authorizes API Gateway methods with access tokens of the user pool. */
  readonly authorizer: apigateway.IAuthorizer;
  /** The scope every route requires, e.g. `genai/invoke`. */
  readonly invokeScope: string;
  /** Machine client of each tenant, by tenant name: a client-credentials token is the tenant's. */
  readonly machineClients: Readonly<Record<string, cognito.IUserPoolClient>>;
}

export interface UserAuthAttributes {
  readonly userPool: cognito.IUserPool;
  /** `<resource server identifier>/<scope name>`, the custom scope routes require. */
  readonly invokeScope: string;
  /** Machine client of each tenant, by tenant name. @default none: only people's tokens carry a tenant (their group) */
  readonly machineClients?: Readonly<Record<string, cognito.IUserPoolClient>>;
}

/** Cached authorizer results: a token is checked again after this long. */
const AUTHORIZER_CACHE_TTL = Duration.minutes(5);

/**
 * Ground 7: who may call. A Cognito user pool (admin-created users, MFA required, strong
 * passwords, Plus feature plan with threat protection enforced), one OAuth scope every route
 * requires, a public client for people (authorization code with PKCE) and one confidential
 * client per tenant for machines (client credentials), and the API Gateway authorizer.
 *
 * Routes require the scope, so API Gateway accepts access tokens only, for people and machines
 * alike. Tenancy is in the token: a user's `tenant-<name>` group, or the tenant's machine client.
 */
export class UserAuth extends Construct implements IUserAuth {
  /** A user pool created elsewhere; its authorizer is created here when a route first uses it. */
  public static fromUserAuthAttributes(scope: Construct, id: string, attrs: UserAuthAttributes): IUserAuth {
    if (!Token.isUnresolved(attrs.invokeScope) && !/^[^\s/]+\/[^\s/]+$/.test(attrs.invokeScope)) {
      throw new Error(`invokeScope must be <resource server identifier>/<scope name> (e.g. genai/invoke), got "${attrs.invokeScope}"`);
    }
    class Import extends Construct implements IUserAuth {
      public readonly userPool = attrs.userPool;
      public readonly invokeScope = attrs.invokeScope;
      public readonly machineClients = attrs.machineClients ?? {};
      private cognitoAuthorizer?: apigateway.CognitoUserPoolsAuthorizer;
      // Created on first use: an authorizer no method attaches to fails synth.
      public get authorizer(): apigateway.IAuthorizer {
        this.cognitoAuthorizer ??= new apigateway.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
          cognitoUserPools: [this.userPool],
          resultsCacheTtl: AUTHORIZER_CACHE_TTL,
        });
        return this.cognitoAuthorizer;
      }
    }
    return new Import(scope, id);
  }

  public readonly userPool: cognito.UserPool;
  public readonly domain: cognito.UserPoolDomain;
  /** The scope every route requires, e.g. `genai/invoke`. */
  public readonly invokeScope: string;
  public readonly userClient: cognito.UserPoolClient;
  public readonly machineClients: Readonly<Record<string, cognito.UserPoolClient>>;
  public readonly authorizer: apigateway.CognitoUserPoolsAuthorizer;

  constructor(scope: Construct, id: string, props: UserAuthProps) {
    super(scope, id);
    const callbackUrls = [...(props.callbackUrls ?? ['http://localhost:3000/callback'])];
    const tokenValidity = props.tokenValidity ?? Duration.hours(1);
    const domainPrefix = props.domainPrefix ?? `${Stack.of(this).stackName.toLowerCase()}-${Aws.ACCOUNT_ID}`;
    if (props.tenants.length === 0) throw new Error('tenants must name at least one tenant, got none');
    for (const url of callbackUrls) {
      if (!/^https:\/\/[^\s]+$|^http:\/\/localhost(:\d+)?(\/[^\s]*)?$/.test(url)) {
        throw new Error(`callbackUrls must be https URLs (or http://localhost), got ${url}`);
      }
    }
    if (!Token.isUnresolved(domainPrefix) && !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(domainPrefix)) {
      throw new Error(`domainPrefix must be 1-63 lowercase letters, digits or hyphens, got ${domainPrefix}`);
    }
    const ids = props.tenants.map(pascal);
    const clash = ids.find((x, i) => ids.indexOf(x) !== i);
    if (clash) throw new Error(`tenants must differ in more than case and hyphens; two of them are both ${clash}: ${props.tenants.join(', ')}`);
    const minutes = tokenValidity.toMinutes();
    if (minutes < 5 || minutes > 1440) throw new Error(`tokenValidity must be between 5 minutes and 1 day, got ${minutes} minutes`);

    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.domain = this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix } });

    const invoke = new cognito.ResourceServerScope({ scopeName: 'invoke', scopeDescription: 'Call the genai-blueprint API' });
    const server = this.userPool.addResourceServer('ResourceServer', { identifier: 'genai', scopes: [invoke] });
    const invokeScope = cognito.OAuthScope.resourceServer(server, invoke);
    this.invokeScope = `genai/${invoke.scopeName}`;

    this.userClient = this.userPool.addClient('UserClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: { flows: { authorizationCodeGrant: true }, scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, invokeScope], callbackUrls },
      preventUserExistenceErrors: true,
      accessTokenValidity: tokenValidity,
      idTokenValidity: tokenValidity,
      refreshTokenValidity: Duration.days(30),
    });
    const clients: Record<string, cognito.UserPoolClient> = {};
    props.tenants.forEach((tenant, i) => {
      // Construct ids by position would renumber on reordering; by name they are stable.
      new cognito.CfnUserPoolGroup(this, `TenantGroup${pascal(tenant)}`, {
        userPoolId: this.userPool.userPoolId,
        groupName: `${TENANT_GROUP_PREFIX}${tenant}`,
        description: `Members of tenant ${tenant}`,
        precedence: i,
      });
      clients[tenant] = this.userPool.addClient(`MachineClient${pascal(tenant)}`, {
        generateSecret: true,
        // Client credentials only: no user may sign in through a tenant's machine client.
        authFlows: { userSrp: false, userPassword: false, adminUserPassword: false, custom: false },
        oAuth: { flows: { clientCredentials: true }, scopes: [invokeScope] },
        accessTokenValidity: tokenValidity,
      });
    });
    this.machineClients = clients;
    new CfnOutput(this, 'UserPoolId', {
      value: this.userPool.userPoolId,
      description: 'Users are created here (admin only) and added to a tenant-<name> group',
    });
    new CfnOutput(this, 'UserClientId', {
      value: this.userClient.userPoolClientId,
      description: 'Public client for people: authorization code with PKCE, scope genai/invoke',
    });
    new CfnOutput(this, 'TokenEndpoint', {
      value: `${this.domain.baseUrl()}/oauth2/token`,
      description: "Machine clients: client_credentials grant with their tenant client's id and secret, scope genai/invoke",
    });
    for (const [tenant, client] of Object.entries(clients)) {
      new CfnOutput(client, 'ClientId', {
        value: client.userPoolClientId,
        description: `Machine client of tenant ${tenant} (secret: aws cognito-idp describe-user-pool-client)`,
      });
    }
    this.authorizer = new apigateway.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      cognitoUserPools: [this.userPool],
      resultsCacheTtl: AUTHORIZER_CACHE_TTL,
    });
  }
}

function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');
}
