import { TENANT_GROUP_PREFIX } from '../../contracts/tenants';

/**
 * A federated user's tenant, from the claim their identity provider sends (mapped into the user
 * pool attribute `custom:tenant` at every sign-in), turned into exactly one `tenant-<name>` group
 * of the user's ID and access tokens. The API reads the tenant from that group
 * (lambda/shared/identity.ts), as for the pool's own users. Refuses rather than guesses: no
 * tenant, two tenants, or (without a value map) a value that names no tenant fails the sign-in.
 */

export interface TenantPolicy {
  /** The configured tenant names (unique ignoring case: lib/config/schema.ts checks it). */
  readonly tenants: readonly string[];
  /**
   * Claim value → tenant name (`auth.tenantValues`), matched exactly (group ids are). Set, values
   * it does not list are the user's other groups and are ignored. Empty: every value must name a
   * tenant.
   */
  readonly values: Readonly<Record<string, string>>;
}

export type RefusalReason = 'missing' | 'ambiguous' | 'unknown';

/** A sign-in the trigger refuses; Cognito fails the sign-in and shows the message. */
export class TenantClaimRefused extends Error {
  constructor(
    public readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
    this.name = 'TenantClaimRefused';
  }
}

/**
 * The values of the mapped attribute. Cognito stores an attribute the IdP sends several values of
 * as one string: `[a, b]` for SAML, a JSON array for an OIDC array claim; a single value as is.
 * Values are separated by commas, so a group name holding a comma cannot be told apart.
 */
export function claimValues(raw: string | undefined): string[] {
  const text = (raw ?? '').trim();
  let parts: string[] | undefined;
  if (text.startsWith('[') && text.endsWith(']')) {
    parts = jsonArray(text) ?? text.slice(1, -1).split(',');
  }
  return (parts ?? text.split(',')).map((v) => v.trim()).filter(Boolean);
}

function jsonArray(text: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.map(String) : undefined;
  } catch {
    return undefined;
  }
}

/** The tenants one value names: through the map (exactly), else a tenant name or `tenant-<name>` (case-insensitive). */
function tenantsNamedBy(value: string, policy: TenantPolicy): string[] {
  // Own keys only: a value such as `constructor` must not reach Object.prototype.
  const mapped = Object.hasOwn(policy.values, value) ? policy.values[value] : undefined;
  const lower = (mapped ?? value).toLowerCase();
  return policy.tenants.filter((t) => {
    const name = t.toLowerCase();
    return mapped !== undefined ? name === lower : name === lower || `${TENANT_GROUP_PREFIX}${name}` === lower;
  });
}

const MAX_SHOWN = 5;
const shown = (values: readonly string[]) =>
  values
    .slice(0, MAX_SHOWN)
    .map((v) => JSON.stringify(v.length > 64 ? `${v.slice(0, 64)}…` : v))
    .join(', ') + (values.length > MAX_SHOWN ? ` and ${values.length - MAX_SHOWN} more` : '');

/** The one tenant the claim names, as configured (its case); throws TenantClaimRefused otherwise. */
export function tenantOf(raw: string | undefined, policy: TenantPolicy): string {
  const values = claimValues(raw);
  if (values.length === 0) {
    throw new TenantClaimRefused('missing', 'Your identity provider sent no tenant for you; ask your administrator to assign you to one');
  }
  const named = values.map((value) => ({ value, tenants: tenantsNamedBy(value, policy) }));
  const mapped = Object.keys(policy.values).length > 0;
  const unknown = named.filter((n) => n.tenants.length === 0).map((n) => n.value);
  if (!mapped && unknown.length > 0) {
    throw new TenantClaimRefused('unknown', `Your identity provider names a tenant that is not configured: ${shown(unknown)}`);
  }
  const tenants = [...new Set(named.flatMap((n) => n.tenants))];
  if (tenants.length === 0) {
    throw new TenantClaimRefused('missing', `None of the values your identity provider sent names a tenant: ${shown(values)}`);
  }
  if (tenants.length > 1) {
    throw new TenantClaimRefused('ambiguous', `Your identity provider names more than one tenant (${tenants.join(', ')}); an administrator must keep one`);
  }
  return tenants[0];
}

/** What the trigger knows of the user whose tokens are being made. */
export interface TokenUser {
  /** Signed in through an identity provider (Cognito says so; the user cannot). */
  readonly federated: boolean;
  /** The mapped attribute (`custom:tenant`). */
  readonly tenantClaim?: string;
  /** The user's groups in the pool, as Cognito would write them. */
  readonly groups: readonly string[];
}

/**
 * The groups the tokens carry: for a federated user, their groups in the pool without any tenant
 * group, plus the one their IdP names (the IdP is the source of truth, and group memberships an
 * administrator gave the user by hand are not). Undefined for the pool's own users: their tenant is
 * the group an administrator put them in, and the attribute is not trusted (with an access token
 * that has `aws.cognito.signin.user.admin`, a user can write their own attributes).
 */
export function tokenGroups(user: TokenUser, policy: TenantPolicy): string[] | undefined {
  if (!user.federated) return undefined;
  const tenant = tenantOf(user.tenantClaim, policy);
  return [...user.groups.filter((g) => !g.startsWith(TENANT_GROUP_PREFIX)), `${TENANT_GROUP_PREFIX}${tenant}`];
}

/**
 * Whether Cognito made the user from an identity provider: their status is EXTERNAL_PROVIDER and
 * their `identities` attribute lists the provider. Neither is writable by the user.
 * https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-specifying-attribute-mapping.html
 */
export function isFederated(attributes: Readonly<Record<string, string | undefined>>): boolean {
  return attributes['cognito:user_status'] === 'EXTERNAL_PROVIDER' || (attributes.identities ?? '').startsWith('[{');
}
