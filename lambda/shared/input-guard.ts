import { HttpError } from './http';
import type { GuardrailPort } from './model';

/** The input was refused before retrieval and the model. */
export class BlockedInput extends HttpError {
  constructor(message: string) {
    super(422, message);
  }
}

const BLOCKED_INPUT = 'The request was blocked by the usage policy';

export interface GuardedInput {
  /** The texts as the model may see them: masked where the guardrail masked, else as given. */
  readonly texts: string[];
  /** The guardrail masked something (it intervened without blocking). */
  readonly masked: boolean;
}

/**
 * Checks every client-supplied text of a request with ApplyGuardrail INPUT, in one call (one
 * content block per text), and returns the texts the model may see. Blocked: a BlockedInput (422)
 * with the guardrail's message, and no model call. Masked: the masked texts.
 *
 * Which output is which block: the API reference documents `outputs` only as "the output details"
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ApplyGuardrail.html), not
 * that `outputs[i]` is the masked text of `content[i]`. So a masked answer is mapped block by
 * block only when it has one output per block; otherwise each block is checked again on its own
 * (a single block's output is its masked text) - extra calls only when something was masked.
 * A masked block whose masked text cannot be read is refused: the original never goes on.
 */
export async function guardInput(guardrail: GuardrailPort | undefined, texts: readonly string[], signal?: AbortSignal): Promise<GuardedInput> {
  if (!guardrail || texts.length === 0) return { texts: [...texts], masked: false };
  const verdict = await guardrail.apply(
    'INPUT',
    texts.map((text) => ({ text })),
    signal,
  );
  if (verdict.blocked) throw new BlockedInput(verdict.outputs?.find((t) => t.length > 0) ?? verdict.output ?? BLOCKED_INPUT);
  if (!verdict.intervened) return { texts: [...texts], masked: false };
  if (verdict.outputs?.length === texts.length) return { texts: [...verdict.outputs], masked: true };
  const one = async (text: string): Promise<string> => {
    const alone = await guardrail.apply('INPUT', [{ text }], signal);
    if (alone.blocked) throw new BlockedInput(alone.output ?? BLOCKED_INPUT);
    if (!alone.intervened) return text;
    if (alone.output === undefined) throw new BlockedInput(BLOCKED_INPUT);
    return alone.output;
  };
  const masked: string[] = [];
  // One at a time: the guardrail's rate quota is per second, and this path is already the rare one.
  for (const text of texts) masked.push(await one(text));
  return { texts: masked, masked: true };
}
