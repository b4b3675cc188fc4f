import * as z from 'zod/mini';
import { HttpError } from '../shared/http';
import { integerOnly, withoutProtoKey } from '../shared/validation';
import { SESSION_ID_PATTERN } from '../../contracts/ids';
import type { GuardrailOutcome, GuardrailPort, KnowledgePort, ModelMessage, ModelPort, Passage, PromptPort, PromptTemplate, TokenUsage } from '../shared/model';
import type { AnswerOutcome, CacheableRequest, CacheLookup, CacheScope, CacheSource, StoreResult } from '../shared/cache';
import { chooseModel, converseRouted } from '../shared/router';
import type { RoutingPolicy } from '../../contracts/routing';
import type { TenantTier } from '../../contracts/tenants';
import { guardInput } from '../shared/input-guard';
import { equalityFilter, scopedFilter } from '../shared/retrieval-filter';

export interface PromptSettings {
  /** The models this function may call and how it chooses (one target below ground 4). */
  readonly routing: RoutingPolicy;
  /** Cap on generated tokens; a request may ask for fewer. */
  readonly maxTokens: number;
  readonly temperature: number;
  readonly maxQueryChars: number;
  /** Ground 3: the pinned guardrail version (part of cache keys). */
  readonly guardrailVersion?: string;
  /** Ground 2: retrieval bounds. */
  readonly retrieval?: { readonly defaultTopK: number; readonly maxTopK: number; readonly minScore: number };
}

export interface PromptDeps {
  readonly model: ModelPort;
  /** Ground 1. */
  readonly prompt?: PromptPort;
  /** Ground 2. */
  readonly knowledge?: KnowledgePort;
  /** Ground 3. */
  readonly guardrail?: GuardrailPort;
  /** Ground 5: exact and semantic response cache (fails open by itself). */
  readonly cache?: AnswerCachePort;
}

/** The response cache as the prompt path uses it (`ResponseCache<PromptAnswer>` fits). */
export interface AnswerCachePort {
  lookup(scope: CacheScope, request: CacheableRequest): Promise<CacheLookup<PromptAnswer>>;
  store(scope: CacheScope, request: CacheableRequest, answer: PromptAnswer, outcome: AnswerOutcome, lookup?: CacheLookup<PromptAnswer>): Promise<StoreResult>;
}

/**
 * Ground 7: this request's place in a conversation. The handler binds it to the session, the
 * caller and the request, so the core only reads earlier turns and appends its own.
 */
export interface ConversationPort {
  /** Earlier turns, oldest first and bounded; throws a 404 HttpError when the session is not the caller's. */
  history(signal?: AbortSignal): Promise<ModelMessage[]>;
  /** Stores this turn: the question as the model saw it, the answer as the client sees it. */
  append(question: string, answer: PromptAnswer, signal?: AbortSignal): Promise<void>;
}

/** Who asks, and in which conversation; everything here comes from the handler, never the body. */
export interface PromptCaller {
  /** Retrieval returns the shared documents and this tenant's; unset (no tenants at this ground, an IAM caller): the shared ones only. */
  readonly tenant?: string;
  readonly tier?: TenantTier;
  readonly modelIds?: Readonly<Record<string, string>>;
  /** Ground 7: the session the request continues or starts. @default no history */
  readonly conversation?: ConversationPort;
}

const MAX_VARIABLE_CHARS = 1_000;
const MAX_FILTER_KEYS = 5;

/**
 * The body of `POST /prompt`. Fields appear with the grounds that use them; API Gateway checks the
 * same shape, this is the authoritative check.
 */
export function promptRequestSchema(settings: PromptSettings, features: { variables: boolean; sessions?: boolean }) {
  const retrieval = settings.retrieval;
  return z.strictObject({
    query: z.string().check(
      z.minLength(1),
      z.maxLength(settings.maxQueryChars),
      z.refine((q) => q.trim().length > 0, 'must not be blank'),
    ),
    maxTokens: z.optional(z.int({ error: integerOnly }).check(z.minimum(1), z.maximum(settings.maxTokens))),
    temperature: z.optional(z.number().check(z.minimum(0), z.maximum(1))),
    ...(settings.routing.targets.length > 1 ? { model: z.optional(z.string().check(z.maxLength(64))) } : {}),
    ...(features.sessions ? { sessionId: z.optional(z.string().check(z.regex(SESSION_ID_PATTERN, 'must be 16-64 letters, digits, _ or -'))) } : {}),
    ...(features.variables
      ? {
          variables: z.optional(
            withoutProtoKey(
              z.record(z.string().check(z.regex(/^[a-z][A-Za-z0-9_]{0,39}$/, 'must be a variable name')), z.string().check(z.maxLength(MAX_VARIABLE_CHARS))),
              'must be a variable name',
            ),
          ),
        }
      : {}),
    ...(retrieval
      ? {
          topK: z.optional(z.int({ error: integerOnly }).check(z.minimum(1), z.maximum(retrieval.maxTopK))),
          filter: z.optional(
            withoutProtoKey(
              z
                .record(
                  z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,100}$/, 'must be a metadata key of letters, digits, _ . -')),
                  z.union([z.string().check(z.maxLength(256)), z.number(), z.boolean()]),
                )
                .check(z.refine((f) => Object.keys(f).length >= 1 && Object.keys(f).length <= MAX_FILTER_KEYS, `must hold 1 to ${MAX_FILTER_KEYS} keys`)),
              'must be a metadata key other than __proto__',
            ),
          ),
        }
      : {}),
  });
}

export interface PromptRequest {
  readonly query: string;
  /** Ground 4: a catalog alias the client asks for. */
  readonly model?: string;
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly variables?: Readonly<Record<string, string>>;
  readonly topK?: number;
  readonly filter?: Readonly<Record<string, string | number | boolean>>;
  /** Ground 7: continue this conversation (one of the caller's sessions). */
  readonly sessionId?: string;
}

export interface Citation {
  readonly source: string;
  readonly passage: string;
  readonly score: number;
}

export interface PromptAnswer {
  readonly text: string;
  /** The catalog alias and model id that answered (after any fallback). */
  readonly model: string;
  readonly modelId: string;
  /** Models that failed (throttled or unavailable) before the one that answered. */
  readonly fallbackFrom: readonly string[];
  /** USD, from the catalog's token prices. */
  readonly costUsd: number;
  readonly stopReason: string;
  readonly usage: TokenUsage;
  readonly latencyMs: number;
  readonly promptVersion?: string;
  readonly citations?: readonly Citation[];
  /** Ground 2: retrieval found nothing; the model was told not to invent. */
  readonly noPassagesFound?: boolean;
  /** Ground 3: what the guardrail did. */
  readonly guardrail?: { readonly input: GuardrailOutcome; readonly output: GuardrailOutcome };
  /** Ground 5: where the answer came from. */
  readonly cache?: CacheSource;
}

export type { GuardrailOutcome } from '../shared/model';

export { BlockedInput } from '../shared/input-guard';

export const NO_PASSAGES = 'No passages were found in the knowledge base for this query. Say so; do not invent an answer from it.';
const NO_KNOWLEDGE_BASE = 'No knowledge base is connected.';

/** Ground 0 → 3: [input guardrail] → [retrieve] → [render prompt] → model → [output guardrail]. */
export async function answerPrompt(
  request: PromptRequest,
  settings: PromptSettings,
  deps: PromptDeps,
  signal?: AbortSignal,
  caller: PromptCaller = {},
): Promise<PromptAnswer> {
  // Chosen first: an unknown model alias is a 400 before any Bedrock call.
  const firstAlias = chooseModel(settings.routing, { requested: request.model, tier: caller.tier, promptChars: request.query.length });
  // Ground 7: a session that is not the caller's is a 404 before any Bedrock call.
  const history = caller.conversation ? await caller.conversation.history(signal) : [];
  const template = deps.prompt ? await deps.prompt.load(signal) : undefined;
  // Checked before the guardrail call: an unknown or missing variable is a 400 without one.
  if (template) resolveVariables(template, request.variables ?? {});

  // Every text the client wrote that reaches the model (the query and the variable values) is
  // checked in one call; masked PII: the model sees the masked texts, never the originals. The
  // operator's defaults, the template and the retrieved passages are not client input. Earlier
  // turns (ground 7) come from the session store, which holds each question as the model saw it
  // (after this check) and each answer as the client saw it (after the output check): they are not
  // checked again, and no client can write them.
  const given = Object.entries(request.variables ?? {});
  const guarded = await guardInput(deps.guardrail, [request.query, ...given.map(([, value]) => value)], signal);
  const inputOutcome: GuardrailOutcome = deps.guardrail ? (guarded.masked ? 'masked' : 'none') : 'not-checked';
  const query = guarded.texts[0];
  const maskedVariables = Object.fromEntries(given.map(([name], i) => [name, guarded.texts[i + 1]]));
  const variables = template ? resolveVariables(template, maskedVariables) : {};

  // Ground 5: after the input check (a blocked input is never served from the cache), keyed by the
  // (masked) query, tenant, model, prompt version and guardrail version.
  const firstModelId = caller.modelIds?.[firstAlias] ?? settings.routing.targets.find((t) => t.alias === firstAlias)!.modelId;
  const scope: CacheScope = {
    tenant: caller.tenant ?? 'anonymous',
    modelId: firstModelId,
    promptVersion: template?.version,
    guardrailVersion: settings.guardrailVersion,
  };
  const cacheable: CacheableRequest = {
    query,
    maxTokens: request.maxTokens,
    temperature: request.temperature,
    variables: request.variables && maskedVariables,
    topK: request.topK,
    filter: request.filter,
  };
  // An answer that depends on earlier turns is neither served from nor stored in the cache, whose
  // key holds only this request.
  const cache = history.length ? undefined : deps.cache;
  const lookup = cache ? await cache.lookup(scope, cacheable) : undefined;
  // Blocked inputs never get here: a conversation keeps only turns the model (or the cache) answered.
  const remember = async (answer: PromptAnswer) => {
    await caller.conversation?.append(query, answer, signal);
    return answer;
  };
  if (lookup && lookup.source !== 'none') {
    // No model call was made: nothing was spent on this request.
    return remember({ ...lookup.answer, costUsd: 0, fallbackFrom: [], cache: lookup.source });
  }

  let passages: Passage[] | undefined;
  if (deps.knowledge && settings.retrieval) {
    const topK = request.topK ?? settings.retrieval.defaultTopK;
    // Scoped to the caller's tenant whatever the client's filter says: that filter can only narrow it.
    const filter = scopedFilter(caller.tenant, equalityFilter(request.filter));
    passages = (await deps.knowledge.retrieve(query, topK, filter, signal)).filter((p) => p.score >= settings.retrieval!.minScore);
  }
  const context =
    passages === undefined
      ? NO_KNOWLEDGE_BASE
      : passages.length === 0
        ? NO_PASSAGES
        : passages.map((p, i) => `[${i + 1}] (source: ${p.source})\n${p.text}`).join('\n\n');

  const reply = await converseRouted(
    deps.model,
    settings.routing,
    firstAlias,
    {
      ...(template
        ? {
            system: [fill(template.system, variables)],
            cacheSystem: template.cacheSystem,
            messages: [...history, { role: 'user', text: fill(template.user, { ...variables, context, query }) }],
          }
        : { messages: [...history, { role: 'user', text: query }] }),
      maxTokens: request.maxTokens ?? settings.maxTokens,
      temperature: request.temperature ?? settings.temperature,
    },
    signal,
    caller.modelIds,
  );

  let text = reply.text;
  let outputOutcome: GuardrailOutcome = 'not-checked';
  if (deps.guardrail) {
    const grounding = passages?.length
      ? [
          { text: passages.map((p) => p.text).join('\n\n'), qualifier: 'grounding_source' as const },
          { text: query, qualifier: 'query' as const },
        ]
      : [];
    const verdict = await deps.guardrail.apply(
      'OUTPUT',
      [...grounding, { text, qualifier: grounding.length ? ('guard_content' as const) : undefined }],
      signal,
    );
    outputOutcome = verdict.ungrounded ? 'ungrounded' : verdict.blocked ? 'blocked' : verdict.intervened ? 'masked' : 'none';
    // Blocked, ungrounded or masked: the raw model text never reaches the client.
    if (verdict.intervened) text = verdict.output ?? 'The answer was withheld by the usage policy';
  }

  const answer: PromptAnswer = {
    text,
    model: reply.alias,
    modelId: reply.modelId,
    fallbackFrom: reply.triedAliases,
    costUsd: reply.costUsd,
    stopReason: reply.stopReason,
    usage: reply.usage,
    latencyMs: reply.latencyMs,
    ...(template ? { promptVersion: template.version } : {}),
    ...(passages
      ? { citations: outputOutcome === 'blocked' || outputOutcome === 'ungrounded' ? [] : passages.map(citation), noPassagesFound: passages.length === 0 }
      : {}),
    ...(deps.guardrail ? { guardrail: { input: inputOutcome, output: outputOutcome } } : {}),
  };
  if (!cache) return remember(answer);
  // Never stored: blocked, ungrounded or masked answers, and "no passages" ones (the policy's rules).
  await cache.store(scope, cacheable, answer, { guardrail: answer.guardrail, noPassagesFound: answer.noPassagesFound }, lookup);
  return remember({ ...answer, cache: 'none' });
}

function citation(p: Passage): Citation {
  return { source: p.source, passage: p.text.length > 500 ? `${p.text.slice(0, 500)}…` : p.text, score: p.score };
}

/** Request values over defaults; a missing required or an unknown variable is a 400 naming it. */
export function resolveVariables(template: PromptTemplate, given: Readonly<Record<string, string>>): Record<string, string> {
  const unknown = Object.keys(given).filter((name) => !template.variables.includes(name));
  if (unknown.length)
    throw new HttpError(
      400,
      `unknown variable${unknown.length > 1 ? 's' : ''}: ${unknown.slice(0, 5).join(', ')}; allowed: ${template.variables.join(', ') || 'none'}`,
    );
  const values: Record<string, string> = {};
  for (const name of template.variables) {
    const value = given[name] ?? template.defaults[name];
    if (value === undefined) throw new HttpError(400, `variables.${name} is required`);
    values[name] = value;
  }
  return values;
}

/** One pass over `{{name}}`: values are inserted as data and never expanded again. */
export function fill(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g, (whole, name: string) => (Object.hasOwn(values, name) ? values[name] : whole));
}

/** Reads a GetPrompt answer (CHAT variant) into a template; anything else is a deployment bug. */
export function templateFromPrompt(prompt: unknown, version: string): PromptTemplate {
  const variant = (prompt as { variants?: unknown[] })?.variants?.[0] as
    | {
        templateConfiguration?: {
          chat?: { system?: { text?: string; cachePoint?: unknown }[]; messages?: { content?: { text?: string }[] }[]; inputVariables?: { name?: string }[] };
        };
        metadata?: { key?: string; value?: string }[];
      }
    | undefined;
  const chat = variant?.templateConfiguration?.chat;
  const system = chat?.system
    ?.map((b) => b.text)
    .filter((t): t is string => typeof t === 'string')
    .join('\n\n');
  const user = chat?.messages?.[0]?.content
    ?.map((c) => c.text)
    .filter((t): t is string => typeof t === 'string')
    .join('');
  if (!system || !user || !Array.isArray(chat?.inputVariables)) throw new Error('prompt version is not a CHAT template with system and user text');
  const variables = chat.inputVariables.map((v) => v.name).filter((n): n is string => typeof n === 'string' && n !== 'query' && n !== 'context');
  const defaults = Object.fromEntries(
    (variant?.metadata ?? [])
      .filter((m) => m.key?.startsWith('default.') && typeof m.value === 'string')
      .map((m) => [m.key!.slice('default.'.length), m.value!]),
  );
  return { version, system, user, cacheSystem: chat.system!.some((b) => b.cachePoint !== undefined), variables, defaults };
}
