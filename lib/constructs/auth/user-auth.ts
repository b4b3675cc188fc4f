import { Annotations, Aws, CfnOutput, Duration, RemovalPolicy, type SecretValue, Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { functionEnvironment, tenantClaimEnvSchema } from '../../../contracts/env';
import { TENANT_ATTRIBUTE, TENANT_GROUP_PREFIX } from '../../../contracts/tenants';
import { BlueprintFunction } from '../shared/blueprint-function';

export interface UserAuthProps {
  /** Tenant names: each gets a user group (`tenant-<name>`) and a machine client. */
  readonly tenants: readonly string[];
  /** Where the hosted sign-in sends users back with a code. @default ['http://localhost:3000/callback'] */
  readonly callbackUrls?: readonly string[];
  /**
   * Prefix of the Cognito domain serving sign-in and the token endpoint; with `userPoolId`, the prefix
   * of the domain that pool already has (required).
   * @default '<stack name>-<account id>', lowercased
   */
  readonly domainPrefix?: string;
  /** Lifetime of access and ID tokens. @default Duration.hours(1) */
  readonly tokenValidity?: Duration;
  /**
   * Bring your own user pool: the id of a pool created elsewhere (in this account and Region). The
   * resource server, scope, tenant groups, clients and identity providers are added to it; no pool
   * and no domain are created, and `domainPrefix` must name the Cognito domain the pool has. An id,
   * not an `IUserPool`, because the configuration holds an id and the import then lives under this
   * construct, with stable construct ids.
   * @default a user pool is created
   */
  readonly userPoolId?: string;
  /**
   * Corporate identity providers people sign in with through the user client. Each maps its tenant
   * claim into the pool attribute `custom:tenant`, and a pre token generation trigger turns that
   * into the user's one `tenant-<name>` group (docs/sign-in.md).
   * @default none: only the pool's own users sign in
   */
  readonly identityProviders?: readonly FederatedIdentityProvider[];
  /**
   * Tenant claim values that name a tenant (an IdP group id → a tenant name); values not listed are
   * ignored. Only read with `identityProviders`.
   * @default {}: every value of the claim must name a tenant (or `tenant-<name>`), case-insensitive
   */
  readonly tenantValues?: Readonly<Record<string, string>>;
  /** With identity providers: the pool's own users may still sign in through the user client. @default true */
  readonly localSignIn?: boolean;
  /** Log retention of the pre token generation trigger (with identity providers). @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

interface FederatedIdentityProviderBase {
  /** Provider name in the pool (3-32 characters): shown on the hosted sign-in page. */
  readonly name: string;
  /** The IdP's attribute or claim naming the user's tenant or groups; mapped to `custom:tenant` at every sign-in. */
  readonly tenantClaim: string;
  /** The IdP's attribute or claim holding the user's email, mapped to `email`. @default not mapped */
  readonly emailClaim?: string;
}

/** A SAML 2.0 identity provider. */
export interface SamlIdentityProvider extends FederatedIdentityProviderBase {
  readonly type: 'saml';
  /** Its metadata: a URL Cognito fetches, or the document itself. */
  readonly metadata: cognito.UserPoolIdentityProviderSamlMetadata;
}

/** An OpenID Connect identity provider. */
export interface OidcIdentityProvider extends FederatedIdentityProviderBase {
  readonly type: 'oidc';
  /** Issuer URL; Cognito discovers the endpoints from it. */
  readonly issuerUrl: string;
  readonly clientId: string;
  /**
   * The client secret, from Secrets Manager (`SecretValue.secretsManager`): the template holds a
   * dynamic reference CloudFormation resolves at deploy, never the secret.
   */
  readonly clientSecret: SecretValue;
  /** @default ['openid', 'email', 'profile'] */
  readonly scopes?: readonly string[];
}

export type FederatedIdentityProvider = SamlIdentityProvider | OidcIdentityProvider;

/** The hosted sign-in domain: created here, or the one a brought pool has. */
export interface ISignInDomain {
  /** The Cognito domain prefix. */
  readonly domainName: string;
  /** `https://<prefix>.auth.<region>.amazoncognito.com`: the hosted pages and the OAuth endpoints. */
  baseUrl(): string;
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
 *
 * Corporate sign-in (`identityProviders`): SAML and OIDC providers on the pool, each mapping its
 * tenant claim into `custom:tenant` at every sign-in; custom attributes are not in access tokens,
 * so a pre token generation trigger (lambda/tenant-claim) turns the attribute into the user's one
 * `tenant-<name>` group, or refuses the sign-in. Or the pool is brought (`userPoolId`) and this adds
 * the resource server, scope, groups and clients to it. docs/sign-in.md has the why and the costs.
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

  /** The pool: created here, or imported from `userPoolId`. */
  public readonly userPool: cognito.IUserPool;
  public readonly domain: ISignInDomain;
  /** The scope every route requires, e.g. `genai/invoke`. */
  public readonly invokeScope: string;
  public readonly userClient: cognito.UserPoolClient;
  public readonly machineClients: Readonly<Record<string, cognito.UserPoolClient>>;
  public readonly authorizer: apigateway.CognitoUserPoolsAuthorizer;
  /** The identity providers added to the pool, in the order given. */
  public readonly identityProviders: readonly cognito.IUserPoolIdentityProvider[];
  /** The pre token generation trigger that gives federated users their tenant group (with identity providers). */
  public readonly tenantClaimFunction?: BlueprintFunction;

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
    const idps = props.identityProviders ?? [];
    const tenantValues = props.tenantValues ?? {};
    const localSignIn = props.localSignIn ?? true;
    validateFederation(props.tenants, idps, tenantValues);
    if (props.userPoolId !== undefined) {
      if (!Token.isUnresolved(props.userPoolId) && !/^[\w-]+_[0-9a-zA-Z]+$/.test(props.userPoolId)) {
        throw new Error(`userPoolId must be a Cognito user pool id (<region>_<id>), got ${props.userPoolId}`);
      }
      if (props.domainPrefix === undefined) {
        throw new Error('domainPrefix is required with userPoolId: the prefix of the Cognito domain the pool already has (a pool has one)');
      }
    }

    const federated = idps.length > 0;
    let ownPool: cognito.UserPool | undefined;
    if (props.userPoolId === undefined) {
      ownPool = this.userPool = this.createPool(federated);
      this.domain = ownPool.addDomain('Domain', { cognitoDomain: { domainPrefix } });
    } else {
      this.userPool = cognito.UserPool.fromUserPoolId(this, 'UserPool', props.userPoolId);
      this.domain = existingDomain(this, domainPrefix);
    }

    const invoke = new cognito.ResourceServerScope({ scopeName: 'invoke', scopeDescription: 'Call the genai-blueprint API' });
    const server = this.userPool.addResourceServer('ResourceServer', { identifier: 'genai', scopes: [invoke] });
    const invokeScope = cognito.OAuthScope.resourceServer(server, invoke);
    this.invokeScope = `genai/${invoke.scopeName}`;

    this.identityProviders = idps.map((idp) => this.addIdentityProvider(idp));
    this.userClient = this.userPool.addClient('UserClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: { flows: { authorizationCodeGrant: true }, scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, invokeScope], callbackUrls },
      preventUserExistenceErrors: true,
      accessTokenValidity: tokenValidity,
      idTokenValidity: tokenValidity,
      refreshTokenValidity: Duration.days(30),
      ...(federated
        ? {
            supportedIdentityProviders: [
              ...(localSignIn ? [cognito.UserPoolClientIdentityProvider.COGNITO] : []),
              ...this.identityProviders.map((p) => cognito.UserPoolClientIdentityProvider.custom(p.providerName)),
            ],
            // Cognito writes the mapped attributes at every federated sign-in, through the client, and
            // refuses the sign-in when the client may not write one of them (UserPoolClientType.WriteAttributes:
            // https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_UserPoolClientType.html).
            writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true }).withCustomAttributes(TENANT_CUSTOM_NAME),
          }
        : {}),
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
        // Explicit: left unset, a client lists every identity provider the pool has when it is created.
        supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
        accessTokenValidity: tokenValidity,
      });
    });
    this.machineClients = clients;
    if (federated) this.tenantClaimFunction = this.addTenantClaimTrigger(props, tenantValues, ownPool);
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

  private createPool(federated: boolean): cognito.UserPool {
    return new cognito.UserPool(this, 'UserPool', {
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
      // Only with identity providers, so that pools without them keep the schema they were created with.
      ...(federated ? { customAttributes: { [TENANT_CUSTOM_NAME]: new cognito.StringAttribute({ maxLen: 2048, mutable: true }) } } : {}),
    });
  }

  private addIdentityProvider(idp: FederatedIdentityProvider): cognito.IUserPoolIdentityProvider {
    const id = `Idp${pascal(idp.name)}`;
    const emailClaim = idp.emailClaim ?? (idp.type === 'oidc' ? 'email' : undefined);
    const attributeMapping: cognito.AttributeMapping = {
      ...(emailClaim ? { email: cognito.ProviderAttribute.other(emailClaim) } : {}),
      custom: { [TENANT_ATTRIBUTE]: cognito.ProviderAttribute.other(idp.tenantClaim) },
    };
    if (idp.type === 'saml') {
      return new cognito.UserPoolIdentityProviderSaml(this, id, { userPool: this.userPool, name: idp.name, metadata: idp.metadata, attributeMapping });
    }
    return new cognito.UserPoolIdentityProviderOidc(this, id, {
      userPool: this.userPool,
      name: idp.name,
      issuerUrl: idp.issuerUrl,
      clientId: idp.clientId,
      // A dynamic reference ({{resolve:secretsmanager:...}}), as aws-cdk-lib's own Google provider
      // writes its clientSecretValue into the same ProviderDetails (aws-cognito/lib/user-pool-idps/google.ts).
      clientSecret: idp.clientSecret.unsafeUnwrap(),
      scopes: [...(idp.scopes ?? ['openid', 'email', 'profile'])],
      attributeRequestMethod: cognito.OidcAttributeRequestMethod.GET,
      attributeMapping,
    });
  }

  /**
   * The pre token generation trigger, event version V2_0: only V2_0 and V3_0 change the access
   * token, which is what the API reads, and they need the Essentials or Plus feature plan (ours is
   * Plus). https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-token-generation.html
   * CloudFormation cannot add a trigger to a pool it does not manage: with `userPoolId`, the function
   * and Cognito's permission to invoke it are created, and the pool's owner attaches it (output).
   */
  private addTenantClaimTrigger(props: UserAuthProps, tenantValues: Readonly<Record<string, string>>, ownPool?: cognito.UserPool): BlueprintFunction {
    const environment = functionEnvironment(tenantClaimEnvSchema, {
      TENANT_NAMES: JSON.stringify(props.tenants),
      TENANT_VALUES: JSON.stringify(tenantValues),
    });
    // Lambda refuses a function whose variables (names and values) exceed 4 KB in all; leave room for Powertools'.
    // https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
    const chars = Object.entries(environment).reduce((n, [k, v]) => n + k.length + v.length, 0);
    if (chars > TENANT_CLAIM_ENV_BUDGET) {
      throw new Error(`tenants and tenantValues must fit in ${TENANT_CLAIM_ENV_BUDGET} characters of the trigger's environment, got ${chars}`);
    }
    const fn = new BlueprintFunction(this, 'TenantClaim', {
      handlerDir: 'tenant-claim',
      description: "Pre token generation: a federated user's tenant claim becomes their one tenant-<name> group",
      // Cognito waits 5 seconds for a trigger; the function reads only its event and environment.
      memorySize: 256,
      timeout: Duration.seconds(5),
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      invokedBy: 'cognito-trigger',
      environment,
    });
    if (ownPool) {
      ownPool.addTrigger(cognito.UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG, fn, cognito.LambdaVersion.V2_0);
    } else {
      fn.addPermission('CognitoInvoke', { principal: new iam.ServicePrincipal('cognito-idp.amazonaws.com'), sourceArn: this.userPool.userPoolArn });
      new CfnOutput(this, 'TenantClaimTriggerArn', {
        value: fn.functionArn,
        description:
          'Attach to your user pool as its pre token generation trigger, event version V2_0 (Essentials or Plus plan), and add the ' +
          'custom attribute tenant (String, mutable, max 2048): docs/sign-in.md',
      });
      Annotations.of(this).addWarningV2(
        'genai-blueprint:byo-pool-trigger',
        'userPoolId with identityProviders: CloudFormation cannot change a pool it does not manage. The pool owner must add the custom ' +
          'attribute tenant and attach the TenantClaimTriggerArn output as its pre token generation trigger (V2_0), ' +
          'or federated users get no tenant (docs/sign-in.md)',
      );
    }
    return fn;
  }
}

/** Characters of the trigger's own variables: Lambda's 4 KB for all of them, less Powertools' (~70) and a margin. */
const TENANT_CLAIM_ENV_BUDGET = 3_900;

/** The name of the custom attribute under `custom:` (contracts/tenants.ts TENANT_ATTRIBUTE). */
const TENANT_CUSTOM_NAME = TENANT_ATTRIBUTE.replace(/^custom:/, '');

/** The Cognito domain a brought pool already has, as UserPoolDomain.baseUrl() writes it for a prefix domain. */
function existingDomain(scope: Construct, prefix: string): ISignInDomain {
  const region = Stack.of(scope).region;
  return { domainName: prefix, baseUrl: () => `https://${prefix}.auth.${region}.amazoncognito.com` };
}

function validateFederation(tenants: readonly string[], idps: readonly FederatedIdentityProvider[], tenantValues: Readonly<Record<string, string>>): void {
  const names = idps.map((p) => p.name.toLowerCase());
  const dup = idps.find((_, i) => names.indexOf(names[i]) !== i);
  if (dup) throw new Error(`identityProviders must have unique names (case-insensitive); ${dup.name} appears twice`);
  const ids = idps.map((p) => pascal(p.name));
  const clash = idps.find((_, i) => ids.indexOf(ids[i]) !== i);
  if (clash) throw new Error(`identityProviders must differ in more than case, dots and hyphens; two of them are both ${pascal(clash.name)}`);
  for (const [value, tenant] of Object.entries(tenantValues)) {
    if (!tenants.includes(tenant))
      throw new Error(`tenantValues maps ${JSON.stringify(value)} to ${tenant}, which is not a tenant; tenants: ${tenants.join(', ')}`);
  }
  if (Object.keys(tenantValues).length > 0 && idps.length === 0) throw new Error('tenantValues is only read with identityProviders, and none is given');
}

function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');
}
