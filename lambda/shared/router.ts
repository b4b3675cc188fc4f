import { HttpError } from './http';
import type { ModelPort, ModelReply, ModelRequest, TokenUsage } from './model';
import type { RouteTarget, RoutingPolicy } from '../../contracts/routing';
import type { TenantTier } from '../../contracts/tenants';

/**
 * The model router of the gateway (ground 4): a routing policy chooses a catalog alias per
 * request, and a fallback chain answers when the chosen model is throttled or unavailable.
 * Pure logic: the catalog entries and the policy arrive as data (from the function's environment).
 */

export interface RouteInput {
  /** An alias the client asked for. */
  readonly requested?: string;
  readonly tier?: TenantTier;
  readonly promptChars: number;
}

/** Checks a policy once, at cold start: every alias it names must be a target. */
export function validatePolicy(policy: RoutingPolicy): void {
  const known = new Set(policy.targets.map((t) => t.alias));
  const named = [
    policy.defaultAlias,
    ...Object.values(policy.byTier ?? {}),
    ...(policy.longPrompt ? [policy.longPrompt.alias] : []),
    ...Object.entries(policy.fallbacks).flatMap(([from, to]) => [from, ...to]),
  ];
  const unknown = named.filter((a) => a !== undefined && !known.has(a));
  if (unknown.length) throw new Error(`routing policy names models that are not targets: ${[...new Set(unknown)].join(', ')}`);
}

/** The alias that answers first: the client's choice, else a long-prompt rule, else the tenant's tier, else the default. */
export function chooseModel(policy: RoutingPolicy, input: RouteInput): string {
  if (input.requested !== undefined) {
    if (!policy.targets.some((t) => t.alias === input.requested)) {
      throw new HttpError(400, `model must be one of ${policy.targets.map((t) => t.alias).join(', ')}`);
    }
    return input.requested;
  }
  if (policy.longPrompt && input.promptChars >= policy.longPrompt.minChars) return policy.longPrompt.alias;
  return (input.tier && policy.byTier?.[input.tier]) ?? policy.defaultAlias;
}

/** Errors that another model may not have: throttling, quota, unavailability, timeouts. */
const FALL_BACK_ON = new Set([
  'ThrottlingException',
  'ServiceQuotaExceededException',
  'TooManyRequestsException',
  'ServiceUnavailableException',
  'ModelNotReadyException',
  'ModelTimeoutException',
  'InternalServerException',
  'TimeoutError',
]);

export interface RoutedReply extends ModelReply {
  /** The alias that answered, and the ones that failed before it. */
  readonly alias: string;
  readonly modelId: string;
  readonly triedAliases: readonly string[];
  /** USD, from the catalog's prices. */
  readonly costUsd: number;
}

/**
 * Calls `first`, then its fallback chain, while the failure is one another model may not have.
 * A request cancelled by the deadline is not retried on another model: it would miss it too.
 */
export async function converseRouted(
  model: ModelPort,
  policy: RoutingPolicy,
  first: string,
  request: Omit<ModelRequest, 'modelId'>,
  signal?: AbortSignal,
  /** Model ids to call instead of a target's own, by alias (a tenant's application inference profile). */
  overrides: Readonly<Record<string, string>> = {},
): Promise<RoutedReply> {
  const chain = [first, ...(policy.fallbacks[first] ?? []).filter((a) => a !== first)];
  const tried: string[] = [];
  let lastError: unknown;
  for (const alias of chain) {
    const target = policy.targets.find((t) => t.alias === alias)!;
    try {
      const modelId = overrides[alias] ?? target.modelId;
      const reply = await model.converse({ ...request, modelId }, signal);
      return { ...reply, alias, modelId, triedAliases: tried, costUsd: costOf(reply.usage, target.price) };
    } catch (error) {
      lastError = error;
      tried.push(alias);
      if (signal?.aborted || !FALL_BACK_ON.has((error as { name?: string })?.name ?? '')) throw error;
    }
  }
  throw lastError;
}

export function costOf(usage: TokenUsage, price: RouteTarget['price']): number {
  return (usage.inputTokens * price.inputPerMTok + usage.outputTokens * price.outputPerMTok) / 1_000_000;
}
