import * as z from 'zod/mini';
import { tenantClaimEnvSchema } from '../../contracts/env';
import { TENANT_ATTRIBUTE } from '../../contracts/tenants';
import { readEnv } from '../shared/env';
import { logger } from '../shared/observability';
import { isFederated, type TenantPolicy, TenantClaimRefused, tokenGroups } from './core';

const env = readEnv(tenantClaimEnvSchema);
const policy: TenantPolicy = { tenants: env.TENANT_NAMES, values: env.TENANT_VALUES };

/**
 * The V2_0 pre token generation event, as far as this trigger reads it (the rest is passed back
 * untouched). https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-token-generation.html
 */
const eventSchema = z.looseObject({
  triggerSource: z.string(),
  userName: z.string(),
  request: z.looseObject({
    userAttributes: z.record(z.string(), z.string()),
    groupConfiguration: z.optional(
      z.looseObject({
        groupsToOverride: z.optional(z.array(z.string())),
        iamRolesToOverride: z.optional(z.array(z.string())),
        preferredRole: z.optional(z.nullable(z.string())),
      }),
    ),
  }),
});

type PreTokenEvent = z.infer<typeof eventSchema> & { response?: unknown };

/**
 * Cognito's pre token generation trigger (event version V2_0, so the group claim of the access
 * token changes too): a federated user's tokens carry exactly the one tenant group their IdP's
 * claim names; a refusal (no tenant, two, an unknown one) fails the sign-in with its message.
 * The pool's own users pass through unchanged.
 */
export async function handler(event: unknown): Promise<PreTokenEvent> {
  const parsed = eventSchema.safeParse(event);
  // Fail closed: an event this trigger cannot read gets no tokens.
  if (!parsed.success) throw new Error('Sign-in failed: the token trigger could not read the sign-in event');
  const { request } = parsed.data;
  const attributes = request.userAttributes;
  const groups = request.groupConfiguration?.groupsToOverride ?? [];
  let override: string[] | undefined;
  try {
    override = tokenGroups({ federated: isFederated(attributes), tenantClaim: attributes[TENANT_ATTRIBUTE], groups }, policy);
  } catch (error) {
    if (error instanceof TenantClaimRefused) {
      logger.warn('sign-in refused: tenant claim', { reason: error.reason, triggerSource: parsed.data.triggerSource, userName: parsed.data.userName });
    }
    throw error;
  }
  if (!override) return { ...parsed.data, response: { claimsAndScopeOverrideDetails: null } };
  const roles = request.groupConfiguration;
  return {
    ...parsed.data,
    response: {
      claimsAndScopeOverrideDetails: {
        // Overrides cognito:groups in the ID and the access token; the IAM roles stay as the pool has them.
        groupOverrideDetails: {
          groupsToOverride: override,
          ...(roles?.iamRolesToOverride ? { iamRolesToOverride: roles.iamRolesToOverride } : {}),
          ...(roles?.preferredRole ? { preferredRole: roles.preferredRole } : {}),
        },
      },
    },
  };
}
