import * as z from 'zod/mini';
import type { ChatEvent } from '../shared/guarded-chat';
import { HttpError } from '../shared/http';
import type { ModelMessage, ModelRequest, TokenUsage } from '../shared/model';
import { chooseModel } from '../shared/router';
import type { RoutingPolicy } from '../../contracts/routing';
import type { TenantTier } from '../../contracts/tenants';
import { integerOnly } from '../shared/validation';
import { MAX_CHAT_MESSAGES } from '../../contracts/model-call';

/**
 * `POST /v1/chat/completions` in OpenAI's wire format, so OpenAI clients and tools work against the
 * gateway unchanged. Only the shape is translated here; the model call, the guardrail windows and
 * the error mapping are the streaming chat route's own.
 */

export interface CompletionSettings {
  readonly policy: RoutingPolicy;
  /** Cap on generated tokens; a request may ask for fewer. */
  readonly maxTokens: number;
  readonly temperature: number;
  readonly maxMessageChars: number;
}

/** The same limit as API Gateway's request model of this route (contracts/model-call.ts). */
export const MAX_MESSAGES = MAX_CHAT_MESSAGES;
const MAX_PARTS = 20;

/**
 * OpenAI's request body. Unknown fields are ignored rather than refused: clients send many
 * optional ones (`user`, `top_p`, `seed`, `stream_options`...) and must keep working. Fields that
 * would change the answer's shape if ignored (`n`, tools) are refused.
 */
export function completionRequestSchema(settings: Pick<CompletionSettings, 'maxTokens' | 'maxMessageChars'>) {
  const tokens = () => z.optional(z.nullable(z.int({ error: integerOnly }).check(z.minimum(1), z.maximum(settings.maxTokens))));
  return z.object({
    model: z.optional(z.nullable(z.string().check(z.minLength(1), z.maxLength(200)))),
    messages: z
      .array(
        z.object({
          role: z.enum(['system', 'developer', 'user', 'assistant']),
          content: z.union(
            [
              z.string().check(z.maxLength(settings.maxMessageChars)),
              z.array(z.object({ type: z.literal('text'), text: z.string() })).check(z.minLength(1), z.maxLength(MAX_PARTS)),
            ],
            {
              error: 'must be a string or an array of text parts',
            },
          ),
        }),
      )
      .check(z.minLength(1), z.maxLength(MAX_MESSAGES)),
    max_tokens: tokens(),
    max_completion_tokens: tokens(),
    temperature: z.optional(z.nullable(z.number().check(z.minimum(0), z.maximum(2)))),
    stream: z.optional(z.nullable(z.boolean())),
    stream_options: z.optional(z.nullable(z.object({ include_usage: z.optional(z.nullable(z.boolean())) }))),
    n: z.optional(z.nullable(z.literal(1, { error: 'must be 1: one choice per request' }))),
    // Any tools but none: one message whatever the value (an array check first would add "must be an array").
    tools: z.optional(z.nullable(z.unknown().check(z.refine((v) => Array.isArray(v) && v.length === 0, { error: 'are not supported by this gateway' })))),
  });
}

export type CompletionRequest = z.infer<ReturnType<typeof completionRequestSchema>>;

/** The tenant behind the API key API Gateway checked (ground 4). */
export interface Caller {
  readonly tier?: TenantTier;
  /** The tenant's application inference profiles, by alias. */
  readonly modelIds?: Readonly<Record<string, string>>;
}

export interface RoutedRequest {
  /** The catalog alias answering, reported as `model`. */
  readonly alias: string;
  readonly request: ModelRequest;
}

/**
 * OpenAI messages → a Converse request: system and developer messages become system blocks, and
 * consecutive turns of one role are joined (OpenAI allows them, Converse does not).
 */
export function toModelRequest(body: CompletionRequest, settings: CompletionSettings, caller: Caller = {}): RoutedRequest {
  const system: string[] = [];
  const turns: ModelMessage[] = [];
  body.messages.forEach((message, i) => {
    const text = typeof message.content === 'string' ? message.content : message.content.map((p) => p.text).join('');
    if (text.trim().length === 0) throw new HttpError(400, `messages.${i}.content must not be empty`);
    if (text.length > settings.maxMessageChars) throw new HttpError(400, `messages.${i}.content must be at most ${settings.maxMessageChars} characters`);
    if (message.role === 'system' || message.role === 'developer') system.push(text);
    else if (turns.at(-1)?.role === message.role) turns[turns.length - 1] = { role: message.role, text: `${turns.at(-1)!.text}\n\n${text}` };
    else turns.push({ role: message.role, text });
  });
  if (turns[0]?.role !== 'user') throw new HttpError(400, 'messages must hold a user message before any assistant message');
  if (turns.at(-1)!.role !== 'user') throw new HttpError(400, 'messages must end with a user message');
  const promptChars = [...system, ...turns.map((t) => t.text)].reduce((n, t) => n + t.length, 0);
  const alias = chooseModel(settings.policy, { requested: body.model ?? undefined, tier: caller.tier, promptChars });
  return {
    alias,
    request: {
      // A tenant's application inference profile, when it has one, so its cost is tagged to it.
      modelId: caller.modelIds?.[alias] ?? settings.policy.targets.find((t) => t.alias === alias)!.modelId,
      ...(system.length ? { system } : {}),
      messages: turns,
      maxTokens: body.max_completion_tokens ?? body.max_tokens ?? settings.maxTokens,
      // OpenAI's range is 0–2, Converse's 0–1: values above 1 are capped, not rescaled, so the
      // common 0–1 settings mean what the client meant.
      temperature: Math.min(1, body.temperature ?? settings.temperature),
    },
  };
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls';

export function finishReason(stopReason: string): FinishReason {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    case 'tool_use':
      return 'tool_calls';
    default:
      return 'stop';
  }
}

export interface CompletionMeta {
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
  readonly model: string;
}

const openAiUsage = (u: TokenUsage) => ({ prompt_tokens: u.inputTokens, completion_tokens: u.outputTokens, total_tokens: u.totalTokens });

/** Reads a whole answer into one `chat.completion`. A guardrail block replaces the text. */
export async function completion(events: AsyncIterable<ChatEvent>, meta: CompletionMeta) {
  let content = '';
  let done: Extract<ChatEvent, { type: 'done' }> | undefined;
  for await (const event of events) {
    if (event.type === 'delta') content += event.text;
    else if (event.type === 'replace') content = event.text;
    else done = event;
  }
  if (!done) throw new HttpError(502, 'The model returned a malformed answer');
  return {
    body: {
      id: meta.id,
      object: 'chat.completion',
      created: meta.created,
      model: meta.model,
      choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: finishReason(done.stopReason) }],
      ...(done.usage ? { usage: openAiUsage(done.usage) } : {}),
    },
    done,
  };
}

const sse = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;

/**
 * A streamed answer as `chat.completion.chunk` events ending with `data: [DONE]`: the role first,
 * the text as it is released, then the finish reason (and usage when the client asked for it).
 * A guardrail block cannot recall text already sent: its message is sent as the last content,
 * with finish_reason `content_filter`. Events that end with no `done` throw a 502 after the text sent.
 */
export async function* completionChunks(
  events: AsyncIterable<ChatEvent>,
  meta: CompletionMeta,
  includeUsage: boolean,
  onDone?: (done: Extract<ChatEvent, { type: 'done' }>) => void,
): AsyncGenerator<string> {
  const chunk = (delta: Record<string, unknown>, finish: FinishReason | null) =>
    sse({
      id: meta.id,
      object: 'chat.completion.chunk',
      created: meta.created,
      model: meta.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
  yield chunk({ role: 'assistant', content: '' }, null);
  let sent = false;
  let finished = false;
  for await (const event of events) {
    if (event.type === 'delta') {
      sent = true;
      yield chunk({ content: event.text }, null);
    } else if (event.type === 'replace') {
      yield chunk({ content: sent ? `\n\n${event.text}` : event.text }, null);
    } else {
      finished = true;
      onDone?.(event);
      yield chunk({}, finishReason(event.stopReason));
      if (includeUsage) {
        yield sse({
          id: meta.id,
          object: 'chat.completion.chunk',
          created: meta.created,
          model: meta.model,
          choices: [],
          usage: event.usage ? openAiUsage(event.usage) : null,
        });
      }
    }
  }
  // As completion() answers 502: a stream that ends with no finish reason is not a whole answer, so the
  // route's error frame ends it instead of [DONE] (which clients read as success).
  if (!finished) throw new HttpError(502, 'The model returned a malformed answer');
  yield 'data: [DONE]\n\n';
}

/**
 * OpenAI's error envelope around one of our HttpErrors (already mapped by `toHttpError`). `param`
 * is the field our validation message starts with, so clients can point at it.
 */
export function openAiError(error: HttpError) {
  const param = error.statusCode === 400 ? (/^([a-z_]+(?:\.[A-Za-z0-9_]+)*) (?:must|is|are) /.exec(error.message)?.[1] ?? null) : null;
  const type =
    error.statusCode === 429
      ? 'rate_limit_error'
      : error.statusCode === 401 || error.statusCode === 403
        ? 'authentication_error'
        : error.statusCode < 500
          ? 'invalid_request_error'
          : 'server_error';
  const code =
    param === 'model'
      ? 'model_not_found'
      : error.statusCode === 429
        ? 'rate_limit_exceeded'
        : error.statusCode === 422
          ? 'content_filter'
          : error.statusCode === 504
            ? 'timeout'
            : null;
  return { error: { message: error.message, type, param, code } };
}

export const openAiErrorFrame = (error: HttpError) => sse(openAiError(error));
