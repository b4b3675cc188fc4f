/**
 * Tenants, as the configuration (lib/config), the gateway and the constructs that write the
 * TENANTS variable (lib/constructs) and the functions that read it (lambda/shared/identity.ts)
 * must all see them. Dependency-free but for zod/mini (its schemas).
 */

import * as z from 'zod/mini';

/** Commercial tiers; a tier picks a tenant's model through the routing policy's `byTier`. */
export const TENANT_TIERS = ['basic', 'standard', 'premium'] as const;
export type TenantTier = (typeof TENANT_TIERS)[number];

/** A configured tenant, as the stack writes it into the TENANTS variable. */
export interface TenantEntry {
  readonly tenant: string;
  readonly tier: TenantTier;
  /** The tenant's application inference profiles by model alias (ground 4). */
  readonly modelIds?: Readonly<Record<string, string>>;
}

/** TENANTS: keys are the gateway's API key ids and (ground 7) the tenants' Cognito machine-client ids. */
export type TenantDirectory = Readonly<Record<string, TenantEntry>>;

/** TENANTS as the functions read it (lambda/shared/identity.ts); typed against TenantDirectory. */
export const tenantDirectorySchema: z.ZodMiniType<TenantDirectory> = z.record(
  z.string(),
  z.object({ tenant: z.string().check(z.minLength(1)), tier: z.enum(TENANT_TIERS), modelIds: z.optional(z.record(z.string(), z.string())) }),
);

/**
 * A user's tenant is the user pool group `tenant-<name>` the user belongs to (UserAuth creates the
 * groups). Groups, unlike custom attributes, are in access tokens, and the routes accept access
 * tokens only (they require an OAuth scope, which is what lets machine clients use the
 * client-credentials grant).
 */
export const TENANT_GROUP_PREFIX = 'tenant-';

/**
 * The user pool attribute a federated user's tenant claim is mapped into at every sign-in
 * (UserAuth's identity providers), read by the pre token generation trigger (lambda/tenant-claim),
 * which turns it into the one `tenant-<name>` group of the user's tokens. Custom attributes are not
 * in access tokens; groups are.
 */
export const TENANT_ATTRIBUTE = 'custom:tenant';
