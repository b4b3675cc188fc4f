import { ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { BedrockFake } from '../test/support/bedrock-fake';
import { PROMPT_ROUTING } from '../test/support/prompt-handler';
import { deployedPrompt, figures, type LatencyFigures, PROMPT_ID, QUERY } from './handler';
import { HANDLER_ENV, LAMBDA_ENV } from './env';
import { median, msSince, percentile } from './stats';

/** One way of rendering the ground-1 prompt, cold and warm. */
export interface RenderingFigures {
  /** First request on fresh clients (new connections, first-call SDK set-up), client construction excluded. */
  readonly coldMs: { readonly runs: number; readonly median: number; readonly max: number; readonly samples: number[] };
  readonly warmMs: LatencyFigures;
  /** Fake calls per warm request, and per cold start. */
  readonly fakeCallsPerRequest: Record<string, number>;
  readonly fakeCallsPerColdStart: Record<string, number>;
}

export interface RenderingResults {
  readonly calls: number;
  readonly warmup: number;
  /** (a) what we ship: GetPrompt once per container, render locally, Converse with system + messages. */
  readonly local: RenderingFigures;
  /** (b) Converse with modelId = the prompt version ARN and promptVariables: Bedrock renders. */
  readonly server: RenderingFigures;
  /** Per-pair warm differences, (a) minus the (b) call right after it. */
  readonly pairedLocalMinusServerMs: { readonly p50: number; readonly p99: number };
}

const COLD_RUNS = 15;
const WARMUP = 200;
const CALLS = 2_000;
const PROMPT_VERSION = '1';
const VERSION_ARN = `arn:aws:bedrock:us-east-1:123456789012:prompt/${PROMPT_ID}:${PROMPT_VERSION}`;
/** The context ground 1 sends when no knowledge base is connected (lambda/prompt/core.ts). */
const NO_KNOWLEDGE_BASE = 'No knowledge base is connected.';

/**
 * Ground 1's rendering choice, both through the real SDK clients that `lambda/shared/bedrock.ts`
 * builds, against the fake: (a) is the shipped core (`answerPrompt` with `managedPrompt` and
 * `converseModel`); (b) is one Converse on the prompt version ARN with `promptVariables`.
 */
export async function benchPromptRendering(): Promise<RenderingResults> {
  const prompt = deployedPrompt(PROMPT_ID);
  const fake = await BedrockFake.start();
  try {
    fake.exportEndpoints();
    Object.assign(process.env, LAMBDA_ENV, HANDLER_ENV.prompt);
    const { converseModel, createBedrockRuntime } = await import('../lambda/shared/bedrock');
    const { createBedrockAgent, managedPrompt } = await import('../lambda/shared/bedrock-agent');
    const { answerPrompt, templateFromPrompt } = await import('../lambda/prompt/core');
    const env = HANDLER_ENV.prompt;
    const clientSettings = { maxAttempts: Number(env.BEDROCK_MAX_ATTEMPTS), attemptTimeoutMs: Number(env.BEDROCK_ATTEMPT_TIMEOUT_MS) };
    const settings = {
      routing: PROMPT_ROUTING,
      maxTokens: Number(env.MAX_TOKENS),
      temperature: Number(env.TEMPERATURE),
      maxQueryChars: Number(env.MAX_QUERY_CHARS),
    };
    // (b) has no GetPrompt, so the function must know the variables' defaults by other means (here: from the fixture).
    const variant = (prompt.variants as { metadata: { key: string; value: string }[] }[])[0];
    const defaults = Object.fromEntries(variant.metadata.map((m) => [m.key.replace(/^default\./, ''), m.value]));

    /** (a) A container: its clients and its once-per-container prompt load; returns one request. */
    const localContainer = () => {
      const deps = {
        model: converseModel(createBedrockRuntime(clientSettings)),
        prompt: managedPrompt(createBedrockAgent(clientSettings), PROMPT_ID, PROMPT_VERSION, templateFromPrompt),
      };
      return async (): Promise<number> => {
        const start = process.hrtime.bigint();
        const answer = await answerPrompt({ query: QUERY }, settings, deps);
        const ms = msSince(start);
        if (answer.promptVersion !== PROMPT_VERSION || !answer.text) throw new Error('(a) local rendering returned no answer');
        return ms;
      };
    };
    /** (b) A container: one runtime client; returns one request. */
    const serverContainer = () => {
      const runtime = createBedrockRuntime(clientSettings);
      return async (): Promise<number> => {
        const command = new ConverseCommand({
          modelId: VERSION_ARN,
          promptVariables: Object.fromEntries(Object.entries({ ...defaults, context: NO_KNOWLEDGE_BASE, query: QUERY }).map(([k, text]) => [k, { text }])),
        });
        const start = process.hrtime.bigint();
        const out = await runtime.send(command);
        const ms = msSince(start);
        if (!Array.isArray(out.output?.message?.content) || typeof out.stopReason !== 'string') throw new Error('(b) server rendering returned no answer');
        return ms;
      };
    };

    fake.reset();
    fake.data.prompts.set(PROMPT_ID, prompt);
    // Cold: a fresh container per run, alternating (a) and (b) so both see the same conditions.
    // One discarded pair first, so neither pays this process's first use of the SDK code.
    await localContainer()();
    await serverContainer()();
    const coldLocal: number[] = [];
    const coldServer: number[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      coldLocal.push(await localContainer()());
      coldServer.push(await serverContainer()());
    }
    const coldRequests = COLD_RUNS + 1;
    const coldGetPrompt = fake.count('GetPrompt');
    const coldConverse = fake.count('Converse');
    if (coldGetPrompt !== coldRequests || coldConverse !== 2 * coldRequests) {
      throw new Error(`cold rendering: fake saw ${coldGetPrompt} GetPrompt and ${coldConverse} Converse, expected ${coldRequests} and ${2 * coldRequests}`);
    }
    const serverCalls = fake.requests.filter((r) => r.operation === 'Converse' && r.params.modelId === VERSION_ARN);
    if (serverCalls.length !== coldRequests) throw new Error(`(b): ${serverCalls.length} Converse calls on ${VERSION_ARN}, expected ${coldRequests}`);
    const sent = serverCalls[0].body as Record<string, unknown>;
    if (sent.system !== undefined || sent.inferenceConfig !== undefined || !sent.promptVariables)
      throw new Error(`(b) sent an unexpected body: ${JSON.stringify(sent)}`);

    // Warm: one container each, interleaved.
    fake.reset();
    fake.data.prompts.set(PROMPT_ID, prompt);
    const local = localContainer();
    const server = serverContainer();
    for (let i = 0; i < WARMUP; i++) {
      await local();
      await server();
    }
    const warmLocal: number[] = [];
    const warmServer: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      warmLocal.push(await local());
      warmServer.push(await server());
    }
    const requests = WARMUP + CALLS;
    if (fake.count('GetPrompt') !== 1 || fake.count('Converse') !== 2 * requests || fake.requests.length !== 1 + 2 * requests) {
      throw new Error(
        `warm rendering: fake saw ${fake.count('GetPrompt')} GetPrompt, ${fake.count('Converse')} Converse of ${fake.requests.length} calls; ` +
          `expected 1, ${2 * requests} of ${1 + 2 * requests}`,
      );
    }

    const cold = (samples: number[]) => ({ runs: samples.length, median: median(samples), max: Math.max(...samples), samples });
    const paired = warmLocal.map((a, i) => a - warmServer[i]);
    return {
      calls: CALLS,
      warmup: WARMUP,
      local: { coldMs: cold(coldLocal), warmMs: figures(warmLocal), fakeCallsPerRequest: { Converse: 1 }, fakeCallsPerColdStart: { GetPrompt: 1 } },
      server: { coldMs: cold(coldServer), warmMs: figures(warmServer), fakeCallsPerRequest: { Converse: 1 }, fakeCallsPerColdStart: {} },
      pairedLocalMinusServerMs: { p50: percentile(paired, 50), p99: percentile(paired, 99) },
    };
  } finally {
    await fake.stop();
  }
}
