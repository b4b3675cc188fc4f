import type { GuardrailOutcome, GuardrailPort, ModelRequest, TokenUsage } from './model';
// Types only: the adapter lives in stream.ts, this module stays free of the SDK at run time.
import type { ModelStreamPort, StreamChunk } from './stream';
import { guardInput } from './input-guard';

/**
 * A streamed chat answer with the guardrail applied to the output while it streams.
 *
 * Guardrail-on-stream policy (why ApplyGuardrail windows, not Converse `guardrailConfig`):
 * - The text is released in windows. Deltas are buffered until the buffer holds a sentence end
 *   after at least a quarter of the window, or the whole window (GUARDRAIL_WINDOW_CHARS, default
 *   1,000 characters = one guardrail text unit, so checking costs about what one check of the
 *   whole answer would). Each window goes through ApplyGuardrail OUTPUT on the pinned guardrail
 *   version before a single character of it is sent: no unchecked text ever reaches the client.
 * - Masked (PII anonymized): the masked window is sent instead. Blocked: the model stream is
 *   cancelled (no more tokens billed), a `replace` event carries the blocked message, and the
 *   answer ends with stopReason `guardrail_intervened`. Text of earlier windows was checked and
 *   already sent; the `replace` event tells the client to swap it for the message.
 * - The windows are read one at a time: while a window is being checked the model stream is not
 *   read, so the buffer never exceeds one window plus one delta.
 * - This is the same GuardrailPort, guardrail version and verdict mapping as `POST /prompt`, so
 *   both routes intervene alike, need only `bedrock:ApplyGuardrail`, and are tested against the
 *   same fake. Converse's `guardrailConfig` with `streamProcessingMode: 'sync'` does the same
 *   buffering server-side, but its chunk size is not ours to choose, it guards the input again
 *   inside the model call, and its verdict comes back only as a trace in the stream.
 * - Limit: each window is judged alone. Content that is harmful only across a window edge can
 *   pass; cutting at sentence ends makes that rare, and a larger window trades first-token
 *   latency for more context.
 */

export interface ChatDeps {
  readonly model: ModelStreamPort;
  /** Ground 3. */
  readonly guardrail?: GuardrailPort;
}

export type ChatEvent =
  | { readonly type: 'delta'; readonly text: string }
  /** The guardrail blocked the answer: show this message instead of the text sent so far. */
  | { readonly type: 'replace'; readonly text: string }
  | {
      readonly type: 'done';
      readonly stopReason: string;
      /** Unknown when the guardrail stopped the model before it reported usage. */
      readonly usage?: TokenUsage;
      readonly latencyMs?: number;
      readonly guardrail?: { readonly input: GuardrailOutcome; readonly output: GuardrailOutcome };
    };

export const BLOCKED_OUTPUT = 'The answer was withheld by the usage policy';
export const GUARDRAIL_STOP_REASON = 'guardrail_intervened';

/**
 * [input guardrail] → open the model stream → output guardrail in windows. Resolves when the model
 * has accepted the request, so the caller can still answer with a status code until then.
 */
export async function openChat(
  request: ModelRequest,
  settings: { readonly guardrailWindowChars: number },
  deps: ChatDeps,
  signal?: AbortSignal,
): Promise<AsyncIterable<ChatEvent>> {
  // Every text of the request is client-written, earlier turns and assistant turns included (the
  // client sends the whole history): all of it goes through the input guardrail in one call, and
  // the model sees the texts as the guardrail returned them (masked PII, never the originals).
  const system = request.system ?? [];
  const guarded = await guardInput(deps.guardrail, [...system, ...request.messages.map((m) => m.text)], signal);
  const input: GuardrailOutcome = deps.guardrail ? (guarded.masked ? 'masked' : 'none') : 'not-checked';
  const checked: ModelRequest = {
    ...request,
    ...(request.system ? { system: guarded.texts.slice(0, system.length) } : {}),
    messages: request.messages.map((m, i) => ({ ...m, text: guarded.texts[system.length + i] })),
  };
  // Our own controller, so a blocked answer can stop the model (and its billing) mid-stream.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let chunks: AsyncIterable<StreamChunk>;
  try {
    chunks = await deps.model.open(checked, stop.signal);
  } catch (error) {
    signal?.removeEventListener('abort', onAbort);
    throw error;
  }
  const events = deps.guardrail ? guardedOutput(chunks, deps.guardrail, settings.guardrailWindowChars, input, stop, signal) : passThrough(chunks);
  return (async function* () {
    try {
      yield* events;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  })();
}

async function* passThrough(chunks: AsyncIterable<StreamChunk>): AsyncGenerator<ChatEvent> {
  for await (const chunk of chunks) {
    if (chunk.kind === 'text') yield { type: 'delta', text: chunk.text };
    else yield { type: 'done', stopReason: chunk.stopReason, usage: chunk.usage, latencyMs: chunk.latencyMs };
  }
}

async function* guardedOutput(
  chunks: AsyncIterable<StreamChunk>,
  guardrail: GuardrailPort,
  windowChars: number,
  input: GuardrailOutcome,
  stop: AbortController,
  signal?: AbortSignal,
): AsyncGenerator<ChatEvent> {
  let output: GuardrailOutcome = 'none';
  let pending = '';
  /** Checks one window: the text to send (masked if need be), or the guardrail's blocked message. */
  const check = async (window: string): Promise<{ send: string } | { blocked: string }> => {
    const verdict = await guardrail.apply('OUTPUT', [{ text: window }], signal);
    if (verdict.blocked || verdict.ungrounded) return { blocked: verdict.output ?? BLOCKED_OUTPUT };
    if (!verdict.intervened) return { send: window };
    output = 'masked';
    return { send: verdict.output ?? '' };
  };
  const blocked = (message: string): ChatEvent[] => [
    { type: 'replace', text: message },
    { type: 'done', stopReason: GUARDRAIL_STOP_REASON, guardrail: { input, output: 'blocked' } },
  ];

  for await (const chunk of chunks) {
    if (chunk.kind === 'end') {
      if (pending) {
        const verdict = await check(pending);
        if ('blocked' in verdict) return yield* blocked(verdict.blocked);
        if (verdict.send) yield { type: 'delta', text: verdict.send };
      }
      yield { type: 'done', stopReason: chunk.stopReason, usage: chunk.usage, latencyMs: chunk.latencyMs, guardrail: { input, output } };
      return;
    }
    pending += chunk.text;
    for (let cut = releasePoint(pending, windowChars); cut > 0; cut = releasePoint(pending, windowChars)) {
      const verdict = await check(pending.slice(0, cut));
      if ('blocked' in verdict) {
        stop.abort();
        return yield* blocked(verdict.blocked);
      }
      pending = pending.slice(cut);
      if (verdict.send) yield { type: 'delta', text: verdict.send };
    }
  }
}

const SENTENCE_END = /[.!?。！？]["'’”)\]]*\s|\n/g;

/**
 * Where the buffered text can be cut for a guardrail check: 0 to keep buffering, else the length
 * of the window. The first sentence end after a quarter of the window; else the whole window, cut
 * at a space when there is one (and never inside a surrogate pair).
 */
export function releasePoint(pending: string, windowChars: number): number {
  const min = Math.max(1, Math.floor(windowChars / 4));
  if (pending.length < min) return 0;
  SENTENCE_END.lastIndex = min - 1;
  const sentence = SENTENCE_END.exec(pending);
  if (sentence && sentence.index + sentence[0].length <= windowChars) return sentence.index + sentence[0].length;
  if (pending.length < windowChars) return 0;
  const space = pending.lastIndexOf(' ', windowChars - 1);
  let cut = space >= min ? space + 1 : windowChars;
  if (/[\uD800-\uDBFF]/.test(pending[cut - 1] ?? '')) cut -= 1;
  return cut;
}
