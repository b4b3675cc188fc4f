import * as z from 'zod/mini';
import type { ModelPort, TokenUsage } from '../shared/model';

export interface PromptSettings {
  /** Model or inference profile id from the catalog. */
  readonly modelId: string;
  /** Cap on generated tokens; a request may ask for fewer. */
  readonly maxTokens: number;
  readonly temperature: number;
  readonly maxQueryChars: number;
}

/** The body of `POST /prompt`. API Gateway checks the same shape; this is the authoritative check. */
export function promptRequestSchema(settings: PromptSettings) {
  return z.strictObject({
    query: z.string().check(
      z.minLength(1),
      z.maxLength(settings.maxQueryChars),
      z.refine((q) => q.trim().length > 0, 'must not be blank'),
    ),
    maxTokens: z.optional(z.int({ error: 'must be an integer' }).check(z.minimum(1), z.maximum(settings.maxTokens))),
    temperature: z.optional(z.number().check(z.minimum(0), z.maximum(1))),
  });
}

export type PromptRequest = z.infer<ReturnType<typeof promptRequestSchema>>;

export interface PromptAnswer {
  readonly text: string;
  readonly modelId: string;
  readonly stopReason: string;
  readonly usage: TokenUsage;
  readonly latencyMs: number;
}

/** Ground 0: the query goes to the model as one user turn. */
export async function answerPrompt(
  request: PromptRequest,
  settings: PromptSettings,
  deps: { readonly model: ModelPort },
  signal?: AbortSignal,
): Promise<PromptAnswer> {
  const reply = await deps.model.converse(
    {
      modelId: settings.modelId,
      messages: [{ role: 'user', text: request.query }],
      maxTokens: request.maxTokens ?? settings.maxTokens,
      temperature: request.temperature ?? settings.temperature,
    },
    signal,
  );
  return { text: reply.text, modelId: settings.modelId, stopReason: reply.stopReason, usage: reply.usage, latencyMs: reply.latencyMs };
}
