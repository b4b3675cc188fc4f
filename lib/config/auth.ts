import { z } from 'zod';
import { TENANT_NAME_PATTERN } from '../../contracts/ids';

/**
 * Ground 7's `auth` section: the Cognito user pool (created here, or brought with `auth.userPoolId`),
 * the corporate identity providers (SAML, OIDC) on it and how their tenant claim maps to our tenants.
 * Section of the one configuration schema (lib/config/schema.ts); docs/sign-in.md explains the design.
 */

/** Cognito's user pool id: `<region>_<id>` (CreateUserPool's `Id`: `[\w-]+_[0-9a-zA-Z]+`, at most 55 characters). */
const USER_POOL_ID_PATTERN = /^[\w-]+_[0-9a-zA-Z]+$/;

/**
 * Provider names Cognito reserves for its own sign-in and the social providers. Federated users are
 * named `<ProviderName>_<subject>`, so the name has no underscore; SAML names are 3-32 characters
 * (aws-cdk-lib checks it too), and we hold OIDC names to the same.
 */
const RESERVED_PROVIDER_NAMES = ['cognito', 'google', 'facebook', 'signinwithapple', 'loginwithamazon'];

/**
 * A Secrets Manager secret's ARN (complete, or partial without the 6-character suffix). Only an ARN:
 * a secret's name cannot be told from a pasted client secret, an ARN can, so a secret put in the
 * configuration by mistake is refused instead of being written into the template.
 */
const SECRET_ARN_PATTERN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]{1,512}$/;

/** What a config error prints instead of a `clientSecretArn` that is not a Secrets Manager ARN (it may be the secret itself). */
export const NOT_SHOWN = '(not shown)';

/**
 * `value`, found under `key`, as a config error prints it (JSON), without client secrets: a
 * `clientSecretArn` that is not a Secrets Manager ARN may be the client secret pasted in, so it is
 * printed as NOT_SHOWN, alone or inside the provider or list that holds it; so is a string naming
 * `clientSecretArn` (JSON text given where a list or an object belongs, or that is not JSON). The
 * message after it says what the key takes.
 */
export function shownValue(key: PropertyKey | undefined, value: unknown): string {
  const hidden = (k: PropertyKey | undefined, v: unknown) =>
    typeof v === 'string' ? v.includes('clientSecretArn') || (k === 'clientSecretArn' && !SECRET_ARN_PATTERN.test(v)) : k === 'clientSecretArn';
  if (hidden(key, value)) return NOT_SHOWN;
  return JSON.stringify(value, (k: string, v: unknown) => (hidden(k, v) ? NOT_SHOWN : v));
}

export const IDENTITY_PROVIDER_TYPES = ['saml', 'oidc'] as const;

const identityProviderSchema = z
  .strictObject({
    type: z.enum(IDENTITY_PROVIDER_TYPES).describe('`saml` (SAML 2.0) or `oidc` (OpenID Connect).'),
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9.-]{1,30}[A-Za-z0-9]$/, 'must be 3-32 letters, digits, dots or hyphens, starting and ending with a letter or digit')
      .refine((n) => !RESERVED_PROVIDER_NAMES.includes(n.toLowerCase()), `must not be one of Cognito's reserved names (${RESERVED_PROVIDER_NAMES.join(', ')})`)
      .describe('Provider name in the user pool: shown on the hosted sign-in page, and `identity_provider=<name>` sends users straight to it.'),
    tenantClaim: z
      .string()
      .regex(/^\S{1,256}$/, 'must be 1-256 characters without spaces')
      .describe(
        "The IdP's attribute (SAML) or claim (OIDC) that names the user's tenant or groups, e.g. `groups`, or " +
          '`http://schemas.microsoft.com/ws/2008/06/identity/claims/groups` from Microsoft Entra ID. Mapped to the custom attribute `custom:tenant`.',
      ),
    emailClaim: z
      .string()
      .regex(/^\S{1,256}$/, 'must be 1-256 characters without spaces')
      .optional()
      .describe("The IdP's attribute or claim holding the user's email, mapped to `email`. Unset: `email` for OIDC, not mapped for SAML."),
    metadataUrl: z
      .url({ protocol: /^https$/, error: 'must be an https URL' })
      .optional()
      .describe('SAML: the https URL of the IdP metadata (Cognito fetches it). Exactly one of metadataUrl and metadataDocument.'),
    metadataDocument: z
      .string()
      .max(131_072)
      .regex(/^\s*</, 'must be the XML metadata document itself (it starts with <)')
      .optional()
      .describe('SAML: the IdP metadata XML itself. Exactly one of metadataUrl and metadataDocument.'),
    issuer: z
      .url({ protocol: /^https$/, error: 'must be the https URL of the OIDC issuer' })
      .optional()
      .describe('OIDC (required): the issuer URL; Cognito discovers the endpoints from `<issuer>/.well-known/openid-configuration`.'),
    clientId: z
      .string()
      .regex(/^\S{1,256}$/, 'must be 1-256 characters without spaces')
      .optional()
      .describe('OIDC (required): the client id Cognito uses at the IdP.'),
    clientSecretArn: z
      .string()
      .regex(
        SECRET_ARN_PATTERN,
        'must be the ARN of the Secrets Manager secret holding the client secret (arn:aws:secretsmanager:...), never the secret itself',
      )
      .optional()
      .describe(
        'OIDC (required): ARN of the Secrets Manager secret holding the client secret. The template holds only a dynamic reference, ' +
          'resolved by CloudFormation at deploy.',
      ),
    clientSecretField: z
      .string()
      .regex(/^[\w.-]{1,128}$/, 'must be 1-128 letters, digits, dots, underscores or hyphens')
      .optional()
      .describe('OIDC: the JSON key of the client secret inside the secret. Unset: the whole secret string is the client secret.'),
    scopes: z
      .array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,256}$/, 'must be an OAuth scope (printable characters, no spaces or quotes)'))
      .min(1)
      .max(25)
      .refine((s) => s.includes('openid'), 'must include openid')
      .optional()
      .describe('OIDC: the scopes Cognito asks the IdP for. Unset: `openid email profile`.'),
  })
  .superRefine((idp, ctx) => {
    const issue = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: [key], message });
    const only = (keys: readonly (keyof typeof idp)[], type: string) => {
      for (const key of keys) if (idp[key] !== undefined) issue(key, `is for ${type} providers only; this one is ${idp.type}`);
    };
    if (idp.type === 'saml') {
      if ((idp.metadataUrl === undefined) === (idp.metadataDocument === undefined)) {
        issue('metadataUrl', 'a SAML provider needs exactly one of metadataUrl and metadataDocument');
      }
      only(['issuer', 'clientId', 'clientSecretArn', 'clientSecretField', 'scopes'], 'oidc');
    } else {
      if (idp.issuer === undefined) issue('issuer', 'is required for an OIDC provider: the https URL of its issuer');
      if (idp.clientId === undefined) issue('clientId', 'is required for an OIDC provider: the client id Cognito uses at the IdP');
      if (idp.clientSecretArn === undefined)
        issue('clientSecretArn', 'is required for an OIDC provider: the ARN of the Secrets Manager secret holding the client secret');
      only(['metadataUrl', 'metadataDocument'], 'saml');
    }
  });

export type IdentityProviderConfig = z.output<typeof identityProviderSchema>;

/** Ground 7: Cognito sign-in for people (authorization code + PKCE) and machines (client credentials). */
export const authSchema = z.strictObject({
  callbackUrls: z
    .array(z.string().regex(/^https:\/\/\S+$|^http:\/\/localhost(:\d+)?(\/\S*)?$/, 'must be an https URL or http://localhost'))
    .min(1)
    .max(10)
    .default(['http://localhost:3000/callback'])
    .describe('Callback URLs of the user client (authorization code + PKCE): https URLs, or http://localhost.'),
  /** Prefix of the Cognito sign-in domain (globally unique). @default '<stackName>-<account id>' */
  domainPrefix: z
    .string()
    .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be 1-63 lowercase letters, digits or hyphens')
    .refine((p) => !/aws|amazon|cognito/.test(p), 'must not contain aws, amazon or cognito')
    .optional()
    .describe('Prefix of the Cognito sign-in domain (globally unique; must not contain aws, amazon or cognito). Unset: `<stackName>-<account id>`.'),
  tokenValidityMinutes: z.int().min(5).max(1_440).default(60).describe('Lifetime of access and ID tokens, in minutes.'),
  userPoolId: z
    .string()
    .max(55)
    .regex(USER_POOL_ID_PATTERN, 'must be a Cognito user pool id (<region>_<id>, e.g. us-east-1_AbCdEf123)')
    .optional()
    .describe(
      'Bring your own user pool: its id. The resource server, scope, tenant groups and clients are added to it; no pool or domain is ' +
        'created, and `auth.domainPrefix` must name the Cognito domain the pool already has (docs/sign-in.md). Unset: a pool is created.',
    ),
  identityProviders: z
    .array(identityProviderSchema)
    .max(10)
    .default([])
    .describe('Corporate identity providers (SAML 2.0, OIDC) people sign in with through the user client (docs/sign-in.md).'),
  tenantValues: z
    .record(z.string().min(1).max(2_048), z.string().regex(TENANT_NAME_PATTERN, 'must be a tenant name'))
    .default({})
    .describe(
      'IdP claim values that name a tenant, e.g. a group id → `acme`. Values not listed are other groups and ignored. Empty: every value ' +
        'of the tenant claim must be a tenant name (or `tenant-<name>`), case-insensitive.',
    ),
  localSignIn: z
    .boolean()
    .default(true)
    .describe("With identity providers: the pool's own users may still sign in through the user client (admins, break-glass accounts)."),
});

export type AuthConfig = z.output<typeof authSchema>;

/** Checks across keys, and against `tenants` (called from the schema's superRefine). */
export function checkAuth(cfg: { auth: AuthConfig; tenants: readonly { name: string }[] }, ctx: z.core.$RefinementCtx<unknown>): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path: ['auth', ...path], message });
  const { auth } = cfg;
  const names = auth.identityProviders.map((p) => p.name.toLowerCase());
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) issue(['identityProviders', i, 'name'], 'must be unique among the identity providers (case-insensitive)');
  });
  const tenants = cfg.tenants.map((t) => t.name);
  for (const [value, tenant] of Object.entries(auth.tenantValues)) {
    if (!tenants.includes(tenant)) issue(['tenantValues', value], `names tenant ${tenant}, which is not configured; tenants: ${tenants.join(', ')}`);
  }
  if (Object.keys(auth.tenantValues).length > 0 && auth.identityProviders.length === 0) {
    issue(['tenantValues'], 'is only read for users of identity providers, and auth.identityProviders is empty');
  }
  if (auth.userPoolId !== undefined && auth.domainPrefix === undefined) {
    issue(['domainPrefix'], 'is required with auth.userPoolId: the prefix of the Cognito domain the pool already has (a pool has one)');
  }
}
