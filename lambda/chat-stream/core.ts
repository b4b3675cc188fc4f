import * as z from 'zod/mini';
import type { ModelRequest } from '../shared/model';
import { integerOnly } from '../shared/validation';
import { MAX_CHAT_MESSAGES } from '../../contracts/model-call';

/** `POST /chat/stream`: the request and its settings; the guarded stream itself is lambda/shared/guarded-chat.ts (the OpenAI route streams through it too). */
export interface ChatSettings {
  readonly modelId: string;
  /** Cap on generated tokens; a request may ask for fewer. */
  readonly maxTokens: number;
  readonly temperature: number;
  /** Longest message, in characters. */
  readonly maxMessageChars: number;
  /** Largest window of output text checked by the guardrail at once, in characters. */
  readonly guardrailWindowChars: number;
}

/** The one limit of both chat routes (API Gateway's request models read it too). */
export const MAX_MESSAGES = MAX_CHAT_MESSAGES;

/** Converse wants turns that alternate, starting and ending with the user. */
const alternates = (messages: readonly { role?: unknown }[]) =>
  messages.length === 0 || (messages.length % 2 === 1 && messages.every((m, i) => m?.role === (i % 2 === 0 ? 'user' : 'assistant')));

/** The body of `POST /chat/stream`. */
export function chatRequestSchema(settings: Pick<ChatSettings, 'maxTokens' | 'maxMessageChars'>) {
  return z.strictObject({
    messages: z
      .array(
        z.strictObject({
          role: z.enum(['user', 'assistant']),
          content: z.string().check(
            z.minLength(1),
            z.maxLength(settings.maxMessageChars),
            z.refine((t) => t.trim().length > 0, 'must not be blank'),
          ),
        }),
      )
      .check(z.minLength(1), z.maxLength(MAX_MESSAGES), z.refine(alternates, 'must alternate user and assistant turns, starting and ending with user')),
    maxTokens: z.optional(z.int({ error: integerOnly }).check(z.minimum(1), z.maximum(settings.maxTokens))),
    temperature: z.optional(z.number().check(z.minimum(0), z.maximum(1))),
  });
}

export interface ChatRequest {
  readonly messages: readonly { readonly role: 'user' | 'assistant'; readonly content: string }[];
  readonly maxTokens?: number;
  readonly temperature?: number;
}

export function modelRequest(request: ChatRequest, settings: ChatSettings): ModelRequest {
  return {
    modelId: settings.modelId,
    messages: request.messages.map((m) => ({ role: m.role, text: m.content })),
    maxTokens: request.maxTokens ?? settings.maxTokens,
    temperature: request.temperature ?? settings.temperature,
  };
}
