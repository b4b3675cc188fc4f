import { BLOCKED_OUTPUT, type ChatEvent, GUARDRAIL_STOP_REASON, openChat, releasePoint } from '../../lambda/shared/guarded-chat';
import type { GuardrailContent, GuardrailPort, GuardrailVerdict, ModelRequest } from '../../lambda/shared/model';
import type { ModelStreamPort, StreamChunk } from '../../lambda/shared/stream';

/**
 * lambda/shared/guarded-chat.ts on its own, against an in-memory model stream and guardrail: where
 * the buffered answer is cut for a check, what the model sees after the input guardrail, and the
 * events a client gets for passed, masked and blocked windows.
 */

describe('releasePoint', () => {
  test.each<[string, string, number, number]>([
    ['shorter than a quarter of the window: keep buffering', 'Hello wor', 40, 0],
    ['the first sentence end after a quarter of the window', 'Hello world. More. Even more', 40, 13],
    ['a sentence end before the quarter is not one', 'Hi. there friend and so', 40, 0],
    ['a sentence end whose punctuation is the last character before the quarter counts', 'a. bcd', 8, 3],
    ['a sentence end needs a blank after it', 'Version 1.2.3 is out', 40, 0],
    ['a newline is a sentence end', 'first line\nsecond', 20, 11],
    ['closing quotes and brackets stay with their sentence', 'He said "stop." Then left', 40, 16],
    ['a parenthesis too', 'It is (done!) Next', 24, 14],
    ['CJK full stops', 'これはテストです。 次', 12, 10],
    ['a sentence ending exactly at the window', 'abc def.  x', 9, 9],
    ['a line ending exactly at the window (not cut at the earlier space)', 'abc defg\nxyz', 9, 9],
    ['a sentence end straddling the window is beyond it', 'aaaa bbbb cccc dddd. eeee', 20, 15],
    ['no sentence end and less than a window: keep buffering', 'abcdefghij klm', 20, 0],
    ['a full window without a sentence end: cut after its last space', 'aaaa bbbb cccc ddddd eeee', 20, 15],
    ['a sentence end beyond the window does not count: cut at the space', 'aaaa bbbb cccc ddddd eeee. f', 20, 15],
    ['a space exactly at the quarter is a cut', 'aaaaa bbbbbbbbbbbbbbbbbbbb', 20, 6],
    ['a space before the quarter is not: the whole window', 'aaaa bbbbbbbbbbbbbbbbbbbbbbb', 20, 20],
    ['no space at all: the whole window', 'x'.repeat(30), 20, 20],
    ['a space after the window is not used', `${'x'.repeat(20)} y`, 20, 20],
    ['a window of 1 to 3 characters: a quarter is at least 1 character', 'a. bc', 3, 3],
    ['window 1', 'a', 1, 1],
  ])('%s', (_name, pending, windowChars, cut) => {
    expect(releasePoint(pending, windowChars)).toBe(cut);
  });

  test('never cuts inside a surrogate pair', () => {
    const text = `${'x'.repeat(19)}😀yyyy`;
    expect(releasePoint(text, 20)).toBe(19);
    expect(releasePoint(`${'x'.repeat(18)}😀yyyy`, 20)).toBe(20);
  });

  test('each call starts afresh (the shared regular expression keeps no position)', () => {
    expect(releasePoint('One two three four five. Six', 40)).toBe(25);
    expect(releasePoint('Short. Then more text follows', 8)).toBe(7);
    expect(releasePoint('One two three four five. Six', 40)).toBe(25);
  });
});

describe('openChat', () => {
  const USAGE = { inputTokens: 10, outputTokens: 5, totalTokens: 15 };
  const REQUEST: ModelRequest = {
    modelId: 'm',
    system: ['Be brief. SSN 123-45-6789'],
    messages: [
      { role: 'user', text: 'My SSN is 123-45-6789' },
      { role: 'assistant', text: 'ok' },
      { role: 'user', text: 'again' },
    ],
    maxTokens: 100,
    temperature: 0.5,
  };
  const mask = (t: string) => t.replace(/\d{3}-\d{2}-\d{4}/g, '{SSN}');
  const PASS: GuardrailVerdict = { blocked: false, ungrounded: false, intervened: false };

  /** A model streaming `texts` then an end, recording what it was asked and with which signal. */
  function model(texts: string[], options: { fail?: Error } = {}) {
    const opened: { request: ModelRequest; signal: AbortSignal | undefined }[] = [];
    let read = 0;
    const port: ModelStreamPort = {
      open(request, signal) {
        opened.push({ request, signal });
        if (options.fail) return Promise.reject(options.fail);
        return Promise.resolve(
          (async function* (): AsyncGenerator<StreamChunk> {
            for (const text of texts) {
              read += 1;
              yield { kind: 'text', text };
            }
            yield { kind: 'end', stopReason: 'end_turn', usage: USAGE, latencyMs: 42 };
          })(),
        );
      },
    };
    return { port, opened, read: () => read };
  }

  /** A guardrail masking SSNs in either direction, blocking outputs that contain `block`, recording every call. */
  function guardrail(rules: { block?: string; ungrounded?: string; blockedMessage?: string; maskWithoutOutput?: boolean } = {}) {
    const calls: { source: string; texts: string[]; signal: AbortSignal | undefined }[] = [];
    const port: GuardrailPort = {
      apply(source, content: readonly GuardrailContent[], signal) {
        const texts = content.map((c) => c.text);
        calls.push({ source, texts, signal });
        const joined = texts.join('');
        if (source === 'OUTPUT' && rules.block && joined.includes(rules.block))
          return Promise.resolve({ ...PASS, blocked: true, intervened: true, output: rules.blockedMessage });
        if (source === 'OUTPUT' && rules.ungrounded && joined.includes(rules.ungrounded))
          return Promise.resolve({ ...PASS, ungrounded: true, intervened: true });
        if (texts.some((t) => mask(t) !== t))
          return Promise.resolve({
            ...PASS,
            intervened: true,
            output: rules.maskWithoutOutput ? undefined : texts.map(mask).join(''),
            outputs: texts.map(mask),
          });
        return Promise.resolve(PASS);
      },
    };
    return { port, calls };
  }

  async function events(stream: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
    const out: ChatEvent[] = [];
    for await (const e of stream) out.push(e);
    return out;
  }

  test('without a guardrail: the request as given, the model’s deltas and end as they come, no guardrail outcome', async () => {
    const m = model(['Hel', 'lo']);
    const out = await events(await openChat(REQUEST, { guardrailWindowChars: 20 }, { model: m.port }));
    expect(out).toEqual([
      { type: 'delta', text: 'Hel' },
      { type: 'delta', text: 'lo' },
      { type: 'done', stopReason: 'end_turn', usage: USAGE, latencyMs: 42 },
    ]);
    expect(m.opened[0]!.request).toEqual(REQUEST);
  });

  test('the model gets a signal of its own, which the caller’s abort reaches', async () => {
    const caller = new AbortController();
    const m = model(['x']);
    await openChat(REQUEST, { guardrailWindowChars: 20 }, { model: m.port }, caller.signal);
    const signal = m.opened[0]!.signal!;
    expect(signal).not.toBe(caller.signal);
    expect(signal.aborted).toBe(false);
    caller.abort();
    expect(signal.aborted).toBe(true);
  });

  test('once the answer is read, the caller’s later abort no longer reaches the model’s signal', async () => {
    for (const guarded of [false, true]) {
      const caller = new AbortController();
      const m = model(['Fine.']);
      const deps = guarded ? { model: m.port, guardrail: guardrail().port } : { model: m.port };
      await events(await openChat(REQUEST, { guardrailWindowChars: 20 }, deps, caller.signal));
      caller.abort();
      expect(m.opened[0]!.signal!.aborted).toBe(false);
    }
  });

  test('a model that refuses a request made without a signal: the error passes as it is', async () => {
    const m = model([], { fail: new Error('ThrottlingException') });
    await expect(openChat(REQUEST, { guardrailWindowChars: 20 }, { model: m.port })).rejects.toThrow(new Error('ThrottlingException'));
  });

  test('a model that refuses the request: the error passes, and the caller’s signal is let go', async () => {
    const caller = new AbortController();
    const m = model([], { fail: new Error('ThrottlingException') });
    await expect(openChat(REQUEST, { guardrailWindowChars: 20 }, { model: m.port }, caller.signal)).rejects.toThrow('ThrottlingException');
    caller.abort();
    expect(m.opened[0]!.signal!.aborted).toBe(false);
  });

  test('the input guardrail checks the system prompt and every turn in one INPUT call; the model sees the masked texts', async () => {
    const caller = new AbortController();
    const g = guardrail();
    const m = model(['Done.']);
    const out = await events(await openChat(REQUEST, { guardrailWindowChars: 20 }, { model: m.port, guardrail: g.port }, caller.signal));
    expect(g.calls[0]).toEqual({ source: 'INPUT', texts: ['Be brief. SSN 123-45-6789', 'My SSN is 123-45-6789', 'ok', 'again'], signal: caller.signal });
    expect(m.opened[0]!.request).toEqual({
      ...REQUEST,
      system: ['Be brief. SSN {SSN}'],
      messages: [
        { role: 'user', text: 'My SSN is {SSN}' },
        { role: 'assistant', text: 'ok' },
        { role: 'user', text: 'again' },
      ],
    });
    expect(out.at(-1)).toEqual({ type: 'done', stopReason: 'end_turn', usage: USAGE, latencyMs: 42, guardrail: { input: 'masked', output: 'none' } });
  });

  test('a request without a system prompt gets none', async () => {
    const m = model(['Done.']);
    const { system: _system, ...withoutSystem } = REQUEST;
    await events(await openChat(withoutSystem, { guardrailWindowChars: 20 }, { model: m.port, guardrail: guardrail().port }));
    expect(m.opened[0]!.request).toEqual({ ...withoutSystem, messages: withoutSystem.messages.map((msg) => ({ ...msg, text: mask(msg.text) })) });
    expect(m.opened[0]!.request).not.toHaveProperty('system');
  });

  test('output in windows: each window checked (OUTPUT, with the caller’s signal) before it is sent, the rest at the end', async () => {
    const caller = new AbortController();
    const g = guardrail();
    const m = model(['First sentence. ', 'Second one', ' is here. And', ' a tail']);
    const out = await events(
      await openChat(
        { ...REQUEST, system: undefined, messages: [{ role: 'user', text: 'hi' }] },
        { guardrailWindowChars: 20 },
        { model: m.port, guardrail: g.port },
        caller.signal,
      ),
    );
    expect(out).toEqual([
      { type: 'delta', text: 'First sentence. ' },
      { type: 'delta', text: 'Second one is here. ' },
      { type: 'delta', text: 'And a tail' },
      { type: 'done', stopReason: 'end_turn', usage: USAGE, latencyMs: 42, guardrail: { input: 'none', output: 'none' } },
    ]);
    expect(g.calls.slice(1)).toEqual([
      { source: 'OUTPUT', texts: ['First sentence. '], signal: caller.signal },
      { source: 'OUTPUT', texts: ['Second one is here. '], signal: caller.signal },
      { source: 'OUTPUT', texts: ['And a tail'], signal: caller.signal },
    ]);
  });

  test('several windows in one delta are checked one by one', async () => {
    const g = guardrail();
    const m = model(['One. Two. Three. ']);
    const out = await events(
      await openChat(
        { ...REQUEST, system: undefined, messages: [{ role: 'user', text: 'hi' }] },
        { guardrailWindowChars: 8 },
        { model: m.port, guardrail: g.port },
      ),
    );
    expect(out.filter((e) => e.type === 'delta')).toEqual([
      { type: 'delta', text: 'One. ' },
      { type: 'delta', text: 'Two. ' },
      { type: 'delta', text: 'Three. ' },
    ]);
    expect(g.calls).toHaveLength(4);
  });

  test('no text left at the end: no further check', async () => {
    const g = guardrail();
    const m = model(['Exactly one. ']);
    await events(
      await openChat(
        { ...REQUEST, system: undefined, messages: [{ role: 'user', text: 'hi' }] },
        { guardrailWindowChars: 20 },
        { model: m.port, guardrail: g.port },
      ),
    );
    expect(g.calls.map((c) => c.texts)).toEqual([['hi'], ['Exactly one. ']]);
  });

  test('a masked window is sent masked, and the answer reports the output as masked', async () => {
    const m = model(['Your SSN is 123-45-6789. ', 'Bye']);
    const out = await events(await openChat(REQUEST, { guardrailWindowChars: 40 }, { model: m.port, guardrail: guardrail().port }));
    expect(out).toEqual([
      { type: 'delta', text: 'Your SSN is {SSN}. ' },
      { type: 'delta', text: 'Bye' },
      { type: 'done', stopReason: 'end_turn', usage: USAGE, latencyMs: 42, guardrail: { input: 'masked', output: 'masked' } },
    ]);
  });

  test('a masked window without a masked text sends nothing for it', async () => {
    const m = model(['SSN 123-45-6789. ', 'tail 987-65-4321']);
    const out = await events(
      await openChat(
        { ...REQUEST, system: undefined, messages: [{ role: 'user', text: 'hi' }] },
        { guardrailWindowChars: 20 },
        { model: m.port, guardrail: guardrail({ maskWithoutOutput: true }).port },
      ),
    );
    expect(out).toEqual([{ type: 'done', stopReason: 'end_turn', usage: USAGE, latencyMs: 42, guardrail: { input: 'none', output: 'masked' } }]);
  });

  test('a blocked window: the model is stopped and not read further, the earlier text replaced by the guardrail’s message', async () => {
    const m = model(['Fine start. ', 'forbidden words. ', 'never read', 'nor this']);
    const stream = await openChat(
      { ...REQUEST, system: undefined, messages: [{ role: 'user', text: 'hi' }] },
      { guardrailWindowChars: 20 },
      { model: m.port, guardrail: guardrail({ block: 'forbidden', blockedMessage: 'Sorry.' }).port },
    );
    const out = await events(stream);
    expect(out).toEqual([
      { type: 'delta', text: 'Fine start. ' },
      { type: 'replace', text: 'Sorry.' },
      { type: 'done', stopReason: GUARDRAIL_STOP_REASON, guardrail: { input: 'none', output: 'blocked' } },
    ]);
    expect(GUARDRAIL_STOP_REASON).toBe('guardrail_intervened');
    expect(m.opened[0]!.signal!.aborted).toBe(true);
    expect(m.read()).toBe(2);
  });

  test('blocked without a message of its own, or ungrounded: the default message', async () => {
    for (const rules of [{ block: 'bad' }, { ungrounded: 'bad' }]) {
      const m = model(['bad things. ', 'more']);
      const out = await events(
        await openChat(
          { ...REQUEST, system: undefined, messages: [{ role: 'user', text: 'hi' }] },
          { guardrailWindowChars: 20 },
          { model: m.port, guardrail: guardrail(rules).port },
        ),
      );
      expect(out).toEqual([
        { type: 'replace', text: BLOCKED_OUTPUT },
        { type: 'done', stopReason: 'guardrail_intervened', guardrail: { input: 'none', output: 'blocked' } },
      ]);
    }
    expect(BLOCKED_OUTPUT).toBe('The answer was withheld by the usage policy');
  });

  test('the last, short window blocked at the end: replaced too', async () => {
    const m = model(['Good. ', 'bad']);
    const out = await events(
      await openChat(
        { ...REQUEST, system: undefined, messages: [{ role: 'user', text: 'hi' }] },
        { guardrailWindowChars: 20 },
        { model: m.port, guardrail: guardrail({ block: 'bad', blockedMessage: 'No.' }).port },
      ),
    );
    expect(out).toEqual([
      { type: 'delta', text: 'Good. ' },
      { type: 'replace', text: 'No.' },
      { type: 'done', stopReason: 'guardrail_intervened', guardrail: { input: 'none', output: 'blocked' } },
    ]);
  });
});
