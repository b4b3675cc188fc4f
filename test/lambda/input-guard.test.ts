import { HttpError } from '../../lambda/shared/http';
import { BlockedInput, guardInput } from '../../lambda/shared/input-guard';
import type { GuardrailContent, GuardrailPort, GuardrailVerdict } from '../../lambda/shared/model';

/**
 * guardInput (lambda/shared/input-guard.ts) against an in-memory guardrail: which texts the model
 * may see, when the request is refused and with which message, and how many ApplyGuardrail calls
 * each case costs.
 */

const DEFAULT_MESSAGE = 'The request was blocked by the usage policy';
const PASS: GuardrailVerdict = { blocked: false, ungrounded: false, intervened: false };

interface Call {
  readonly source: string;
  readonly texts: string[];
  readonly signal: AbortSignal | undefined;
}

/** A guardrail answering each call with `answer(texts of the call)`, recording every call. */
function guardrail(answer: (texts: string[]) => GuardrailVerdict): GuardrailPort & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    apply(source: 'INPUT' | 'OUTPUT', content: readonly GuardrailContent[], signal?: AbortSignal) {
      const texts = content.map((c) => c.text);
      calls.push({ source, texts, signal });
      return Promise.resolve(answer(texts));
    },
  };
}

/** The refusal guardInput throws, or 'no refusal'. */
async function refusal(promise: Promise<unknown>): Promise<{ status: number; message: string; isHttpError: boolean } | 'no refusal'> {
  try {
    await promise;
    return 'no refusal';
  } catch (error) {
    if (!(error instanceof BlockedInput)) throw error;
    return { status: error.statusCode, message: error.message, isHttpError: error instanceof HttpError };
  }
}

const masked = (text: string) => text.replace(/\d{3}-\d{2}-\d{4}/g, '{US_SOCIAL_SECURITY_NUMBER}');

describe('guardInput: nothing to check', () => {
  test('without a guardrail the texts go on as given, unmasked', async () => {
    const texts = ['What is 123-45-6789?', 'hello'];
    const result = await guardInput(undefined, texts);
    expect(result).toEqual({ texts: ['What is 123-45-6789?', 'hello'], masked: false });
    expect(result.texts).not.toBe(texts);
  });

  test('no texts: no call, nothing masked', async () => {
    const port = guardrail(() => ({ ...PASS, blocked: true, intervened: true }));
    expect(await guardInput(port, [])).toEqual({ texts: [], masked: false });
    expect(port.calls).toEqual([]);
  });
});

describe('guardInput: one call for every text', () => {
  test('all texts in one INPUT call, one content block each, with the caller’s signal; passed texts go on unchanged', async () => {
    const port = guardrail(() => PASS);
    const signal = new AbortController().signal;
    const texts = ['first', 'second', 'third'];
    const result = await guardInput(port, texts, signal);
    expect(result).toEqual({ texts: ['first', 'second', 'third'], masked: false });
    expect(result.texts).not.toBe(texts);
    expect(port.calls).toEqual([{ source: 'INPUT', texts: ['first', 'second', 'third'], signal }]);
  });

  test('an intervention with one output per block: each block’s output is its masked text, in one call', async () => {
    const port = guardrail((texts) => ({ ...PASS, intervened: true, output: texts.map(masked).join(''), outputs: texts.map(masked) }));
    const result = await guardInput(port, ['SSN 123-45-6789', 'plain']);
    expect(result).toEqual({ texts: ['SSN {US_SOCIAL_SECURITY_NUMBER}', 'plain'], masked: true });
    expect(port.calls).toHaveLength(1);
  });
});

describe('guardInput: blocked', () => {
  test.each<[string, Partial<GuardrailVerdict>, string]>([
    ['the first non-empty output', { outputs: ['', 'Sorry, that topic is denied.', 'second message'], output: 'joined' }, 'Sorry, that topic is denied.'],
    ['the joined output when every output is empty', { outputs: ['', ''], output: 'joined message' }, 'joined message'],
    ['the joined output when there are no outputs', { output: 'joined message' }, 'joined message'],
    ['the default message when there is no output', {}, DEFAULT_MESSAGE],
    ['the default message when every output is empty and there is no joined one', { outputs: [''] }, DEFAULT_MESSAGE],
  ])('a 422 BlockedInput with %s, and no further call', async (_name, verdict, message) => {
    const port = guardrail(() => ({ ...PASS, blocked: true, intervened: true, ...verdict }));
    expect(await refusal(guardInput(port, ['a', 'b']))).toEqual({ status: 422, message, isHttpError: true });
    expect(port.calls).toHaveLength(1);
  });

  test('BlockedInput is an HttpError with status 422 and the message given', () => {
    const error = new BlockedInput('no');
    expect(error).toBeInstanceOf(HttpError);
    expect([error.statusCode, error.message, error.headers]).toEqual([422, 'no', {}]);
  });
});

describe('guardInput: masked, but the outputs cannot be told apart by block', () => {
  /** The joined call intervenes with `outputs` (not one per text); each text alone gets `alone(text)`. */
  const twoStage = (outputs: string[] | undefined, alone: (text: string) => GuardrailVerdict) =>
    guardrail((texts) => (texts.length > 1 ? { ...PASS, intervened: true, output: outputs?.join(''), outputs } : alone(texts[0]!)));

  test.each<[string, string[] | undefined]>([
    ['no outputs', undefined],
    ['fewer outputs than blocks', ['SSN {US_SOCIAL_SECURITY_NUMBER} plain']],
    ['more outputs than blocks', ['a', 'b', 'c', 'd']],
  ])('%s: each text is checked again alone, in order, with the signal; masked texts replaced, others kept', async (_name, outputs) => {
    const port = twoStage(outputs, (text) => (masked(text) === text ? PASS : { ...PASS, intervened: true, output: masked(text) }));
    const signal = new AbortController().signal;
    const result = await guardInput(port, ['SSN 123-45-6789', 'plain', 'and 987-65-4321'], signal);
    expect(result).toEqual({ texts: ['SSN {US_SOCIAL_SECURITY_NUMBER}', 'plain', 'and {US_SOCIAL_SECURITY_NUMBER}'], masked: true });
    expect(port.calls).toEqual([
      { source: 'INPUT', texts: ['SSN 123-45-6789', 'plain', 'and 987-65-4321'], signal },
      { source: 'INPUT', texts: ['SSN 123-45-6789'], signal },
      { source: 'INPUT', texts: ['plain'], signal },
      { source: 'INPUT', texts: ['and 987-65-4321'], signal },
    ]);
  });

  test('the texts are checked one at a time, never two calls at once', async () => {
    let inFlight = 0;
    let most = 0;
    const port: GuardrailPort = {
      async apply(_source, content) {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        return content.length > 1 ? { ...PASS, intervened: true } : { ...PASS, intervened: true, output: `[${content[0]!.text}]` };
      },
    };
    expect(await guardInput(port, ['a', 'b', 'c'])).toEqual({ texts: ['[a]', '[b]', '[c]'], masked: true });
    expect(most).toBe(1);
  });

  test('a text blocked alone is refused with its own message, and the texts after it are not checked', async () => {
    const port = twoStage(undefined, (text) => (text === 'bad' ? { ...PASS, blocked: true, intervened: true, output: 'Blocked alone.' } : PASS));
    expect(await refusal(guardInput(port, ['good', 'bad', 'after']))).toEqual({ status: 422, message: 'Blocked alone.', isHttpError: true });
    expect(port.calls.map((c) => c.texts)).toEqual([['good', 'bad', 'after'], ['good'], ['bad']]);
  });

  test('a text blocked alone without a message is refused with the default one', async () => {
    const port = twoStage(undefined, () => ({ ...PASS, blocked: true, intervened: true }));
    expect(await refusal(guardInput(port, ['x', 'y']))).toEqual({ status: 422, message: DEFAULT_MESSAGE, isHttpError: true });
  });

  test('fails closed when a text masked alone has no masked text to read: the original never goes on', async () => {
    const port = twoStage(undefined, (text) => (text === 'secret' ? { ...PASS, intervened: true } : PASS));
    expect(await refusal(guardInput(port, ['fine', 'secret']))).toEqual({ status: 422, message: DEFAULT_MESSAGE, isHttpError: true });
  });

  test('an empty masked text is a masked text, not a missing one', async () => {
    const port = twoStage(undefined, (text) => (text === 'all masked' ? { ...PASS, intervened: true, output: '' } : PASS));
    expect(await guardInput(port, ['all masked', 'kept'])).toEqual({ texts: ['', 'kept'], masked: true });
  });
});
