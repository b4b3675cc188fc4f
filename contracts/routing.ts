/**
 * The routing policy of the model gateway (ground 4): what the model-call block
 * (lib/constructs/model-call) writes into the ROUTING_POLICY variable as JSON, and the functions'
 * router (lambda/shared/router.ts) chooses a model and its fallbacks from. Dependency-free but for zod/mini (its schemas).
 */
import * as z from 'zod/mini';
import { TENANT_TIERS, type TenantTier } from './tenants';

export interface RouteTarget {
  /** Catalog alias, e.g. `nova-lite`. */
  readonly alias: string;
  /** Model or inference profile id passed to Converse. */
  readonly modelId: string;
  /** USD per million tokens. */
  readonly price: { readonly inputPerMTok: number; readonly outputPerMTok: number };
}

export interface RoutingPolicy {
  readonly targets: readonly RouteTarget[];
  /** Alias used when nothing else decides. */
  readonly defaultAlias: string;
  /** Alias per tenant tier. @default the default alias for every tier */
  readonly byTier?: Partial<Record<TenantTier, string>>;
  /** Prompts at least this long (characters) go to `alias` (a model with a larger context or better reasoning). */
  readonly longPrompt?: { readonly minChars: number; readonly alias: string };
  /** Aliases tried in order after `alias` fails with throttling or unavailability. */
  readonly fallbacks: Readonly<Record<string, readonly string[]>>;
}

const routeTargetSchema = z.object({
  alias: z.string().check(z.minLength(1)),
  modelId: z.string().check(z.minLength(1)),
  price: z.object({ inputPerMTok: z.number().check(z.nonnegative()), outputPerMTok: z.number().check(z.nonnegative()) }),
});

/** ROUTING_POLICY as the function reads it (lambda/shared/env.ts jsonFromEnv); typed against RoutingPolicy. */
export const routingPolicySchema: z.ZodMiniType<RoutingPolicy> = z.object({
  targets: z.array(routeTargetSchema).check(z.minLength(1)),
  defaultAlias: z.string(),
  byTier: z.optional(z.partialRecord(z.enum(TENANT_TIERS), z.string())),
  longPrompt: z.optional(z.object({ minChars: z.number().check(z.int(), z.nonnegative()), alias: z.string() })),
  fallbacks: z.record(z.string(), z.array(z.string())),
});
